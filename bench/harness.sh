# shellcheck shell=bash
# The helpers of `make bench` (bench/run.sh) and its cases (bench/case_*.sh),
# sourced after tests/lib.sh. A case is a function that measures and adds
# rows to the one table with bench_row; it never fails on numbers, only
# when something it needs does not work.
#
#   BENCH_QUICK=1   every case briefly (a smoke run: the figures mean little)
#   BENCH_ROWS      the file the rows go to (tab-separated)

BENCH_QUICK=${BENCH_QUICK:-0}
BENCH_ROWS=${BENCH_ROWS:-$TMP/rows.tsv}
TICKS=$(getconf CLK_TCK)

# pick FULL QUICK: the value for this mode.
pick() { if [[ $BENCH_QUICK == 1 ]]; then echo "$2"; else echo "$1"; fi; }

# bench_row CASE FIGURE REFERENCE RATIO TARGET MET
bench_row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_ROWS"; }

# bench_ratio A B: A / B with two decimals, "-" when either is missing.
bench_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0)
		printf "%.2f", a / b; else print "-" }'
}

# bench_ratio_row CASE FIGURE REFERENCE A B OP LIMIT [TARGET]: a row whose
# ratio A / B (computed once) is held against OP LIMIT; the target column
# says TARGET, or "OP LIMIT".
bench_ratio_row() {
	local ratio
	ratio=$(bench_ratio "$4" "$5")
	bench_row "$1" "$2" "$3" "$ratio" "${8:-$6 $7}" "$(bench_met "$ratio" "$6" "$7")"
}

# bench_met VALUE OP LIMIT: "yes" or "no" (OP is <, <=, >, >=), "no" when
# VALUE is not a number.
bench_met() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v !~ /^[0-9.]+$/) { print "no"; exit }
		ok = (op == "<" && v < l) || (op == "<=" && v <= l) ||
		     (op == ">" && v > l) || (op == ">=" && v >= l)
		print ok ? "yes" : "no" }'
}

# The table, in Markdown (docs/benchmarks.md takes it as it is).
bench_table() {
	echo "| case | figure | reference | ratio | target | met |"
	echo "|---|---|---|---|---|---|"
	awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$BENCH_ROWS"
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# The processes a case starts, stopped when it ends (its subshell exits).
BENCH_PIDS=()
bench_cleanup() {
	local p
	# SIGCONT too: a stopped process (the ingest case stops two) acts on
	# SIGTERM only once continued.
	for p in "${BENCH_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null && kill -CONT "$p" 2>/dev/null || true; done
	for p in "${BENCH_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}

# bench_metric BASE NAME: one unlabelled value of BASE/metrics.
bench_metric() { curl -sf "$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }

# bench_registry ARGS...: a registry on a free port with ARGS, once it
# answers and its AMQP connection is up; sets REG_PID, REG_PORT and REG.
bench_registry() {
	REG_PORT=${BENCH_REG_PORT:-$(free_port)}
	"$BIN/registry" --port "$REG_PORT" --log-level warn "$@" 2>>"$TMP/registry.log" &
	REG_PID=$!
	BENCH_PIDS+=("$REG_PID")
	REG=http://127.0.0.1:$REG_PORT
	registry_up() { [[ $(bench_metric "$REG" registry_amqp_connected) == 1 ]]; }
	wait_for 20000 registry_up >/dev/null || fail "the registry did not connect"
}

# bench_flood ARGS...: bench/flood with the broker and exchange of the run.
bench_flood() { "$BUILD/bench/flood" --amqp-url "$AMQP_SERVER_URL" "$@"; }

# bench_wrk URL [wrk flags...]: wrk -t2 -c50 for BENCH_DURATION; prints
# "req/s p50 p99" (latencies as wrk writes them).
bench_wrk() {
	local url=$1
	shift
	wrk -t2 -c50 -d"$BENCH_DURATION" --latency "$@" "$url" >"$TMP/wrk.out" 2>&1 || true
	awk '/^Requests\/sec:/ { r = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
	     END { printf "%.0f %s %s\n", r, p50 ? p50 : "-", p99 ? p99 : "-" }' "$TMP/wrk.out"
}

# bench_nginx ROOT PATH: nginx-light with 2 workers serving the files under ROOT
# (and their .gz beside them to clients that accept gzip), keep-alive, on a
# free loopback port, once it serves PATH; sets NGINX_PORT.
bench_nginx() {
	local dir=$TMP/nginx
	NGINX_PORT=$(free_port)
	mkdir -p "$dir/logs"
	# Run by root, nginx reads the files as nobody: TMP is mode 700.
	chmod a+x "$TMP"
	chmod -R a+rX "$1"
	cat >"$dir/nginx.conf" <<CONF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 1000000;
  default_type application/json;
  gzip_static on;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $1;
  }
}
CONF
	nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' 2>"$TMP/nginx.log" &
	BENCH_PIDS+=($!)
	wait_http "http://127.0.0.1:$NGINX_PORT$2"
}

# percentiles FILE: "p50 p99" of the numbers in FILE, one a line.
percentiles() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- -"; exit }
		i50 = int((NR - 1) / 2) + 1; i99 = int((NR * 99 + 99) / 100)
		printf "%.1f %.1f\n", v[i50], v[i99] }'
}

# since_ms START: milliseconds since START, an $EPOCHREALTIME.
since_ms() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

# bench_stop PID: SIGTERM, and wait for it.
bench_stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# With BENCH_PERF=1, perf record samples the registry while the query and
# ingest cases measure it: BENCH_PERF_DIR ($BUILD/bench-perf) gets NAME.data
# and NAME.txt (perf report, by symbol). It costs the figures a little.
BENCH_PERF=${BENCH_PERF:-0}
BENCH_PERF_DIR=${BENCH_PERF_DIR:-$BUILD/bench-perf}
# bench_perf_start NAME PID
bench_perf_start() {
	[[ $BENCH_PERF == 1 ]] || return 0
	mkdir -p "$BENCH_PERF_DIR"
	PERF_OUT=$BENCH_PERF_DIR/$1
	perf record -q -F 999 -g -p "$2" -o "$PERF_OUT.data" 2>"$TMP/perf.log" &
	PERF_PID=$!
	perf_on() { [[ -s "$PERF_OUT.data" ]]; }
	wait_for 10000 perf_on >/dev/null || fail "perf record did not start: $(cat "$TMP/perf.log")"
}
bench_perf_stop() {
	[[ $BENCH_PERF == 1 ]] || return 0
	kill -INT "$PERF_PID"
	wait "$PERF_PID" || true
	perf report -q --stdio --no-children --sort dso,symbol --percent-limit 1 -g none \
		-i "$PERF_OUT.data" >"$PERF_OUT.txt" 2>/dev/null || true
}
