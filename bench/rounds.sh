# Sourced by bench/channels.sh and bench/pool.sh, after they set `cargo`,
# `target` and `work`.
#
# Rounds: the host's speed drifts over minutes, so one criterion run and one Go
# run minutes apart can land in different weather. Each round runs every
# contender once, Rust then Go, and keeps what they wrote under
# "$work/round-<n>/" (criterion's files with their times, and go.txt); the
# table is made from the medians over the rounds.

# run_rounds BENCH CRITERION_DIR GO_PACKAGE: `cargo bench --bench BENCH`, then a
# copy of "$target/criterion/CRITERION_DIR", then `go run GO_PACKAGE` in bench/go;
# ROUNDS times (3 unless the caller or the user sets it). Sets `rounds`.
run_rounds() {
    local bench=$1 results=$2 go_package=$3 r
    rounds=${ROUNDS:-3}
    rm -rf "$work"/round-*
    for r in $(seq "$rounds"); do
        echo "== round $r of $rounds"
        mkdir -p "$work/round-$r"
        "${cargo[@]}" bench -p brigade --bench "$bench" 2>&1 | tee "$work/criterion.log"
        # -p keeps criterion's file times: the table's staleness check reads them.
        cp -rp "$target/criterion/$results" "$work/round-$r/criterion"
        (
            cd bench/go
            GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go run "$go_package"
        ) | tee "$work/round-$r/go.txt"
    done
}
