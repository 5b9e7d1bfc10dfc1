#!/usr/bin/env bash
# Load with live policy reloads: N keep-alive connections through `cookie-warden proxy` for a fixed time while
# the policy is switched by reload K times, every response's Set-Cookie headers checked byte for byte against
# the policy in force, and the proxy's memory sampled once a second. See bench/LOAD.md for what it shows.
#
#   bench/load-reload.sh                                   # 1,000 connections, 60 s, 2 reloads
#   CONNECTIONS=50 DURATION=5 RELOADS=1 bench/load-reload.sh   # a dry run
#
# Loopback only (127.0.0.1, ports chosen free); the run is bounded by DURATION (plus at most 30 s per request and
# per reload probe), and the client stops the proxy it started when it exits. Exits 0 only when no request
# failed, every response matched the policy in force, every reload took effect and memory stayed flat.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONNECTIONS=${CONNECTIONS:-1000}
DURATION=${DURATION:-60}            # seconds
RELOADS=${RELOADS:-2}               # spread evenly: 2 reloads at 1/3 and 2/3 of the run
PIN=${PIN:-1}                       # 1: the proxy on CPU 1, the client (and its in-process upstream) on CPU 0
SKIP_BUILD=${SKIP_BUILD:-}          # set to reuse the binaries as they are
OUT=${OUT:-$ROOT/target/load-reload/$(date -u +%Y%m%dT%H%M%SZ)}

log() { printf 'load-reload: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v cargo >/dev/null || die "cargo is needed (rustup or Debian's cargo)"
command -v python3 >/dev/null || {
    [[ $(id -u) -eq 0 ]] || die "python3 missing and not root: apt-get install python3"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 >/dev/null
}

# Two file descriptors per connection in the proxy (client and upstream side) and in the client process (its
# connection and the in-process upstream's): raise the soft limit as far as the hard limit allows.
hard=$(ulimit -Hn)
[[ $hard == unlimited ]] && hard=1048576
ulimit -n "$hard"
need=$((CONNECTIONS * 2 + 256))
(( $(ulimit -n) >= need )) || die "open-files limit $(ulimit -n) is below the $need this run needs"

mkdir -p "$OUT"
PROXY=$ROOT/target/release/cookie-warden
CLIENT_TARGET=$ROOT/target/load-client
CLIENT=$CLIENT_TARGET/release/load-reload
if [[ -z $SKIP_BUILD ]]; then
    log "building the proxy (release profile)"
    (cd "$ROOT" && cargo build --quiet --release -p cookie-warden --bin cookie-warden)
    # The client lives in the end-to-end tests crate, whose dependencies are heavy (a DevTools client): it is
    # built optimised but without LTO, in a target directory of its own so that it never invalidates the
    # release artefacts of the other benches.
    log "building the load client (optimised, no LTO)"
    (cd "$ROOT" && CARGO_TARGET_DIR=$CLIENT_TARGET CARGO_PROFILE_RELEASE_LTO=false \
        CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=false \
        cargo build --quiet --release -p cookie-warden-tests --bin load-reload)
fi
[[ -x $PROXY ]] || die "no proxy binary at $PROXY"
[[ -x $CLIENT ]] || die "no load client at $CLIENT"

# The client starts the proxy itself (it needs the upstream's address first); a wrapper pins it.
wrapper=$OUT/cookie-warden-pinned
if [[ $PIN == 1 ]] && command -v taskset >/dev/null && (($(nproc) >= 2)); then
    printf '#!/bin/sh\nexec taskset -c 1 %q "$@"\n' "$PROXY" >"$wrapper"
    client_prefix=(taskset -c 0)
    pinning="proxy on CPU 1; load client and its in-process upstream on CPU 0 (taskset)"
else
    printf '#!/bin/sh\nexec %q "$@"\n' "$PROXY" >"$wrapper"
    client_prefix=()
    pinning="none: the proxy, the client and the upstream share every core"
fi
chmod +x "$wrapper"

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -srm)"
    echo "cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "pinning: $pinning"
    echo "open-files limit: $(ulimit -n)"
    echo "proxy: $("$PROXY" --version 2>/dev/null || echo cookie-warden) at $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "plan: $CONNECTIONS connections, $DURATION s, $RELOADS reloads"
} | tee "$OUT/meta.txt" >&2

# If the client is stopped before it can stop its proxy (timeout, Ctrl-C), stop the proxy by the pid it printed.
stop_proxy() {
    local pid
    pid=$(sed -n 's/^load-reload: proxy pid \([0-9]*\) .*/\1/p' "$OUT/client.log" 2>/dev/null | head -n1)
    # Only while that pid is still this proxy binary (not a process that reused the pid).
    [[ -n $pid && -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$PROXY proxy" && kill "$pid" 2>/dev/null
    return 0
}
trap stop_proxy EXIT

log "running (about $DURATION s)"
status=0
COOKIE_WARDEN_BIN=$wrapper timeout $((DURATION + 180)) "${client_prefix[@]}" "$CLIENT" \
    --connections "$CONNECTIONS" --duration "$DURATION" --reloads "$RELOADS" \
    >"$OUT/report.json" 2>"$OUT/client.log" || status=$?

python3 - "$OUT/report.json" <<'PY' >&2 || true
import json, sys
r = json.load(open(sys.argv[1]))
print(f"requests {r['requests']} ({r['requests_per_s']:.0f}/s over {r['elapsed_s']:.1f} s, {r['connections']} connections)")
print(f"failed {r['failed']}, mismatched {r['mismatched']}")
print(f"policy A {r['responses_policy_a']}, policy B {r['responses_policy_b']}, during a reload {r['responses_during_reload']}")
for w in r['reloads']:
    how = "file + SIGHUP" if w['sighup'] else "file change"
    print(f"reload to {w['to']} ({how}): {w['started_s']:.2f} s -> seen {w['seen_s']:.2f} s")
print(f"proxy VmRSS min {r['rss_kib_min']} KiB, max {r['rss_kib_max']} KiB, flat: {r['memory_flat']}")
print("VmRSS each second (KiB): " + " ".join(str(k) for k in r['rss_kib']))
for p in r['problems']:
    print("problem: " + p)
PY
log "report: $OUT/report.json (client log: $OUT/client.log)"
exit "$status"
