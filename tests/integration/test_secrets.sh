#!/usr/bin/env bash
# Secrets never leave: every program (registry, accountservice, publisher
# sidecar, quotes stand-in) runs with a known broker password holding '/'
# and '@' and a known DISCOVERY_SECRET, through --help, bad flags, bad URLs,
# a broker that refuses the password, a connected run driving every route
# (each given a list of two nodes, the broker and a closed port),
# and a broker that goes away; then no log, stdout/stderr, HTTP answer,
# /metrics, /health or --help output may show the password or the secret,
# in clear or URL-encoded. Everything started here is stopped by PID on
# exit, also on failure (tests/lib.sh).
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
use_broker given

PW='Pw7qzXk/Ru4mVt@Jd9cNe'
PW_ENC='Pw7qzXk%2FRu4mVt%40Jd9cNe'
SECRET='Sk3tQz9Lp/Vw7HnXa@Ry2MbWc'
# The registry also accepts a next key, as during a rotation.
NEXT_SECRET='Nx8vRt2Qw/Km5ZpYe@Lb7HsGd'
# Fragments between the special characters, so that a mask that lets part
# of one through is caught as well as the whole in any encoding.
NEEDLES=(Pw7qzXk Ru4mVt Jd9cNe Sk3tQz9Lp Vw7HnXa Ry2MbWc Nx8vRt2Qw Km5ZpYe Lb7HsGd)
USER_NAME=sec$$
BROKER=${AMQP_SERVER_URL#*@}
BROKER=${BROKER%%/*}
URL="amqp://$USER_NAME:$PW_ENC@$BROKER/"
URL_RAW="amqp://$USER_NAME:$PW@$BROKER/"
export DISCOVERY_SECRET=$SECRET LOG_LEVEL=debug DISCOVERY_INTERVAL=500ms
OUT=$TMP/out
mkdir -p "$OUT"

# Every program's output goes to OUT, which is what the end of the test
# searches; the flags that name a service and an address for each program:
declare -A ARGS=(
	[registry]=""
	[accountservice]="--advertise-addr 127.0.0.1"
	[publisher]="--service-name secrets-sidecar --advertise-addr 127.0.0.1 --port 8080"
	[aggregator]=""
)
PROGRAMS=(registry accountservice publisher aggregator)

# start NAME PROGRAM [args...]: in the background, output in OUT/NAME.log;
# sets PID. A program with an HTTP port gets a free one (PORT).
start() {
	local name=$1 prog=$2
	shift 2
	PORT=$(free_port)
	local port_args=()
	[[ $prog == publisher ]] || port_args=(--port "$PORT")
	[[ $prog == accountservice ]] && port_args+=(--db-path "$TMP/$name.db")
	# shellcheck disable=SC2086 # ARGS holds separate words
	"$BIN/$prog" ${ARGS[$prog]} "${port_args[@]}" "$@" >>"$OUT/$name.log" 2>&1 &
	PID=$!
	STARTED+=("$PID")
}

# settled PID LOG: gone, or it has logged a warning or an error.
settled() { ! kill -0 "$1" 2>/dev/null || grep -q 'level=\(warn\|error\)' "$2"; }

# run_until_settled NAME PROGRAM [args...]: starts it, waits up to 10 s for
# it to exit or complain, stops it if it still runs; sets RC (its exit code,
# or 143 when it had to be stopped).
run_until_settled() {
	local name=$1
	start "$@"
	wait_for 10000 settled "$PID" "$OUT/$name.log" >/dev/null || fail "$name: no word in 10 s"
	kill -TERM "$PID" 2>/dev/null || true
	RC=0
	wait "$PID" || RC=$?
}

# get NAME URL [curl args...]: the whole answer, headers and body, in
# OUT/http-NAME-<n>.txt; sets ANSWER to that file.
answers=0
get() {
	local name=$1 url=$2
	shift 2
	answers=$((answers + 1))
	ANSWER=$OUT/http-$name-$answers.txt
	curl -sS -i --max-time 10 "$@" "$url" >"$ANSWER" 2>&1 || true
}

# more_warnings LOG COUNT: LOG holds more than COUNT warnings.
warnings() { grep -c 'level=warn' "$1" || true; }
more_warnings() { (($(warnings "$1") > $2)); }
answers_at() { curl -s -o /dev/null "$1"; }

# --- --help --------------------------------------------------------------
for prog in "${PROGRAMS[@]}" quotes-standin; do
	# --help comes before every other flag is read, known or not.
	AMQP_SERVER_URL=$URL_RAW "$BIN/$prog" --amqp-url "$URL" --discovery-secret "$SECRET" \
		--help >"$OUT/help-$prog.txt" 2>&1 || fail "$prog --help exits non-zero"
	grep -q -- '--help' "$OUT/help-$prog.txt" || fail "$prog --help prints no options"
done
pass "--help of every program"

# --- bad flags: exit 2 with a message, whatever holds the secret -----------
for prog in "${PROGRAMS[@]}"; do
	bad=(
		"--no-such-flag --amqp-url $URL"
		"$URL_RAW"
		"--amqp-url$URL"
		"--discovery-secret$SECRET"
		"--amqp-url $URL --port not-a-port"
		"--amqp-url $URL_RAW --log-level loud"
		"--amqp-url $URL --discovery-secret"
	)
	[[ $prog == accountservice ]] && bad+=("--quotes-url htp://q:$PW@127.0.0.1/")
	for i in "${!bad[@]}"; do
		rc=0
		# shellcheck disable=SC2086 # each entry is a list of words
		AMQP_SERVER_URL=$URL_RAW "$BIN/$prog" ${bad[$i]} >"$OUT/badflag-$prog-$i.log" 2>&1 ||
			rc=$?
		[[ $rc == 2 ]] || fail "$prog with bad flags #$i exited $rc, want 2"
		[[ -s "$OUT/badflag-$prog-$i.log" ]] || fail "$prog with bad flags #$i says nothing"
	done
done
pass "bad flags exit 2 with a message"

# --- bad URLs, rejected at start -------------------------------------------
bad_urls=(
	"$URL_RAW"
	"amqp:/$USER_NAME:$PW_ENC@$BROKER/"
	"$USER_NAME:$PW@$BROKER/"
	"http://$USER_NAME:$PW_ENC@$BROKER/"
	"amqp://$USER_NAME:$PW_ENC@127.0.0.1:port/"
	"amqp://$USER_NAME:$PW@$BROKER/,amqp://$USER_NAME:$PW_ENC@$BROKER/"
	"amqp://$USER_NAME:$PW_ENC@$BROKER/,amqp://$USER_NAME:$PW_ENC@$BROKER:port/"
	"amqp://$USER_NAME:$PW_ENC@$BROKER/, amqp://$USER_NAME:$PW_ENC@$BROKER/"
)
for prog in "${PROGRAMS[@]}"; do
	for i in "${!bad_urls[@]}"; do
		AMQP_SERVER_URL=${bad_urls[$i]} run_until_settled "badurl-$prog-$i" "$prog"
		# The URL of the issue: a '/' and an '@' in the password, not encoded.
		if ((i == 0)); then
			[[ $RC != 0 && $RC != 143 ]] || fail "$prog accepted $USER_NAME's raw URL"
		fi
	done
	grep -q "$USER_NAME:\*\*\*@" "$OUT"/badurl-"$prog"-*.log ||
		grep -q "AMQP_SERVER_URL" "$OUT"/badurl-"$prog"-*.log ||
		fail "$prog does not say which URL it rejects"
done
pass "bad URLs are rejected at start, masked"

# --- a broker that refuses the password ------------------------------------
# From here on every program is given two nodes, the broker and a port where
# nothing listens, each URL with the password: whichever it tries first, a
# connection, a refusal or an outage names the nodes masked.
export AMQP_SERVER_URL="$URL,amqp://$USER_NAME:$PW_ENC@127.0.0.1:$(free_port)/"
start refused-registry registry
REG=http://127.0.0.1:$PORT
REG_PID=$PID
start refused-account accountservice --quotes-url "http://127.0.0.1:1/api/quote"
ACC=http://127.0.0.1:$PORT
ACC_PID=$PID
start refused-publisher publisher
PUB_PID=$PID
for name in refused-registry refused-account refused-publisher; do
	wait_for 10000 grep -q 'level=warn' "$OUT/$name.log" >/dev/null ||
		fail "$name does not say that the broker refuses it"
done
wait_for 5000 answers_at "$REG/health" >/dev/null || fail "refused registry: no HTTP"
wait_for 5000 answers_at "$ACC/health" >/dev/null || fail "refused accountservice: no HTTP"
get refused-registry "$REG/health"
get refused-registry "$REG/metrics"
get refused-account "$ACC/health"
get refused-account "$ACC/metrics"
stop_clean "$REG_PID" "refused registry"
stop_clean "$ACC_PID" "refused accountservice"
stop_clean "$PUB_PID" "refused publisher"
grep -qi 'refused\|login' "$OUT"/refused-*.log || fail "no refusal logged"
pass "a broker that refuses the password: logged, retried, stopped cleanly"

# --- connected, every route --------------------------------------------------
if [[ -z "${RABBIT_DIR:-}" ]]; then
	echo "skip: the connected run needs the harness's own RabbitMQ (RABBIT_DIR)"
else
	ctl() { "$ROOT/scripts/rabbitmq.sh" ctl "$RABBIT_DIR" "$@" >/dev/null; }
	ctl add_user "$USER_NAME" "$PW"
	trap 'ctl delete_user "$USER_NAME" 2>/dev/null || true; cleanup' EXIT
	ctl set_permissions -p / "$USER_NAME" '.*' '.*' '.*'

	start_quotes quotes
	mv "$TMP/quotes.log" "$OUT/quotes.log"
	QUOTES=$PORT
	DISCOVERY_SECRET="$NEXT_SECRET,$SECRET" start registry registry
	REG=http://127.0.0.1:$PORT
	REG_PID=$PID
	registry_connected() { curl -sf "$REG/health" | jq -e '.amqp == "connected"'; }
	wait_for 10000 registry_connected >/dev/null || fail "registry not connected as $USER_NAME"
	start account accountservice \
		--quotes-url "http://q:$PW_ENC@127.0.0.1:$QUOTES/api/quote?strength=1"
	ACC=http://127.0.0.1:$PORT
	ACC_PID=$PID
	wait_http "$ACC/health"
	start publisher publisher
	PUB_PID=$PID
	# Both listed: signed with the secret and verified by the registry
	# with the second of its keys.
	listed() { curl -sf "$REG/services/$1" | jq -e '.instances | length == 1'; }
	unlisted() { curl -sf "$REG/services/$1" | jq -e '.instances | length == 0'; }
	wait_for 10000 listed accountservice >/dev/null || fail "accountservice not listed"
	wait_for 10000 listed secrets-sidecar >/dev/null || fail "the sidecar not listed"

	curl -sN --max-time 60 "$REG/events" >"$OUT/http-registry-events.txt" 2>&1 &
	EVENTS_PID=$!
	STARTED+=("$EVENTS_PID")
	wait_for 5000 grep -q '^retry:' "$OUT/http-registry-events.txt" >/dev/null ||
		fail "/events does not open"
	routes=(/ /services /services/accountservice "/services/secrets-sidecar?state=UP"
		"/services/accountservice?index=1&wait=1s" /turbine/accountservice
		/prometheus/targets /eureka/apps /eureka/apps/ACCOUNTSERVICE /eureka/apps/delta
		/eureka/apps/NOPE /health /metrics /no/such/route
		"/services/$(printf 'x%.0s' $(seq 300))")
	for route in "${routes[@]}"; do
		get registry "$REG$route"
	done
	get registry-eureka-json "$REG/eureka/apps" -H 'Accept: application/json'
	get registry-post "$REG/services" -X POST -d '{}'
	for route in /accounts/10000 /accounts/99999 /accounts/abc /health /metrics \
		/no/such/route; do
		get account "$ACC$route"
		[[ $route != /accounts/10000 ]] || grep -q '"name":"Person_0"' "$ANSWER" ||
			fail "no account served"
	done
	get account-post "$ACC/accounts/10000" -X POST -d '{}'
	# Unhealthy until the registry has seen it, so that the two flips are
	# two tokens (a leave and a join on /events), not one.
	get account "$ACC/testability/healthy/false"
	wait_for 5000 unlisted accountservice >/dev/null || fail "unhealthy accountservice listed"
	get account "$ACC/health"
	get account "$ACC/testability/healthy/true"
	wait_for 5000 listed accountservice >/dev/null || fail "healthy accountservice not listed"
	flips() { grep -q '^event: leave' "$1" && grep -q '^event: join' "$1"; }
	wait_for 5000 flips "$OUT/http-registry-events.txt" >/dev/null ||
		fail "the flips of the health flag are not on /events"
	pass "connected as $USER_NAME with the secret: every route driven"

	# --- the broker goes away and comes back ------------------------------
	declare -A before
	for name in registry account publisher; do before[$name]=$(warnings "$OUT/$name.log"); done
	"$ROOT/scripts/rabbitmq.sh" pause "$RABBIT_DIR"
	resumed=0
	trap '[[ $resumed == 1 ]] || "$ROOT/scripts/rabbitmq.sh" resume "$RABBIT_DIR";
		ctl delete_user "$USER_NAME" 2>/dev/null || true; cleanup' EXIT
	for name in registry account publisher; do
		wait_for 15000 more_warnings "$OUT/$name.log" "${before[$name]}" >/dev/null ||
			fail "$name does not notice the outage"
	done
	stale() { curl -sf "$REG/services/accountservice" | jq -e '.stale == true'; }
	wait_for 10000 stale >/dev/null || fail "registry answers not stale during the outage"
	get outage-registry "$REG/health"
	get outage-registry "$REG/metrics"
	get outage-account "$ACC/health"
	get outage-account "$ACC/metrics"
	"$ROOT/scripts/rabbitmq.sh" resume "$RABBIT_DIR"
	resumed=1
	back=$(now_ms)
	# Fresh tokens from both publishers: every program reconnected.
	fresh() {
		curl -sf "$REG/services/$1" | jq -e --argjson t "$back" \
			'(.stale | not) and (.instances | length == 1) and all(.instances[]; .lastSeen > $t)'
	}
	wait_for 20000 fresh accountservice >/dev/null || fail "accountservice not back after the outage"
	wait_for 20000 fresh secrets-sidecar >/dev/null || fail "the sidecar not back after the outage"
	pass "a broker that goes away and comes back"

	kill -TERM "$EVENTS_PID" 2>/dev/null || true
	stop_clean "$PUB_PID" publisher
	stop_clean "$ACC_PID" accountservice
	stop_clean "$REG_PID" registry
fi

# --- nothing anywhere ----------------------------------------------------------
files=$(find "$OUT" -type f | wc -l)
hits=$(grep -rlF "${NEEDLES[@]/#/-e}" "$OUT" || true)
if [[ -n "$hits" ]]; then
	for f in $hits; do
		echo "--- $f" >&2
		grep -nF "${NEEDLES[@]/#/-e}" "$f" | head -n 5 >&2
	done
	fail "the password or the secret shows in $(wc -w <<<"$hits") of $files outputs"
fi
pass "neither the password nor the secret in any of $files outputs"
