# shellcheck shell=bash
# Query: GET /services/{name} at 100 instances and at 1 instance, wrk 2
# threads 50 connections keep-alive, beside nginx (2 workers) serving the
# same bytes from a file; then with Accept-Encoding: gzip beside nginx's
# gzip_static (the listing gzipped once, -9), with the bytes on the wire of
# one response each. Also /services and /turbine/{name} (no reference).
case_query() {
	local www=$TMP/www r p50 p99 nr np50 np99 bytes reg_gz ngx_gz enc
	bench_registry
	bench_flood --prefix qa --instances 100 --services 1 --count 100 --ttl 3600 >/dev/null
	bench_flood --prefix qb --instances 1 --services 1 --count 1 --ttl 3600 >/dev/null
	listed() { [[ $(curl -sf "$REG/services/$1" | jq '.instances | length') == "$2" ]]; }
	wait_for 20000 listed qa0 100 >/dev/null || fail "the 100 instances are not listed"
	wait_for 20000 listed qb0 1 >/dev/null || fail "the instance is not listed"
	mkdir -p "$www/services"
	curl -sf "$REG/services/qa0" >"$www/services/qa0"
	curl -sf "$REG/services/qb0" >"$www/services/qb0"
	gzip -9 -k "$www/services/qa0"
	bench_nginx "$www" /services/qa0

	for svc in qa0:100 qb0:1; do
		bytes=$(wc -c <"$www/services/${svc%%:*}")
		bench_perf_start "query-${svc#*:}" "$REG_PID"
		read -r r p50 p99 <<<"$(bench_wrk "$REG/services/${svc%%:*}")"
		bench_perf_stop
		read -r nr np50 np99 <<<"$(bench_wrk "http://127.0.0.1:$NGINX_PORT/services/${svc%%:*}")"
		if [[ ${svc#*:} == 100 ]]; then
			bench_ratio_row "query, ${svc#*:} instances ($bytes B)" \
				"$r req/s (p50 $p50, p99 $p99)" "nginx $nr req/s (p50 $np50, p99 $np99)" \
				"$r" "$nr" '>=' 1.0
		else
			bench_row "query, ${svc#*:} instance ($bytes B)" "$r req/s (p50 $p50, p99 $p99)" \
				"nginx $nr req/s (p50 $np50, p99 $np99)" "$(bench_ratio "$r" "$nr")" "-" "-"
		fi
	done

	# gzip: bytes on the wire of one response, then the rate.
	enc=$(curl -sf -D - -o "$TMP/reg.gz" -H 'Accept-Encoding: gzip' "$REG/services/qa0" |
		awk 'tolower($1) == "content-encoding:" { print $2 }' | tr -d '\r')
	reg_gz=$(wc -c <"$TMP/reg.gz")
	ngx_gz=$(curl -sf -H 'Accept-Encoding: gzip' "http://127.0.0.1:$NGINX_PORT/services/qa0" | wc -c)
	read -r r p50 p99 <<<"$(bench_wrk "$REG/services/qa0" -H 'Accept-Encoding: gzip')"
	read -r nr np50 np99 <<<"$(bench_wrk "http://127.0.0.1:$NGINX_PORT/services/qa0" -H 'Accept-Encoding: gzip')"
	if [[ $enc == gzip ]]; then
		bench_ratio_row "query gzip, 100 instances" "$r req/s, $reg_gz B on the wire" \
			"nginx gzip_static $nr req/s, $ngx_gz B" "$r" "$nr" '>=' 1.0 ">= 1.0, compressed"
	else
		bench_row "query gzip, 100 instances" "$r req/s, $reg_gz B on the wire (not compressed)" \
			"nginx gzip_static $nr req/s, $ngx_gz B" "$(bench_ratio "$r" "$nr")" \
			">= 1.0, compressed" "no (the registry does not compress)"
	fi

	read -r r p50 p99 <<<"$(bench_wrk "$REG/services")"
	bench_row "query /services" "$r req/s (p50 $p50, p99 $p99)" "-" "-" "-" "-"
	read -r r p50 p99 <<<"$(bench_wrk "$REG/turbine/qa0")"
	bench_row "query /turbine/{name}, 100 instances" "$r req/s (p50 $p50, p99 $p99)" "-" "-" "-" "-"
}
