#!/usr/bin/env bash
# Static checks of the deployment files (there is no Docker engine here):
# docker-compose.yml through `docker-compose config`, and every Dockerfile
# for what the deployment relies on. Debian 12 packages no Dockerfile
# linter, so the Dockerfile rules are checked here.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# --- docker-compose.yml -----------------------------------------------------
compose() { docker-compose -f docker-compose.yml "$@"; }

# No secret in the file or taken from the deploying shell's environment.
if grep -Eq 'PASSWORD|_PASS:|DISCOVERY_SECRET:|AMQP_SERVER_URL:|\$\{[A-Z_]*(PASS|SECRET|URL)' docker-compose.yml; then
	fail "a secret or a variable from the shell in docker-compose.yml"
else
	ok "no secret in the file or from the environment"
fi

if ! cfg=$(compose config 2>&1); then
	echo "$cfg" >&2
	fail "docker-compose config rejects docker-compose.yml"
	cfg=""
else
	ok "docker-compose config"
fi

# Every check below reads the normalised YAML that compose printed.
services=$(compose config --services 2>/dev/null | sort | tr '\n' ' ')
[[ "$services" == "accountservice quotes-service rabbitmq-1 rabbitmq-2 rabbitmq-3 registry " ]] ||
	fail "services are '$services'"

# Prints the block of one service from the normalised config.
service_block() {
	awk -v s="  $1:" '
		$0 == s { on = 1; next }
		on && /^  [^ ]/ { on = 0 }
		on && /^[^ ]/ { on = 0 }
		on { print }' <<<"$cfg"
}
expect() { # service, extended regex, what
	if service_block "$1" | grep -Eq -- "$2"; then ok "$1: $3"; else fail "$1: $3"; fi
}

acct=$(service_block accountservice)
[[ -n "$acct" ]] || fail "no accountservice block"
expect accountservice '^      replicas: 3$' "3 replicas"
expect accountservice '^    - published: 6767$' "published on 6767"
expect accountservice '^      target: 6767$' "port 6767 inside"
expect accountservice '^    healthcheck:$' "health check"
expect accountservice '/health$' "health check on /health"
expect accountservice '^      update_config:$' "update policy"
expect accountservice '^      restart_policy:$' "restart policy"
for s in accountservice registry; do
	expect "$s" '^      AMQP_SERVER_URL_FILE: /run/secrets/amqp_url$' "the AMQP URL from a Swarm secret"
	expect "$s" '^      DISCOVERY_SECRET_FILE: /run/secrets/discovery_secret$' "the signing secret from a Swarm secret"
	expect "$s" '^    - source: amqp_url$|^    - amqp_url$' "given the amqp_url secret"
	expect "$s" '^    - source: discovery_secret$|^    - discovery_secret$' "given the discovery_secret secret"
done
# The cluster: three nodes, each named by its hostname, the same cookie
# and the same fixed node list, the event exchange on each.
cluster_conf=deploy/rabbitmq-cluster.conf
for n in 1 2 3; do
	r=rabbitmq-$n
	expect "$r" '^      RABBITMQ_DEFAULT_PASS_FILE: /run/secrets/amqp_password$' "the broker password from a Swarm secret"
	expect "$r" '^      target: /var/lib/rabbitmq/.erlang.cookie$' "the Erlang cookie from a Swarm secret"
	expect "$r" '^      source: erlang_cookie$' "the shared erlang_cookie secret"
	expect "$r" "^    hostname: $r\$" "a fixed hostname (node rabbit@$r)"
	expect "$r" '^      target: /etc/rabbitmq/conf.d/20-cluster.conf$' "the cluster's node list"
	expect "$r" "^    - $r:/var/lib/rabbitmq/mnesia" "its own data volume"
	expect "$r" '^    image: rabbitmq:3\.10-management$' "official image with management"
	expect "$r" 'rabbitmq_event_exchange' "event exchange plugin"
	grep -Eq "^cluster_formation\.classic_config\.nodes\.$n = rabbit@$r\$" "$cluster_conf" ||
		fail "$cluster_conf does not list rabbit@$r"
done
grep -Eq '^cluster_formation\.peer_discovery_backend = classic_config$' "$cluster_conf" ||
	fail "$cluster_conf: no classic config peer discovery"
grep -Eq "^    file: (\./|$PWD/)$cluster_conf\$" <<<"$(sed -n '/^configs:/,/^[^ c]/p' <<<"$cfg")" ||
	fail "the config rabbitmq_cluster is not $cluster_conf"
expect registry '^      replicas: 2$' "two registry replicas"
top_secrets=$(sed -n '/^secrets:/,/^[^ s]/p' <<<"$cfg")
for name in amqp_password amqp_url discovery_secret erlang_cookie; do
	grep -Eq "^  $name:" <<<"$top_secrets" || fail "secret $name not declared"
done
expect accountservice '^      QUOTES_URL: http://quotes-service:8080/' "quotes through the VIP"
expect accountservice "^      ACCOUNT_TESTABILITY: ['\"]?0['\"]?\$" "testability routes turned off"
expect registry '^    - published: 6868$' "registry on 6868"
expect registry '/health$' "registry health check"
expect quotes-service '^    image: eriklupander/quotes-service$' "real quotes-service image"
expect quotes-service '^      replicas: 2$' "2 quotes replicas"

# One overlay network with a declared subnet, which ADVERTISE_CIDR matches in
# every service that announces itself.
networks=$(sed -n '/^networks:/,/^[^ n]/p' <<<"$cfg")
subnet=$(awk '/subnet:/ { print $NF }' <<<"$networks")
[[ $(grep -c '^  [a-z]' <<<"$networks") -eq 1 ]] || fail "not exactly one network"
grep -q 'driver: overlay' <<<"$networks" || fail "the network is not an overlay"
[[ "$subnet" =~ ^[0-9.]+/[0-9]+$ ]] || fail "no declared subnet on the overlay"
for s in accountservice registry; do
	expect "$s" "^      ADVERTISE_CIDR: $subnet\$" "ADVERTISE_CIDR is the overlay subnet"
done
for s in accountservice registry rabbitmq-1 rabbitmq-2 rabbitmq-3 quotes-service; do
	expect "$s" '^      discovery: null$|^    - discovery$' "on the overlay"
done

# --- Dockerfiles --------------------------------------------------------------
packages=""
dockerfiles=(accountservice/Dockerfile registry/Dockerfile publisher/Dockerfile
	tests/quotes/Dockerfile)
for f in "${dockerfiles[@]}"; do
	if [[ ! -f "$f" ]]; then fail "$f is missing"; continue; fi
	# Instructions with their continuation lines joined.
	instr=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$f" | grep -Ev '^\s*(#|$)')
	froms=$(grep -Ec '^FROM debian:bookworm-slim( AS [a-z]+)?$' <<<"$instr")
	[[ $(grep -Ec '^FROM ' <<<"$instr") -eq 2 && $froms -eq 2 ]] ||
		fail "$f: not a two-stage build on debian:bookworm-slim"
	grep -Eq '^RUN .*apt-get install .*-dev' <<<"$instr" || fail "$f: no -dev packages in the build stage"
	grep -Eq '^RUN make ' <<<"$instr" || fail "$f: the build stage does not run make"
	grep -Eq '^COPY --from=build ' <<<"$instr" || fail "$f: nothing copied from the build stage"
	runtime=$(awk '/^FROM / { n++ } n == 2' <<<"$instr")
	grep -Eq -- '-dev( |$)' <<<"$runtime" && fail "$f: -dev packages in the runtime stage"
	grep -Eq '(gcc|make)( |$)' <<<"$runtime" && fail "$f: a compiler in the runtime stage"
	user=$(grep -E '^USER ' <<<"$runtime" | tail -1 | awk '{print $2}')
	[[ -n "$user" && "$user" != root && "$user" != 0 ]] || fail "$f: runs as root"
	grep -Eq '^ENTRYPOINT \["/usr/local/bin/' <<<"$runtime" || fail "$f: no exec-form ENTRYPOINT"
	if [[ "$f" == publisher/Dockerfile ]]; then
		grep -Eq '^HEALTHCHECK NONE$' <<<"$runtime" || fail "$f: the sidecar has no HTTP to check"
	else
		grep -Eq '^HEALTHCHECK .*CMD .*/health' <<<"$runtime" || fail "$f: no HEALTHCHECK on /health"
	fi
	packages+=" $(grep -E '^RUN .*apt-get install' <<<"$instr" |
		sed -e 's/.*--no-install-recommends//' -e 's/&&.*//' | tr '\n' ' ')"
	ok "$f"
done

# Every package the Dockerfiles install must exist in Debian 12 (checked
# against this machine's package lists when it has them; one apt-cache call,
# as each takes a second).
if [[ -n "$(apt-cache pkgnames 2>/dev/null | head -n 1)" ]]; then
	read -r -a wanted <<<"$(tr ' ' '\n' <<<"$packages" | sort -u | tr '\n' ' ')"
	known=$(apt-cache show --no-all-versions "${wanted[@]}" 2>/dev/null |
		awk '/^Package: / { print $2 }')
	missing=0
	for p in "${wanted[@]}"; do
		grep -qx -- "$p" <<<"$known" || { fail "no Debian package $p"; missing=1; }
	done
	[[ $missing -eq 1 ]] || ok "the ${#wanted[@]} Debian packages exist"
else
	echo "note: no apt package lists here; package names not checked"
fi
grep -qsx '.git' .dockerignore || fail ".dockerignore does not keep .git out"

if [[ $failures -gt 0 ]]; then
	echo "test_compose: $failures check(s) failed" >&2
	exit 1
fi
echo "test_compose: all checks passed"
