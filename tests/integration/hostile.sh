#!/bin/sh
# hostile.sh: wsprobe's client against misbehaving servers
# (tests/peers/hostile.py) and against a port where nothing listens.
#
# For each hostile server: wsprobe must not crash or hang (exit code exactly
# 1: cases FAILED), stay bounded in memory (it runs under `ulimit -v` of
# 512 MiB, and its maximum resident size is checked when /usr/bin/time is
# there), end every case within the case's deadline, and give every FAILED
# case a reason that names the cause.  Cases the hostile behaviour cannot
# pass must be FAILED; the others (a peer that resets is, for a case that
# wants the connection failed, doing just that) may pass.  Where nothing
# listens: exit 4 and a one-line message.
#
# Usage: sh tests/integration/hostile.sh [PATH/TO/wsprobe]
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

HOSTILE="$ROOT/tests/peers/hostile.py"
VMEM_KB=524288   # ulimit -v for wsprobe
# The hostile behaviour does not depend on the case, so the first three
# categories (34 cases: echoes of every length encoding, Pings, reserved
# bits) stand for the library and keep the run short.
CASES='1.*,2.*,3.*'
RSS_MAX_KB=204800 # max resident size allowed, when /usr/bin/time exists

echo "wsprobe client vs hostile peers"

# hostile MODE MAX_MS REGEX MUST_FAIL [WSPROBE OPTIONS...]
hostile() {
	mode=$1
	max_ms=$2
	regex=$3
	must=$4
	shift 4
	if ! start_peer "$mode" "$TMP/$mode.port" "$PY" "$HOSTILE" "$mode" 0 \
		"$TMP/$mode.port"; then
		bad "$mode" "hostile.py $mode did not start"
		return
	fi
	timer=""
	if [ -x /usr/bin/time ]; then
		timer="/usr/bin/time -o $TMP/$mode.rss -f %M"
	fi
	# Run in a background subshell (in_background), so the address-space
	# limit binds wsprobe alone (dash and bash both have ulimit -v; exit
	# 97 shows a shell without it).  $timer is split into words on
	# purpose.
	limited() {
		ulimit -v "$VMEM_KB" || exit 97
		# shellcheck disable=SC2086
		exec timeout -k 5 "$RUN_LIMIT" $timer "$WSPROBE" client -q \
			--jobs 4 -o "$TMP/$mode" "$@" "ws://127.0.0.1:$port/"
	}
	in_background limited --cases "$CASES" "$@" >"$TMP/$mode.out" 2>&1
	stop_peers
	if [ "$rc" -eq 1 ]; then
		ok "$mode: exit 1 (cases FAILED, no crash, no hang)"
	else
		bad "$mode" "exit $rc, wanted 1: $(tail -5 "$TMP/$mode.out")"
		return
	fi
	check "$mode: every case within ${max_ms} ms, FAILED ones name the cause" \
		"$PY" "$RESULTS" hostile "$TMP/$mode/results.json" "$max_ms" \
		"$regex" "$must"
	if [ -n "$timer" ]; then
		rss=$(tail -1 "$TMP/$mode.rss")
		if [ "$rss" -gt 0 ] 2>/dev/null && [ "$rss" -le "$RSS_MAX_KB" ]; then
			ok "$mode: max RSS ${rss} KiB"
		else
			bad "$mode" "max RSS '${rss}' KiB, limit $RSS_MAX_KB KiB"
		fi
	fi
}

# Accepts TCP, never answers: the opening handshake times out (5 s,
# scaled by 0.2 here so the test is quick).
hostile silent 1800 'no opening handshake response in time' '*' \
	--timeout-scale 0.2
# Non-HTTP bytes instead of the 101.
hostile garbage 2000 'bad opening handshake response' '*'
# Handshake, then 2 of a frame's 200 payload bytes, then RST.  Cases that
# need an answer from the peer (echo, Pong, a clean close) must fail; the
# peer's reset is an acceptable way of failing the connection for the
# others (3.x, 2.5), which may pass.
hostile reset 3000 'reset the TCP connection in the middle of a frame' \
	'1.*,2.*,!2.5'
# A 64-bit length with the top bit set: a violation of RFC 6455 5.2.
hostile len63 3000 'most significant bit set \(R6455-5\.2-05\)' '*'
# 2^63 - 1 bytes announced: over any limit, refused at the header.
hostile len63m1 3000 'message longer than the configured maximum \(R6455-10\.4-01\)' '*'
# 2^30 bytes announced, with --max-message 2^40 so the header is accepted:
# the 16 bytes that arrive are all that may be held (no allocation from
# the announced length); the peer then stalls and the cases time out.
hostile len1g 3000 'did not answer the Close frame in time' '*' \
	--timeout-scale 0.2 --max-message 1099511627776

# --- nothing listens -----------------------------------------------------
# A port that was free a moment ago (bound and closed by python).
free=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for scheme in ws wss; do
	wsprobe_run "$TMP/unreach.out" client -q -o "$TMP/unreach" \
		"$scheme://127.0.0.1:$free/"
	if [ "$rc" -eq 4 ] && [ "$(wc -l <"$TMP/unreach.out")" -eq 1 ] &&
		grep -q "^wsprobe: cannot reach $scheme://127.0.0.1:$free/: .*refused" \
			"$TMP/unreach.out" && [ ! -e "$TMP/unreach" ]; then
		ok "$scheme:// where nothing listens: exit 4, one line: $(cat "$TMP/unreach.out")"
	else
		bad "$scheme:// where nothing listens" "exit $rc: $(cat "$TMP/unreach.out")"
	fi
done
# Without -q the seed line comes first; the error is still one line.
wsprobe_run "$TMP/unreach2.out" client -o "$TMP/unreach2" "ws://127.0.0.1:$free/"
if [ "$rc" -eq 4 ] && [ "$(grep -c 'cannot reach' "$TMP/unreach2.out")" -eq 1 ] &&
	[ "$(grep -vc '^wsprobe: seed [0-9]*$' "$TMP/unreach2.out")" -eq 1 ]; then
	ok "nothing listens, without -q: exit 4, the seed line and one error line"
else
	bad "nothing listens, without -q" "exit $rc: $(cat "$TMP/unreach2.out")"
fi

finish "hostile"
