#!/usr/bin/env bash
# gzip'd listings: a client that sends Accept-Encoding: gzip gets the same
# JSON compressed, with Content-Encoding and Vary; q=0 and identity;q=0 are
# honoured; a change shows in the compressed form at once (it is cached
# beside the plain one and dropped with it); blocking queries answer
# compressed; event streams never are; /metrics counts it all.
source "$(dirname "$0")/registry_helpers.bash"

S=gz$$
start_registry

tok() {
	echo "{\"state\":\"UP\",\"address\":\"10.0.1.$1\",\"port\":6767,\"seq\":1,\"ttl\":120," \
		"\"hostname\":\"host-$1\",\"healthUrl\":\"http://10.0.1.$1:6767/health\"," \
		"\"metadata\":{\"zone\":\"zone-$(($1 % 3))\",\"version\":\"1.2.$1\"}}"
}
for i in $(seq 1 20); do publish "discovery.$S.up" "$(tok "$i")"; done
wait_for 5000 has_count "$S" 20 >/dev/null || fail "20 instances not listed"

# header FILE NAME: the value of header NAME in a curl -D dump.
header() { awk -F': ' -v h="$(tr 'A-Z' 'a-z' <<<"$2")" 'tolower($1) == h { print $2 }' "$1" | tr -d '\r'; }

# get NAME PATH [Accept-Encoding]: the raw body in TMP/NAME.body, headers in
# TMP/NAME.h (curl does not decode: no --compressed).
get() {
	curl -sf -D "$TMP/$1.h" -o "$TMP/$1.body" ${3:+-H "Accept-Encoding: $3"} "$REG$2" ||
		fail "GET $2 failed"
}
is_gzip() { [[ $(head -c 2 "$TMP/$1.body" | od -An -tx1 | tr -d ' ') == 1f8b ]]; }

# ---- the same JSON, compressed, with the right headers ----
get plain "/services/$S"
get gz "/services/$S" gzip
[[ -z $(header "$TMP/plain.h" Content-Encoding) ]] || fail "plain answer has a Content-Encoding"
[[ $(header "$TMP/plain.h" Vary) == Accept-Encoding ]] || fail "plain answer without Vary: Accept-Encoding"
[[ $(header "$TMP/gz.h" Content-Encoding) == gzip ]] || fail "no Content-Encoding: gzip: $(cat "$TMP/gz.h")"
[[ $(header "$TMP/gz.h" Vary) == Accept-Encoding ]] || fail "gzip answer without Vary: Accept-Encoding"
[[ $(header "$TMP/gz.h" Content-Type) == application/json ]] || fail "gzip answer's type"
[[ $(header "$TMP/gz.h" X-Registry-Index) == $(header "$TMP/plain.h" X-Registry-Index) ]] ||
	fail "X-Registry-Index differs between the forms"
is_gzip gz || fail "the body is not gzip"
gunzip -c <"$TMP/gz.body" >"$TMP/gz.json" || fail "the body does not inflate"
cmp -s "$TMP/plain.body" "$TMP/gz.json" || fail "inflated body differs from the plain one"
plain_len=$(stat -c %s "$TMP/plain.body")
gz_len=$(stat -c %s "$TMP/gz.body")
((gz_len < plain_len / 2)) || fail "gzip barely shrank it: $gz_len of $plain_len bytes"
echo "  /services/$S, 20 instances: $plain_len bytes plain, $gz_len gzip'd"
curl -sf --compressed "$REG/services/$S" >"$TMP/c.json" || fail "curl --compressed failed"
cmp -s "$TMP/c.json" "$TMP/plain.body" || fail "curl --compressed does not get the plain JSON"
# HEAD tells the compressed length.
curl -sfI -H 'Accept-Encoding: gzip' "$REG/services/$S" >"$TMP/head.h"
[[ $(header "$TMP/head.h" Content-Encoding) == gzip &&
   $(header "$TMP/head.h" Content-Length) == "$gz_len" ]] || fail "HEAD: $(cat "$TMP/head.h")"
get tplain "/turbine/$S"
get tgz "/turbine/$S" "gzip"
is_gzip tgz && gunzip -c <"$TMP/tgz.body" | cmp -s - "$TMP/tplain.body" ||
	fail "Turbine's listing is not compressed alike"
pass "gzip'd listing: same JSON, Content-Encoding, Vary, index header"

# ---- what the client takes (RFC 9110) ----
get q0 "/services/$S" "gzip;q=0, deflate"
[[ -z $(header "$TMP/q0.h" Content-Encoding) ]] && ! is_gzip q0 || fail "gzip;q=0 got gzip"
get pref "/services/$S" "gzip;q=0.2, identity;q=0.8"
[[ -z $(header "$TMP/pref.h" Content-Encoding) ]] || fail "identity preferred, got gzip"
get star "/services/$S" "br, *;q=0.5"
[[ $(header "$TMP/star.h" Content-Encoding) == gzip ]] || fail "* did not take gzip"
# Repeated lines are one list (RFC 9110, 5.3).
curl -sf -D "$TMP/two.h" -o /dev/null -H 'Accept-Encoding: br' -H 'Accept-Encoding: gzip' "$REG/services/$S"
[[ $(header "$TMP/two.h" Content-Encoding) == gzip ]] || fail "gzip on a second Accept-Encoding line not taken"
curl -sf -D "$TMP/two.h" -o /dev/null -H 'Accept-Encoding: gzip' -H 'Accept-Encoding: gzip;q=0' "$REG/services/$S"
[[ -z $(header "$TMP/two.h" Content-Encoding) ]] || fail "gzip;q=0 on a second line ignored"
get small "/services" "gzip"
[[ -z $(header "$TMP/small.h" Content-Encoding) && $(header "$TMP/small.h" Vary) == Accept-Encoding ]] ||
	fail "a small /services was compressed anyway"
get only "/services" "gzip, identity;q=0"
[[ $(header "$TMP/only.h" Content-Encoding) == gzip ]] && is_gzip only ||
	fail "identity;q=0: small /services not compressed"
gunzip -c <"$TMP/only.body" | jq -e --arg s "$S" '.services | map(.name) | index($s)' >/dev/null ||
	fail "/services compressed is not its JSON"
curl -sfI -H 'Accept-Encoding: gzip' "$REG/events" >"$TMP/events.h" || fail "HEAD /events failed"
[[ -z $(header "$TMP/events.h" Content-Encoding) &&
   $(header "$TMP/events.h" Content-Type) == text/event-stream* ]] || fail "event stream: $(cat "$TMP/events.h")"
pass "q=0, preferences, *, repeated lines, small bodies, identity;q=0, streams plain"

# ---- a change shows in the compressed form at once ----
get before "/services/$S" gzip
before_index=$(header "$TMP/before.h" X-Registry-Index)
publish "discovery.$S.up" "$(tok 21)"
wait_for 5000 has_count "$S" 21 >/dev/null || fail "instance 21 not listed"
get after "/services/$S" gzip
is_gzip after || fail "not compressed after the change"
gunzip -c <"$TMP/after.body" | jq -e '.instances | map(.address) | index("10.0.1.21")' >/dev/null ||
	fail "the cached gzip form was served after a change"
after_index=$(header "$TMP/after.h" X-Registry-Index)
((after_index > before_index)) || fail "index $after_index after $before_index"
[[ $(gunzip -c <"$TMP/after.body" | jq .index) == "$after_index" ]] || fail "body's index"
pass "a change invalidates the cached gzip form"

# ---- a blocking query answers compressed ----
curl -sf -D "$TMP/block.h" -o "$TMP/block.body" -H 'Accept-Encoding: gzip' \
	"$REG/services/$S?index=$after_index&wait=30s" &
BLOCK=$!
STARTED+=("$BLOCK")
wait_for 10000 queries_waiting 1 >/dev/null || fail "the blocking query is not held"
publish "discovery.$S.up" "$(tok 22)"
wait "$BLOCK" || fail "the blocking query failed"
[[ $(header "$TMP/block.h" Content-Encoding) == gzip ]] && is_gzip block ||
	fail "the blocking query's answer is not compressed"
gunzip -c <"$TMP/block.body" | jq -e '.instances | map(.address) | index("10.0.1.22")' >/dev/null ||
	fail "the blocking query's answer lacks the change"
pass "a blocking query answers gzip'd"

# ---- counted ----
answers=$(metric registry_http_gzip_responses_total)
saved=$(metric registry_http_gzip_saved_bytes_total)
((answers >= 8)) || fail "registry_http_gzip_responses_total $answers, want >= 8"
((saved > plain_len - gz_len)) || fail "registry_http_gzip_saved_bytes_total $saved"
echo "  registry_http_gzip_responses_total $answers, registry_http_gzip_saved_bytes_total $saved"
pass "gzip answers and bytes saved in /metrics"
stop_registry
