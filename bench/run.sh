#!/usr/bin/env bash
# The benchmarks, side by side with their peers; each writes
# bench/results/<name>.md (tables), <name>.json (ratios) and <name>.svg (their
# chart) through bench/report.py.
#
#   channels  brigade, crossbeam-channel and flume (criterion,
#             core/benches/channels.rs) and Go's channels (bench/go/channels.go,
#             on goroutines and locked to OS threads): ns per message, same
#             scenarios, same message count. About 15 minutes for 3 rounds.
#   pool      brigade's Pool, its channels as Go's hand-written pool, rayon::spawn
#             and threadpool (criterion, core/benches/pool.rs) and Go pools of
#             goroutines and channels (bench/go/pool/main.go): ns per no-op job,
#             1,000,000 jobs on 2 workers. About 3.5 minutes for 5 rounds, plus
#             the first build.
#   browser   brigade vs the npm workerpool package vs a Comlink pool, and a bare
#             postMessage echo, in headless Chromium (bench/browser.mjs, page
#             and workers in bench/browser/): jobs/s page -> pool -> page and
#             one job's round trip, on the optimised wasm build that make demo
#             ships. About 2 minutes for 3 runs, plus building that package.
#   wasm      the optimised wasm build (scripts/build-wasm.sh --release) against
#             the fast one make test builds, both from this checkout: module
#             size, the sha256/mandelbrot/thumbnail kernels and tiny-job
#             throughput and round trip; and the same kernels natively
#             (bench/kernels/) for wasm ÷ native. About 2 minutes for
#             3 rounds, plus the builds.
#   scaling   CPU-bound work on 1, 2, ... cores workers: 64 Mandelbrot tiles
#             (wasm/src/kinds.rs natively, bench/kernels/) through brigade's
#             Pool and through rayon's par_iter. Under a minute for 3 rounds.
#   redis     brigade-redis (redis/examples/redis_bench.rs) against BullMQ on
#             Node (bench/redis/bullmq.mjs) and a bare redis-crate
#             XADD/XREADGROUP/XACK loop, on a local redis-server started for
#             the run: jobs/s in BullMQ's scenarios, then end to end with 1, 2
#             and 4 brigade consumer processes. About 2-3 minutes for 3 rounds.
#
# At the end, bench/report.py summary gathers every area's rows into
# bench/results/summary.json and summary.md (with each run's machine, load,
# toolchains and commit), and bench/report.py readme writes README.md's
# performance section from them (not after a QUICK=1 run).
#
# Usage (from anywhere): bench/run.sh [channels|pool|scaling|browser|wasm|redis ...] [-- browser.mjs options]
# No name runs all six. QUICK=1: one round each, shorter criterion and Go
# measurements and fewer browser and Redis jobs: a look at the whole in under 5 minutes
# (once the benches are built), not figures to keep. ROUNDS=n changes the rounds (runs, for the browser);
# options after the names (e.g. --runs 1 --jobs 20000) go to bench/browser.mjs,
# later ones winning. Times are for this 2-core machine kind; best run while
# nothing else is busy (the CPU time other processes used is recorded in the
# results).
#
# Installs nothing: `scripts/bootstrap.sh bench` (or `make bench`) installs Go,
# Chromium and the npm packages (bench/redis's BullMQ too) first.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

die() {
    echo "bench/run.sh: $*" >&2
    exit 1
}

names=()
while [ $# -gt 0 ]; do
    case $1 in
        channels | pool | browser | wasm | scaling | redis) names+=("$1") ;;
        --) shift; break ;;
        -*) break ;;
        *) die "unknown benchmark '$1' (channels, pool, browser, wasm, scaling or redis)" ;;
    esac
    shift
done
browser_options=("$@")
if [ ${#names[@]} -eq 0 ]; then
    names=(channels pool scaling browser wasm redis)
fi
quick=${QUICK:-0}
if [ "$quick" = 1 ]; then
    export BENCH_QUICK=1 # bench/go's programs measure for less time
    criterion_args=(-- --warm-up-time 0.2 --measurement-time 0.3)
    quick_browser=(--jobs 20000 --warmup-jobs 2000 --latency-jobs 500 --latency-warmup 100 --kernel-runs 3
        --startup-reps 2 --page-jobs 20000 --payload-runs 10 --memory-jobs 20000 --scaling-reps 1)
    kernel_runs=3
else
    kernel_runs=5 # bench/browser.mjs's default --kernel-runs
    criterion_args=()
    quick_browser=()
fi
wants() { [[ " ${names[*]} " == *" $1 "* ]]; }
if [ ${#browser_options[@]} -gt 0 ] && ! wants browser; then
    die "options (${browser_options[*]}) are for the browser benchmark, which is not selected"
fi

# --- what must be there, checked before anything runs -----------------------------

missing=()
if wants channels || wants pool; then
    command -v go >/dev/null 2>&1 || missing+=("go")
fi
if wants browser || wants wasm; then
    command -v node >/dev/null 2>&1 || die "node is missing (the browser benchmark runs on Node.js)"
    command -v chromium >/dev/null 2>&1 || missing+=("chromium")
    for dep in workerpool comlink playwright-core; do
        [ -f "node_modules/$dep/package.json" ] || missing+=("node_modules/$dep")
    done
    for tool in wasm-pack wasm-bindgen; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [ -x node_modules/.bin/wasm-opt ] || missing+=("node_modules/binaryen")
fi
if wants redis; then
    for tool in redis-server redis-cli node; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [ -f bench/redis/node_modules/bullmq/package.json ] || missing+=("bench/redis/node_modules/bullmq")
fi
if [ ${#missing[@]} -gt 0 ]; then
    die "missing: ${missing[*]}; install with \`scripts/bootstrap.sh bench\` (or \`make bench\`, which then runs this)"
fi

# The stable toolchain, through rustup where there is one.
cargo=(cargo)
rustc=(rustc)
if command -v rustup >/dev/null 2>&1; then
    cargo=(cargo +stable)
    rustc=(rustc +stable)
fi
target=${CARGO_TARGET_DIR:-$root/target}

# --- noise: CPU time the whole machine spent busy during a run, minus what this
# script and everything it ran (and waited for) spent --------------------------

busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
own_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$$/stat"; }

# --- meta.json ------------------------------------------------------------------

json_str() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    printf '"%s"' "$(printf '%s' "$s" | tr -d '\000-\037')"
}

# json_list: a JSON array of the lines on stdin.
json_list() {
    local line sep=""
    printf '['
    while IFS= read -r line; do
        printf '%s%s' "$sep" "$(json_str "$line")"
        sep=", "
    done
    printf ']'
}

# write_meta FILE ROUNDS BUSY OWN WALL LOAD DIRTY_PATHS...: the run's machine,
# toolchains, commit and CPU ticks, for bench/report.py.
write_meta() {
    local file=$1 rounds=$2 busy=$3 own=$4 wall=$5 load=$6
    shift 6
    local go=null node=null wasm_opt=null
    if [ -x node_modules/.bin/wasm-opt ]; then wasm_opt=$(json_str "$(node_modules/.bin/wasm-opt --version)"); fi
    if command -v go >/dev/null 2>&1; then go=$(json_str "$(go version)"); fi
    if command -v node >/dev/null 2>&1; then node=$(json_str "$(node --version)"); fi
    cat >"$file" <<EOF
{
 "rounds": $rounds,
 "nproc": $(nproc),
 "cpu": $(json_str "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"),
 "rustc": $(json_str "$("${rustc[@]}" -V)"),
 "rustc_wasm": $(json_str "$(cd wasm && rustc -V)"),
 "wasm_opt": $wasm_opt,
 "quick": $([ "$quick" = 1 ] && echo true || echo false),
 "go": $go,
 "node": $node,
 "commit": $(json_str "$(git rev-parse HEAD)"),
 "dirty": $(git status --porcelain -- "$@" | cut -c4- | json_list),
 "date": $(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)"),
 "clk_tck": $(getconf CLK_TCK),
 "busy_ticks": $busy,
 "own_ticks": $own,
 "wall_s": $wall,
 "load_average": $(json_str "$load")
}
EOF
}

# --- the benchmarks -------------------------------------------------------------

# rounds_of BENCH GO_PACKAGE GROUP...: ROUNDS rounds of `cargo bench --bench
# BENCH` then `go run GO_PACKAGE` in bench/go. The host's speed drifts over
# minutes, so one criterion run and one Go run minutes apart can land in
# different weather: each round runs every contender once, Rust then Go, and
# keeps criterion's GROUPs and go.txt under "$work/round-<n>/"; the report
# gives the medians over the rounds.
rounds_of() {
    local bench=$1 go_package=$2 r g
    shift 2
    rm -rf "$work"/round-*
    for r in $(seq "$rounds"); do
        echo "== $bench: round $r of $rounds"
        mkdir -p "$work/round-$r/criterion"
        "${cargo[@]}" bench -p brigade --bench "$bench" "${criterion_args[@]}" 2>&1 | tee "$work/criterion.log"
        for g in "$@"; do
            # -p keeps criterion's file times: the report's staleness check reads them.
            cp -rp "$target/criterion/$g" "$work/round-$r/criterion/"
        done
        (
            cd bench/go
            GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run "$go_package"
        ) | tee "$work/round-$r/go.txt"
    done
}

# In QUICK=1 mode, one round unless ROUNDS says otherwise.
rounds_or() { if [ "$quick" = 1 ]; then echo "${ROUNDS:-1}"; else echo "${ROUNDS:-$1}"; fi; }

measure_channels() {
    rounds=$(rounds_or 3)
    rounds_of channels . seq spsc mpsc mpmc select handoff
}

measure_pool() {
    # Five rounds, not three: a round takes only half a minute, and a
    # three-round run that straddled a slow spell of the host (Go 138, 137 and
    # 70 ns per job) put the median ratio at 1.51x where five rounds minutes
    # later gave 2.52x.
    rounds=$(rounds_or 5)
    rounds_of pool ./pool pool
}

measure_browser() {
    rounds=$(rounds_or 3)
    node bench/browser.mjs --runs "$rounds" "${quick_browser[@]}" "${browser_options[@]}" \
        --pkg target/bench-wasm/release/pkg --raw "$work/raw.json"
}

# bench/kernels: the kernels of wasm/src/kinds.rs compiled natively.
kernels_cargo=(--release -q --manifest-path bench/kernels/Cargo.toml --target-dir "$target/bench-kernels")

measure_scaling() {
    rounds=$(rounds_or 3)
    local r
    for r in $(seq "$rounds"); do
        echo "== scaling: round $r of $rounds"
        "${cargo[@]}" run "${kernels_cargo[@]}" -- scaling "$(nproc)" "$kernel_runs" | tee "$work/scaling-$r.txt"
    done
}

# The two builds side by side: each round runs the fast one, then the
# optimised one, so drift over the minutes hits both.
wasm_builds=(fast release)
measure_wasm() {
    rounds=$(rounds_or 3)
    local r b
    for r in $(seq "$rounds"); do
        for b in "${wasm_builds[@]}"; do
            echo "== wasm: round $r of $rounds, $b build"
            node bench/browser.mjs --runs 1 --only kernel,brigade-trysubmit,brigade-run \
                "${quick_browser[@]}" "${browser_options[@]}" \
                --pkg "target/bench-wasm/$b/pkg" --raw "$work/$b-$r.json"
        done
        echo "== wasm: round $r of $rounds, the same kernels natively"
        "${cargo[@]}" run "${kernels_cargo[@]}" -- "$kernel_runs" | tee "$work/native-$r.txt"
    done
}

# The Redis scenarios, after BullMQ's own benchmark suite, as scenario:jobs;
# then end to end with 1, 2 and 4 brigade consumer processes.
if [ "$quick" = 1 ]; then
    redis_scenarios=(queue-add:2000 queue-add-bulk:10000 worker-generic:1000 worker-concurrent:10000)
    redis_e2e_jobs=10000
else
    redis_scenarios=(queue-add:10000 queue-add-bulk:50000 worker-generic:5000 worker-concurrent:50000)
    redis_e2e_jobs=50000
fi

# measure_redis: one redis-server for the run (a free port, a temporary
# directory, no persistence), stopped by a trap even when a round fails; each
# round runs BullMQ, brigade-redis and the bare loop per scenario, one after
# the other, so drift over the minutes hits all three. JSON lines, one per
# measurement, in "$work/results-<round>.jsonl".
measure_redis() {
    rounds=$(rounds_or 3)
    local bench="$target/release/examples/redis_bench" dir port server url r s name jobs n out
    dir=$(mktemp -d)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
        --dir "$dir" --logfile "$dir/redis.log" &
    server=$!
    # shellcheck disable=SC2064 # the values now, not at exit
    trap "kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf '$dir'" EXIT
    url="redis://127.0.0.1:$port/"
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -p "$port" ping >/dev/null || die "redis-server did not start (log: $dir/redis.log)"
    redis-server --version | awk '{print $3}' >"$work/redis-version.txt"
    for r in $(seq "$rounds"); do
        echo "== redis: round $r of $rounds"
        out="$work/results-$r.jsonl"
        : >"$out"
        for s in "${redis_scenarios[@]}"; do
            name=${s%%:*} jobs=${s##*:}
            node bench/redis/bullmq.mjs --url "$url" --scenario "$name" --jobs "$jobs" | tee -a "$out"
            "$bench" --url "$url" --engine brigade --scenario "$name" --jobs "$jobs" | tee -a "$out"
            "$bench" --url "$url" --engine bare --scenario "$name" --jobs "$jobs" | tee -a "$out"
        done
        for n in 1 2 4; do
            "$bench" --url "$url" --engine brigade --scenario "e2e-$n" --jobs "$redis_e2e_jobs" | tee -a "$out"
        done
    done
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$dir"
    trap - EXIT
}

# The paths whose uncommitted changes the results would not be the commit's.
sources_channels=(core Cargo.lock)
sources_pool=(core Cargo.lock)
sources_browser=(core wasm Cargo.lock)
sources_wasm=(core wasm Cargo.lock Cargo.toml scripts/build-wasm.sh package-lock.json bench/kernels)
sources_scaling=(core wasm/src bench/kernels)
sources_redis=(redis core Cargo.lock bench/redis)

# build_wasm fast|release: the wasm package the page imports, built from this
# checkout once per run of this script (cargo rebuilds only what changed; a
# package left from an older commit would be measured under this one's name),
# into target/bench-wasm/<build>/pkg: under the root that bench/browser.mjs
# serves, in target/, which git ignores.
built=" "
build_wasm() {
    [[ $built == *" $1 "* ]] && return
    if [ "$1" = release ]; then
        scripts/build-wasm.sh --release "$root/target/bench-wasm/release/pkg"
    else
        scripts/build-wasm.sh "$root/target/bench-wasm/fast/pkg"
    fi
    built+="$1 "
}

# run NAME: measures, accounts for the CPU time, writes meta.json, then the report.
run() {
    local name=$1
    work=$target/bench-$name
    mkdir -p "$work"
    if [ "$name" = browser ]; then
        build_wasm release
        rm -f "$work/raw.json"
    fi
    if [ "$name" = wasm ]; then
        rm -f "$work"/fast-*.json "$work"/release-*.json "$work"/native-*.txt
        build_wasm fast
        build_wasm release
        # The native side of the wasm ÷ native rows (bench/kernels/).
        "${cargo[@]}" build "${kernels_cargo[@]}"
        printf '{"fast": %s, "release": %s}\n' \
            "$(stat -c %s "$root/target/bench-wasm/fast/pkg/brigade_wasm_bg.wasm")" \
            "$(stat -c %s "$root/target/bench-wasm/release/pkg/brigade_wasm_bg.wasm")" >"$work/sizes.json"
    fi
    if [ "$name" = scaling ]; then
        rm -f "$work"/scaling-*.txt
        "${cargo[@]}" build "${kernels_cargo[@]}"
    fi
    if [ "$name" = redis ]; then
        rm -f "$work"/results-*.jsonl
        "${cargo[@]}" build --release -p brigade-redis --example redis_bench
    fi
    touch "$work/started" # criterion results older than this are stale
    local load busy own wall
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    busy=$(busy_ticks)
    own=$(own_ticks)
    wall=$(date +%s)
    "measure_$name"
    busy=$(($(busy_ticks) - busy))
    own=$(($(own_ticks) - own))
    wall=$(($(date +%s) - wall))
    local -n sources="sources_$name"
    write_meta "$work/meta.json" "$rounds" "$busy" "$own" "$wall" "$load" "${sources[@]}"
    python3 bench/report.py "$name" "$work"
}

for name in "${names[@]}"; do
    run "$name"
done
python3 bench/report.py summary
if [ "$quick" != 1 ]; then
    python3 bench/report.py readme
fi
