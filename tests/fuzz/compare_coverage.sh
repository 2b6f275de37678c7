#!/bin/sh
# compare_coverage.sh: does the wsmut mutator help?  Fuzzes the frame-stream
# target (fuzz/fuzz_wsf_mut.c: wsf_decode + the message layer) for SECS
# seconds (default 60) twice from the same seeds and libFuzzer seed: once
# with the custom mutator and crossover, once built with -DWSMUT_PLAIN
# (libFuzzer's own mutators only).  Prints libFuzzer's final cov/ft for each
# run, then replays both resulting corpora through the plain build (so the
# numbers count the same code) and prints those cov/ft too.
#
# Not part of `make check` (it takes 2 x SECS).  Usage, from the top:
#   sh tests/fuzz/compare_coverage.sh [SECS]
set -eu
secs=${1:-60}
command -v clang >/dev/null 2>&1 || { echo "FAIL: clang not found" >&2; exit 1; }
tmp=$(mktemp -d /tmp/wsmut-cmp.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

pkgs="openssl zlib libpcap lua5.4 jansson"
flags="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iproto -Ifuzz
 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
 -fno-sanitize-recover=all -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
 $(pkg-config --cflags $pkgs)"
srcs="fuzz/fuzz_wsf_mut.c fuzz/wsmut.c $(ls proto/*.c)"
# shellcheck disable=SC2086
clang $flags -o "$tmp/with" $srcs $(pkg-config --libs $pkgs) -lm
# shellcheck disable=SC2086
clang $flags -DWSMUT_PLAIN -o "$tmp/plain" $srcs $(pkg-config --libs $pkgs) -lm

stats() { # the last "cov: N ft: M" of a libFuzzer log
	grep -o 'cov: [0-9]* ft: [0-9]*' "$1" | tail -1
}
for v in with plain; do
	mkdir -p "$tmp/corpus-$v"
	cp fuzz/corpus/fuzz_wsf_mut/* "$tmp/corpus-$v/"
	"$tmp/$v" -seed=1 -max_len=4096 -max_total_time="$secs" \
		-print_final_stats=1 "$tmp/corpus-$v" >"$tmp/$v.log" 2>&1
	execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tmp/$v.log")
	units=$(ls "$tmp/corpus-$v" | wc -l)
	"$tmp/plain" -runs=0 "$tmp/corpus-$v" >"$tmp/$v.replay" 2>&1
	echo "$v mutator: final $(stats "$tmp/$v.log"), $execs exec/s," \
		"$units corpus files; replayed on the plain build:" \
		"$(stats "$tmp/$v.replay")"
done
