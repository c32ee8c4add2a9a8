// franz-go (kgo + kadm) against a broker: `go run . BOOTSTRAP TOPIC N`.
// Prints one `key=value` line per fact; test/interop/franz-go.test.ts asserts on them.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func main() {
	bootstrap, topic := os.Args[1], os.Args[2]
	n, err := strconv.Atoi(os.Args[3])
	must(err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	admin, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	must(err)
	adm := kadm.NewClient(admin)
	created, err := adm.CreateTopics(ctx, 3, 1, nil, topic)
	must(err)
	must(created[topic].Err)
	details, err := adm.ListTopics(ctx, topic)
	must(err)
	fmt.Printf("admin.partitions=%d\n", len(details[topic].Partitions))

	// franz-go's default producer is idempotent; Tributary has no InitProducerId yet.
	producer, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.DisableIdempotentWrite(), kgo.RequiredAcks(kgo.AllISRAcks()))
	must(err)
	records := make([]*kgo.Record, n)
	for i := range records {
		records[i] = &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("key-%d", i)), Value: []byte(fmt.Sprintf("value-%d", i))}
	}
	must(producer.ProduceSync(ctx, records...).FirstErr())
	producer.Close()
	fmt.Printf("produced=%d\n", n)

	group := topic + "-group"
	consumer, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	must(err)
	seen := map[string]bool{}
	mismatched := 0
	for len(seen) < n && ctx.Err() == nil {
		fetches := consumer.PollFetches(ctx)
		fetches.EachError(func(t string, p int32, err error) { must(fmt.Errorf("%s[%d]: %w", t, p, err)) })
		fetches.EachRecord(func(r *kgo.Record) {
			if string(r.Value) != "value-"+string(r.Key)[4:] {
				mismatched++
			}
			seen[string(r.Key)] = true
		})
	}
	must(consumer.CommitUncommittedOffsets(ctx))
	consumer.Close()
	fmt.Printf("consumed=%d\nmismatched=%d\n", len(seen), mismatched)

	offsets, err := adm.FetchOffsets(ctx, group)
	must(err)
	var committed int64
	offsets.Each(func(o kadm.OffsetResponse) { committed += o.At })
	fmt.Printf("committed=%d\n", committed)
	groups, err := adm.DescribeGroups(ctx, group)
	must(err)
	fmt.Printf("group.state=%s\n", groups[group].State)
	admin.Close()
}
