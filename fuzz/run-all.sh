#!/bin/sh
# Runs every fuzz target for SECONDS each, niced, and prints each target's executions and findings.
#
#   fuzz/run-all.sh SECONDS            one target after the other
#   PARALLEL=2 fuzz/run-all.sh SECONDS two at a time (the machine's other users permitting)
#   TARGETS="decide policy_load" fuzz/run-all.sh SECONDS
#   BUILD=0 fuzz/run-all.sh SECONDS     reuse the binaries of the last build
#
# Builds the targets once with `cargo fuzz build` (RUSTC_BOOTSTRAP=1: libFuzzer needs nightly flags
# on a stable rustc), seeds fuzz/corpus/ if it is empty (./seed.sh), then runs each binary directly
# so that a change in the tree while it runs does not rebuild it. Logs go to fuzz/logs/TARGET.log;
# a crash leaves its input in fuzz/artifacts/TARGET/ and fails the script.
set -eu
seconds=${1:?usage: fuzz/run-all.sh SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export RUSTC_BOOTSTRAP=1
targets=${TARGETS:-$(cargo fuzz list)}
parallel=${PARALLEL:-1}
[ -d corpus/decide ] && [ -d corpus/policy_load ] || ./seed.sh
# BUILD=0 reuses the binaries built last time.
if [ "${BUILD:-1}" != 0 ]; then
    for target in $targets; do nice -n 10 cargo fuzz build "$target"; done
fi
bin="$here/target/$(rustc -vV | sed -n 's/^host: //p')/release"
mkdir -p logs

run() {
    target=$1
    mkdir -p "corpus/$target" "artifacts/$target"
    dict=""
    [ -f "dict/$target.dict" ] && dict="-dict=dict/$target.dict"
    # -rss_limit_mb: a 1 MiB input must never need more than this; -timeout: nor take a second.
    nice -n 10 "$bin/$target" "corpus/$target" $dict -max_total_time="$seconds" -max_len=65536 \
        -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 -artifact_prefix="artifacts/$target/" \
        >"logs/$target.log" 2>&1
}

status=0
pids=""
running=0
for target in $targets; do
    run "$target" &
    pids="$pids $!:$target"
    running=$((running + 1))
    if [ "$running" -ge "$parallel" ]; then
        wait
        running=0
    fi
done
wait || true
for entry in $pids; do
    target=${entry#*:}
    log="logs/$target.log"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    crashes=$(find "artifacts/$target" -type f | wc -l)
    printf '%-18s executions=%s artifacts=%s corpus=%s\n' "$target" "${execs:-?}" "$crashes" \
        "$(find "corpus/$target" -type f | wc -l)"
    if [ "$crashes" -gt 0 ] || ! grep -q '^stat::number_of_executed_units' "$log"; then
        status=1
        grep -m 5 -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" || true
    fi
done
exit "$status"
