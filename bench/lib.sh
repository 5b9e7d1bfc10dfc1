# Shared by bench/run.sh and bench/profile.sh (sourced, not run): the scratch directory and the servers a
# script starts, stopped and removed when it exits, and a free loopback port.

# start_scratch PREFIX: a fresh $WORK directory and an empty PIDS list; on exit every pid in PIDS is stopped
# and $WORK removed.
start_scratch() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    PIDS=()
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
