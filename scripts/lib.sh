# shellcheck shell=bash
# Small helpers for the scripts, the tests and the benchmarks (sourced).

# free_port: prints a TCP port below the kernel's ephemeral range (32768 and
# up), so that no outgoing connection can take it between this check and the
# bind, and not used by any socket now, in any state; 1 when a thousand
# tries found none.
free_port() {
	local port tries
	for ((tries = 0; tries < 1000; tries++)); do
		port=$((20000 + RANDOM % 12000))
		ss -Htan "sport = :$port" | grep -q . || { echo "$port"; return 0; }
	done
	return 1
}

# now_ms: the wall clock in milliseconds.
now_ms() { date +%s%3N; }
