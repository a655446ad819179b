#!/usr/bin/env bash
# `make run` as a person uses it: scripts/run.sh comes up and prints a
# blocking query that blocks until a change; a second run says which one is
# running and exits 1, leaving the first serving; where no network
# namespace can be made (a chroot: played here by an `ip` whose `netns add`
# fails as it does there) it uses loopback addresses by itself and says so;
# Ctrl-C leaves nothing listening that the run started, its epmd included,
# and the harness's broker untouched.
#
# The run has its own RUN_DIR and free ports, so a developer's own
# `make run` (on the default ports) goes on undisturbed beside it.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
chmod 755 "$TMP" # the run's broker runs as the rabbitmq user

run_ports
RUN_DIR=$TMP/run

mkdir "$TMP/chroot-ip"
cat >"$TMP/chroot-ip/ip" <<EOF
#!/bin/sh
if [ "\$1" = netns ] && [ "\$2" = add ]; then
	echo 'mount --make-rslave /: Permission denied' >&2
	exit 1
fi
exec $(command -v ip) "\$@"
EOF
chmod 755 "$TMP/chroot-ip/ip"

run=(env RUN_DIR="$RUN_DIR" ACCOUNTS_PORT="$ACCOUNTS_PORT" REGISTRY_PORT="$REGISTRY_PORT"
	AGGREGATOR_PORT="$AGGREGATOR_PORT"
	QUOTES_VIP_PORT="$QUOTES_VIP_PORT" BUILD="$BUILD" PATH="$TMP/chroot-ip:$PATH"
	"$ROOT/scripts/run.sh")

# Job control gives the run a process group of its own, as a shell gives
# `make run` in a terminal, and keeps SIGINT from being ignored in it.
set -m
"${run[@]}" >"$TMP/run.log" 2>&1 &
RUN_PID=$!
set +m
STARTED+=("$RUN_PID")

up_or_gone() { grep -q 'The system is up' "$TMP/run.log" || ! kill -0 "$RUN_PID"; }
took=$(wait_for 120000 up_or_gone) || fail "no banner within 120 s"
grep -q 'The system is up' "$TMP/run.log" || fail "run.sh exited before its banner"
pass "up ${took} ms after start"

if [[ $(id -u) -eq 0 ]]; then
	grep -q 'no network namespace can be made here (mount --make-rslave' "$TMP/run.log" ||
		fail "no word of the fallback to loopback addresses"
	grep -q '(loopback mode)' "$TMP/run.log" || fail "not in loopback mode"
	pass "without namespaces: loopback addresses, and it says so"
fi

# --- a second run: refused, naming the first; the first untouched ------------
rc=0
timeout 60 "${run[@]}" >"$TMP/second.log" 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "second run: exit code $rc, want 1: $(cat "$TMP/second.log")"
grep -q "already running (pid $RUN_PID," "$TMP/second.log" ||
	fail "second run does not name pid $RUN_PID: $(cat "$TMP/second.log")"
kill -0 "$RUN_PID" || fail "the first run is gone"
while read -r pid; do
	kill -0 "$pid" || fail "pid $pid of the first run is gone"
done <"$RUN_DIR/pids"
[[ $(curl -sf "$REG/services/accountservice?state=UP" | jq '.instances | length') == 3 ]] ||
	fail "the first run's registry does not list 3 instances UP"
curl -sf -o /dev/null "http://127.0.0.1:$ACCOUNTS_PORT/accounts/10000" ||
	fail "the first run's balancer does not serve"
pass "a second run exits 1 naming pid $RUN_PID; the first serves on"

# --- the banner's aggregator sees every accountservice healthy ---------------
grep -q "curl -s $AGG/status" "$TMP/run.log" || fail "no aggregator in the banner"
aggr_all_healthy() {
	[[ $(curl -sf "$AGG/status" | jq -c '.services[] | select(.name == "accountservice") |
		[.instances, .healthy]') == "[3,3]" ]]
}
wait_for 20000 aggr_all_healthy >/dev/null || fail "the aggregator: $(curl -s "$AGG/status")"
pass "the aggregator lists the 3 accountservices healthy"

# --- the banner's blocking query blocks until a change ------------------------
query=$(grep -o "curl -s \"$REG/services/accountservice?index=[0-9]*&wait=30s\"" "$TMP/run.log") ||
	fail "no blocking query in the banner"
url=${query#curl -s \"}
url=${url%\"}
index=${url#*index=}
index=${index%%&*}
curl -sf --max-time 40 "$url" >"$TMP/block.json" &
watcher=$!
waiting() { (($(curl -sf "$REG/metrics" | awk '$1 == "registry_blocking_queries_waiting" { print $2 }') >= 1)); }
wait_for 5000 waiting >/dev/null || fail "the banner's query did not block: $(cat "$TMP/block.json")"
kill_line=$(grep -o 'kill [0-9]*  *# acct1' "$TMP/run.log") || fail "no kill line in the banner"
acct1=${kill_line#kill }
acct1=${acct1%% *}
start=$(now_ms)
kill -TERM "$acct1"
wait "$watcher" || fail "the blocking query failed"
(($(jq .index "$TMP/block.json") > index)) || fail "woke without a change: $(cat "$TMP/block.json")"
[[ $(jq '.instances | length' "$TMP/block.json") == 2 ]] || fail "acct1 still listed: $(cat "$TMP/block.json")"
pass "the banner's query (index=$index) blocked, woke $(($(now_ms) - start)) ms after acct1 stopped"

# --- Ctrl-C: nothing the run started listens any more ------------------------
# shellcheck disable=SC1091
source "$RUN_DIR/rabbit/env" # ERL_EPMD_PORT of the run's broker
ours="$(cat "$RUN_DIR/pids") $("$ROOT/scripts/rabbitmq.sh" pids "$RUN_DIR/rabbit")"
# listeners_of PIDS...: the ports any of PIDS listens on.
listeners_of() {
	local pids=" $* "
	ss -Hltnp | awk -v pids="$pids" '{
		n = split($4, a, ":")
		rest = $0
		while (match(rest, /pid=[0-9]+,/)) {
			if (index(pids, " " substr(rest, RSTART + 4, RLENGTH - 5) " ")) print a[n]
			rest = substr(rest, RSTART + RLENGTH)
		}
	}' | sort -un
}
# shellcheck disable=SC2086
ports=$(listeners_of $ours)
grep -qx "$ERL_EPMD_PORT" <<<"$ports" || fail "the run's epmd ($ERL_EPMD_PORT) not among its listeners: $ports"
grep -qx "$REGISTRY_PORT" <<<"$ports" || fail "the registry not among the run's listeners: $ports"
none_listening() {
	local p
	for p in $ports; do
		ss -Hltn "sport = :$p" | grep -q . && return 1
	done
	return 0
}
kill -INT -- "-$RUN_PID" # what a terminal's Ctrl-C does: the whole foreground group
start=$(now_ms)
stopped() { ! kill -0 "$RUN_PID"; }
wait_for 60000 stopped >/dev/null || fail "run.sh still running 60 s after SIGINT"
rc=0
wait "$RUN_PID" || rc=$?
[[ $rc == 130 ]] || fail "run.sh exited with $rc after SIGINT, want 130"
wait_for 10000 none_listening >/dev/null ||
	fail "still listening after Ctrl-C: $(for p in $ports; do ss -Hltnp "sport = :$p"; done)"
pass "Ctrl-C: $(wc -w <<<"$ports") listeners (epmd included) gone $(($(now_ms) - start)) ms after SIGINT"

if [[ -n "${RABBIT_DIR:-}" ]]; then
	"$ROOT/scripts/rabbitmq.sh" ctl "$RABBIT_DIR" status >/dev/null ||
		fail "the harness's broker does not answer after the run stopped"
	pass "the harness's broker untouched"
fi
