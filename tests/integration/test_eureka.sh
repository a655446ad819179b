#!/usr/bin/env bash
# Eureka's read API and Prometheus' targets over real HTTP, fed by real
# tokens: content negotiation as Eureka does it (JSON when Accept names
# it, XML otherwise), the XML well-formed and carrying what the JSON
# carries, one application in any case, 404 and 405 as JSON errors, the
# delta listing a departure as DELETED. The documents themselves are
# checked field by field in tests/unit/test_reureka.c.
source "$(dirname "$0")/registry_helpers.bash"

S=eur$$
APP=${S^^}
start_registry

tok() {
	echo "{\"state\":\"$1\",\"address\":\"10.0.0.$2\",\"port\":6767,\"instanceId\":\"$S-$2\",\"ttl\":30,\"metadata\":{\"zone\":\"z<$2>\"}}"
}
publish "discovery.$S.up" "$(tok UP 1)"
publish "discovery.$S.up" "$(tok UP 2)"
wait_for 10000 has_count "$S" 2 >/dev/null || fail "tokens not listed"

# ---- negotiation and the two forms ----
curl -sf -D "$TMP/h.json" -H 'Accept: application/json' "$REG/eureka/apps/$APP" >"$TMP/app.json"
grep -qi '^Content-Type: application/json' "$TMP/h.json" || fail "JSON content type"
grep -qi '^X-Registry-Index: [1-9]' "$TMP/h.json" || fail "no X-Registry-Index"
curl -sf -D "$TMP/h.xml" "$REG/eureka/apps/${S}" >"$TMP/app.xml"
grep -qi '^Content-Type: application/xml' "$TMP/h.xml" || fail "XML content type"
jq -e --arg app "$APP" '.application.name == $app and (.application.instance | length) == 2
	and .application.instance[0].port == {"$": 6767, "@enabled": "true"}
	and .application.instance[0].metadata.zone == "z<1>"' "$TMP/app.json" >/dev/null ||
	fail "JSON: $(cat "$TMP/app.json")"
# The XML parses and says the same as the JSON.
python3 - "$TMP/app.xml" "$TMP/app.json" <<'PY' || fail "XML: $(cat "$TMP/app.xml")"
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
doc = json.load(open(sys.argv[2]))["application"]
assert root.tag == "application" and root.findtext("name") == doc["name"]
xs, js = root.findall("instance"), doc["instance"]
assert len(xs) == len(js) == 2
for x, j in zip(xs, js):
    for f in ("instanceId", "hostName", "app", "ipAddr", "status", "vipAddress",
              "lastUpdatedTimestamp", "actionType"):
        assert x.findtext(f) == j[f], f
    assert x.findtext("overriddenstatus") == j["overriddenStatus"]
    assert x.find("port").text == str(j["port"]["$"]) and x.find("port").get("enabled") == "true"
    assert x.find("leaseInfo").findtext("registrationTimestamp") == str(j["leaseInfo"]["registrationTimestamp"])
    assert x.find("metadata").findtext("zone") == j["metadata"]["zone"]
    assert x.find("dataCenterInfo").get("class").endswith("$DefaultDataCenterInfo")
PY
curl -sf "$REG/eureka/apps" | python3 -c 'import sys, xml.etree.ElementTree as ET; r = ET.parse(sys.stdin).getroot(); assert r.tag == "applications" and r.findtext("versions__delta") == "1"' ||
	fail "the XML listing"
pass "JSON with Accept: application/json, XML otherwise, the same fields"

# ---- errors ----
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$REG/eureka/apps/NOSUCH$S")
[[ $code == 404 ]] && jq -e '.error' "$TMP/body" >/dev/null || fail "unknown app: $code"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$REG/eureka/apps/$APP/$S-1")
[[ $code == 404 ]] || fail "instance lookup: $code"
code=$(curl -s -D "$TMP/h" -o "$TMP/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-d '{"instance":{}}' "$REG/eureka/apps/$APP")
[[ $code == 405 ]] && jq -e '.error' "$TMP/body" >/dev/null && grep -qi '^Allow: GET' "$TMP/h" ||
	fail "register: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$REG/eureka/apps/$APP/$S-1")
[[ $code == 405 ]] || fail "heartbeat: $code"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$REG/prometheus/targets?state=SLEEPING")
[[ $code == 400 ]] && jq -e '.error' "$TMP/body" >/dev/null || fail "bad state: $code"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$REG/prometheus/targets?service=Bad")
[[ $code == 400 ]] && jq -e '.error' "$TMP/body" >/dev/null || fail "bad service: $code"
curl -sf -D "$TMP/h" "$REG/prometheus/targets?service=$S&state=UP" >"$TMP/targets"
grep -qi '^Content-Type: application/json' "$TMP/h" || fail "targets content type"
jq -e 'length == 2 and .[0].targets == ["10.0.0.1:6767"]' "$TMP/targets" >/dev/null ||
	fail "targets: $(cat "$TMP/targets")"
pass "404, 405 (read-only) and 400 as JSON errors"

# ---- the delta ----
departed() {
	curl -sf -H 'Accept: application/json' "$REG/eureka/apps/delta" |
		jq -e --arg app "$APP" --arg id "$S-2" '.applications.application[] | select(.name == $app)
			| .instance[] | select(.instanceId == $id and .actionType == "DELETED")
			| .leaseInfo.evictionTimestamp > 0'
}
publish "discovery.$S.down" "$(tok DOWN 2)"
wait_for 10000 departed >/dev/null || fail "delta: $(curl -s -H 'Accept: application/json' "$REG/eureka/apps/delta")"
[[ $(metric registry_departures) -ge 1 ]] || fail "registry_departures not counted"
curl -sf -H 'Accept: application/json' "$REG/eureka/apps" |
	jq -e --arg app "$APP" '[.applications.application[] | select(.name == $app) | .instance[]] | length == 1' \
		>/dev/null || fail "the departed one is still listed"
pass "the delta lists a departure as DELETED with its eviction time"
stop_registry
