#!/bin/sh
# run.sh: the report tests, run by `make check` after the Check suites
# (tests/check_reports.c covers the writers one function at a time; these
# scripts drive the wsprobe binary end to end, with real parsers, a real
# browser and the CI examples).  Each script prints one count line and
# "FAIL ..." lines; this exits 1 when any failed.
# Usage: sh tests/reports/run.sh PATH/TO/wsprobe
set -u
bin=${1:?usage: run.sh WSPROBE}
here=$(dirname "$0")
rc=0
for t in formats baseline escape ci_examples; do
	sh "$here/$t.sh" "$bin" || rc=1
done
exit "$rc"
