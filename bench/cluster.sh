#!/usr/bin/env bash
# Failover convergence on a three-node RabbitMQ cluster: runs
# tests/integration/test_cluster.sh (which makes and removes its own
# cluster) and prints its figures: how long the registry took to be on
# another node and complete again, and how far apart two registries saw
# each change. Never fails on numbers (the test's own bounds aside).
set -uo pipefail
cd "$(dirname "$0")/.."
# The helpers the test shares with the registry tests want a broker URL;
# the test replaces it with its cluster's.
AMQP_SERVER_URL=${AMQP_SERVER_URL:-amqp://guest:guest@127.0.0.1:5672/} \
	bash tests/integration/test_cluster.sh |
	grep -E '^(failover:|join|leave|expiry|SIGKILL|ok: three-node|test_cluster took)'
