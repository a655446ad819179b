#!/usr/bin/env bash
# Builds each libFuzzer target with ASan and UBSan into build-fuzz/ and runs
# it for FUZZ_SECONDS (default 30) over a scratch copy of its corpus
# (fuzz/corpus-<target>/), so the committed corpora never change. Exits
# non-zero when a fuzzer finds a crash; the reproducer lands in build-fuzz/.
#
#   fuzz/run.sh [target...]     token, query, conn_event, http_registry,
#                               http_account, xml, gzip, hhead (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-30}
out=build-fuzz
mkdir -p "$out"

# The sources each target links besides its own fuzz/fuzz_<target>.c.
declare -A sources=(
	[token]="common/token.c common/json_number.c common/token_decode.c common/token_scan.c common/addr.c common/utf8.c"
	[query]="registry/rquery.c common/timing.c common/token.c common/json_number.c common/addr.c"
	[conn_event]="subscriber/sub_conn.c common/token.c common/json_number.c common/addr.c"
	[http_registry]="fuzz/http_input.c common/hreq.c common/hhead.c registry/rroute.c registry/rquery.c common/timing.c common/token.c common/json_number.c common/addr.c"
	[http_account]="fuzz/http_input.c common/hreq.c common/hhead.c accountservice/acct_path.c"
	[xml]="registry/rxml.c common/utf8.c"
	[gzip]="registry/rgzip.c"
	[hhead]="common/hhead.c"
)
# Extra libFuzzer options per target.
declare -A options=(
	[token]="-max_len=4200 -dict=fuzz/token.dict"
	[query]="-max_len=256"
	[conn_event]="-max_len=4096"
	[http_registry]="-max_len=4096 -dict=fuzz/http.dict"
	[http_account]="-max_len=4096 -dict=fuzz/http.dict"
	[xml]="-max_len=512"
	[gzip]="-max_len=1024"
	[hhead]="-max_len=1100 -dict=fuzz/http.dict"
)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(token query conn_event http_registry http_account xml gzip hhead)

for t in "${targets[@]}"; do
	[[ -n "${sources[$t]:-}" ]] || { echo "fuzz: no target $t" >&2; exit 2; }
	# shellcheck disable=SC2046,SC2086 # word splitting on purpose
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		-I. -Icommon/include -Isubscriber/include $(pkg-config --cflags libcjson yajl) \
		"fuzz/fuzz_$t.c" ${sources[$t]} \
		$(pkg-config --libs libcjson yajl zlib) -o "$out/fuzz_$t"
done

for t in "${targets[@]}"; do
	work=$(mktemp -d "/tmp/fuzz-$t.XXXXXX")
	cp "fuzz/corpus-$t"/* "$work/"
	echo "fuzz: $t for ${seconds}s"
	# shellcheck disable=SC2086 # options are several words
	if ! "$out/fuzz_$t" -max_total_time="$seconds" -timeout=10 ${options[$t]} \
		-print_final_stats=1 -artifact_prefix="$out/$t-" "$work"; then
		rm -rf "$work"
		exit 1
	fi
	rm -rf "$work"
done
