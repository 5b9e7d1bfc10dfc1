#!/usr/bin/env bash
# Instruction counts per request, from callgrind: stable on a busy or virtual machine, where timings are not.
#
#   bench/profile.sh                       # axum bare / with the layer, the proxy with and without its logs
#   N=500 TARGETS="axum-layer" bench/profile.sh
#   TARGETS="proxy-json" bench/profile.sh  # the proxy with --log-format json (default logs)
#   ROUTES=mixed bench/profile.sh          # 9 requests in 10 to /plain, 1 to /set-cookies (which violates)
#
# Each target runs under `valgrind --tool=callgrind` with instrumentation switched on only once it listens
# (so start-up, e.g. compiling the policy, is not counted), serves exactly N requests on one keep-alive connection
# (curl, sequential), and is stopped; the table gives instructions (Ir) per request. The upstream runs natively.
# Per-target profiles (callgrind.TARGET.ROUTE) and the top inclusive costs (TARGET.ROUTE.top.txt) are kept in OUT.
# Loopback only; every server started here is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-1000}
TARGETS=${TARGETS:-axum-bare axum-layer proxy proxy-quiet}
ROUTES=${ROUTES:-set-cookies plain}
POLICY=${POLICY:-$ROOT/config/fora.toml}
HOST_HEADER=${HOST_HEADER:-www.fora.se}
OUT=${OUT:-$ROOT/target/bench-profile/$(date -u +%Y%m%dT%H%M%SZ)}
BIN=${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release}   # the binaries (follows CARGO_TARGET_DIR)

log() { printf 'profile: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

command -v valgrind >/dev/null || die "valgrind missing (Debian: apt-get install valgrind)"
command -v curl >/dev/null || die "curl missing (Debian: apt-get install curl)"
for binary in cookie-warden bench-upstream bench-app; do
    [[ -x $BIN/$binary ]] || die "$BIN/$binary missing: cargo build --release -p cookie-warden -p cookie-warden-bench-servers"
done
mkdir -p "$OUT"
start_scratch cookie-warden-profile

# wait_listening FILE: the `listening on http://ADDR` line a server prints, at most 60 s (valgrind starts slowly).
wait_listening() {
    local i addr=""
    for ((i = 0; i < 600; i++)); do
        addr=$(sed -n 's|^listening on http://||p' "$1" 2>/dev/null | head -1)
        [[ -n $addr ]] && { echo "$addr"; return 0; }
        sleep 0.1
    done
    die "no 'listening on' line in $1 within 60 s"
}

"$BIN/bench-upstream" --listen 127.0.0.1:0 >"$WORK/upstream.stdout" 2>&1 &
PIDS+=($!)
UPSTREAM=$(wait_listening "$WORK/upstream.stdout")

# profile TARGET ROUTE: Ir per request of TARGET serving N requests of ROUTE.
profile() {
    local target=$1 route=$2 port pid addr cmd=() env=()
    local file=$OUT/callgrind.$target.$route
    case $target in
        axum-bare) cmd=("$BIN/bench-app" --listen 127.0.0.1:0) ;;
        axum-layer) cmd=("$BIN/bench-app" --listen 127.0.0.1:0 --policy "$POLICY") ;;
        proxy | proxy-quiet | proxy-json)
            port=$(free_port)
            env=(RUST_LOG="warn,cookie_warden=info")
            [[ $target == proxy-quiet ]] && env=(RUST_LOG=error)
            cmd=("$BIN/cookie-warden" proxy --config "$POLICY" --upstream "http://$UPSTREAM"
                --listen "127.0.0.1:$port" --assume-https --no-watch)
            [[ $target == proxy-json ]] && cmd+=(--log-format json)
            ;;
        *) die "unknown target $target" ;;
    esac
    env "${env[@]}" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$file" "${cmd[@]}" \
        >"$WORK/$target.stdout" 2>"$WORK/$target.stderr" &
    pid=$!
    PIDS+=("$pid")
    addr=$(wait_listening "$WORK/$target.stdout")
    callgrind_control -i on "$pid" >/dev/null
    if [[ $route == mixed ]]; then
        # A realistic mix: every tenth response carries the violating Set-Cookie headers.
        local i config=$WORK/$target.mixed.curl
        for ((i = 1; i <= N; i++)); do
            if ((i % 10 == 0)); then echo "url = \"http://$addr/set-cookies?request=$i\""
            else echo "url = \"http://$addr/plain?request=$i\""; fi
            echo 'output = "/dev/null"'
        done >"$config"
        curl -s --max-time 600 -H "Host: $HOST_HEADER" -K "$config" || die "$target: requests failed"
    else
        curl -s -o /dev/null --max-time 600 -H "Host: $HOST_HEADER" "http://$addr/$route?request=[1-$N]" \
            || die "$target: requests failed"
    fi
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    local total
    total=$(sed -n 's/^totals: *//p' "$file")
    callgrind_annotate --inclusive=yes "$file" 2>/dev/null |
        grep -E 'cookie_warden|tower_cookie_warden|tracing|metrics|hyper::proto|hyper_util' |
        head -40 >"$OUT/$target.$route.top.txt" || true
    printf '| %s | /%s | %s | %s |\n' "$target" "$route" "$N" "$((total / N))"
}

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo
    echo "| target | route | requests | Ir per request |"
    echo "|---|---|---:|---:|"
    for target in $TARGETS; do
        for route in $ROUTES; do
            log "$target /$route: $N requests under callgrind"
            profile "$target" "$route"
        done
    done
} | tee "$OUT/table.md"
log "profiles and top costs in $OUT"
