#!/usr/bin/env bash
# A fleet on one machine: three `cookie-warden proxy` replicas behind Debian's nginx as the load balancer, all
# reading one policy file laid out as a Kubernetes config map (policy.toml -> ..data/policy.toml, ..data -> a
# timestamped directory). Under load (wrk, CONNECTIONS connections for DURATION seconds) the policy is replaced
# by the kubelet's symlink swap at SWAP_AT seconds. The run passes when every replica reports the new policy's
# digest (cookie_warden_policy_info, scraped from each admin listener) within 5 s of the swap, wrk saw no failed
# request (socket errors or non-2xx), and every response after convergence was judged by the new policy (the
# old policy strips the upstream's `tracker` cookie, the new one lets it through).
#
#   bench/fleet.sh                                # 200 connections, 60 s, swap at 20 s
#   CONNECTIONS=20 DURATION=10 SWAP_AT=4 bench/fleet.sh   # a dry run
#
# Loopback only (127.0.0.1, free ports); everything it starts is stopped when it exits. Figures: bench/LOAD.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONNECTIONS=${CONNECTIONS:-200}
DURATION=${DURATION:-60}
SWAP_AT=${SWAP_AT:-20}
THREADS=${THREADS:-2}
PROXY=${PROXY:-$ROOT/target/release/cookie-warden}
OUT=${OUT:-$ROOT/target/fleet/$(date -u +%Y%m%dT%H%M%SZ)}

log() { printf 'fleet: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
for tool in nginx wrk curl python3 sha256sum; do
    command -v "$tool" >/dev/null || die "$tool is needed (apt-get install nginx wrk curl python3)"
done
[[ -x $PROXY ]] || die "no proxy at $PROXY (cargo build --release -p cookie-warden, or PROXY=…)"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [[ -f $OUT/nginx.pid ]] && kill "$(cat "$OUT/nginx.pid" 2>/dev/null)" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

policy() { # $1: 1 when `tracker` is listed
    printf 'version = 1\n[enforcement]\nunlisted = "strip"\n\n[[scope]]\nid = "site"\nhosts = ["fleet.example"]\n\n'
    printf '[[cookie]]\nname = "sid"\nlifetime = "session"\n'
    [[ $1 == 1 ]] && printf '\n[[cookie]]\nname = "tracker"\nlifetime = "session"\n'
    return 0
}

# The config map volume, as the kubelet's atomic writer lays it out.
volume=$OUT/config
mkdir -p "$volume/..2026_12_03_00_00_00.000000001"
policy 0 >"$volume/..2026_12_03_00_00_00.000000001/policy.toml"
ln -s ..2026_12_03_00_00_00.000000001 "$volume/..data"
ln -s ..data/policy.toml "$volume/policy.toml"
old_digest=$(sha256sum <"$volume/policy.toml" | cut -c1-64)

app_port=$(free_port)
lb_port=$(free_port)
proxy_ports=() admin_ports=()
for i in 1 2 3; do
    port=$(free_port); admin=$(free_port)
    proxy_ports+=("$port"); admin_ports+=("$admin")
    "$PROXY" proxy --config "$volume/policy.toml" --upstream "http://127.0.0.1:$app_port" \
        --listen "127.0.0.1:$port" --metrics-listen "127.0.0.1:$admin" --assume-https \
        >"$OUT/replica$i.out" 2>"$OUT/replica$i.err" &
    pids+=($!)
done

# nginx: the app (sets `sid` and `tracker`) and the load balancer in front of the replicas.
{
    echo "worker_processes 1; pid $OUT/nginx.pid; error_log $OUT/nginx-error.log warn; daemon off;"
    echo "events { worker_connections 4096; }"
    echo "http { access_log off; client_body_temp_path $OUT/nginx-tmp; proxy_temp_path $OUT/nginx-tmp;"
    echo "  fastcgi_temp_path $OUT/nginx-tmp; uwsgi_temp_path $OUT/nginx-tmp; scgi_temp_path $OUT/nginx-tmp;"
    echo "  upstream replicas { keepalive 64;"
    for port in "${proxy_ports[@]}"; do echo "    server 127.0.0.1:$port max_fails=0;"; done
    echo "  }"
    echo "  server { listen 127.0.0.1:$lb_port;"
    echo "    location / { proxy_pass http://replicas; proxy_http_version 1.1; proxy_set_header Connection \"\";"
    echo "                 proxy_set_header Host fleet.example; } }"
    echo "  server { listen 127.0.0.1:$app_port; keepalive_requests 100000;"
    echo "    location / { add_header Set-Cookie \"sid=1; Path=/; Secure; HttpOnly; SameSite=Lax\" always;"
    echo "                 add_header Set-Cookie \"tracker=2; Path=/; Secure; HttpOnly; SameSite=Lax\" always;"
    echo "                 return 200 \"ok\\n\"; } }"
    echo "}"
} >"$OUT/nginx.conf"
mkdir -p "$OUT/nginx-tmp"
nginx -c "$OUT/nginx.conf" -p "$OUT" &
pids+=($!)

digest_of() { # $1: admin port
    curl -fsS --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null \
        | sed -n 's/^cookie_warden_policy_info{digest="\([0-9a-f]*\)".*/\1/p'
}
for _ in $(seq 100); do
    ready=0
    for admin in "${admin_ports[@]}"; do
        [[ $(curl -fs -o /dev/null -w '%{http_code}' "http://127.0.0.1:$admin/readyz" 2>/dev/null) == 200 ]] && ready=$((ready + 1))
    done
    [[ $ready == 3 ]] && curl -fs -o /dev/null "http://127.0.0.1:$lb_port/" && break
    sleep 0.2
done
[[ $ready == 3 ]] || die "the replicas did not become ready (see $OUT/replica*.err)"
[[ $(curl -s -D - -o /dev/null "http://127.0.0.1:$lb_port/" | grep -ci '^set-cookie: tracker') == 0 ]] \
    || die "the old policy does not strip tracker"

# wrk counts, per thread, failed statuses and, once the converged flag exists, responses without `tracker`.
flag=$OUT/converged
cat >"$OUT/judge.lua" <<LUA
local flag_path, seen, converged, checked, wrong, bad = "$flag", 0, false, 0, 0, 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
    if status ~= 200 then bad = bad + 1 end
    seen = seen + 1
    if not converged and seen % 64 == 0 then
        local f = io.open(flag_path, "r")
        if f then f:close(); converged = true end
    end
    if converged then
        checked = checked + 1
        local cookies = (headers["Set-Cookie"] or headers["set-cookie"] or "")
        -- wrk keeps one value per header name: the last one, which is tracker's when it passes.
        if not string.find(cookies, "tracker=", 1, true) then wrong = wrong + 1 end
    end
    wrk.thread:set("checked", checked); wrk.thread:set("wrong", wrong); wrk.thread:set("bad", bad)
end
function done(summary, latency, requests)
    local checked, wrong, bad = 0, 0, 0
    for _, t in ipairs(threads) do
        checked = checked + (t:get("checked") or 0); wrong = wrong + (t:get("wrong") or 0); bad = bad + (t:get("bad") or 0)
    end
    io.write(string.format("JUDGE checked=%d wrong=%d non200=%d\n", checked, wrong, bad))
    io.write(string.format("JUDGE requests=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d status_errors=%d\n",
        summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status))
    io.write(string.format("JUDGE p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n", latency:percentile(50)/1000, latency:percentile(99)/1000, latency.max/1000))
end
LUA

log "load: $CONNECTIONS connections, ${DURATION}s, policy swap at ${SWAP_AT}s (out: $OUT)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$OUT/judge.lua" \
    "http://127.0.0.1:$lb_port/" >"$OUT/wrk.txt" 2>&1 &
wrk_pid=$!
pids+=("$wrk_pid")
sleep "$SWAP_AT"

# The kubelet's swap: a new timestamped directory, a new ..data symlink renamed over the old one.
new_dir=..2026_12_03_00_00_01.000000002
mkdir "$volume/$new_dir"
policy 1 >"$volume/$new_dir/policy.toml"
new_digest=$(sha256sum <"$volume/$new_dir/policy.toml" | cut -c1-64)
ln -s "$new_dir" "$volume/..data_tmp"
swap_ns=$(date +%s%N)
mv -T "$volume/..data_tmp" "$volume/..data"
rm -rf "$volume/..2026_12_03_00_00_00.000000001"

seen_ms=("" "" "")
reported=0
while (( reported < 3 )); do
    for i in 0 1 2; do
        [[ -n ${seen_ms[$i]} ]] && continue
        if [[ $(digest_of "${admin_ports[$i]}") == "$new_digest" ]]; then
            seen_ms[$i]=$(( ($(date +%s%N) - swap_ns) / 1000000 ))
            reported=$((reported + 1))
        fi
    done
    (( ($(date +%s%N) - swap_ns) / 1000000 > 15000 )) && break
    sleep 0.05
done
converged_ms=0
for i in 0 1 2; do
    ms=${seen_ms[$i]:-never}
    log "replica $((i + 1)) reports the new digest after ${ms} ms"
    [[ $ms == never ]] && converged_ms=never
    [[ $converged_ms != never && $ms != never ]] && (( ms > converged_ms )) && converged_ms=$ms
done
touch "$flag"
wait "$wrk_pid" || true
cat "$OUT/wrk.txt" >&2

judge() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$OUT/wrk.txt" | head -1; }
requests=$(judge requests); checked=$(judge checked); wrong=$(judge wrong); non200=$(judge non200)
errors=0
for kind in connect_errors read_errors write_errors timeouts status_errors; do errors=$((errors + $(judge "$kind"))); done
reloads=$(cat "$OUT"/replica*.err | grep -c "policy reloaded" || true)
cat >"$OUT/summary.json" <<JSON
{"connections": $CONNECTIONS, "duration_s": $DURATION, "swap_at_s": $SWAP_AT, "requests": $requests,
 "failed": $((errors + non200)), "converged_ms": "$converged_ms", "replica_ms": ["${seen_ms[0]:-never}", "${seen_ms[1]:-never}", "${seen_ms[2]:-never}"],
 "checked_after_convergence": $checked, "judged_by_old_policy_after_convergence": $wrong,
 "old_digest": "$old_digest", "new_digest": "$new_digest", "reload_log_lines": $reloads}
JSON
cat "$OUT/summary.json"
ok=1
[[ $converged_ms == never ]] || (( converged_ms > 5000 )) && { log "FAIL: not every replica reported the new digest within 5 s"; ok=0; }
(( errors + non200 == 0 )) || { log "FAIL: $((errors + non200)) failed requests"; ok=0; }
(( checked > 0 )) || { log "FAIL: no response checked after convergence"; ok=0; }
(( wrong == 0 )) || { log "FAIL: $wrong responses after convergence judged by the old policy"; ok=0; }
[[ $ok == 1 ]] && log "PASS" || exit 1
