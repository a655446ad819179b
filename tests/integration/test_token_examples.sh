#!/usr/bin/env bash
# The token examples of docs/token.md, run as a user would: the shell one
# (amqp-publish), the Python one (/usr/bin/python3 with Debian's pika) and
# the Go one (built offline from Debian's amqp091-go), against the real
# broker and a real registry; each instance must appear with its port and
# hostname. Then signed, against a registry that takes only signed tokens.
source "$(dirname "$0")/registry_helpers.bash"
EX=$ROOT/docs/examples
S=tokex$$
command -v go >/dev/null || fail "go is missing (scripts/deps.sh installs golang-go)"
[[ -d /usr/share/gocode/src/github.com/rabbitmq/amqp091-go ]] ||
	fail "amqp091-go is missing (scripts/deps.sh installs golang-github-rabbitmq-amqp091-go-dev)"
/usr/bin/python3 -c 'import pika' || fail "pika is missing (scripts/deps.sh installs python3-pika)"

# As docs/token.md says to build it: modules off, Debian's GOPATH.
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$TMP/gocache \
	go build -o "$TMP/publish_token" "$EX/publish_token.go" >"$TMP/go-build.log" 2>&1 ||
	fail "go build of publish_token.go: $(cat "$TMP/go-build.log")"

# run_example LANG SERVICE ADDRESS: runs that example once (port 7000+last byte).
run_example() {
	local port=$((7000 + ${3##*.}))
	case $1 in
	sh) "$EX/publish_token.sh" "$2" "$3" "$port" ;;
	py) /usr/bin/python3 "$EX/publish_token.py" "$2" "$3" "$port" ;;
	go) "$TMP/publish_token" "$2" "$3" "$port" ;;
	esac >>"$TMP/examples.log" 2>&1 || fail "the $1 example failed: $(tail -5 "$TMP/examples.log")"
}

# listed SERVICE ADDRESS: the registry lists ADDRESS with its port and hostname.
listed() {
	curl -sf "$REG/services/$1" | jq -e --arg a "$2" --argjson p $((7000 + ${2##*.})) --arg h "$(hostname)" \
		'.instances | any(.address == $a and .port == $p and .hostname == $h and .state == "UP" and .instanceId == "\($a):\($p)")'
}

start_registry
n=1
for lang in sh py go; do
	run_example $lang "$S-$lang" "10.9.0.$n"
	ms=$(wait_for 10000 listed "$S-$lang" "10.9.0.$n") || fail "the $lang example's instance is not listed"
	echo "$lang example: listed after $ms ms"
	n=$((n + 1))
done
pass "the shell, Python and Go examples announce an instance the registry lists"
stop_registry

secret=example-secret-$$
start_registry --discovery-secret "$secret"
for lang in sh py go; do
	DISCOVERY_SECRET=$secret run_example $lang "$S-signed-$lang" "10.9.1.$n"
	wait_for 10000 listed "$S-signed-$lang" "10.9.1.$n" >/dev/null ||
		fail "the $lang example's signed token is not listed"
	n=$((n + 1))
done
# And the registry really checks: a token signed with another key is refused.
before=$(metric 'registry_tokens_rejected_total{reason="bad_signature"}')
DISCOVERY_SECRET=wrong-$secret run_example sh "$S-forged" "10.9.2.1"
wait_for 10000 metric_at_least 'registry_tokens_rejected_total{reason="bad_signature"}' $((${before:-0} + 1)) >/dev/null ||
	fail "a token signed with another key was not rejected"
[[ $(count "$S-forged") == 0 ]] || fail "a token signed with another key is listed"
pass "signed with DISCOVERY_SECRET, each example's token is accepted; another key's is rejected"
stop_registry
