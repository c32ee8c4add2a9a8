#!/usr/bin/env bash
# A/B: runs one workload alternately from two built checkouts (base, new), N pairs, in one session,
# so that drift and other load on the machine hit both alike. Prints each run's table rows.
#   bench/ab.sh /tmp/ab-base /tmp/ab-new topic16 3 [flags...]
set -euo pipefail
base=$1; new=$2; workload=$3; pairs=${4:-3}; shift 4 || shift $#
for i in $(seq 1 "$pairs"); do
  for side in base new; do
    dir=$base; [ "$side" = new ] && dir=$new
    node "$dir/dist/bench/run.js" "$workload" "$@" 2>&1 | grep -E "Producer|ceiling|fetch loop|codec|kafkajs" | sed "s/^/$side $i  /"
  done
done
