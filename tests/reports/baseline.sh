#!/bin/sh
# baseline.sh: --baseline on run, client and report, and
# `wsprobe report DIR --make-baseline`, against wsprobe's echo server with
# three cases of known verdicts (cases.lua: 90.1 OK, 90.2 FAILED, 90.3
# NON-STRICT).  Exit 1 only for a regression; fixed, changed, new and not
# run cases are listed or counted; a bad baseline is exit 3 before any case
# runs.
# Usage: sh tests/reports/baseline.sh PATH/TO/wsprobe
set -u
bin=$(cd "$(dirname "${1:?usage: baseline.sh WSPROBE}")" && pwd)/$(basename "$1")
name=baseline
. "$(dirname "$0")/lib.sh"
need_tools
start_echo
url=ws://127.0.0.1:$port/
cases=$here/cases.lua

expect_exit "a FAILED case, no baseline" 1 "$bin" run "$cases" --url "$url" -q \
	-o "$tmp/r1"
check "results.json matches the schema" "$PY" "$here/check.py" schema \
	"$tmp/r1/results.json"
expect_exit "--make-baseline" 0 "$bin" report "$tmp/r1" --make-baseline
grep_out "says where it wrote" "^baseline: .*/r1/baseline\.json \(3 cases\)"
check "the baseline holds the verdicts" grep -q '^      "90.2": "FAILED",$' \
	"$tmp/r1/baseline.json"
check "it writes nothing else" test "$(ls "$tmp/r1" | wc -l)" -eq 8
b=$tmp/r1/baseline.json

expect_exit "known failure: no regression" 0 "$bin" run "$cases" --url "$url" \
	-q -o "$tmp/r2" --baseline "$b"
grep_out "count line" "^baseline: 0 regressions, 0 fixed, 0 improved, 0 changed, 3 unchanged, 0 new, 0 not run$"

# The baseline says 90.2 passed: a regression.
sed 's/"90.2": "FAILED"/"90.2": "OK"/' "$b" >"$tmp/ok.json"
expect_exit "worse than the baseline" 1 "$bin" run "$cases" --url "$url" -q \
	-o "$tmp/r3" --baseline "$tmp/ok.json"
grep_out "lists it with the reason" "^  REGRESSION ws://127\.0\.0\.1:[0-9]+/ 90\.2: OK -> FAILED: event 1: expected"
grep_out "counts it" "^baseline: 1 regression, "
check "the report is still written" test -s "$tmp/r3/junit.xml"

# 90.1 FAILED then (now fixed), 90.3 INFORMATIONAL then (now NON-STRICT:
# same rank), 90.9 in the baseline only, 90.3 excluded now.
sed -e 's/"90.1": "OK"/"90.1": "FAILED"/' \
	-e 's/"90.3": "NON-STRICT"/"90.3": "INFORMATIONAL",\n      "90.9": "OK"/' \
	"$b" >"$tmp/mixed.json"
expect_exit "fixed and changed: exit 0" 0 "$bin" run "$cases" --url "$url" -q \
	-o "$tmp/r4" --baseline "$tmp/mixed.json"
grep_out "lists the fixed case" "^  FIXED      ws://127\.0\.0\.1:[0-9]+/ 90\.1: FAILED -> OK$"
grep_out "lists the changed case" "^  CHANGED    ws://127\.0\.0\.1:[0-9]+/ 90\.3: INFORMATIONAL -> NON-STRICT$"
grep_out "counts" "^baseline: 0 regressions, 1 fixed, 0 improved, 1 changed, 1 unchanged, 0 new, 1 not run$"
expect_exit "excluded cases are not compared" 0 "$bin" run "$cases" --url "$url" \
	-q -o "$tmp/r5" -x 90.3 --baseline "$tmp/mixed.json"
grep_out "counts" "^baseline: 0 regressions, 1 fixed, 0 improved, 0 changed, 1 unchanged, 0 new, 1 not run$"

# Another agent name: one agent on each side is compared all the same.
expect_exit "another agent name" 0 "$bin" run "$cases" --url "$url" -q \
	-a "renamed" -o "$tmp/r6" --baseline "$b"
grep_out "compared" "3 unchanged, 0 new"

# An Autobahn index.json and a results.json serve as baselines too.
expect_exit "Autobahn index.json as the baseline" 0 "$bin" run "$cases" \
	--url "$url" -q -o "$tmp/r7" --baseline "$tmp/r1/index.json"
grep_out "compared" "3 unchanged"
expect_exit "results.json as the baseline" 0 "$bin" report -q "$tmp/r2" \
	--baseline "$tmp/r1/results.json"
grep_out "compared" "3 unchanged"
expect_exit "report DIR --baseline: a regression" 1 "$bin" report -q "$tmp/r2" \
	--baseline "$tmp/ok.json"
grep_out "listed" "REGRESSION .* 90\.2: OK -> FAILED"

# client --baseline, with the embedded cases.
printf '{"format": "wsprobe-baseline", "version": 1, "agents": {"e": {"1.1.1": "OK", "1.1.2": "FAILED"}}}\n' \
	>"$tmp/client.json"
expect_exit "client --baseline" 0 "$bin" client -q -c 1.1.1,1.1.2 -a e \
	-o "$tmp/r8" --baseline "$tmp/client.json" "$url"
grep_out "fixed" "^  FIXED      e 1\.1\.2: FAILED -> OK$"

# Bad baselines: exit 3, one line, before any case runs.
expect_exit "missing baseline" 3 "$bin" run "$cases" --url "$url" -q \
	-o "$tmp/r9" --baseline "$tmp/nope.json"
grep_out "names it" "^wsprobe: .*/nope\.json: cannot read: No such file"
check "one line" test "$(wc -l <"$tmp/out")" -eq 1
check "no case ran" test ! -e "$tmp/r9"
printf '{"format": "wsprobe-baseline", "version": 1, "agents": {"a": {"1": "PASS"}}}' \
	>"$tmp/badv.json"
expect_exit "a verdict that does not exist" 3 "$bin" client -q \
	--baseline "$tmp/badv.json" -o "$tmp/r9" "$url"
grep_out "says which" "agents\.\"a\"\.\"1\": must be OK, NON-STRICT, FAILED"
check "no case ran" test ! -e "$tmp/r9"
expect_exit "report: bad baseline" 3 "$bin" report "$tmp/r2" --baseline "$tmp/badv.json"
expect_exit "--make-baseline with --format" 2 "$bin" report "$tmp/r2" \
	--make-baseline --format json

check "every results.json written here matches the schema" \
	"$PY" "$here/check.py" schema "$tmp"/r*/results.json

finish
