#!/bin/sh
# smoke1.sh TARGET SECS: one target of `make fuzz-smoke`: a few seconds of
# fuzzing from a scratch copy of its corpus.  The Makefile runs two at a
# time (one per core).  On a failure it prints the log's end and exits 255,
# which makes xargs stop starting new ones.
t=$1
secs=$2
dir=build/fuzz/smoke
rm -rf "$dir/$t"
mkdir -p "$dir/$t"
cp fuzz/corpus/"$t"/* "$dir/$t/" 2>/dev/null
echo "  FUZZ    $t ($secs s)"
if ! ./build/fuzz/bin/"$t" -max_total_time="$secs" -timeout=10 \
	-rss_limit_mb=2048 -artifact_prefix="$dir/$t-" \
	"$dir/$t" >"$dir/$t.log" 2>&1; then
	tail -40 "$dir/$t.log"
	exit 255
fi
