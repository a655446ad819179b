# shellcheck shell=bash
# accountservice: bench/accountservice.sh (requests/s, p50/p99, CPU per
# request and memory beside the Go original's figures) and
# bench/acct_timewait.sh (who keeps the TIME_WAIT of the quote connections),
# their own tables kept in the log, their figures in the one table.
case_accountservice() {
	DURATION=$(pick 10s 2s) RUNS=$(pick 3 1) BENCH_ROWS=$BENCH_ROWS \
		bash "$ROOT/bench/accountservice.sh" >"$TMP/accountservice.out" 2>&1 ||
		fail "bench/accountservice.sh failed: $(tail -n 5 "$TMP/accountservice.out")"
}

case_timewait() {
	local rc=0 before after
	DURATION=$(pick 60s 3s) bash "$ROOT/bench/acct_timewait.sh" >"$TMP/timewait.out" 2>&1 || rc=$?
	read -r before after < <(awk '/service.s side/ { print $(NF - 1), $NF }' "$TMP/timewait.out")
	[[ -n "$before" ]] || fail "bench/acct_timewait.sh printed no figures: $(tail -n 5 "$TMP/timewait.out")"
	bench_row "accountservice TIME_WAIT towards the quotes-service, $(pick 60s 3s) of wrk" \
		"$before before, $after after" "-" "-" "no growth" "$([[ $rc == 0 ]] && echo yes || echo no)"
}
