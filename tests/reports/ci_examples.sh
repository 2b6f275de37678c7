#!/bin/sh
# ci_examples.sh: runs the commands of docs/ci.md as the CI services would:
# the baseline recipe, then the GitHub workflow's run: steps (each in its own
# bash -e, as GitHub does) and the GitLab job's script (one shell, stopping at
# the first failure), each in a fresh working directory holding wsprobe at
# ./wsprobe (the binary under test; see wsp below) and the committed baseline, with a free port as
# $PORT and wsprobe's echo server as the implementation, as the examples
# have it.  Both pass and publish a complete report; with a server that
# breaks cases the baseline expects to pass, the GitHub steps fail with the
# regressions listed.  The examples' structure (junit.xml and the report
# folder published even on failure) is checked by check.py ci-extract.
# Usage: sh tests/reports/ci_examples.sh PATH/TO/wsprobe
set -u
bin=$(cd "$(dirname "${1:?usage: ci_examples.sh WSPROBE}")" && pwd)/$(basename "$1")
name=ci_examples
. "$(dirname "$0")/lib.sh"
need_tools
ci=$tmp/ci
check "docs/ci.md holds the three examples, publishing what they should" \
	"$PY" "$here/check.py" ci-extract "$top/docs/ci.md" "$ci"
[ -f "$ci/gitlab.sh" ] || { check "every results.json written matches the schema" "$PY" "$here/check.py" \
	schema "$tmp"/*/wsprobe-report/results.json

finish; exit 1; }

free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ./wsprobe in the working directories: the binary under test, the real
# scripts/, and a Makefile whose default target only checks that the binary
# is there.  `make check` has built this tree already; building it again
# from the examples would race with that build (and with anyone editing the
# tree), so the build command runs against this stand-in.
wsp=$tmp/wsprobe-tree
mkdir -p "$wsp"
ln -s "$bin" "$wsp/wsprobe"
ln -s "$top/scripts" "$wsp/scripts"
printf 'all:\n\t@test -x wsprobe\n' >"$wsp/Makefile"

# workdir NAME: a fresh working directory with ./wsprobe and, when there
# is one yet, the committed baseline.
workdir() {
	w=$tmp/$1
	mkdir -p "$w"
	ln -s "$wsp" "$w/wsprobe"
	if [ -d "$tmp/w0/.wsprobe" ]; then cp -R "$tmp/w0/.wsprobe" "$w/"; fi
}

# flow DIR SCRIPT...: runs the scripts in DIR, in order, each in its own
# bash, in a session of its own; output in DIR/flow.log.  What a script
# left running (the server) is stopped afterwards, by the session's
# process group.  Returns the status of the first script that failed.
flow() {
	dir=$1
	shift
	PORT=$(free_port) setsid sh -c 'cd "$0" || exit 99
		for s in "$@"; do bash "$s" || exit $?; done' "$dir" "$@" \
		>"$dir/flow.log" 2>&1 &
	fpid=$!
	wait "$fpid"
	frc=$?
	kill -- "-$fpid" 2>/dev/null
	return "$frc"
}

# expect_flow DESCRIPTION WANTED DIR SCRIPT...
expect_flow() {
	desc=$1
	want=$2
	shift 2
	flow "$@"
	got=$?
	cp "$1/flow.log" "$tmp/out"
	if [ "$got" -eq "$want" ]; then ok
	else bad "$desc: exit $got, wanted $want"; sed -n '1,30s/^/    /p' "$tmp/out"; fi
}

workdir w0
expect_flow "the baseline recipe" 0 "$tmp/w0" "$ci/baseline.sh"
check "it leaves .wsprobe/baseline.json" grep -q '"format": "wsprobe-baseline"' \
	"$tmp/w0/.wsprobe/baseline.json"
check "under the agent name" grep -q '^    "my-server": {$' \
	"$tmp/w0/.wsprobe/baseline.json"

gh_steps=$(ls "$ci"/github.*.sh | sort)
workdir gh
# shellcheck disable=SC2086
expect_flow "the GitHub steps" 0 "$tmp/gh" $gh_steps
grep_out "compared with the baseline" "^baseline: 0 regressions, "
check "junit.xml for the JUnit step" "$PY" "$here/check.py" junit "$tmp/gh/wsprobe-report"
check "index.html for the artifact" test -s "$tmp/gh/wsprobe-report/index.html"

workdir gl
expect_flow "the GitLab script" 0 "$tmp/gl" "$ci/gitlab.sh"
grep_out "compared with the baseline" "^baseline: 0 regressions, "
check "junit.xml for reports:junit" "$PY" "$here/check.py" junit "$tmp/gl/wsprobe-report"
check "index.html for expose_as" test -s "$tmp/gl/wsprobe-report/index.html"

# The same GitHub steps against a server that closes with 1009 on messages
# over 100 bytes (cases the baseline expects to pass): the job fails.
workdir reg
mkdir "$tmp/reg-steps"
for s in $gh_steps; do
	sed 's/wsprobe echo --listen/wsprobe echo --max-message 100 --listen/' "$s" \
		>"$tmp/reg-steps/$(basename "$s")"
done
check "the substitution took" grep -q -- '--max-message 100' "$tmp/reg-steps/github.2.sh"
# shellcheck disable=SC2086
expect_flow "a regression fails the GitHub job" 1 "$tmp/reg" $(ls "$tmp/reg-steps"/*.sh | sort)
grep_out "lists the regressions" "^  REGRESSION my-server 1\.1\.6: OK -> FAILED"
check "the report is there to publish" "$PY" "$here/check.py" junit "$tmp/reg/wsprobe-report"

check "every results.json written matches the schema" "$PY" "$here/check.py" \
	schema "$tmp"/*/wsprobe-report/results.json

finish
