#!/bin/sh
# oss_fuzz_build.sh: runs fuzz/oss-fuzz/build.sh as OSS-Fuzz's builder would
# (CC=clang CXX=clang++, the base image's CFLAGS with ASan and
# -fsanitize=fuzzer-no-link, LIB_FUZZING_ENGINE=-fsanitize=fuzzer, OUT, SRC
# and WORK in a temporary directory), then checks that every fuzz/fuzz_*.c
# target landed in $OUT with its .options (and the dictionary it names)
# and, when fuzz/corpus/NAME exists, a NAME_seed_corpus.zip holding exactly
# those files; finally each target fuzzes for FUZZ_SECS seconds (default 1)
# from its unzipped seeds with its dictionary and max_len.
#
# Usage: sh tests/fuzz/oss_fuzz_build.sh   (from the top of the tree)
# Exits 0 on success; 1 with a FAIL line on the first problem, including a
# missing clang (installed by scripts/install-deps.sh --test).
set -eu

fail() {
	echo "FAIL oss_fuzz_build: $*" >&2
	exit 1
}

for tool in clang clang++ python3; do
	command -v $tool >/dev/null 2>&1 ||
		fail "$tool not found (sh scripts/install-deps.sh --test)"
done

top=$(pwd)
[ -f fuzz/oss-fuzz/build.sh ] || fail "run from the top of the tree"
tmp=$(mktemp -d /tmp/wsprobe-ossfuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/out" "$tmp/src" "$tmp/work"

# The flags of gcr.io/oss-fuzz-base/base-builder for libFuzzer + ASan.
flags="-O1 -fno-omit-frame-pointer -gline-tables-only"
flags="$flags -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
flags="$flags -fsanitize=address -fsanitize-address-use-after-scope"
flags="$flags -fsanitize=fuzzer-no-link"

if ! env CC=clang CXX=clang++ CFLAGS="$flags" CXXFLAGS="$flags" \
	LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT="$tmp/out" \
	SRC="$tmp/src" WORK="$tmp/work" \
	bash fuzz/oss-fuzz/build.sh >"$tmp/build.log" 2>&1; then
	tail -30 "$tmp/build.log" >&2
	fail "build.sh failed"
fi

secs=${FUZZ_SECS:-1}
n=0
for src in fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	bin=$tmp/out/$name
	[ -x "$bin" ] || fail "$name: no executable in \$OUT"
	opts=$tmp/out/$name.options
	[ -f "$opts" ] || fail "$name: no $name.options"
	grep -q '^\[libfuzzer\]$' "$opts" || fail "$name.options: no [libfuzzer]"
	max_len=$(sed -n 's/^max_len = //p' "$opts")
	[ -n "$max_len" ] || fail "$name.options: no max_len"
	dict=$(sed -n 's/^dict = //p' "$opts")
	set --
	if [ -n "$dict" ]; then
		[ -f "$tmp/out/$dict" ] || fail "$name.options names $dict, not in \$OUT"
		set -- "-dict=$tmp/out/$dict"
	fi
	seeds=$tmp/seeds/$name
	mkdir -p "$seeds"
	if [ -d "fuzz/corpus/$name" ]; then
		zip=$tmp/out/${name}_seed_corpus.zip
		[ -f "$zip" ] || fail "$name: no ${name}_seed_corpus.zip"
		(cd "$seeds" && python3 -m zipfile -e "$zip" .) ||
			fail "$name: seed zip does not extract"
		want=$(ls "fuzz/corpus/$name" | wc -l)
		got=$(ls "$seeds" | wc -l)
		[ "$want" -eq "$got" ] ||
			fail "$name: zip holds $got files, corpus $want"
	fi
	if ! (cd "$tmp" && "$bin" "$@" -max_len="$max_len" \
		-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$tmp/$name-" "$seeds" \
		>"$tmp/$name.log" 2>&1); then
		tail -30 "$tmp/$name.log" >&2
		fail "$name: fuzzing failed"
	fi
	grep -q "Done [0-9]* runs" "$tmp/$name.log" ||
		fail "$name: no 'Done N runs' in its log"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no fuzz targets found"
[ -d "$tmp/out/lib" ] || fail "no \$OUT/lib"
cd "$top"
echo "oss_fuzz_build: $n targets built by build.sh, packaged and run ${secs} s each"
