#!/usr/bin/env bash
# cookie-warden's load bench: one upstream, five ways to reach it, measured side by side with wrk.
#
#   bench/run.sh                 # full run: 3 rounds x 10 s per target and route (about 10 minutes)
#   ROUNDS=1 DURATION=2s WARMUP=1s bench/run.sh     # a dry run of the tooling
#
# Everything stays on 127.0.0.1 (ports chosen free), every wrk run is bounded by DURATION and a timeout, and every
# server this script starts is stopped when it exits. See bench/README.md for what is measured and why.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-10s}          # each measured wrk run
WARMUP=${WARMUP:-3s}               # one warm-up wrk run per target and route, before the rounds
ROUNDS=${ROUNDS:-3}                # measured runs per target and route, alternating between targets
CONNECTIONS=${CONNECTIONS:-64}     # wrk -c (wrk always keeps connections alive)
SERVER_CPU=${SERVER_CPU:-1}        # every server (upstream, apps, proxies) runs here ...
CLIENT_CPU=${CLIENT_CPU:-0}        # ... and wrk here
POLICY=${POLICY:-$ROOT/config/fora.toml}
HOST_HEADER=${HOST_HEADER:-www.fora.se}     # puts the requests in scope `public` of fora.toml
TARGETS=${TARGETS:-upstream axum-bare axum-layer proxy nginx-plain nginx-flags}
ROUTES=${ROUTES:-set-cookies plain}
PROXY_EXTRA_ARGS=${PROXY_EXTRA_ARGS:-}      # appended to `cookie-warden proxy ...`
PROXY_LOG=${PROXY_LOG:-/dev/null}           # where the proxy's log lines go (a file fills fast: 2 per request)
SKIP_BUILD=${SKIP_BUILD:-}                  # set to reuse the binaries in $BIN as they are (set BIN only with it)
OUT=${OUT:-$ROOT/target/bench-load/$(date -u +%Y%m%dT%H%M%SZ)}
BIN=${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release}   # the binaries (follows CARGO_TARGET_DIR)

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# --- what the bench needs, installed from Debian when missing ------------------------------------------------
apt_install() {
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=$(command -v sudo || true)
    [[ $(id -u) -eq 0 || -n $sudo ]] || die "$* missing and not root: install it (Debian: apt-get install $*)"
    log "installing $* from Debian"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
command -v wrk >/dev/null || apt_install wrk
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || apt_install nginx-light || apt_install nginx
command -v curl >/dev/null || apt_install curl
command -v python3 >/dev/null || apt_install python3
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -f $POLICY ]] || die "no policy at $POLICY"

# Pin to separate cores when the machine has them: servers on SERVER_CPU, wrk on CLIENT_CPU.
# `on_server CMD &` is always run in the background: its `exec` makes $! the server's own pid, so cleanup stops it.
if command -v taskset >/dev/null && (($(nproc) >= 2)); then
    on_server() { exec taskset -c "$SERVER_CPU" "$@"; }
    on_client() { taskset -c "$CLIENT_CPU" "$@"; }
    PINNING="servers on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU (taskset)"
else
    on_server() { exec "$@"; }
    on_client() { "$@"; }
    PINNING="none (taskset missing or a single core)"
fi

# The release binaries the chosen targets need.
binaries=(bench-upstream)
packages=(-p cookie-warden-bench-servers)
[[ " $TARGETS " == *" axum-"* ]] && binaries+=(bench-app)
[[ " $TARGETS " == *" proxy"* ]] && binaries+=(cookie-warden) && packages+=(-p cookie-warden)
if [[ -z $SKIP_BUILD ]]; then
    log "building release binaries: ${binaries[*]}"
    (cd "$ROOT" && cargo build --release "${packages[@]}")
fi
for binary in "${binaries[@]}"; do
    [[ -x $BIN/$binary ]] || die "$BIN/$binary missing: build without SKIP_BUILD"
done

# --- servers: started here, stopped on exit -------------------------------------------------------------------
start_scratch cookie-warden-bench
mkdir -p "$OUT"

# wait_http ADDR NAME: until ADDR answers HTTP, at most 10 s.
wait_http() {
    local i
    for ((i = 0; i < 100; i++)); do
        curl -s -o /dev/null --max-time 1 "http://$1/plain" && return 0
        sleep 0.1
    done
    die "$2 did not answer on $1 within 10 s (its log: $OUT/$2.log)"
}

declare -A ADDR
# start_own NAME CMD...: a bench server that prints `listening on http://ADDR`.
start_own() {
    local name=$1 i addr=""
    shift
    on_server "$@" >"$WORK/$name.stdout" 2>"$OUT/$name.log" &
    PIDS+=($!)
    for ((i = 0; i < 100; i++)); do
        addr=$(sed -n 's|^listening on http://||p' "$WORK/$name.stdout" 2>/dev/null || true)
        [[ -n $addr ]] && break
        sleep 0.1
    done
    [[ -n $addr ]] || die "$name did not start within 10 s (its log: $OUT/$name.log)"
    ADDR[$name]=$addr
}

# nginx_conf NAME PORT EXTRA: a one-worker reverse proxy to the upstream, keep-alive both ways, no access log.
nginx_conf() {
    local dir=$WORK/$1
    mkdir -p "$dir/temp"
    cat >"$dir/nginx.conf" <<EOF
# Generated by bench/run.sh: $1, in front of the bench upstream.
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $OUT/$1.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/temp/body;
    proxy_temp_path $dir/temp/proxy;
    fastcgi_temp_path $dir/temp/fastcgi;
    uwsgi_temp_path $dir/temp/uwsgi;
    scgi_temp_path $dir/temp/scgi;
    upstream bench_upstream {
        server ${ADDR[upstream]};
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$2;
        location / {
            proxy_pass http://bench_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Host \$host;
            $3
        }
    }
}
EOF
    cp "$dir/nginx.conf" "$OUT/$1.conf"
}

start_nginx() {
    local name=$1 port
    port=$(free_port)
    nginx_conf "$name" "$port" "$2"
    on_server "$NGINX" -p "$WORK/$name" -c "$WORK/$name/nginx.conf" -e "$OUT/$name.log" >>"$OUT/$name.log" 2>&1 &
    PIDS+=($!)
    ADDR[$name]=127.0.0.1:$port
    wait_http "${ADDR[$name]}" "$name"
}

# start_proxy NAME LOG_FILTER: `cookie-warden proxy` judging every request as https (the bench speaks plain HTTP
# on loopback; a browser keeps no Secure cookie from an http:// answer, so without it every Secure cookie would
# be stripped). Its log lines (one per violating cookie at the default filter) go to PROXY_LOG.
start_proxy() {
    local name=$1 port
    port=$(free_port)
    # shellcheck disable=SC2086 # PROXY_EXTRA_ARGS is a list of words
    RUST_LOG=$2 on_server "$BIN/cookie-warden" proxy --config "$POLICY" --upstream "http://${ADDR[upstream]}" \
        --listen "127.0.0.1:$port" --assume-https $PROXY_EXTRA_ARGS >"$OUT/$name.stdout" 2>"$PROXY_LOG" &
    PIDS+=($!)
    ADDR[$name]=127.0.0.1:$port
    wait_http "${ADDR[$name]}" "$name"
}

start_own upstream "$BIN/bench-upstream" --listen 127.0.0.1:0
for target in $TARGETS; do
    case $target in
        upstream) ;;
        axum-bare) start_own axum-bare "$BIN/bench-app" --listen 127.0.0.1:0 ;;
        axum-layer) start_own axum-layer "$BIN/bench-app" --listen 127.0.0.1:0 --policy "$POLICY" ;;
        proxy) start_proxy proxy "${RUST_LOG:-warn,cookie_warden=info}" ;;
        proxy-quiet) start_proxy proxy-quiet error ;;
        nginx-plain) start_nginx nginx-plain "" ;;
        nginx-flags) start_nginx nginx-flags "proxy_cookie_flags ~ secure httponly samesite=strict;" ;;
        *) die "unknown target $target (known: upstream axum-bare axum-layer proxy proxy-quiet nginx-plain nginx-flags)" ;;
    esac
done

# --- check that each target does what it is measured for ------------------------------------------------------
# The upstream's /set-cookies sets 4 cookies (allow, fix, strip, allow); the layer and the proxy let 3 leave.
expected_cookies() {
    case $1 in
        axum-layer | proxy | proxy-quiet) echo 3 ;;
        *) echo 4 ;;
    esac
}
{
    for target in $TARGETS; do
        for route in $ROUTES; do
            headers=$(curl -s -D - -o /dev/null --max-time 5 -H "Host: $HOST_HEADER" "http://${ADDR[$target]}/$route")
            status=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' <<<"$headers")
            count=$(grep -ci '^set-cookie:' <<<"$headers" || true)
            want=0
            [[ $route == set-cookies ]] && want=$(expected_cookies "$target")
            echo "== $target /$route: status $status, $count Set-Cookie (expected $want)"
            grep -i '^set-cookie:' <<<"$headers" || true
            if [[ $status != 200 || $count != "$want" ]]; then
                echo "MISMATCH"
            fi
        done
    done
} >"$OUT/checks.txt"
if grep -q MISMATCH "$OUT/checks.txt"; then
    cat "$OUT/checks.txt" >&2
    die "a target does not answer as the bench expects (see above); not measuring"
fi

# --- the runs ---------------------------------------------------------------------------------------------------
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "kernel: $(uname -srm)"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') x $(nproc)"
    echo "pinning: $PINNING"
    echo "wrk: $(wrk -v 2>&1 | head -1)"
    echo "nginx: $("$NGINX" -v 2>&1)"
    echo "runs: $ROUNDS rounds x $DURATION, warm-up $WARMUP, wrk -t1 -c$CONNECTIONS, Host: $HOST_HEADER"
    echo "policy: $POLICY"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/meta.txt"

seconds() { # 10s -> 10, 1m -> 60
    case $1 in
        *m) echo $((${1%m} * 60)) ;;
        *s) echo "${1%s}" ;;
        *) echo "$1" ;;
    esac
}
# wrk_run TARGET ROUTE DURATION OUTPUT
wrk_run() {
    on_client timeout $(($(seconds "$3") + 30)) wrk --latency -t1 -c"$CONNECTIONS" -d"$3" \
        -H "Host: $HOST_HEADER" "http://${ADDR[$1]}/$2" >"$4"
}

read -r -a target_list <<<"$TARGETS"
read -r -a route_list <<<"$ROUTES"
log "warm-up: $WARMUP per target and route"
for target in "${target_list[@]}"; do
    for route in "${route_list[@]}"; do
        wrk_run "$target" "$route" "$WARMUP" "$WORK/warmup.txt"
    done
done
for ((round = 1; round <= ROUNDS; round++)); do
    # Rotate the order each round, so no target always runs first or right after the same one.
    n=${#target_list[@]}
    for ((i = 0; i < n; i++)); do
        target=${target_list[$(((i + round - 1) % n))]}
        for route in "${route_list[@]}"; do
            log "round $round/$ROUNDS: $target /$route ($DURATION)"
            wrk_run "$target" "$route" "$DURATION" "$OUT/$target.$route.$round.txt"
        done
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"

status=0
python3 "$ROOT/bench/summarize.py" "$OUT" >"$OUT/table.md" || status=$?
cat "$OUT/meta.txt" "$OUT/table.md"
log "raw wrk outputs, checks, nginx configs and server logs in $OUT"
exit "$status"
