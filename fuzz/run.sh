#!/usr/bin/env bash
# Builds the token decoder's libFuzzer target with ASan and UBSan into
# build-fuzz/ and runs it for FUZZ_SECONDS (default 30) over a scratch copy
# of fuzz/corpus, so the committed corpus never changes. Exits non-zero
# when the fuzzer finds a crash; the reproducer lands in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-30}
out=build-fuzz
mkdir -p "$out"

# shellcheck disable=SC2046 # pkg-config prints several words on purpose
clang -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Icommon/include $(pkg-config --cflags libcjson) \
	fuzz/fuzz_token.c common/token.c common/token_decode.c common/addr.c \
	$(pkg-config --libs libcjson) -o "$out/fuzz_token"

work=$(mktemp -d /tmp/fuzz-token.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp fuzz/corpus/* "$work/"

echo "fuzz: token decoder for ${seconds}s"
"$out/fuzz_token" -max_total_time="$seconds" -max_len=4200 -timeout=10 \
	-dict=fuzz/token.dict -print_final_stats=1 -artifact_prefix="$out/" "$work"
