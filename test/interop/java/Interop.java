// The Java client (kafka-clients from the reference Kafka's jars) against a broker, run with
// java's single-file source launch: `java -cp '<cache>/lib/*' Interop.java MODE BOOTSTRAP TOPIC`.
// Prints one `key=value` line per fact; test/interop/java-client.test.ts asserts on them.
import java.time.Duration;
import java.util.*;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.*;

public class Interop {
  public static void main(String[] args) throws Exception {
    String mode = args[0], bootstrap = args[1], topic = args[2];
    switch (mode) {
      case "default-producer" -> defaultProducer(bootstrap, topic);
      case "roundtrip" -> roundtrip(bootstrap, topic, Integer.parseInt(args[3]));
      default -> throw new IllegalArgumentException(mode);
    }
  }

  static Properties producerProps(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return p;
  }

  // Default settings (enable.idempotence=true, acks=all, 5 in flight) with short timeouts, so a failure shows in seconds.
  static void defaultProducer(String bootstrap, String topic) throws Exception {
    Properties p = producerProps(bootstrap);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "10000");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<java.util.concurrent.Future<RecordMetadata>> sent = new java.util.ArrayList<>();
      for (int i = 0; i < 500; i++) sent.add(producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v" + i)));
      long expected = 0;
      boolean contiguous = true;
      for (java.util.concurrent.Future<RecordMetadata> f : sent) contiguous &= f.get().offset() == expected++;
      System.out.println("result=ok\nsent=" + sent.size() + "\ncontiguous=" + contiguous);
    } catch (ExecutionException e) {
      System.out.println("result=failed\ncause=" + e.getCause().getClass().getName() + "\nmessage=" + e.getCause().getMessage());
    } catch (RuntimeException e) {
      System.out.println("result=failed\ncause=" + e.getClass().getName() + "\nmessage=" + e.getMessage());
    }
  }

  static void roundtrip(String bootstrap, String topic, int n) throws Exception {
    Properties ap = new Properties();
    ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(ap)) {
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      System.out.println("admin.partitions=" + d.partitions().size());
      System.out.println("admin.listed=" + admin.listTopics().names().get().contains(topic));
      System.out.println("admin.cluster.nodes=" + admin.describeCluster().nodes().get().size());
    }
    Properties p = producerProps(bootstrap);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<java.util.concurrent.Future<RecordMetadata>> fs = new ArrayList<>();
      for (int i = 0; i < n; i++) fs.add(producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i)));
      for (var f : fs) f.get();
      System.out.println("produced=" + n);
    }
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, topic + "-group");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    Set<String> seen = new TreeSet<>();
    int mismatched = 0;
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 30_000;
      while (seen.size() < n && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          if (!r.value().equals("value-" + r.key().substring(4))) mismatched++;
          seen.add(r.key());
        }
      }
      consumer.commitSync();
      System.out.println("consumed=" + seen.size());
      System.out.println("mismatched=" + mismatched);
      System.out.println("assigned=" + consumer.assignment().size());
    }
    try (Admin admin = Admin.create(ap)) {
      Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(topic + "-group").partitionsToOffsetAndMetadata().get();
      System.out.println("committed=" + offsets.values().stream().mapToLong(OffsetAndMetadata::offset).sum());
      admin.deleteTopics(List.of(topic)).all().get();
      System.out.println("admin.deleted=" + !admin.listTopics().names().get().contains(topic));
    }
  }
}
