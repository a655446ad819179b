#!/usr/bin/env bash
# What a new user sees on a usage error, for each program: one line on
# stderr naming the program and what is wrong, "(see --help)" exactly once,
# exit status 2, never a password; and --help on stdout with status 0.
# The programs stop before connecting anywhere.
source "$(dirname "$0")/../lib.sh"

# usage_error PROGRAM WANT [env NAME=VALUE...] [-- ARGS...]: the program's
# stderr is one line that holds WANT and the hint once; it exits 2.
usage_error() {
	local prog=$1 want=$2 rc=0 line
	shift 2
	local envs=()
	while [[ $# -gt 0 && $1 != -- ]]; do envs+=("$1"); shift; done
	[[ $# -gt 0 ]] && shift
	env "${envs[@]}" "$BIN/$prog" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	((rc == 2)) || fail "$prog ${envs[*]} $*: exit $rc, want 2 ($(cat "$TMP/err"))"
	[[ ! -s $TMP/out ]] || fail "$prog $*: wrote to stdout: $(cat "$TMP/out")"
	(($(wc -l <"$TMP/err") == 1)) || fail "$prog $*: not one line: $(cat "$TMP/err")"
	line=$(cat "$TMP/err")
	[[ $line == "$prog: "* ]] || fail "$prog $*: does not start with '$prog: ': $line"
	[[ $line == *"$want"* ]] || fail "$prog $*: '$line' lacks '$want'"
	(($(grep -o '(see --help)' <<<"$line" | wc -l) == 1)) || fail "$prog $*: hint not once: $line"
	[[ $line != *hunter2* ]] || fail "$prog $*: the password is in '$line'"
}

for p in registry accountservice publisher aggregator; do
	usage_error "$p" "unknown option '--bogus'" -- --bogus
	usage_error "$p" "option '--log-level' needs a value" -- --log-level
	usage_error "$p" "'zzz' is not debug, info, warn or error" -- --log-level zzz
	usage_error "$p" "argument 1 is not an option" -- stray
	usage_error "$p" "--port: '99999' is not a port number" -- --port 99999
	usage_error "$p" "AMQP_SERVER_URL: 'http://x' is not an amqp:// or amqps:// URL" \
		AMQP_SERVER_URL=http://x
	usage_error "$p" "'http://u:***@x/' is not an amqp:// or amqps:// URL" \
		AMQP_SERVER_URL=http://u:hunter2@x/
	usage_error "$p" "--amqp-url: 'amqp://u:***@h:99999/' does not parse" \
		-- --amqp-url amqp://u:hunter2@h:99999/
	"$BIN/$p" --help >"$TMP/help" 2>"$TMP/err" || fail "$p --help: exit $?"
	grep -q '^Usage: ' "$TMP/help" && [[ ! -s $TMP/err ]] || fail "$p --help: $(cat "$TMP/err")"
done
# What each program checks after its options.
usage_error accountservice "SERVICE_NAME/--service-name: 'Bad_Name' is not" -- --service-name Bad_Name
usage_error accountservice "ADVERTISE_ADDR '10.0.0.300' is not an IPv4 or IPv6 address" -- --advertise-addr 10.0.0.300
usage_error publisher "SERVICE_NAME/--service-name is required" -- --advertise-addr 10.0.0.1
usage_error publisher "SERVICE_NAME/--service-name: 'Bad_Name' is not" -- --service-name Bad_Name --advertise-addr 10.0.0.1
usage_error publisher "ADVERTISE_ADDR '10.0.0.300' is not an IPv4 or IPv6 address" -- --service-name x --advertise-addr 10.0.0.300
usage_error publisher "cannot announce this instance" -- --service-name x --advertise-addr 10.0.0.1 \
	--instance-id "$(head -c 300 /dev/zero | tr '\0' a)"
usage_error registry "DISCOVERY_EXCHANGE must not be empty" -- --discovery-exchange ''
usage_error accountservice "bad QUOTES_DISCOVERY service name 'Quotes'" QUOTES_DISCOVERY=Quotes
usage_error registry "bad service name 'B' in REGISTRY_LEGACY_OUT_SERVICES" \
	-- --legacy-out-queue turbine --legacy-out-services a,B
usage_error registry "REGISTRY_LEGACY_OUT_QUEUE must not be REGISTRY_LEGACY_QUEUE ('discovery')" \
	-- --legacy-queue discovery --legacy-out-queue discovery
usage_error aggregator "AGGREGATOR_SERVICES: 'Bad!' is not" AGGREGATOR_SERVICES=ok,Bad!
pass "usage errors of registry, accountservice, publisher and aggregator: one line, the reason, (see --help) once, exit 2"
