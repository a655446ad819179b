#!/usr/bin/env bash
# The soak (make soak, minutes, not in CI): SOAK_SECONDS (600) of measured
# phase after a warm-up, on a private broker, with
#   - tokens of 10,000 simulated instances renewing every 2 s (5,000/s,
#     bench/flood.c on one connection, answering discovery.sync),
#   - wrk on the registry's routes and on the accountservice's
#     /accounts/{id} (quotes from the tests/quotes stand-in), in slices so
#     that 5xx can be told apart by time (bench/soak.lua),
#   - a full broker restart (scripts/rabbitmq.sh restart: same ports, same
#     data) every SOAK_RESTART_EVERY (120 s),
#   - one memory alarm of SOAK_ALARM_SECONDS (20 s) at SOAK_ALARM_AT,
#   - a SIGKILL of a random real accountservice every SOAK_KILL_EVERY
#     (45 s), each replaced by a new one on another port,
#   - the resident memory of every program sampled every 5 s.
# Then it checks: no crash (every program alive, exit 0 on SIGTERM), no 5xx
# from the registry outside the alarm (and one ttl after), resident memory
# of every program within 10 % of the start of the measured phase, every
# live instance listed, every killed one gone; prints a table of figures
# (also written as Markdown to $BUILD/soak/table.md for docs/reliability.md,
# with the logs) and exits 1 if a check failed.
#
#   make soak SOAK_SECONDS=120          (SOAK_INSTANCES=10000 SOAK_ACCOUNTS=4)
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../tests/lib.sh"
SECONDS_TOTAL=${SOAK_SECONDS:-600}
INSTANCES=${SOAK_INSTANCES:-10000}
SERVICES=10
ACCOUNTS=${SOAK_ACCOUNTS:-4}
RESTART_EVERY=${SOAK_RESTART_EVERY:-120}
ALARM_SECONDS=${SOAK_ALARM_SECONDS:-20}
# Between the first two restarts in a full run, a third in on a short one.
ALARM_AT=${SOAK_ALARM_AT:-$((SECONDS_TOTAL >= 300 ? 180 : SECONDS_TOTAL / 3))}
KILL_EVERY=${SOAK_KILL_EVERY:-45}
WARMUP=${SOAK_WARMUP:-20}
SLICE=${SOAK_WRK_SLICE:-10}
WRK_CONNS=${SOAK_WRK_CONNS:-4}
WRK_DELAY_MS=${SOAK_WRK_DELAY_MS:-10}
TTL=6 # 3 intervals of 2 s, the tokens' ttl
OUT=$BUILD/soak

# Always the soak's own node, whatever AMQP_SERVER_URL says: it restarts it.
unset AMQP_SERVER_URL
use_broker own
mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT"/*.txt "$OUT"/table.md
alarm_off() {
	[[ -z "${OWN_RABBIT:-}" ]] ||
		"$ROOT/scripts/rabbitmq.sh" ctl "$OWN_RABBIT" set_vm_memory_high_watermark 0.4 \
			>/dev/null 2>&1 || true
}
save_logs() { cp "$TMP"/*.log "$TMP"/*.txt "$OUT/" 2>/dev/null || true; }
trap 'save_logs; cleanup' EXIT
ulimit -n "$(ulimit -Hn)"

# Seconds since the start of the measured phase (negative in the warm-up).
T0=$(now_ms)
t_now() { echo $((($(now_ms) - T0) / 1000)); }
note() { echo "[$(t_now) s] $*" | tee -a "$TMP/events.txt"; }
# The programs whose memory is sampled: "pid name start-second".
watch_proc() { echo "$1 $2 $(t_now)" >>"$TMP/procs.txt"; }
: >"$TMP/procs.txt"

# --- the programs ------------------------------------------------------------
REG_PORT=$(free_port)
REG=http://127.0.0.1:$REG_PORT
"$BIN/registry" --port "$REG_PORT" --log-level warn 2>"$TMP/registry.log" &
REG_PID=$!
STARTED+=("$REG_PID")
wait_http "$REG/health"
watch_proc "$REG_PID" registry

start_quotes quotes
QUOTES_PID=${STARTED[-1]}
QUOTES_URL="http://127.0.0.1:$PORT/api/quote?strength=4"
watch_proc "$QUOTES_PID" quotes-standin

# start_account N: accountservice N on a free port; fills ACCT_PID[N] and
# ACCT_PORT[N] and waits until it serves.
ACCT_PID=() ACCT_PORT=() LIVE=() KILLED=()
start_account() {
	local n=$1 port
	port=$(free_port)
	DISCOVERY_INTERVAL=2 "$BIN/accountservice" --port "$port" --db-path "$TMP/acct-$n.db" \
		--advertise-addr 127.0.0.1 --quotes-url "$QUOTES_URL" --log-level warn \
		2>"$TMP/accountservice-$n.log" &
	ACCT_PID[n]=$!
	ACCT_PORT[n]=$port
	STARTED+=("${ACCT_PID[n]}")
	LIVE+=("$n")
	wait_http "http://127.0.0.1:$port/health"
	watch_proc "${ACCT_PID[n]}" "accountservice-$n"
}
for ((n = 0; n < ACCOUNTS; n++)); do start_account "$n"; done
NEXT_ACCOUNT=$ACCOUNTS

"$BUILD/bench/flood" --amqp-url "$AMQP_SERVER_URL" --instances "$INSTANCES" \
	--services "$SERVICES" >"$TMP/tokens.txt" 2>"$TMP/flood.log" &
SIM_PID=$!
STARTED+=("$SIM_PID")
watch_proc "$SIM_PID" flood

# The simulated instances the registry lists, and its accountservice ids.
sim_listed() {
	curl -sf -m 5 "$REG/services" |
		jq '[.services[] | select(.name | startswith("sim")) | .up] | add // 0'
}
all_sim_listed() { [[ $(sim_listed) == "$INSTANCES" ]]; }
took=$(wait_for 60000 all_sim_listed) || fail "the registry lists $(sim_listed) of $INSTANCES simulated instances"
echo "all $INSTANCES simulated instances listed in $took ms"

# The measured phase starts after WARMUP seconds of load; times are
# counted from it. Programs started so far count from that start.
T0=$(($(now_ms) + WARMUP * 1000))
awk -v s="-$WARMUP" '{ print $1, $2, s }' "$TMP/procs.txt" >"$TMP/procs.new"
mv "$TMP/procs.new" "$TMP/procs.txt"

# --- load: wrk in slices ------------------------------------------------------
# wrk_loop NAME URL PATHS...: slices of SLICE seconds until the end, each
# one line "start end soak requests=… ok=… 4xx=… 5xx=… sockerr=… p99_ms=…"
# in TMP/wrk-NAME.txt.
wrk_loop() {
	local name=$1 url=$2 start line
	shift 2
	while (($(t_now) < SECONDS_TOTAL)); do
		start=$(t_now)
		line=$(wrk -t1 -c"$WRK_CONNS" -d"${SLICE}s" --timeout 5s -s "$ROOT/bench/soak.lua" \
			"$url" -- "$WRK_DELAY_MS" "$@" 2>&1 | awk '$1 == "soak"')
		[[ -n "$line" ]] || line="soak requests=0 ok=0 4xx=0 5xx=0 sockerr=0 p99_ms=0"
		echo "$start $(t_now) $line" >>"$TMP/wrk-$name.txt"
	done
}
: >"$TMP/wrk-registry.txt"
: >"$TMP/wrk-accountservice.txt"
# The read routes, the big listings (1,000 instances each) included, and a
# blocking query whose index has passed (answered at once).
wrk_loop registry "$REG" /services /services/accountservice "/services/sim1?state=UP" \
	/turbine/accountservice "/services/accountservice?state=UP" /services/sim2 /health \
	/metrics "/services/sim3?index=1&wait=2s" &
WRK_REG=$!
STARTED+=("$WRK_REG")
accounts=()
for ((i = 0; i < 100; i++)); do accounts+=("/accounts/$((10000 + i))"); done
# Account 0 is never killed: it takes the load.
wrk_loop accountservice "http://127.0.0.1:${ACCT_PORT[0]}" "${accounts[@]}" &
WRK_ACCT=$!
STARTED+=("$WRK_ACCT")

# --- samplers -----------------------------------------------------------------
# Every 5 s: "second pid name start-second VmRSS-kB" per watched program.
sample_rss() {
	local pid name start kb
	while :; do
		while read -r pid name start; do
			kb=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || continue
			[[ -n "$kb" ]] && echo "$(t_now) $pid $name $start $kb"
		done <"$TMP/procs.txt"
		sleep 5
	done >>"$TMP/rss.txt"
}
# Every second: "second http-code amqp-state instances tokens-received
# expiries" of the registry.
sample_health() {
	local body code counters
	while :; do
		body=$(curl -s -m 2 -w '\n%{http_code}' "$REG/health" 2>/dev/null) || true
		code=${body##*$'\n'}
		counters=$(curl -s -m 2 "$REG/metrics" | awk '$1 == "registry_tokens_received_total" { r = $2 }
			$1 == "registry_expiries_total" { e = $2 } END { print r + 0, e + 0 }')
		echo "$(t_now) ${code:-000} $(jq -r '"\(.amqp) \(.instances)"' <<<"${body%$'\n'*}" 2>/dev/null || echo "? ?") $counters"
		sleep 1
	done >>"$TMP/health.txt"
}

echo "warm-up: ${WARMUP} s under load"
: >"$TMP/rss.txt"
: >"$TMP/health.txt"
sleep "$WARMUP"
sample_rss &
STARTED+=($!)
sample_health &
STARTED+=($!)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
note "measured phase: ${SECONDS_TOTAL} s, restarts every ${RESTART_EVERY} s, alarm at ${ALARM_AT} s for ${ALARM_SECONDS} s, a kill every ${KILL_EVERY} s"

# --- the scenarios ------------------------------------------------------------
RESTARTS=() # seconds each restart took
ALARM_ON=-1 ALARM_OFF=-1
next_restart=$RESTART_EVERY
next_kill=$KILL_EVERY
kill_one() {
	local i pick n
	((${#LIVE[@]} > 1)) || return 0
	# Any live one but account 0, which carries the wrk load.
	i=$((1 + RANDOM % (${#LIVE[@]} - 1)))
	n=${LIVE[i]}
	kill -KILL "${ACCT_PID[n]}"
	wait "${ACCT_PID[n]}" 2>/dev/null || true
	KILLED+=("$n")
	LIVE=("${LIVE[@]:0:i}" "${LIVE[@]:i+1}")
	note "SIGKILL accountservice-$n (127.0.0.1:${ACCT_PORT[n]})"
	pick=$NEXT_ACCOUNT
	NEXT_ACCOUNT=$((NEXT_ACCOUNT + 1))
	start_account "$pick"
	note "started accountservice-$pick (127.0.0.1:${ACCT_PORT[pick]})"
}
while (($(t_now) < SECONDS_TOTAL)); do
	t=$(t_now)
	if ((ALARM_ON < 0 && t >= ALARM_AT)); then
		"$ROOT/scripts/rabbitmq.sh" ctl "$OWN_RABBIT" set_vm_memory_high_watermark absolute 1MB >/dev/null
		ALARM_ON=$(t_now)
		note "memory alarm on"
	elif ((ALARM_ON >= 0 && ALARM_OFF < 0 && t >= ALARM_ON + ALARM_SECONDS)); then
		alarm_off
		ALARM_OFF=$(t_now)
		note "memory alarm off"
	elif ((t >= next_restart && t < SECONDS_TOTAL - 2 * TTL)) && ((ALARM_ON < 0 || ALARM_OFF >= 0)); then
		note "broker restart"
		start=$(now_ms)
		"$ROOT/scripts/rabbitmq.sh" restart "$OWN_RABBIT" || fail "the broker did not come back"
		RESTARTS+=("$((($(now_ms) - start) / 100))")
		note "broker back after $((($(now_ms) - start) / 1000)) s"
		next_restart=$((next_restart + RESTART_EVERY))
	elif ((t >= next_kill && t < SECONDS_TOTAL - 2 * TTL)); then
		kill_one
		next_kill=$((next_kill + KILL_EVERY))
	fi
	sleep 1
done
note "measured phase over"
wait "$WRK_REG" "$WRK_ACCT" 2>/dev/null || true

# --- checks -------------------------------------------------------------------
FAILED=0
ROWS=()
# row SCENARIO FIGURES RESULT
row() { ROWS+=("| $1 | $2 | $3 |"); [[ $3 != FAIL* ]] || FAILED=1; }
verdict() { if "$@"; then echo PASS; else echo FAIL; fi; }

acct_ids() { curl -sf -m 5 "$REG/services/accountservice" | jq -r '.instances[].instanceId'; }
# Every live instance listed and every killed one gone.
listing_ok() {
	local ids n
	all_sim_listed || return 1
	ids=$(acct_ids) || return 1
	for n in "${LIVE[@]}"; do grep -qx "127.0.0.1:${ACCT_PORT[n]}" <<<"$ids" || return 1; done
	for n in "${KILLED[@]}"; do ! grep -qx "127.0.0.1:${ACCT_PORT[n]}" <<<"$ids" || return 1; done
}
if settle=$(wait_for 30000 listing_ok); then listing=PASS; else listing=FAIL settle=-; fi
ids=$(acct_ids || true)
live_listed=0 killed_gone=0
for n in "${LIVE[@]}"; do grep -qx "127.0.0.1:${ACCT_PORT[n]}" <<<"$ids" && live_listed=$((live_listed + 1)); done
for n in "${KILLED[@]}"; do grep -qx "127.0.0.1:${ACCT_PORT[n]}" <<<"$ids" || killed_gone=$((killed_gone + 1)); done
metric() { curl -sf -m 5 "$REG/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
expiries=$(metric registry_expiries_total)
reconnects=$(metric registry_amqp_reconnects_total)

sim_end=$(sim_listed)
curl -sf -m 5 "$REG/metrics" >"$TMP/registry-metrics.txt" || true

# No crash: alive now, and exit 0 on SIGTERM.
crash_figures="" crash_ok=0
# stop_rc PID NAME: adds "NAME exit-code" (or "NAME dead") to the figures.
stop_rc() {
	local rc=0
	if kill -0 "$1" 2>/dev/null; then
		kill -TERM "$1"
		wait "$1" || rc=$?
	else
		rc=dead
	fi
	crash_figures+="$2 $rc, "
	[[ $rc == 0 ]] || crash_ok=1
}
for n in "${LIVE[@]}"; do stop_rc "${ACCT_PID[n]}" "accountservice-$n"; done
stop_rc "$SIM_PID" flood
stop_rc "$QUOTES_PID" quotes-standin
stop_rc "$REG_PID" registry

# The tokens: the last line has the totals, the others a rate each.
read -r sent skipped sim_reconnects syncs < <(tail -n 1 "$TMP/tokens.txt" |
	sed 's/[a-z_]*=//g' | awk '{ print $2, $3, $5, $6 }')
read -r rate_med rate_min < <(head -n -1 "$TMP/tokens.txt" | sed 's/[a-z_]*=//g' |
	awk '{ print $4 }' | sort -n | awk '{ r[NR] = $1 } END { print r[int((NR + 1) / 2)] + 0, r[1] + 0 }')
row "tokens of $INSTANCES simulated instances, every 2 s (target $((INSTANCES / 2))/s)" \
	"$sent sent, median ${rate_med}/s per 5 s (lowest ${rate_min}/s), $skipped skipped while blocked or down, $sim_reconnects connections, $syncs syncs answered" \
	"-"

# wrk: 5xx of the registry outside the alarm and one ttl after it.
win_from=$ALARM_ON win_to=$((ALARM_OFF + TTL + 2))
wrk_sum() { # FILE [inside|outside|all] -> "requests 4xx 5xx sockerr max-p99"
	sed 's/[a-z0-9_]*=//g' "$1" | awk -v w="$2" -v a="$win_from" -v b="$win_to" '
		{ inside = ($1 <= b && $2 >= a) }
		w == "all" || (w == "inside") == inside {
			r += $4; c4 += $6; c5 += $7; e += $8; if ($9 > p) p = $9 }
		END { printf "%d %d %d %d %.1f\n", r, c4, c5, e, p }'
}
read -r r_req r_4xx r_5xx r_err r_p99 < <(wrk_sum "$TMP/wrk-registry.txt" outside)
read -r a_req _ a_5xx _ _ < <(wrk_sum "$TMP/wrk-registry.txt" inside)
span=$((SECONDS_TOTAL + WARMUP))
row "wrk on the registry (9 routes, $WRK_CONNS connections)" \
	"$((r_req + a_req)) requests ($(((r_req + a_req) / span))/s), p99 at most ${r_p99} ms; outside the alarm $r_5xx 5xx, $r_4xx 4xx, $r_err socket errors; during it $a_5xx 5xx of $a_req" \
	"$(verdict test "$r_5xx" = 0)"
read -r c_req c_4xx c_5xx c_err c_p99 < <(wrk_sum "$TMP/wrk-accountservice.txt" all)
row "wrk on the accountservice /accounts/{id}" \
	"$c_req requests ($((c_req / span))/s), p99 at most ${c_p99} ms, $c_5xx 5xx, $c_4xx 4xx, $c_err socket errors" \
	"$(verdict test "$c_5xx" = 0)"

# The registry's /health, every second: seconds down, blocked, not 200.
read -r down blocked not200 min_inst < <(awk '$1 >= 0 {
		if ($3 == "down") d++; if ($3 == "blocked") b++; if ($2 != 200) n++
		if ($4 ~ /^[0-9]+$/ && (m == "" || $4 < m)) m = $4 }
	END { print d + 0, b + 0, n + 0, m + 0 }' "$TMP/health.txt")
row "broker restart every ${RESTART_EVERY} s (whole node, same ports)" \
	"${#RESTARTS[@]} restarts of $(printf '%s ' "${RESTARTS[@]/%/ds}" | sed 's/\([0-9]\)ds/.\1 s/g; s/ $//') each; registry /health said down ${down} s in all, ${reconnects:-?} reconnects" \
	"-"
# Expiries of instances that were alive: the killed accountservices leave
# by their connection's close, so the expiries are renewals that reached
# the registry more than a ttl late. The spans with fewer listed than the
# simulated ones, from the samples of /health.
spans=$(awk -v n="$INSTANCES" '$1 >= 0 && $4 ~ /^[0-9]+$/ {
		if ($4 < n && from == "") from = $1
		if ($4 >= n && from != "") { out = out sep from "-" $1 " s"; sep = ", "; from = "" } }
	END { if (from != "") out = out sep from "- s"; print out == "" ? "never" : "at " out }' "$TMP/health.txt")
row "expiries of live instances (renewals more than a ttl late)" \
	"${expiries:-?} expiries; fewer than $INSTANCES listed ${spans}; at least ${min_inst} listed" \
	"-"
row "memory alarm of ${ALARM_SECONDS} s (absolute 1MB) at ${ALARM_ON} s" \
	"registry /health said blocked ${blocked} s; $a_5xx 5xx during it and one ttl after; /health not 200 for ${not200} s of the whole run" \
	"$(verdict test "$ALARM_ON" -ge 0 -a "$not200" = 0)"
row "SIGKILL of a random accountservice every ${KILL_EVERY} s, each replaced" \
	"${#KILLED[@]} killed, ${killed_gone} gone at the end; ${#LIVE[@]} live, ${live_listed} listed" \
	"$(verdict test "$listing" = PASS)"
row "every instance listed at the end" \
	"$sim_end of $INSTANCES simulated, $live_listed of ${#LIVE[@]} accountservices, in ${settle} ms after the phase" \
	"$listing"
row "no crash" "${crash_figures%, } (exit codes on SIGTERM)" \
	"$(verdict test "$crash_ok" = 0)"

# Memory: per program still running, VmRSS at the start of the measured
# phase (or once warm, for the ones started in it) against the end.
while read -r name base last peak; do
	if [[ $base == - ]]; then
		row "VmRSS of $name" "started ${last} s before the end: too late to compare" "-"
		continue
	fi
	pct=$(awk -v a="$base" -v b="$last" 'BEGIN { printf "%+.1f", (b - a) * 100 / a }')
	row "VmRSS of $name" "$((base / 1024)).$((base % 1024 * 10 / 1024)) MB at the start, $((last / 1024)).$((last % 1024 * 10 / 1024)) MB at the end (${pct} %), peak $((peak / 1024)) MB" \
		"$(verdict awk -v a="$base" -v b="$last" 'BEGIN { exit !(b <= a * 1.10) }')"
done < <(awk -v w="$WARMUP" -v end="$SECONDS_TOTAL" -v killed="$(printf ' accountservice-%s' "${KILLED[@]}") " '
	index(killed, " " $3 " ") { next }
	{ t = $1; name = $3; start = $4; kb = $5
	  if (!(name in order)) { order[name] = ++n; names[n] = name }
	  if (t >= start + w && !(name in base)) base[name] = kb
	  if (name in base) { last[name] = kb; if (kb > peak[name]) peak[name] = kb }
	  first[name] = start }
	END { for (i = 1; i <= n; i++) { m = names[i]
		if (m in base) print m, base[m], last[m], peak[m]
		else print m, "-", end - first[m], "-" } }' "$TMP/rss.txt")

echo
echo "soak of $SECONDS_TOTAL s after $WARMUP s of warm-up, $(date -u +%Y-%m-%d), $(nproc) CPUs, load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
{
	echo "| scenario | figures | check |"
	echo "|---|---|---|"
	printf '%s\n' "${ROWS[@]}"
} | tee "$OUT/table.md"
echo "(table in $OUT/table.md, logs and samples beside it)"
if ((FAILED)); then echo "soak: FAILED" >&2; exit 1; fi
echo "soak: every check passed"
