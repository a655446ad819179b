#!/usr/bin/env bash
# Type=notify as systemd would see it, without systemd: each program run
# with NOTIFY_SOCKET pointing at a datagram socket of the test's sends
# READY=1 once it serves (the HTTP port answers then) and STOPPING=1 on
# SIGTERM, then exits 0. The registry and the publisher are also ready
# while the broker is unreachable (they retry it on their own).
source "$(dirname "$0")/registry_helpers.bash"
S=sdn$$

# listen NAME: a datagram socket at $TMP/NAME.sock whose messages go, one a
# line, to $TMP/NAME.notify; sets NOTIFY_SOCKET.
listen() {
	/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    print(s.recv(4096).decode().replace("\n", " "), flush=True)
' "$TMP/$1.sock" >"$TMP/$1.notify" 2>"$TMP/$1.listener.log" &
	STARTED+=($!)
	wait_for 10000 grep -qx bound "$TMP/$1.notify" >/dev/null || fail "the notify listener did not start"
	NOTIFY_SOCKET=$TMP/$1.sock
}
said() { grep -qx "$2" "$TMP/$1.notify"; }
# ready_then NAME URL: waits for READY=1, then the URL must answer at once.
ready_then() {
	wait_for 15000 said "$1" READY=1 >/dev/null || fail "$1: no READY=1: $(cat "$TMP/$1.notify")"
	curl -sf --max-time 2 -o /dev/null "$2" || fail "$1 said READY=1 before $2 answered"
}
# stopped NAME PID: SIGTERM, STOPPING=1, exit 0.
stopped() {
	stop_clean "$2" "$1"
	said "$1" STOPPING=1 || fail "$1: no STOPPING=1: $(cat "$TMP/$1.notify")"
}

listen registry
port=$(free_port)
NOTIFY_SOCKET=$NOTIFY_SOCKET "$BIN/registry" --port "$port" >>"$TMP/registry.log" 2>&1 &
pid=$!
STARTED+=("$pid")
ready_then registry "http://127.0.0.1:$port/health"
stopped registry "$pid"

listen offline
port=$(free_port)
dead=$(free_port)
NOTIFY_SOCKET=$NOTIFY_SOCKET "$BIN/registry" --port "$port" \
	--amqp-url "amqp://guest:guest@127.0.0.1:$dead/" >>"$TMP/registry-offline.log" 2>&1 &
pid=$!
STARTED+=("$pid")
ready_then offline "http://127.0.0.1:$port/health"
stopped offline "$pid"
pass "registry: READY=1 once HTTP answers (with or without its broker), STOPPING=1 on SIGTERM"

listen accountservice
port=$(free_port)
NOTIFY_SOCKET=$NOTIFY_SOCKET "$BIN/accountservice" --port "$port" --service-name "$S" \
	--advertise-addr 127.0.0.1 --db-path "$TMP/accounts.db" \
	--quotes-url "http://127.0.0.1:$(free_port)/api/quote" >>"$TMP/accountservice.log" 2>&1 &
pid=$!
STARTED+=("$pid")
ready_then accountservice "http://127.0.0.1:$port/health"
stopped accountservice "$pid"
pass "accountservice: READY=1 once HTTP answers, STOPPING=1 on SIGTERM"

listen publisher
NOTIFY_SOCKET=$NOTIFY_SOCKET "$BIN/publisher" --service-name "$S" --advertise-addr 10.0.0.1 \
	--amqp-url "amqp://guest:guest@127.0.0.1:$dead/" >>"$TMP/publisher.log" 2>&1 &
pid=$!
STARTED+=("$pid")
wait_for 15000 said publisher READY=1 >/dev/null || fail "publisher: no READY=1: $(cat "$TMP/publisher.notify")"
stopped publisher "$pid"
pass "publisher: READY=1 once announcing (its broker unreachable), STOPPING=1 on SIGTERM"
