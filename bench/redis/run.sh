#!/usr/bin/env bash
# The Redis benchmark, by hand (not part of bench/run.sh or make test):
# brigade-redis against BullMQ (npm `bullmq` on Node) and a bare redis-crate
# XADD/XREADGROUP/XACK loop (the floor), on one local redis-server, the
# engines interleaved in each round; then end-to-end jobs/s with 1, 2 and 4
# brigade consumer processes. Prints a table of median jobs/s and ratios and
# writes it to bench/redis/results.md (raw lines in results.jsonl).
#
#   bench/redis/run.sh            # 3 rounds
#   ROUNDS=5 bench/redis/run.sh
#
# Needs redis-server (scripts/bootstrap.sh installs it) and Node; installs
# bench/redis's npm packages (bullmq, ioredis) from its package-lock.json.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PATH="$HOME/.cargo/bin:$PATH"
rounds=${ROUNDS:-3}

(cd "$here" && [ -d node_modules/bullmq ] || npm ci --no-audit --no-fund --loglevel=error)
(cd "$root" && cargo +stable build --release -p brigade-redis --example redis_bench)
target=$(cd "$root" && cargo +stable metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
bench="$target/release/examples/redis_bench"

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --dir "$dir" --logfile "$dir/redis.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
url="redis://127.0.0.1:$port/"
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

load=$(cut -d' ' -f1-3 /proc/loadavg)
out="$here/results.jsonl"
: >"$out"
scenarios="queue-add:10000 queue-add-bulk:50000 worker-generic:5000 worker-concurrent:50000"
for round in $(seq "$rounds"); do
  echo "round $round of $rounds" >&2
  for s in $scenarios; do
    name=${s%%:*} jobs=${s##*:}
    node "$here/bullmq.mjs" --url "$url" --scenario "$name" --jobs "$jobs" | tee -a "$out"
    "$bench" --url "$url" --engine brigade --scenario "$name" --jobs "$jobs" | tee -a "$out"
    "$bench" --url "$url" --engine bare --scenario "$name" --jobs "$jobs" | tee -a "$out"
  done
  for n in 1 2 4; do
    "$bench" --url "$url" --engine brigade --scenario "e2e-$n" --jobs 50000 | tee -a "$out"
  done
done

python3 - "$out" "$here/results.md" "$rounds" "$(redis-server --version | awk '{print $3}')" "$(node --version)" "$load" <<'PY'
import json, statistics, sys, platform, os
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
med = {}
for l in lines:
    med.setdefault((l["scenario"], l["engine"]), []).append(l["jobs_per_s"])
med = {k: statistics.median(v) for k, v in med.items()}
rows = ["| scenario | jobs | BullMQ jobs/s | brigade-redis jobs/s | bare loop jobs/s | brigade ÷ BullMQ | bare ÷ brigade |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
jobs = {l["scenario"]: l["jobs"] for l in lines}
for s in ["queue-add", "queue-add-bulk", "worker-generic", "worker-concurrent"]:
    b, r, f = med.get((s, "bullmq")), med.get((s, "brigade")), med.get((s, "bare"))
    if r is None:
        continue
    rows.append(f"| {s} | {jobs[s]:,} | {b:,.0f} | {r:,.0f} | {f:,.0f} | {r / b:.2f}x | {f / r:.2f}x |")
e2e = [f"| {n} | {med[(f'e2e-{n}', 'brigade')]:,.0f} |" for n in (1, 2, 4) if (f"e2e-{n}", "brigade") in med]
text = "\n".join([
    "# Redis benchmark",
    "",
    f"Median of {sys.argv[3]} rounds (engines interleaved), redis-server {sys.argv[4]}, Node {sys.argv[5]}, "
    f"{os.cpu_count()} cores, {platform.machine()}, load average {sys.argv[6]} when it started "
    "(other work on the machine shows in the figures). Written by `bench/redis/run.sh`.",
    "",
    *rows,
    "",
    "End to end, 50,000 no-op jobs, brigade consumer processes of 2 workers and queue 32 each, from their start to the last acknowledgement:",
    "",
    "| processes | jobs/s |",
    "| ---: | ---: |",
    *e2e,
    "",
])
open(sys.argv[2], "w").write(text)
print(text)
PY
