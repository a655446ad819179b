#!/usr/bin/env bash
# `make install` as a packager uses it (PREFIX, DESTDIR), and the installed
# libraries as a third party uses them: the example program
# (tests/integration/install_example.c, the one docs/subscriber.md shows)
# is built against the temporary DESTDIR with pkg-config alone, shared and
# static, and run against the broker: it announces itself with the
# publisher, sees itself join and listed with the subscriber, and sees
# itself leave. Then the layering: each shared library exports its API and
# nothing else and needs no libmicrohttpd, libcurl or LMDB; the publisher
# library needs no subscriber; the public headers include only the C
# library's; each program links only what it uses.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
use_broker given

command -v pkg-config >/dev/null || fail "pkg-config is missing (scripts/deps.sh)"
dest=$TMP/dest
prefix=/opt/discovery
make -s -C "$ROOT" BUILD="$BUILD" PREFIX=$prefix DESTDIR="$dest" install >"$TMP/install.log" 2>&1 ||
	fail "make install: $(tail -5 "$TMP/install.log")"
lib=$dest$prefix/lib
for f in bin/registry bin/accountservice bin/publisher include/discovery/publisher.h \
	include/discovery/subscriber.h lib/pkgconfig/libdiscovery-publisher.pc \
	lib/pkgconfig/libdiscovery-subscriber.pc; do
	[[ -f $dest$prefix/$f ]] || fail "not installed: $prefix/$f"
done
for l in publisher subscriber; do
	[[ -f $lib/libdiscovery-$l.a && -f $lib/libdiscovery-$l.so.1.0.0 &&
		$(readlink "$lib/libdiscovery-$l.so.1") == libdiscovery-$l.so.1.0.0 &&
		$(readlink "$lib/libdiscovery-$l.so") == libdiscovery-$l.so.1 ]] ||
		fail "libdiscovery-$l: $(ls -l "$lib")"
	soname=$(objdump -p "$lib/libdiscovery-$l.so.1.0.0" | awk '$1 == "SONAME" {print $2}')
	[[ $soname == libdiscovery-$l.so.1 ]] || fail "libdiscovery-$l soname: $soname"
done
pass "make install PREFIX=$prefix DESTDIR=…: programs, headers, static and shared libraries (soname .so.1), pkg-config files"

# pkg-config alone, pointed at the DESTDIR.
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
libs="libdiscovery-publisher libdiscovery-subscriber"
[[ $(pkg-config --modversion libdiscovery-subscriber) == 1.0.0 ]] || fail "pkg-config: no libdiscovery-subscriber"
# shellcheck disable=SC2086,SC2046 # word splitting on purpose
cc -std=c11 -Wall -Wextra -Werror -o "$TMP/example" "$ROOT/tests/integration/install_example.c" \
	$(pkg-config --cflags --libs $libs) 2>"$TMP/cc.log" || fail "shared build: $(cat "$TMP/cc.log")"
# shellcheck disable=SC2086,SC2046
cc -std=c11 -Wall -Wextra -Werror -o "$TMP/example-static" "$ROOT/tests/integration/install_example.c" \
	$(pkg-config --cflags $libs) "$lib/libdiscovery-publisher.a" "$lib/libdiscovery-subscriber.a" \
	$(pkg-config --static --libs $libs | sed 's/-ldiscovery-[a-z]*//g') \
	2>"$TMP/cc.log" || fail "static build: $(cat "$TMP/cc.log")"
objdump -p "$TMP/example" | grep -q 'NEEDED *libdiscovery-subscriber.so.1' ||
	fail "the shared example does not need libdiscovery-subscriber.so.1"
! objdump -p "$TMP/example-static" | grep -q 'NEEDED *libdiscovery' ||
	fail "the static example needs a shared libdiscovery"
pass "the example builds with pkg-config alone, against the shared and the static libraries"

for ex in example example-static; do
	LD_LIBRARY_PATH=$lib timeout 60 "$TMP/$ex" "$AMQP_SERVER_URL" "inst$$-$ex" >"$TMP/$ex.out" 2>&1 ||
		fail "$ex: $(cat "$TMP/$ex.out")"
	grep -q "^join: inst$$-$ex 127.0.0.1:8080 at 127.0.0.1:8080" "$TMP/$ex.out" &&
		grep -q "^listed: 127.0.0.1:8080 127.0.0.1:8080 UP" "$TMP/$ex.out" &&
		grep -q "^leave: inst$$-$ex 127.0.0.1:8080 (down)" "$TMP/$ex.out" &&
		grep -q "^ok" "$TMP/$ex.out" || fail "$ex said: $(cat "$TMP/$ex.out")"
done
pass "the example announces itself, sees its join, lists itself, sees its leave (shared and static)"

# The layering.
for l in publisher subscriber; do
	so=$lib/libdiscovery-$l.so.1.0.0
	others=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v "^${l}_" || true)
	[[ -z $others ]] || fail "libdiscovery-$l exports more than its API: $others"
	needed=$(objdump -p "$so" | awk '$1 == "NEEDED" {print $2}' | tr '\n' ' ')
	[[ $needed != *microhttpd* && $needed != *curl* && $needed != *lmdb* &&
		$needed != *discovery* ]] || fail "libdiscovery-$l needs $needed"
	includes=$(grep -h '^#include' "$dest$prefix/include/discovery/$l.h" | grep -v -E '<std(bool|def|int)\.h>' || true)
	[[ -z $includes ]] || fail "discovery/$l.h includes $includes"
done
needs() { objdump -p "$dest$prefix/bin/$1" | awk '$1 == "NEEDED" {print $2}' | tr '\n' ' '; }
[[ $(needs registry) != *curl* && $(needs registry) != *lmdb* ]] || fail "registry needs $(needs registry)"
[[ $(needs publisher) != *microhttpd* && $(needs publisher) != *lmdb* ]] || fail "publisher needs $(needs publisher)"
! nm "$dest$prefix/bin/publisher" | grep -q ' T subscriber_' ||
	fail "the publisher, which follows no stream, holds the subscriber"
# The accountservice follows the quotes-service with the library
# (QUOTES_DISCOVERY), and with nothing of the registry's.
acct_symbols=$(nm "$dest$prefix/bin/accountservice")
grep -q ' T subscriber_new$' <<<"$acct_symbols" ||
	fail "the accountservice does not hold the subscriber library"
! grep -q -E ' T (rfeed|rmirror|rrender|rhttp)_' <<<"$acct_symbols" ||
	fail "the accountservice holds registry code"
! nm "$dest$prefix/bin/registry" | grep -q ' T publisher_' || fail "the registry holds the publisher"
pass "layering: each library exports only its API, needs no HTTP, curl or LMDB; headers self-contained; programs link what they use"

# The docs show the very program that ran.
for doc in docs/publisher.md docs/subscriber.md; do
	awk '/^<!-- example: tests\/integration\/install_example.c -->$/ {f = 1; next}
	     f && /^```c$/ {g = 1; next} g && /^```$/ {exit} g {print}' "$ROOT/$doc" >"$TMP/doc.c"
	diff -q "$TMP/doc.c" "$ROOT/tests/integration/install_example.c" >/dev/null ||
		fail "$doc does not show tests/integration/install_example.c as it is"
done
pass "docs/publisher.md and docs/subscriber.md show the example as it is"
