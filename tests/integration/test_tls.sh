#!/usr/bin/env bash
# TLS to the broker with verification (docs/amqp.md, docs/deployment.md): a
# throw-away CA and a broker certificate for "localhost", a private RabbitMQ
# node with a TLS listener (scripts/rabbitmq.sh, RABBIT_TLS_DIR), and every
# program (registry, accountservice, the publisher sidecar) connecting over
# amqps:// with AMQP_TLS_CA, the tokens reaching the registry over TLS. Each
# program also refuses a broker whose certificate does not verify, against
# another CA and for another host name (127.0.0.1: the certificate names
# only localhost), says why in one line, and never connects.
source "$(dirname "$0")/registry_helpers.bash"

# --- certificates -------------------------------------------------------------
CERTS=$TMP/tls
mkdir -p "$CERTS"
(
	cd "$CERTS"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=discovery test CA" \
		-keyout ca.key -out ca.pem
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=another CA" \
		-keyout other.key -out other.pem
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
		-keyout server.key -out server.csr
	printf 'subjectAltName=DNS:localhost\n' >san.cnf
	openssl x509 -req -days 1 -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-extfile san.cnf -out server.pem
) >"$TMP/openssl.out" 2>&1 || fail "openssl could not make the certificates"
chmod 644 "$CERTS"/server.key # read by the broker's user, from its own copy

# --- a private node with a TLS listener ---------------------------------------
OWN_RABBIT=$(mktemp -d "/tmp/$LIB_NAME-rabbit.XXXXXX") # stopped by cleanup
RABBIT_TLS_DIR=$CERTS "$ROOT/scripts/rabbitmq.sh" start "$OWN_RABBIT" >/dev/null ||
	fail "no RabbitMQ node with a TLS listener"
# shellcheck disable=SC1091
source "$OWN_RABBIT/env"
user=tls$$
password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
rctl() { "$ROOT/scripts/rabbitmq.sh" ctl "$OWN_RABBIT" "$@"; }
rctl add_user "$user" "$password" >/dev/null
rctl set_permissions -p / "$user" '.*' '.*' '.*' >/dev/null
rctl set_topic_permissions -p / "$user" discovery '.*' '.*' >/dev/null
TLS_URL=amqps://$user:$password@localhost:$RABBIT_TLS_PORT/
CA=$CERTS/ca.pem

# --- every program over amqps:// ----------------------------------------------
start_registry --amqp-url "$TLS_URL" --amqp-tls-ca "$CA"
pass "registry connected over TLS"

ACCT_PORT=$(free_port)
DISCOVERY_INTERVAL=1 "$BIN/accountservice" --amqp-url "$TLS_URL" --amqp-tls-ca "$CA" \
	--port "$ACCT_PORT" --advertise-addr 127.0.0.1 --db-path "$TMP/accounts.db" \
	--quotes-url "http://127.0.0.1:$(free_port)/api/quote" >"$TMP/accountservice.log" 2>&1 &
ACCT_PID=$!
STARTED+=("$ACCT_PID")
start_publisher tlsside 127.0.0.1 --amqp-url "$TLS_URL" --amqp-tls-ca "$CA" \
	--discovery-interval 1s
SIDE_PID=$PUB_PID

took=$(wait_for 10000 has_count accountservice 1) ||
	fail "the accountservice's tokens did not reach the registry"
pass "accountservice's tokens reached the registry over TLS after ${took} ms"
took=$(wait_for 10000 has_count tlsside 1) || fail "the sidecar's tokens did not reach the registry"
pass "the sidecar's tokens reached the registry over TLS after ${took} ms"

# The broker's own view: every connection is TLS, as the user, 3 of them.
conns=$(rctl list_connections --no-table-headers user ssl)
echo "$conns"
[[ $(grep -c . <<<"$conns") == 3 ]] || fail "expected 3 connections: $conns"
awk -v u="$user" '$1 != u || $2 != "true" { bad = 1 } END { exit bad }' <<<"$conns" ||
	fail "a connection is not TLS as $user: $conns"
pass "the broker sees 3 TLS connections, all as $user"

# --- refusing brokers whose certificate does not verify -----------------------
# refused NAME REASON URL CA: the three programs with URL and CA, each must
# log REASON within 5 s and must not connect (the broker's connection count
# stays 3).
refused() {
	local case=$1 reason=$2 url=$3 ca=$4 pids=() port p
	port=$(free_port)
	"$BIN/registry" --port "$port" --amqp-url "$url" --amqp-tls-ca "$ca" \
		>"$TMP/$case-registry.log" 2>&1 &
	pids+=($!)
	DISCOVERY_INTERVAL=1 "$BIN/accountservice" --amqp-url "$url" --amqp-tls-ca "$ca" \
		--port "$(free_port)" --advertise-addr 127.0.0.1 --db-path "$TMP/$case.db" \
		--quotes-url "http://127.0.0.1:$(free_port)/api/quote" \
		>"$TMP/$case-accountservice.log" 2>&1 &
	pids+=($!)
	"$BIN/publisher" --amqp-url "$url" --amqp-tls-ca "$ca" --service-name "$case" \
		--advertise-addr 127.0.0.1 --port 8080 >"$TMP/$case-publisher.log" 2>&1 &
	pids+=($!)
	STARTED+=("${pids[@]}")
	for p in registry accountservice publisher; do
		wait_for 5000 grep -q "$reason" "$TMP/$case-$p.log" >/dev/null ||
			fail "$p ($case) did not log \"$reason\""
		echo "$p: $(grep -o "reason=.*" "$TMP/$case-$p.log" | head -n 1)"
	done
	curl -sf "http://127.0.0.1:$port/health" | jq -e '.amqp != "connected"' >/dev/null ||
		fail "registry ($case) says it is connected"
	[[ $(rctl list_connections --no-table-headers user | grep -c .) == 3 ]] ||
		fail "a program connected to a broker it could not verify ($case)"
	has_count "$case" 0 || fail "the publisher ($case) was listed"
	for p in "${pids[@]}"; do stop_clean "$p" "$case program"; done
	pass "registry, accountservice and publisher refuse the broker: $case"
}
refused wrong-ca "does not verify against $CERTS/other.pem" "$TLS_URL" "$CERTS/other.pem"
refused wrong-host "is not for host 127.0.0.1" \
	"amqps://$user:$password@127.0.0.1:$RABBIT_TLS_PORT/" "$CA"

# A CA file that does not exist is a usage error at start.
rc=0
"$BIN/publisher" --amqp-url "$TLS_URL" --amqp-tls-ca "$TMP/missing.pem" --service-name x \
	--advertise-addr 127.0.0.1 >"$TMP/missing-ca.log" 2>&1 || rc=$?
if [[ $rc != 2 ]] || ! grep -q "cannot read" "$TMP/missing-ca.log"; then
	fail "a missing CA file: exit $rc, $(cat "$TMP/missing-ca.log")"
fi
pass "a missing CA file exits 2: $(cat "$TMP/missing-ca.log")"

# Passwords never appear in logs.
if grep -l -F "$password" "$TMP"/*.log; then fail "the broker password is in a log"; fi

stop_clean "$SIDE_PID" publisher
stop_clean "$ACCT_PID" accountservice
stop_registry
