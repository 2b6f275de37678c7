#!/bin/sh
# run.sh: wsprobe's integration tests against real peers on loopback.
#
#   wsprobe.sh  wsprobe client vs wsprobe echo (ws://, wss://, --jobs, --seed)
#   peers.sh    vs python3-websockets and npm ws echo servers, verdicts
#               pinned in expected/
#   hostile.sh  vs hostile servers (silence, reset mid-frame, garbage,
#               2^63-byte frames) and a port where nothing listens
#   server.sh   wsprobe server vs npm ws and python3-websockets client
#               drivers, verdicts pinned in expected/server-*.txt
#   pcap.sh     --pcap captures of client and server runs, read back by
#               tshark and wsprobe dissect
#   tshark.sh   wsprobe capture on lo (needs root), and wsprobe dissect
#               vs tshark on captures of python3-websockets and ws peers
#   fuzz.sh     wsprobe fuzz finds the defects of defect_server.py, the
#               saved cases replay; no finding against wsprobe echo
#
# Every server binds 127.0.0.1 and is started and stopped by the script
# that uses it (also on failure).  Needs what `sh scripts/install-deps.sh
# --test` installs; peers.sh runs `npm ci` in tests/peers once.
#
# Usage: sh tests/integration/run.sh [PATH/TO/wsprobe]   (default ./wsprobe)
# Prints "integration: N passed, M failed" last; exits 1 on a failure.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$dir/../../wsprobe}
total_pass=0
total_fail=0
child=""
# A signal stops the script in progress too (its own trap then stops its
# peers); each script runs in the background so that `wait` lets the trap
# run at once.
trap '[ -n "$child" ] && kill "$child" 2>/dev/null; wait; rm -f "${TMPDIR:-/tmp}/wsprobe-it-"*".$$"; exit 130' INT TERM HUP
for t in wsprobe peers hostile server pcap tshark fuzz; do
	start=$(date +%s)
	sh "$dir/$t.sh" "$bin" >"${TMPDIR:-/tmp}/wsprobe-it-$t.$$" 2>&1 &
	child=$!
	wait "$child"
	rc=$?
	child=""
	cat "${TMPDIR:-/tmp}/wsprobe-it-$t.$$"
	echo "  ($t.sh: $(($(date +%s) - start)) s)"
	line=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed$' \
		"${TMPDIR:-/tmp}/wsprobe-it-$t.$$" | tail -1)
	rm -f "${TMPDIR:-/tmp}/wsprobe-it-$t.$$"
	p=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
	total_pass=$((total_pass + ${p:-0}))
	total_fail=$((total_fail + ${f:-0}))
	# A script that died before its summary counts as one failure.
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		echo "$t.sh: exit $rc without a failure count"
		total_fail=$((total_fail + 1))
	fi
done
echo "integration: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
