#!/bin/bash -eu
# build.sh: builds every wsprobe fuzz target the way OSS-Fuzz and
# ClusterFuzzLite expect (google/oss-fuzz docs, "new_project_guide").
#
# Honours $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE $OUT $SRC $WORK:
# library and targets are compiled with $CC $CFLAGS into $WORK, linked with
# $CXX $CXXFLAGS $LIB_FUZZING_ENGINE (libFuzzer is C++), and $OUT receives
#   NAME                  one binary per fuzz/fuzz_NAME.c
#   NAME_seed_corpus.zip  fuzz/corpus/NAME/, flat
#   NAME.options          [libfuzzer] dict = ..., max_len = ...
#   ws.dict http.dict lua.dict spec.dict ...  the dictionaries the .options
#                         files name
#   lib/*.so*             the shared libraries (openssl, zlib, libpcap,
#                         lua5.4, jansson) the runner image lacks, found
#                         through rpath $ORIGIN/lib
#
# The source tree is the checkout holding this script, else the current
# directory, else $SRC/wsprobe.  Run locally (tests/fuzz/oss_fuzz_build.sh):
#   CC=clang CXX=clang++ CFLAGS=... LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
#   OUT=/tmp/out SRC=/tmp/src WORK=/tmp/work fuzz/oss-fuzz/build.sh

here=$(cd "$(dirname "$0")" && pwd)
if [ -f "$here/../../fuzz/fuzz.h" ]; then
	root=$(cd "$here/../.." && pwd)
elif [ -f fuzz/fuzz.h ]; then
	root=$(pwd)
else
	root=$SRC/wsprobe
fi
cd "$root"

PKG_CONFIG=${PKG_CONFIG:-pkg-config}
pkgs="openssl zlib libpcap lua5.4 jansson"
pkg_cflags=$($PKG_CONFIG --cflags $pkgs)
pkg_libs=$($PKG_CONFIG --libs $pkgs)

obj=$WORK/wsprobe-obj
rm -rf "$obj"
mkdir -p "$obj/gen" "$OUT"

# The same defines and include paths as the Makefile, without -Werror (the
# OSS-Fuzz clang is newer than ours and may warn differently).
base="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE"
base="$base -DWSPROBE_VERSION=\"oss-fuzz\" -Iproto -Iharness -Ipcap -Ireports"
base="$base -Ifuzz $pkg_cflags"

# Generated sources: the embedded case library (with the preludes of
# cases/lib/) and requirements table.
sh scripts/embed-cases.sh "$obj/gen/cases_embed.c" cases/*.lua cases/lib/*.lua
sh scripts/embed-reqs.sh "$obj/gen/reqs_embed.c" docs/requirements.tsv

# Library code: everything but the CLI entry point, plus the fuzz/ helpers
# that are not targets (the wsmut mutator, shared harness code).
lib_src=""
for f in proto/*.c harness/*.c pcap/*.c reports/*.c fuzz/*.c; do
	case "$f" in
	harness/cli_main.c | fuzz/fuzz_*.c | fuzz/replay_main.c) continue ;;
	esac
	lib_src="$lib_src $f"
done
# Compiled in parallel (BUILD_JOBS, default the number of cores).
jobs=${BUILD_JOBS:-$(nproc 2>/dev/null || echo 1)}
objs=""
for f in $lib_src "$obj/gen/cases_embed.c" "$obj/gen/reqs_embed.c"; do
	o=$obj/$(echo "$f" | sed -e "s|^$obj/||" -e 's|/|_|g' -e 's|\.c$|.o|')
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
	$CC $base $CFLAGS -c "$f" -o "$o" &
	objs="$objs $o"
done
wait
for o in $objs; do
	[ -f "$o" ] || { echo "build.sh: $o failed to compile" >&2; exit 1; }
done
ar rcs "$obj/libwsprobe_fuzz.a" $objs

# Which dictionary and input limit each target gets.
dict_for() {
	case "$1" in
	fuzz_hs_* | fuzz_url | fuzz_ext | fuzz_pmd_params | fuzz_query) echo http.dict ;;
	fuzz_results_json) echo results_json.dict ;;
	fuzz_lcase) echo lua.dict ;;
	fuzz_spec) echo spec.dict ;;
	fuzz_u8_*) echo "" ;;
	*) echo ws.dict ;;
	esac
}
max_len_for() {
	case "$1" in
	fuzz_hs_* | fuzz_url | fuzz_ext | fuzz_pmd_params | fuzz_query) echo 8192 ;;
	fuzz_pcap | fuzz_dissect | fuzz_tcpr | fuzz_results_json) echo 65536 ;;
	fuzz_lcase) echo 32768 ;; # the case files are up to 18 KB
	fuzz_spec) echo 8192 ;;
	fuzz_rw_scan) echo 4096 ;; # every byte is also fed alone
	*) echo 16384 ;;
	esac
}

for d in fuzz/*.dict; do
	cp "$d" "$OUT/"
done

for src in fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
	rm -f "$OUT/$name"
	{
		$CC $base $CFLAGS -c "$src" -o "$obj/$name.o" &&
			$CXX $CXXFLAGS "$obj/$name.o" -o "$OUT/$name" \
				"$obj/libwsprobe_fuzz.a" $LIB_FUZZING_ENGINE \
				$pkg_libs -lpthread -lm -Wl,-rpath,'$ORIGIN/lib'
	} &
	if [ -d "fuzz/corpus/$name" ]; then
		rm -f "$OUT/${name}_seed_corpus.zip"
		if command -v zip >/dev/null 2>&1; then
			zip -q -j "$OUT/${name}_seed_corpus.zip" "fuzz/corpus/$name"/*
		else
			(cd "fuzz/corpus/$name" &&
				python3 -m zipfile -c "$OUT/${name}_seed_corpus.zip" ./*)
		fi
	fi
	dict=$(dict_for "$name")
	{
		echo "[libfuzzer]"
		[ -n "$dict" ] && [ -f "fuzz/$dict" ] && echo "dict = $dict"
		echo "max_len = $(max_len_for "$name")"
	} >"$OUT/$name.options"
done

wait
for src in fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	[ -x "$OUT/$name" ] || { echo "build.sh: $name failed to build" >&2; exit 1; }
done

# Ship the shared libraries the base-runner image does not have, next to the
# targets (OSS-Fuzz's fuzzer_environment.md: $ORIGIN-relative objects).
mkdir -p "$OUT/lib"
first=$(ls "$OUT"/fuzz_* | grep -v '\.' | head -1)
ldd "$first" | awk '/=> \// { print $3 }' | while read -r so; do
	case "$(basename "$so")" in
	libc.so* | libm.so* | libpthread.so* | libdl.so* | librt.so* | \
		ld-linux* | libstdc++.so* | libgcc_s.so* | libc++*.so*) ;;
	*) cp -L "$so" "$OUT/lib/" ;;
	esac
done
