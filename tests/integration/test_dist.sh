#!/usr/bin/env bash
# make dist: the release tarball discovery-VERSION.tar.gz holds exactly the
# committed files under discovery-VERSION/, and, unpacked in a fresh folder
# away from the repository, builds with make deps and make alone; the
# programs it builds run. No broker, no network.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
version=$(cat VERSION)
name=discovery-$version

make -s BUILD="$TMP/out" dist >"$TMP/dist.log" 2>&1 || fail "make dist: $(cat "$TMP/dist.log")"
tarball=$TMP/out/$name.tar.gz
[[ -f $tarball ]] || fail "no $tarball"
tar -tzf "$tarball" | grep -v '/$' | sed "s|^$name/||" | sort >"$TMP/packed"
git ls-tree -r --name-only HEAD | sort >"$TMP/tracked"
diff "$TMP/tracked" "$TMP/packed" >"$TMP/diff" || fail "the tarball is not the tracked files: $(head -20 "$TMP/diff")"
pass "make dist: $name.tar.gz, $(wc -l <"$TMP/packed") files, the tracked ones under $name/"

mkdir "$TMP/unpacked"
tar -xzf "$tarball" -C "$TMP/unpacked"
cd "$TMP/unpacked/$name"
# Its own build/, as a user's make would use: not the suite's BUILD.
unset BUILD MAKEFLAGS
[[ -e .git ]] && fail "the tarball holds .git"
make -s deps >"$TMP/deps.log" 2>&1 || fail "make deps in the unpacked tree: $(tail -5 "$TMP/deps.log")"
start=$SECONDS
make -s -j2 >"$TMP/build.log" 2>&1 || fail "make in the unpacked tree: $(tail -20 "$TMP/build.log")"
echo "build of the unpacked tarball: $((SECONDS - start)) s"
for p in registry accountservice publisher aggregator; do
	build/bin/$p --help | grep -q AMQP_SERVER_URL || fail "the unpacked tree's $p does not run"
done
pass "the unpacked tarball builds with make deps and make, and its programs run"
