# shellcheck shell=bash
# Network namespace topology helpers, sourced by scripts/run.sh and
# tests/integration/test_e2e_netns.sh (root only).
#
# A topology is one bridge in the root namespace, which holds the bridge's
# first address (so that the host, where RabbitMQ, the registry and the
# balancer run, reaches every namespace and curl from the host works), and
# one namespace per "host", each joined to the bridge by a veth pair.
# Everything a topology creates is named after its prefix (at most 10
# characters: interface names are capped at 15), so netns_down can remove it
# all, also what a crashed run left behind.
#
#   netns_probe NAME               whether a namespace can be made here (not
#                                  in a chroot or most containers): makes
#                                  NAME and deletes it; ip's error if not
#   netns_up PREFIX NET            bridge PREFIX-br with NET.1/24, NET as "10.77.0"
#   netns_host PREFIX NET NAME N   namespace PREFIX-NAME at NET.N, its veth PREFIX-vN
#   netns_exec PREFIX NAME CMD...  runs CMD in the namespace (exec: same PID)
#   netns_link PREFIX N up|down    plugs or unplugs host N's cable at the bridge
#   netns_down PREFIX              ends the processes in PREFIX-* namespaces,
#                                  deletes the namespaces and PREFIX-* links
#   netns_free_net BASE            prints a BASE.N (e.g. "10.78" -> "10.78.5")
#                                  that no interface of the host uses yet
#   netns_balancer_config ...      writes the haproxy configuration (see below)
#
# RabbitMQ's guest user only works over loopback: instances on the bridge
# log in as a user of their own, `scripts/rabbitmq.sh service-user`.

netns_probe() {
	ip netns add "$1" || return 1
	ip netns del "$1"
}

netns_up() {
	local prefix=$1 net=$2
	ip link add "$prefix-br" type bridge
	ip addr add "$net.1/24" dev "$prefix-br"
	ip link set "$prefix-br" up
}

netns_host() {
	local prefix=$1 net=$2 name=$3 n=$4
	local ns=$prefix-$name veth=$prefix-v$n
	ip netns add "$ns"
	ip link add "$veth" type veth peer name eth0 netns "$ns"
	ip link set "$veth" master "$prefix-br" up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$net.$n/24" dev eth0
	ip -n "$ns" link set eth0 up
}

netns_exec() {
	local prefix=$1 name=$2
	shift 2
	exec ip netns exec "$prefix-$name" "$@"
}

netns_link() {
	ip link set "$1-v$2" "$3"
}

# Lists this prefix's namespaces, one a line.
netns_list() {
	ip netns list | awk -v p="$1-" 'index($1, p) == 1 { print $1 }'
}

netns_down() {
	local prefix=$1 ns pids link
	for ns in $(netns_list "$prefix"); do
		# Only processes inside our own namespaces: ours by construction.
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		if [[ -n "$pids" ]]; then
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null || true
		fi
		ip netns del "$ns" 2>/dev/null || true
	done
	for link in $(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		[[ "$link" == "$prefix"-* ]] && { ip link del "$link" 2>/dev/null || true; }
	done
	return 0
}

netns_free_net() {
	local base=$1 n used
	used=$(ip -o -4 addr show | awk '{ print $4 }')
	for n in $(shuf -i 1-250); do
		grep -q "^$base\.$n\." <<<"$used" || { echo "$base.$n"; return 0; }
	done
	return 1
}

# netns_balancer_config FILE ACCOUNTS_BIND QUOTES_BIND ACCOUNT_SERVERS QUOTES_SERVERS
# The two balancers of a Swarm stack, in one haproxy: the routing mesh in
# front of the accountservice replicas (HTTP, round robin per request,
# health-checked like Swarm's tasks) and the quotes-service VIP (TCP, round
# robin per connection). Binds are "addr:port"; servers are space-separated
# "addr:port" lists.
netns_balancer_config() {
	local file=$1 acct_bind=$2 quotes_bind=$3 acct_servers=$4 quotes_servers=$5 s i
	{
		printf 'global\n  maxconn 4096\n\n'
		printf 'defaults\n  timeout connect 1s\n  timeout client 30s\n  timeout server 30s\n\n'
		printf 'frontend accounts\n  mode http\n  bind %s\n  default_backend accountservice\n\n' "$acct_bind"
		printf 'backend accountservice\n  mode http\n  balance roundrobin\n'
		printf '  option httpchk GET /health\n  option redispatch\n  retries 2\n'
		i=0
		for s in $acct_servers; do
			i=$((i + 1))
			printf '  server a%d %s check inter 1s fall 2 rise 1\n' "$i" "$s"
		done
		printf '\nfrontend quotes\n  mode tcp\n  bind %s\n  default_backend quotes\n\n' "$quotes_bind"
		printf 'backend quotes\n  mode tcp\n  balance roundrobin\n'
		i=0
		for s in $quotes_servers; do
			i=$((i + 1))
			printf '  server q%d %s\n' "$i" "$s"
		done
	} >"$file"
}
