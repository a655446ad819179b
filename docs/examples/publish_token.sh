#!/usr/bin/env bash
# Announces one instance with a discovery token v1 from the shell, with
# amqp-publish (Debian's amqp-tools), once: run it again within the ttl to
# stay listed (or run the publisher sidecar, docs/publisher.md).
#
#   AMQP_SERVER_URL=amqp://guest:guest@localhost:5672 \
#     docs/examples/publish_token.sh SERVICE ADDRESS PORT [TTL]
#
# With DISCOVERY_SECRET set, the token is signed (x-signature header).
set -euo pipefail
service=$1 address=$2 port=$3 ttl=${4:-30}
url=${AMQP_SERVER_URL:-amqp://guest:guest@localhost:5672}
# amqp-tools read a trailing "/" as the empty vhost, not the default "/".
url=${url%/}
ts=$(date +%s%3N)
# seq must grow with every token of one instance: milliseconds do.
body=$(printf '{"state":"UP","address":"%s","service":"%s","port":%d,"instanceId":"%s:%d","hostname":"%s","ttl":%d,"seq":%s,"ts":%s}' \
	"$address" "$service" "$port" "$address" "$port" "$(hostname)" "$ttl" "$ts" "$ts")
headers=()
if [[ -n ${DISCOVERY_SECRET:-} ]]; then
	sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$DISCOVERY_SECRET" -r | cut -d' ' -f1)
	headers=(-H "x-signature: $sig")
fi
# amqp-publish sets no expiration or timestamp property: the registry needs
# neither (the body's ttl and ts count).
amqp-publish -u "$url" -e discovery -r "discovery.$service.up" \
	-C application/json "${headers[@]}" -b "$body"
echo "published $body"
