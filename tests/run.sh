#!/usr/bin/env bash
# Runs the test suite: cmocka unit tests, then integration tests (C programs
# under $BUILD/itests and scripts tests/integration/test_*.sh) against a
# private RabbitMQ started here, unless AMQP_SERVER_URL names one already.
#
#   tests/run.sh [unit|integration|all] [name-filter]
set -uo pipefail
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
mode=${1:-all}
filter=${2:-}
failed=()
passed=0

run_one() {
	local name=$1; shift
	[[ -n "$filter" && "$name" != *"$filter"* ]] && return 0
	echo "=== $name"
	local start=$SECONDS
	if "$@"; then
		passed=$((passed + 1))
		echo "=== $name: ok ($((SECONDS - start)) s)"
	else
		failed+=("$name")
		echo "=== $name: FAILED ($((SECONDS - start)) s)"
	fi
}

if [[ "$mode" == unit || "$mode" == all ]]; then
	for t in "$BUILD"/tests/test_*; do
		[[ -x "$t" ]] && run_one "$(basename "$t")" "$t"
	done
fi

if [[ "$mode" == integration || "$mode" == all ]]; then
	if [[ -z "${AMQP_SERVER_URL:-}" ]]; then
		RABBIT_DIR=$(mktemp -d /tmp/discovery-test-rabbit.XXXXXX)
		export RABBIT_DIR
		trap 'scripts/rabbitmq.sh stop "$RABBIT_DIR"' EXIT
		echo "=== starting RabbitMQ in $RABBIT_DIR"
		scripts/rabbitmq.sh start "$RABBIT_DIR" || exit 1
		# shellcheck disable=SC1091
		source "$RABBIT_DIR/env"
	fi
	for t in "$BUILD"/itests/test_*; do
		[[ -x "$t" ]] && run_one "$(basename "$t")" "$t"
	done
	for t in tests/integration/test_*.sh; do
		[[ -f "$t" ]] && run_one "$(basename "$t" .sh)" bash "$t"
	done
fi

echo
echo "tests passed: $passed, failed: ${#failed[@]} ${failed[*]:-}"
[[ ${#failed[@]} -eq 0 ]]
