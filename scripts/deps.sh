#!/usr/bin/env bash
# Installs the Debian packages that building, testing and running need,
# only those missing: quick when everything is already there.
set -euo pipefail

packages=(
	pkg-config gcc make clang libclang-rt-14-dev
	librabbitmq-dev libmicrohttpd-dev libcjson-dev libyajl-dev libcurl4-openssl-dev
	libcmocka-dev liblmdb-dev libssl-dev zlib1g-dev
	rabbitmq-server amqp-tools curl jq openssl ca-certificates haproxy iproute2 procps psmisc python3 strace
	docker-compose wrk nginx-light valgrind python3-pika libfaketime prometheus
	chromium python3-websocket
	help2man man-db systemd golang-go golang-github-rabbitmq-amqp091-go-dev
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# A stock rabbitmq-server install starts a system node on 5672; ours run on
# their own ports, so keep package scripts from starting services.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
	printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
	$sudo chmod 755 /usr/sbin/policy-rc.d
	trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
# Refresh the package lists when they are missing or older than a day.
if [[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]]; then
	$sudo apt-get update -q >&2
fi
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
