#!/usr/bin/env bash
# The real Prometheus (Debian's prometheus) discovers accountservice
# instances through the registry twice: with http_sd_configs on
# /prometheus/targets (the __meta_discovery_* labels relabelled into target
# labels) and with eureka_sd_configs on /eureka (Eureka's XML form). Every
# running instance is a target of both jobs and is scraped (up is 1); a
# stopped one leaves both after Prometheus' next refresh. Prometheus runs
# on a free loopback port with its own storage folder; everything is
# stopped by PID on exit (tests/lib.sh).
source "$(dirname "$0")/registry_helpers.bash"

command -v prometheus >/dev/null || fail "needs prometheus (scripts/deps.sh installs it)"
S=prom$$ # this run's service, so that nothing else interferes
APP=${S^^}
N=3
start_registry

# ---- the instances: real accountservices, each on its own port ----
PORTS=()
PIDS=()
for i in $(seq "$N"); do
	port=$(free_port)
	DISCOVERY_INTERVAL=1 "$BIN/accountservice" --port "$port" --service-name "$S" \
		--advertise-addr 127.0.0.1 --db-path "$TMP/a$i.db" \
		--quotes-url "http://127.0.0.1:1/none" >"$TMP/account$i.log" 2>&1 &
	PIDS+=($!)
	STARTED+=($!)
	PORTS+=("$port")
done
for port in "${PORTS[@]}"; do wait_http "http://127.0.0.1:$port/health"; done
wait_for 10000 has_count "$S" "$N" >/dev/null || fail "the registry does not list the $N instances"
targets=$(curl -sf "$REG/prometheus/targets?service=$S")
[[ $(jq 'length' <<<"$targets") == "$N" &&
   $(jq -r '[.[].labels.__meta_discovery_state] | unique | join(",")' <<<"$targets") == UP ]] ||
	fail "targets: $targets"
pass "the registry lists $N targets"

# ---- Prometheus, discovering through the registry ----
PROM_PORT=$(free_port)
PROM="http://127.0.0.1:$PROM_PORT"
cat >"$TMP/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: discovery
    http_sd_configs:
      - url: $REG/prometheus/targets?service=$S
        refresh_interval: 1s
    relabel_configs:
      - source_labels: [__meta_discovery_service]
        target_label: service
      - source_labels: [__meta_discovery_instance_id]
        target_label: instance_id
      - source_labels: [__meta_discovery_state]
        target_label: state
  - job_name: eureka
    eureka_sd_configs:
      - server: $REG/eureka
        refresh_interval: 1s
    relabel_configs:
      - source_labels: [__meta_eureka_app_name]
        regex: $APP
        action: keep
      - source_labels: [__meta_eureka_app_instance_id]
        target_label: instance_id
      - source_labels: [__meta_eureka_app_instance_status]
        target_label: state
YAML
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prometheus-data" \
	--web.listen-address="127.0.0.1:$PROM_PORT" >"$TMP/prometheus.log" 2>&1 &
STARTED+=($!)
wait_for 30000 curl -sf "$PROM/-/ready" >/dev/null || fail "prometheus did not start"

# The active targets of one job with their health, "instance_id health".
active() {
	curl -sf "$PROM/api/v1/targets?state=active" |
		jq -r --arg job "$1" '.data.activeTargets[] | select(.labels.job == $job) |
			"\(.labels.instance_id) \(.labels.state) \(.health)"' | sort
}
# want PORTS...: the instance ids those ports give, each UP and scraped.
want() {
	local p
	for p in "$@"; do echo "127.0.0.1:$p UP up"; done | sort
}
# up of every target of one job, "instance_id value".
up_values() {
	curl -sfG "$PROM/api/v1/query" --data-urlencode "query=up{job=\"$1\"}" |
		jq -r '.data.result[] | "\(.metric.instance_id) \(.value[1])"' | sort
}
same() { [[ "$($1 "$2")" == "$3" ]]; }

expect=$(want "${PORTS[@]}")
ones=$(for p in "${PORTS[@]}"; do echo "127.0.0.1:$p 1"; done | sort)
for job in discovery eureka; do
	took=$(wait_for 40000 same active "$job" "$expect") ||
		fail "$job targets: $(active "$job"), want: $expect"
	wait_for 20000 same up_values "$job" "$ones" >/dev/null ||
		fail "$job up: $(up_values "$job")"
	pass "$job: every accountservice is a target with its labels and up is 1 (listed after ${took} ms)"
done
# The relabelled labels are there as target labels.
labels=$(curl -sf "$PROM/api/v1/targets?state=active" |
	jq -c '[.data.activeTargets[] | select(.labels.job == "discovery") | .labels.service] | unique')
[[ $labels == "[\"$S\"]" ]] || fail "service labels: $labels"

# ---- one stops: it leaves both jobs at their next refresh ----
stop_clean "${PIDS[0]}" accountservice
wait_for 10000 has_count "$S" $((N - 1)) >/dev/null || fail "the registry still lists the stopped one"
expect=$(want "${PORTS[@]:1}")
for job in discovery eureka; do
	took=$(wait_for 30000 same active "$job" "$expect") ||
		fail "$job after a stop: $(active "$job"), want: $expect"
	pass "$job: the stopped instance left the targets ${took} ms after the registry dropped it"
done
