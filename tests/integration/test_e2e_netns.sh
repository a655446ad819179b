#!/usr/bin/env bash
# End-to-end test across hosts made of network namespaces: a bridge; the
# root namespace as the broker host (RabbitMQ, the registry and the
# balancers); 3 accountservice hosts, later a 4th; 2 quotes-service hosts
# behind a round-robin TCP balancer (Swarm's VIP). Everything runs the real
# binaries; everything is created here with unique names and removed on exit,
# also on failure. Needs root where namespaces can be made (not in a chroot);
# skips otherwise.
#
# Uses the harness's RabbitMQ (RABBIT_DIR) when there is one, else its own.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=scripts/netns.sh
source scripts/netns.sh

if [[ $(id -u) -ne 0 ]]; then
	echo "test_e2e_netns: skipped: network namespaces need root"
	exit 0
fi
if ! err=$(netns_probe "sde$$-probe" 2>&1); then
	echo "test_e2e_netns: skipped: no network namespace can be made here: $err"
	exit 0
fi
BIN=$(cd "${BUILD:-build}/bin" && pwd) || exit 1
INTERVAL_MS=1000
TTL_MS=$((3 * INTERVAL_MS))

PREFIX=sde$$
PREFIX=${PREFIX:0:10}
WORK=$(mktemp -d /tmp/discovery-e2e.XXXXXX)
chmod 755 "$WORK" # the broker runs as rabbitmq
pids=()
own_rabbit=0
broker_user=e2e-$$

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

cleanup() {
	local pid t
	trap - EXIT INT TERM
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for ((t = 0; t < 30; t++)); do
		alive=0
		for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[[ $alive -eq 0 ]] && break
		sleep 0.1
	done
	for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	wait 2>/dev/null
	netns_down "$PREFIX"
	if [[ $own_rabbit -eq 1 ]]; then
		scripts/rabbitmq.sh stop "$RABBIT_DIR"
	elif [[ -n "${RABBIT_DIR:-}" ]]; then
		scripts/rabbitmq.sh ctl "$RABBIT_DIR" delete_user "$broker_user" >/dev/null 2>&1
	fi
	if [[ $failures -gt 0 ]]; then
		for log in "$WORK"/*.log; do
			echo "--- $(basename "$log") (last lines)" >&2
			tail -n 15 "$log" >&2
		done
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- broker -----------------------------------------------------------------
# The harness's node when we can add a user to it, else a node of our own.
if [[ -z "${RABBIT_DIR:-}" || ! -f "${RABBIT_DIR:-}/env" ]]; then
	RABBIT_DIR=$WORK/rabbit
	own_rabbit=1
	scripts/rabbitmq.sh start "$RABBIT_DIR" || { fail "RabbitMQ did not start"; exit 1; }
fi
# shellcheck disable=SC1091
source "$RABBIT_DIR/env"
local_amqp=$AMQP_SERVER_URL

# --- topology -----------------------------------------------------------------
NET=$(netns_free_net 10.78) || { fail "no free /24 in 10.78.0.0/16"; exit 1; }
netns_up "$PREFIX" "$NET" || { fail "cannot create the bridge"; exit 1; }
for n in 1 2 3 4; do netns_host "$PREFIX" "$NET" "a$n" $((10 + n)) || fail "host a$n"; done
for n in 1 2; do netns_host "$PREFIX" "$NET" "q$n" $((20 + n)) || fail "host q$n"; done
[[ $failures -eq 0 ]] || exit 1
HOST=$NET.1
password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
scripts/rabbitmq.sh service-user "$RABBIT_DIR" "$broker_user" "$password" accountservice ||
	{ fail "cannot add the broker user"; exit 1; }
instance_amqp=amqp://$broker_user:$password@$HOST:$RABBIT_PORT/
# That user may announce accountservice only (docs/deployment.md).
if amqp-publish -u "amqp://$broker_user:$password@127.0.0.1:$RABBIT_PORT" -e discovery \
	-r discovery.registry.up -b '{"state":"UP","address":"192.0.2.1"}' 2>/dev/null; then
	fail "the accountservice broker user may publish discovery.registry.up"
else
	ok "the accountservice broker user may not announce another service"
fi

REG_PORT=$(free_port)
ACCT_PORT=$(free_port)
QUOTES_PORT=$(free_port)
REG=http://127.0.0.1:$REG_PORT

# --- processes ------------------------------------------------------------------
declare -A pid_of

start_registry() {
	AMQP_SERVER_URL=$local_amqp REGISTRY_PORT=$REG_PORT DISCOVERY_INTERVAL=${INTERVAL_MS}ms \
		"$BIN/registry" >>"$WORK/registry.log" 2>&1 &
	pid_of[registry]=$!
	pids+=($!)
}

# start_account N: accountservice on host aN.
start_account() {
	AMQP_SERVER_URL=$instance_amqp SERVER_PORT=6767 ADVERTISE_CIDR=$NET.0/24 \
		DISCOVERY_INTERVAL=${INTERVAL_MS}ms DB_PATH=$WORK/a$1.db SERVICE_NAME=accountservice \
		QUOTES_URL="http://$HOST:$QUOTES_PORT/api/quote?strength=4" \
		netns_exec "$PREFIX" "a$1" "$BIN/accountservice" >>"$WORK/a$1.log" 2>&1 &
	pid_of[a$1]=$!
	pids+=($!)
}

for n in 1 2; do
	netns_exec "$PREFIX" "q$n" "$BIN/quotes-standin" --port 8080 >"$WORK/q$n.log" 2>&1 &
	pids+=($!)
done
start_registry
for n in 1 2 3; do start_account "$n"; done

# --- helpers ----------------------------------------------------------------------
instances() { curl -s --max-time 1 "$REG/services/accountservice"; }
addresses() { instances | jq -r '[.instances[].address] | sort | join(" ")'; }
listed() { instances | jq -e --arg a "$NET.$1" 'any(.instances[]; .address == $a)' >/dev/null; }
gone() { instances | jq -e --arg a "$NET.$1" 'all(.instances[]; .address != $a)' >/dev/null; }
complete() { [[ $(addresses) == "$1" ]]; }

# within T0 LIMIT_MS CMD...: whether CMD succeeds (polled every 20 ms) by
# T0 + LIMIT_MS; sets `elapsed` to the ms from T0 to success or give-up.
within() {
	local t0=$1 limit=$2 t
	shift 2
	while :; do
		if "$@"; then
			elapsed=$(($(now_ms) - t0))
			[[ $elapsed -le $limit ]]
			return
		fi
		t=$(now_ms)
		if ((t - t0 > limit)); then
			elapsed=$((t - t0))
			return 1
		fi
		sleep 0.02
	done
}

# Starting up is not under test: give everything 15 s to answer.
ready() { curl -s -o /dev/null --max-time 1 "$1"; }
for url in "$REG/health" "http://$NET.11:6767/health" "http://$NET.12:6767/health" \
	"http://$NET.13:6767/health" "http://$NET.21:8080/api/quote?strength=1" \
	"http://$NET.22:8080/api/quote?strength=1"; do
	within "$(now_ms)" 15000 ready "$url" || { fail "$url did not answer"; exit 1; }
done
netns_balancer_config "$WORK/haproxy.cfg" "127.0.0.1:$ACCT_PORT" "$HOST:$QUOTES_PORT" \
	"$NET.11:6767 $NET.12:6767 $NET.13:6767" "$NET.21:8080 $NET.22:8080"
haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
pids+=($!)
within "$(now_ms)" 5000 ready "http://127.0.0.1:$ACCT_PORT/health" || { fail "balancer"; exit 1; }

three="$NET.11 $NET.12 $NET.13"

# 1. The registry lists exactly the 3 instances, each with its own address.
if within "$(now_ms)" 5000 complete "$three"; then
	ok "the registry lists exactly the 3 instances: $three"
else
	fail "the registry lists '$(addresses)', expected '$three'"
fi
n_inst=$(instances | jq '.instances | length')
[[ "$n_inst" == 3 ]] || fail "$n_inst instances listed, expected 3"

# 2. Six calls through the balancer: all 3 servedBy, alternating quotes.
served=() quoted=()
for i in 1 2 3 4 5 6; do
	body=$(curl -s --max-time 3 "http://127.0.0.1:$ACCT_PORT/accounts/10000")
	served+=("$(jq -r '.servedBy' <<<"$body")")
	quoted+=("$(jq -r '.quote.ipAddress' <<<"$body")")
done
distinct=$(printf '%s\n' "${served[@]}" | sort -u | tr '\n' ' ')
if [[ "$distinct" == "$three " ]]; then
	ok "6 balanced calls were served by all 3: ${served[*]}"
else
	fail "6 balanced calls were served by '$distinct', expected '$three'"
fi
alternating=1
for i in 1 2 3 4 5; do
	[[ "${quoted[$i]}" != "${quoted[$((i - 1))]}" ]] || alternating=0
done
if [[ $alternating -eq 1 && $(printf '%s\n' "${quoted[@]}" | sort -u | wc -l) -eq 2 &&
	"${quoted[0]}" != circuit-breaker && "${quoted[0]}" != null ]]; then
	ok "the quotes' ipAddress alternates: ${quoted[*]}"
else
	fail "the quotes' ipAddress does not alternate between 2: ${quoted[*]}"
fi

# 3. Scale up: a 4th host joins and is listed within 1 s.
t0=$(now_ms)
start_account 4
if within "$t0" 1000 listed 14; then
	ok "a 4th instance is listed ${elapsed} ms after its start"
else
	fail "a 4th instance is not listed ${elapsed} ms after its start"
fi

# 4. Scale down: SIGTERM, gone within 1 s, clean exit.
t0=$(now_ms)
kill -TERM "${pid_of[a4]}"
if within "$t0" 1000 gone 14; then
	ok "a stopped instance is gone ${elapsed} ms after SIGTERM"
else
	fail "a stopped instance is still listed ${elapsed} ms after SIGTERM"
fi
wait "${pid_of[a4]}"
rc=$?
if [[ $rc -eq 0 ]]; then ok "it exited with 0"; else fail "it exited with $rc after SIGTERM"; fi

# 5. A crash: SIGKILL, gone within ttl + 1 s.
t0=$(now_ms)
{ kill -KILL "${pid_of[a3]}" && wait "${pid_of[a3]}"; } 2>/dev/null
if within "$t0" $((TTL_MS + 1000)) gone 13; then
	ok "a killed instance is gone ${elapsed} ms after SIGKILL (ttl $TTL_MS ms)"
else
	fail "a killed instance is still listed ${elapsed} ms after SIGKILL"
fi
start_account 3
within "$(now_ms)" 5000 listed 13 || fail "the restarted instance 3 is not listed"

# 6. The registry restarted: complete again within 1 s of its start.
kill -TERM "${pid_of[registry]}"
wait "${pid_of[registry]}"
rc=$?
[[ $rc -eq 0 ]] || fail "the registry exited with $rc after SIGTERM"
t0=$(now_ms)
start_registry
if within "$t0" 1000 complete "$three"; then
	ok "a restarted registry is complete ${elapsed} ms after its start"
else
	fail "a restarted registry lists '$(addresses)' ${elapsed} ms after its start"
fi

# 7. A host cut off (its cable unplugged at the bridge): the instance expires;
# plugged back in, it is listed again within 2 s.
t0=$(now_ms)
netns_link "$PREFIX" 12 down
if within "$t0" $((TTL_MS + 2000)) gone 12; then
	ok "a cut-off instance expired ${elapsed} ms after its link went down"
else
	fail "a cut-off instance is still listed ${elapsed} ms after its link went down"
fi
complete "$NET.11 $NET.13" || fail "after the cut the registry lists '$(addresses)'"
t0=$(now_ms)
netns_link "$PREFIX" 12 up
if within "$t0" 2000 listed 12; then
	ok "the instance is listed again ${elapsed} ms after its link came back"
else
	fail "the instance is not listed ${elapsed} ms after its link came back"
fi

# Every program still running stops cleanly on SIGTERM (exit 0, which under
# the sanitizers also means no leak).
for name in a1 a2 a3 registry; do
	if ! kill -TERM "${pid_of[$name]}" 2>/dev/null; then
		fail "$name died during the test"
		continue
	fi
	wait "${pid_of[$name]}"
	rc=$?
	[[ $rc -eq 0 ]] || fail "$name exited with $rc after SIGTERM"
done
if [[ $failures -gt 0 ]]; then
	echo "test_e2e_netns: $failures check(s) failed" >&2
	exit 1
fi
echo "test_e2e_netns: all checks passed"
