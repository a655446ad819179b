#!/usr/bin/env bash
# The dashboard at GET / in a real browser: Debian's Chromium, headless,
# driven over the DevTools protocol by tests/integration/cdp.py. The files
# come with their types, ETags (304 on revalidation) and a strict
# Content-Security-Policy; the page makes no outside request, shows an
# accountservice join and leave, counts its expiry down (kept fresh past
# its ttl by the renewals), shows an update and an expiry in place and in
# the timeline, keeps a token's HTML as text, filters, shows
# the reconnecting state while the registry restarts and recovers by
# itself, and shows 1,000 instances published at once. Screenshots go to
# $BUILD/test-output/dashboard/.
source "$(dirname "$0")/registry_helpers.bash"

command -v chromium >/dev/null || fail "needs chromium (scripts/deps.sh)"
/usr/bin/python3 -c 'import websocket' 2>/dev/null || fail "needs python3-websocket (scripts/deps.sh)"
OUT=$BUILD/test-output/dashboard
rm -rf "$OUT"
mkdir -p "$OUT"
S=dash$$ # services of this run, so nothing else interferes

start_registry
REG_PORT=${REG##*:}

# ---- the files over HTTP ----
# header NAME: the value of header NAME in TMP/headers.
header() { awk -v k="$1" -F': ' 'tolower($1) == k { sub(/\r$/, "", $2); print $2 }' "$TMP/headers"; }
declare -A types=([/]="text/html; charset=utf-8" [/dashboard/app.js]="text/javascript; charset=utf-8"
	[/dashboard/style.css]="text/css; charset=utf-8" [/dashboard/favicon.svg]="image/svg+xml")
for path in "${!types[@]}"; do
	code=$(curl -s -D "$TMP/headers" -o /dev/null -w '%{http_code}' "$REG$path")
	[[ $code == 200 && $(header content-type) == "${types[$path]}" ]] ||
		fail "$path: HTTP $code, Content-Type '$(header content-type)'"
	[[ $(header content-security-policy) == "default-src 'self';"* ]] ||
		fail "$path: Content-Security-Policy '$(header content-security-policy)'"
	[[ $(header cache-control) == no-cache && $(header x-content-type-options) == nosniff ]] ||
		fail "$path: Cache-Control '$(header cache-control)'"
	etag=$(header etag)
	[[ $etag == '"'*'"' ]] || fail "$path: ETag '$etag'"
	code=$(curl -s -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}' -H "If-None-Match: $etag" "$REG$path")
	[[ $code == 304 && ! -s "$TMP/body" && $(header etag) == "$etag" ]] ||
		fail "$path revalidated with its ETag: HTTP $code, $(wc -c <"$TMP/body") bytes"
done
pass "the page and its files: types, strict CSP, ETag and 304"

# ---- the browser ----
PROFILE=$TMP/chromium
# Loopback only: no proxy, and no name but 127.0.0.1 resolves, so nothing
# the browser might try on its own (the flags turn most of it off) leaves
# the machine. Its crash handler writes under XDG_CONFIG_HOME: TMP, not
# the home folder. In a process group of its own (setsid), so that the end
# of the test can wait for every helper process, which may still write to
# the profile a moment after the browser exits.
XDG_CONFIG_HOME=$TMP/xdg-config XDG_CACHE_HOME=$TMP/xdg-cache setsid chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --no-default-browser-check \
	--no-proxy-server --host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1' \
	--user-data-dir="$PROFILE" --remote-debugging-port=0 --window-size=1280,800 \
	about:blank >"$TMP/chromium.log" 2>&1 &
CHROME=$!
# Whether nothing of the browser's session runs any more (zombies aside).
chromium_gone() { ! ps -s "$CHROME" -o stat= | grep -qv '^Z'; }
stop_chromium() {
	kill -TERM "$CHROME" 2>/dev/null || return 0
	wait_for 10000 chromium_gone >/dev/null || kill -KILL -- "-$CHROME" 2>/dev/null || true
	wait "$CHROME" 2>/dev/null || true
}
trap 'stop_chromium; cleanup' EXIT
wait_for 30000 test -s "$PROFILE/DevToolsActivePort" >/dev/null || fail "chromium did not start"
cdp() { /usr/bin/python3 "$ROOT/tests/integration/cdp.py" "$PROFILE" "$@"; }
# page_wait TIMEOUT_MS EXPRESSION WHAT: until EXPRESSION holds in the page,
# else fail with WHAT; the milliseconds it took in WAITED.
page_wait() { WAITED=$(cdp wait "$1" "$2") || fail "$3"; }
# The page's rows by service and instanceId, as the test reads them.
HELPERS='window.t = {
	section: (s) => [...document.querySelectorAll("#services section.service")]
		.find((x) => x.dataset.service === s),
	rows: (s) => { const x = t.section(s); return x ? x.querySelectorAll(".body .row").length : 0; },
	row: (s, id) => { const x = t.section(s);
		return x ? [...x.querySelectorAll(".body .row")].find((r) => r.dataset.instance === id) : null; },
	cell: (s, id, i) => { const r = t.row(s, id); return r ? r.children[i].textContent : null; },
	conn: () => document.getElementById("conn").dataset.conn,
	logged: (...words) => [...document.querySelectorAll("#timeline li")]
		.some((li) => words.every((w) => li.textContent.includes(w))),
	log: () => [...document.querySelectorAll("#timeline li")].slice(0, 5).map((li) => li.textContent),
}; true'
cdp open "$REG/" || fail "the page did not load"
cdp eval "$HELPERS" >/dev/null
page_wait 10000 't.conn() === "live" && document.getElementById("h-amqp").textContent === "connected"' \
	"the page is not live with the registry connected"
echo "page live $WAITED ms after it loaded"

# ---- an accountservice joins ----
ACCT=$S-acct
APORT=$(free_port)
"$BIN/accountservice" --port "$APORT" --service-name "$ACCT" --advertise-addr 127.0.0.1 \
	--db-path "$TMP/accounts.db" --quotes-url "http://127.0.0.1:$APORT/none" \
	--discovery-interval 2 >"$TMP/accountservice.log" 2>&1 &
ACCT_PID=$!
STARTED+=("$ACCT_PID")
t0=$(now_ms)
page_wait 10000 "t.rows('$ACCT') === 1" "the accountservice is not shown"
echo "accountservice shown $(($(now_ms) - t0)) ms after its start"
AID=$(curl -sf "$REG/services/$ACCT" | jq -r '.instances[0].instanceId')
row=$(cdp eval "[...t.row('$ACCT', '$AID').children].map((c) => c.textContent)")
jq -e --arg port "$APORT" '.[1] == "127.0.0.1" and .[2] == $port and .[3] == "UP" and .[4] != ""
	and (.[6] | test("^[0-9]+ s$")) and (.[7] | test("^[0-9]+\\.[0-9] s$"))' <<<"$row" >/dev/null ||
	fail "the accountservice's row: $row"
first=$(jq -r '.[7]' <<<"$row")
page_wait 3000 "t.cell('$ACCT', '$AID', 7) !== '$first'" "the expiry does not count down"
pass "an accountservice joins: address, port, state, hostname, age and a live countdown ($row)"

# ---- a token's HTML stays text ----
XSS=$S-x
IMG='<img src=x onerror=window.pwned=1>'
publish "discovery.$XSS.up" "{\"state\":\"UP\",\"address\":\"10.0.9.1\",\"port\":80,\"instanceId\":\"xss-1\",
	\"hostname\":\"$IMG\",\"ttl\":60,\"metadata\":{\"note\":\"<script>window.pwned=2</script>\"}}"
page_wait 5000 "t.rows('$XSS') === 1" "the token with HTML is not shown"
[[ $(cdp eval "t.cell('$XSS', 'xss-1', 4)") == "$(jq -n --arg s "$IMG" '$s')" ]] ||
	fail "the hostname is not shown as text: $(cdp eval "t.row('$XSS', 'xss-1').innerHTML")"
[[ $(cdp eval "t.cell('$XSS', 'xss-1', 5)") == '"note=<script>window.pwned=2</script>"' ]] ||
	fail "the metadata is not shown as text: $(cdp eval "t.cell('$XSS', 'xss-1', 5)")"

# ---- an update and an expiry in the timeline ----
publish "discovery.$XSS.out_of_service" "{\"state\":\"OUT_OF_SERVICE\",\"address\":\"10.0.9.1\",\"port\":80,
	\"instanceId\":\"xss-1\",\"hostname\":\"$IMG\",\"ttl\":60,\"metadata\":{\"note\":\"<script>window.pwned=2</script>\"}}"
page_wait 5000 "t.cell('$XSS', 'xss-1', 3) === 'OUT_OF_SERVICE' && t.logged('update', 'xss-1')" \
	"the update is not shown: $(cdp eval "[t.cell('$XSS', 'xss-1', 3), t.log()]")"
publish "discovery.$S-exp.up" '{"state":"UP","address":"10.0.9.4","port":81,"ttl":1}'
page_wait 10000 "t.logged('expire', '$S-exp', '(expired)') && t.rows('$S-exp') === 0" \
	"the expiry is not shown: $(cdp eval 't.log()')"
pass "an update changes its row in place, an expiry leaves with its reason, both in the timeline"

# ---- the filter ----
filter() { cdp eval "{ const f = document.getElementById('filter'); f.value = '$1';
	f.dispatchEvent(new Event('input')); } true" >/dev/null; }
shown() { echo "!t.section('$1').hidden"; }
filter "$XSS"
page_wait 3000 "$(shown "$XSS") && !$(shown "$ACCT")" "the filter did not hide the other service"
filter "10.0.9.1 out_of_service"
page_wait 3000 "$(shown "$XSS") && !$(shown "$ACCT")" "a filter of two words did not match the address and the state"
filter "zz-nothing"
page_wait 3000 "!$(shown "$XSS") && !$(shown "$ACCT")" "a filter matching nothing still shows services"
filter ""
page_wait 3000 "$(shown "$XSS") && $(shown "$ACCT")" "the empty filter does not show every service"
pass "the filter hides what does not match, by service, address and state"

publish "discovery.$XSS.down" "{\"state\":\"DOWN\",\"address\":\"10.0.9.1\",\"port\":80,\"instanceId\":\"xss-1\",
	\"reason\":\"$IMG\"}"
page_wait 5000 "t.rows('$XSS') === 0 && t.logged('leave', 'xss-1', '($IMG)')" \
	"the leave with an HTML reason is not in the timeline as text: $(cdp eval 't.log()')"
bad=$(cdp eval '[document.querySelectorAll("img, script:not([src])").length, window.pwned, window.__problems]')
[[ $bad == '[0,null,[]]' ]] || fail "the page took a token's text as HTML (elements, pwned, problems): $bad"
pass "a hostname, metadata and a reason holding HTML are shown as text; nothing ran, no CSP violation"

# ---- renewals keep the countdown fresh past the ttl, then a leave ----
# The join's expiresAt alone would be overdue after 6 s (ttl 3 intervals).
page_wait 20000 "parseInt(t.cell('$ACCT', '$AID', 6)) >= 8 && parseFloat(t.cell('$ACCT', '$AID', 7)) > 0" \
	"the expiry was not refreshed past the ttl: age $(cdp eval "t.cell('$ACCT', '$AID', 6)"), expires $(cdp eval "t.cell('$ACCT', '$AID', 7)")"
cdp shot "$OUT/dashboard.png" || fail "no screenshot"
stop_clean "$ACCT_PID" accountservice
page_wait 5000 "t.rows('$ACCT') === 0 && t.logged('leave', '$ACCT', '(down)')" \
	"the accountservice's leave is not shown: $(cdp eval 't.log()')"
echo "accountservice gone from the page $WAITED ms after its exit"
pass "renewals keep the countdown above 0 past the ttl; a stopped accountservice leaves the page"

# ---- the registry restarts: reconnecting shown, then live again ----
KEEP=$S-keep
start_publisher "$KEEP" 10.0.9.2 --discovery-interval 1
publish "discovery.$S-gone.up" '{"state":"UP","address":"10.0.9.3","ttl":60}'
page_wait 5000 "t.rows('$KEEP') === 1 && t.rows('$S-gone') === 1" "the instances before the restart are not shown"
stop_registry
page_wait 15000 't.conn() === "reconnecting" && document.body.classList.contains("offline") &&
	document.getElementById("conn").textContent.startsWith("reconnecting") &&
	document.getElementById("h-amqp").textContent === "unreachable"' \
	"no reconnecting state shown: $(cdp eval '[t.conn(), document.getElementById("h-amqp").textContent]')"
cdp shot "$OUT/reconnecting.png" || fail "no screenshot"
"$BIN/registry" --port "$REG_PORT" >>"$TMP/registry.log" 2>&1 &
REG_PID=$!
STARTED+=("$REG_PID")
t0=$(now_ms)
wait_for 10000 registry_up >/dev/null || true
registry_connected >/dev/null || fail "the registry did not start again on port $REG_PORT"
page_wait 20000 "t.conn() === 'live' && t.rows('$KEEP') === 1 && t.rows('$S-gone') === 0" \
	"the page did not recover by itself: $(cdp eval "[t.conn(), t.rows('$KEEP'), t.rows('$S-gone')]")"
echo "page live again, from the new registry's snapshot, $(($(now_ms) - t0)) ms after its start"
pass "restarted registry: reconnecting shown, then live, and the snapshot replaced what the page held"

# ---- 1,000 instances ----
BULK=$S-bulk
for ((i = 0; i < 1000; i++)); do
	printf '{"state":"UP","address":"10.1.%d.%d","port":8080,"instanceId":"bulk-%04d","hostname":"bulk-%04d","ttl":120,"metadata":{"zone":"z%d"}}\n' \
		$((i / 250)) $((i % 250)) "$i" "$i" $((i % 3))
done >"$TMP/bulk.txt"
# The longest the page's main thread is kept from a 50 ms timer: printed.
cdp eval 'window.stall = 0; let last = performance.now();
	setInterval(() => { const n = performance.now(); stall = Math.max(stall, n - last - 50); last = n; }, 50);
	true' >/dev/null
t0=$(now_ms)
amqp-publish -u "$AMQP_URL" -e discovery -r "discovery.$BULK.up" -C application/json -l <"$TMP/bulk.txt" ||
	fail "amqp-publish of the 1,000 tokens failed"
page_wait 30000 "t.rows('$BULK') === 1000" "the page does not show the 1,000 instances: $(cdp eval "t.rows('$BULK')")"
echo "1,000 instances shown $(($(now_ms) - t0)) ms after the first was published;" \
	"longest main-thread stall $(cdp eval 'Math.round(stall)') ms"
filter "bulk-0999"
page_wait 5000 "t.section('$BULK').querySelectorAll('.body .row:not([hidden])').length === 1" \
	"the filter over 1,000 rows does not leave one"
filter ""
page_wait 5000 "t.section('$BULK').querySelectorAll('.body .row:not([hidden])').length === 1000" \
	"the empty filter does not show the 1,000 rows again"
cdp shot "$OUT/dashboard-1000.png" || fail "no screenshot"
# A new page gets the 1,000 in its snapshot.
t0=$(now_ms)
cdp open "$REG/" || fail "the page did not load again"
cdp eval "$HELPERS" >/dev/null
page_wait 30000 "t.rows('$BULK') === 1000 && t.conn() === 'live'" \
	"a new page does not show the 1,000 instances: $(cdp eval "t.rows('$BULK')")"
echo "a new page shows the 1,000 instances $(($(now_ms) - t0)) ms after it was opened"
pass "1,000 instances shown as they join and from a snapshot, and filtered"

# Everything the page loaded came from the registry; nothing went wrong in it.
bad=$(cdp eval 'performance.getEntriesByType("resource").map((e) => e.name)
	.filter((u) => !u.startsWith(location.origin + "/"))')
[[ $bad == '[]' ]] || fail "the page made requests elsewhere: $bad"
bad=$(cdp eval 'window.__problems')
[[ $bad == '[]' ]] || fail "the page had problems: $bad"
pass "no request but to the registry, no error or CSP violation in the page; screenshots in $OUT"
