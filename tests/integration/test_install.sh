#!/usr/bin/env bash
# make install into a temporary DESTDIR and PREFIX: the programs, a man page
# per program that man renders, the systemd units that systemd-analyze
# verifies (with their binaries and man pages in place), the example
# environment files; and a machine without the libraries stops with a hint
# to run make deps instead of a missing header. No broker, no network.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
PROGS=(registry accountservice publisher aggregator)
UNITS=(discovery-registry.service discovery-accountservice.service discovery-publisher@.service
	discovery-aggregator.service)
for tool in help2man man systemd-analyze; do
	command -v "$tool" >/dev/null || fail "$tool is missing (scripts/deps.sh installs it)"
done

# ---- DESTDIR and PREFIX are honoured ----
DEST=$TMP/root
make -s BUILD="$BUILD" DESTDIR="$DEST" PREFIX=/usr install >"$TMP/install.log" 2>&1 ||
	fail "make install DESTDIR=$DEST PREFIX=/usr"
for p in "${PROGS[@]}"; do
	[[ -x $DEST/usr/bin/$p ]] || fail "no $DEST/usr/bin/$p"
	[[ -f $DEST/usr/share/man/man1/$p.1 ]] || fail "no man page for $p"
	[[ -f $DEST/usr/share/doc/discovery/examples/$p.env ]] || fail "no example $p.env"
done
for u in "${UNITS[@]}"; do
	f=$DEST/usr/lib/systemd/system/$u
	[[ -f $f ]] || fail "no unit $u"
	grep -q '^ExecStart=/usr/bin/' "$f" || fail "$u: ExecStart= not under PREFIX: $(grep ExecStart "$f")"
	grep -q '@bindir@' "$f" && fail "$u: @bindir@ left in it"
	grep -q '^Type=notify$' "$f" || fail "$u: not Type=notify"
done
# The libraries, their headers and pkg-config files are test_install_libs'.
leftover=$(find "$DEST" -type f | grep -Ev '/usr/(bin|share/man/man1|share/doc/discovery/examples|lib/systemd/system|include/discovery|lib/pkgconfig)/' |
	grep -Ev '/usr/lib/libdiscovery-(publisher|subscriber)\.(a|so\.[0-9.]+)$' || true)
[[ -z $leftover ]] || fail "installed outside the expected folders: $leftover"
pass "make install DESTDIR= PREFIX=/usr: binaries, man pages, units, example environments"

# ---- every man page renders, with the options, the variables and our sections ----
for p in "${PROGS[@]}"; do
	page=$TMP/$p.txt
	LC_ALL=C MANWIDTH=100 man -l "$DEST/usr/share/man/man1/$p.1" >"$page" 2>"$TMP/man-$p.log" ||
		fail "man -l $p.1"
	[[ -s $TMP/man-$p.log ]] && fail "man -l $p.1 warns: $(cat "$TMP/man-$p.log")"
	for want in NAME SYNOPSIS DESCRIPTION ENVIRONMENT 'EXIT STATUS' 'SEE ALSO' \
		'--amqp-url VALUE' AMQP_SERVER_URL_FILE '--help'; do
		grep -q -- "$want" "$page" || fail "$p.1 lacks '$want'"
	done
	# Each option is its own paragraph: a flag longer than --help's column
	# must not run into its text (help2man splits at two spaces).
	if grep -E -- '^ +--[a-z-]+ +VALUE +[A-Za-z]' "$page"; then
		fail "$p.1: an option runs into its description"
	fi
done
grep -q -- '--max-connections-per-client VALUE$' "$TMP/registry.txt" ||
	fail "registry.1: --max-connections-per-client is not a paragraph of its own"
pass "man -l renders each page with its options, environment and sections"

# ---- the units, verified against installed binaries and man pages ----
PFX=$TMP/prefix
make -s BUILD="$BUILD" PREFIX="$PFX" install >>"$TMP/install.log" 2>&1 || fail "make install PREFIX=$PFX"
cd "$PFX/lib/systemd/system"
for u in discovery-registry.service discovery-accountservice.service discovery-publisher@web.service \
	discovery-aggregator.service; do
	# verify exits 0 on settings it ignores: any word from it is a failure.
	MANPATH=$PFX/share/man systemd-analyze verify "$u" >"$TMP/verify.log" 2>&1 ||
		fail "systemd-analyze verify $u: $(cat "$TMP/verify.log")"
	[[ -s $TMP/verify.log ]] && fail "systemd-analyze verify $u: $(cat "$TMP/verify.log")"
	exposure=$(systemd-analyze security --offline=yes "$PFX/lib/systemd/system/${u/@web/@}" 2>/dev/null |
		awk '/Overall exposure level/ { print $(NF-2), $(NF-1) }')
	echo "systemd-analyze security $u: $exposure"
done
cd "$ROOT"
pass "systemd-analyze verify: every unit, its ExecStart= and its man page"

# ---- no libraries: a hint, not a compiler error ----
rc=0
PKG_CONFIG_LIBDIR=$TMP/none make -s BUILD="$TMP/nolibs" all >"$TMP/nolibs.log" 2>&1 || rc=$?
((rc != 0)) || fail "make succeeded without the libraries"
grep -q "run 'make deps' first" "$TMP/nolibs.log" || fail "no hint to run make deps: $(cat "$TMP/nolibs.log")"
grep -q 'libcurl' "$TMP/nolibs.log" || fail "the missing libraries are not named"
grep -Eq 'fatal error|\.h:' "$TMP/nolibs.log" && fail "the compiler ran without the libraries: $(cat "$TMP/nolibs.log")"
rc=0
PKG_CONFIG_LIBDIR=$TMP/none make -s BUILD="$TMP/nolibs" DESTDIR="$TMP/nolibs-root" install >"$TMP/nolibs.log" 2>&1 || rc=$?
((rc != 0)) && grep -q "run 'make deps' first" "$TMP/nolibs.log" ||
	fail "make install without the libraries: $(cat "$TMP/nolibs.log")"
pass "without the libraries, make and make install say to run make deps"
