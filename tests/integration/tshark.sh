#!/bin/sh
# tshark.sh: `wsprobe capture` on lo, and agreement of `wsprobe dissect`
# with tshark on captures of REAL peers (issue 6, items 2 and 5).
#
# Four conversations, each captured by `wsprobe capture -i lo --port P -w
# FILE` started before the peers and stopped (SIGINT) after them:
#   py-ws-plain / py-ws-deflate   tests/peers/py_script_client.py (Debian's
#       python3-websockets) -> tests/peers/ws_script_server.js (npm ws)
#   ws-py-plain / ws-py-deflate   tests/peers/ws_script_client.js ->
#       tests/peers/py_script_server.py
# without and with permessage-deflate.  The script (py_script_client.py
# describes it): text and binary messages of 0 B to 16 MiB echoed,
# fragmented messages both ways, Pings with payloads, a Close with a code
# and a reason.  For each capture:
#   - the peers agree on every echo (their exit code), the capture exits 0,
#     drops nothing, and FILE exists (FILE.part renamed);
#   - the lines `wsprobe capture` printed live are the lines `wsprobe
#     dissect FILE` prints;
#   - tshark_compare.py: the same frames in the same order as tshark
#     (packet, stream, opcode, FIN, RSV, MASK, length), and the same
#     unmasked payloads (CRC-32 of the whole payload, inflated where
#     tshark inflates; what tshark cannot decode is listed, not hidden);
#   - `wsprobe dissect --check` flags nothing on these correct peers.
# Then the capture's own behaviour: --duration and -c end a run, SIGTERM
# leaves a readable FILE, and a bad filter or interface exits 2 or 4.
#
# Capturing needs root (or CAP_NET_RAW): without it the script prints
# SKIP and fails, it never reports a pass.  KEEP=DIR keeps the captures.
#
# Usage: sh tests/integration/tshark.sh [PATH/TO/wsprobe]
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# A private copy: a rebuild of the tree's binary during the run (make in
# another terminal) cannot pull it from under a capture.
cp "$WSPROBE" "$TMP/wsprobe" && WSPROBE="$TMP/wsprobe"
PEERS="$ROOT/tests/peers"
COMPARE="$ROOT/tests/integration/tshark_compare.py"
# One conversation takes 2-8 s; the limit turns a hang into a failure.
PEER_LIMIT=${PEER_LIMIT:-60}

echo "wsprobe capture on lo, and wsprobe dissect vs tshark on real peers"

# Can this user capture?  A 0.1 s capture on lo says (exit 4: not
# permitted, or no lo).
if ! "$WSPROBE" capture -i lo -q --duration 0.1 -p 9 >"$TMP/probe" 2>&1; then
	echo "  SKIP  capturing on lo is not possible here (needs root, or"
	echo "        CAP_NET_RAW and CAP_NET_ADMIN): $(grep -v listening "$TMP/probe" | head -1)"
	echo "tshark: 0 passed, 1 failed"
	exit 1
fi
for tool in tshark node; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "  SKIP  $tool not found (sh scripts/install-deps.sh --test)"
		echo "tshark: 0 passed, 1 failed"
		exit 1
	fi
done
if [ ! -d "$PEERS/node_modules/ws" ]; then
	npm ci --prefix "$PEERS" --no-audit --no-fund >"$TMP/npm.log" 2>&1 ||
		{ bad "npm ci" "$(tail -3 "$TMP/npm.log")"; finish tshark; exit 1; }
fi

cappid=""

# capture_start NAME ARGS...: starts `wsprobe capture ARGS` with its
# stdout in $TMP/NAME.live and stderr in $TMP/NAME.err, and waits (5 s at
# most) until it listens.  Returns 1 when it did not.
capture_start() {
	cname=$1
	shift
	"$WSPROBE" capture "$@" >"$TMP/$cname.live" 2>"$TMP/$cname.err" &
	cappid=$!
	pids="$pids $cappid"
	i=0
	while ! grep -q 'listening on' "$TMP/$cname.err" 2>/dev/null; do
		if [ $i -ge 100 ] || ! kill -0 "$cappid" 2>/dev/null; then
			return 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
	return 0
}

# capture_stop [SIGNAL]: ends the capture (default SIGINT), waits for it;
# its exit code is in $caprc.
capture_stop() {
	kill "-${1:-INT}" "$cappid" 2>/dev/null
	wait "$cappid"
	caprc=$?
	cappid=""
}

# conversation NAME SERVER CLIENT MODE: SERVER and CLIENT are py or ws.
conversation() {
	name=$1
	mode=$4
	case $2 in
	py) server="$PY $PEERS/py_script_server.py" ;;
	*) server="node $PEERS/ws_script_server.js" ;;
	esac
	case $3 in
	py) client="$PY $PEERS/py_script_client.py" ;;
	*) client="node $PEERS/ws_script_client.js" ;;
	esac
	# shellcheck disable=SC2086
	if ! start_peer "$name-server" "$TMP/$name.port" $server 0 \
		"$TMP/$name.port" "$mode"; then
		bad "$name: server" "did not start"
		return
	fi
	pcap="$TMP/$name.pcap"
	if ! capture_start "$name" -i lo --port "$port" -B 268435456 -w "$pcap"; then
		bad "$name: capture" "did not start: $(cat "$TMP/$name.err")"
		stop_peers
		return
	fi
	t0=$(date +%s)
	# shellcheck disable=SC2086
	in_background timeout -k 5 "$PEER_LIMIT" $client \
		"ws://127.0.0.1:$port/" "$mode" >"$TMP/$name.client" 2>&1
	# The last ACKs and FINs follow the Close by a few microseconds.
	sleep 0.3
	capture_stop INT
	stop_peers
	echo "  ($name: $(($(date +%s) - t0)) s, $(wc -c <"$pcap" 2>/dev/null || echo 0) bytes captured)"
	if [ "$rc" -ne 0 ]; then
		bad "$name: peers" "client exit $rc: $(tail -3 "$TMP/$name.client")"
		return
	fi
	ok "$name: peers agree on every echo"
	summary=$(grep 'packets,' "$TMP/$name.err")
	if [ "$caprc" -ne 0 ] || [ ! -s "$pcap" ] || [ -e "$pcap.part" ]; then
		bad "$name: capture" "exit $caprc: $(cat "$TMP/$name.err")"
		return
	fi
	case $summary in
	*" 0 dropped by the kernel, 0 by the interface"*)
		ok "$name: capture exit 0, nothing dropped, FILE renamed" ;;
	*) bad "$name: capture" "drops or no summary: $summary" ;;
	esac
	"$WSPROBE" dissect "$pcap" >"$TMP/$name.dissect" 2>&1
	if cmp -s "$TMP/$name.live" "$TMP/$name.dissect"; then
		ok "$name: live lines = dissect lines ($(wc -l <"$TMP/$name.live") lines)"
	else
		bad "$name: live lines differ from dissect" \
			"$(diff "$TMP/$name.live" "$TMP/$name.dissect" | head -5)"
	fi
	check "$name: agreement with tshark" "$PY" "$COMPARE" --cache "$WSPROBE" \
		"$pcap"
	sed -n 's/^agreement: /    /p' "$TMP/check.out"
	sed -n 's/^  not comparable: /    tshark cannot decode: /p' "$TMP/check.out"
	"$WSPROBE" dissect --check "$pcap" >"$TMP/$name.check" 2>&1
	crc=$?
	if [ "$crc" -eq 0 ] && grep -q '^0 violations in 1 WebSocket session$' \
		"$TMP/$name.check"; then
		ok "$name: dissect --check flags nothing on correct peers"
	else
		bad "$name: dissect --check (exit $crc)" "$(head -5 "$TMP/$name.check")"
	fi
	if [ -n "${KEEP:-}" ]; then
		mkdir -p "$KEEP" && cp "$pcap" "$KEEP/"
	fi
}

# negative_control NAME SED: the comparison must fail when wsprobe's
# output is altered by the sed script (a payload CRC, a FIN bit), so a
# comparator that passes everything cannot go unnoticed.
negative_control() {
	pcap="$TMP/ws-py-plain.pcap"
	[ -s "$pcap" ] || return
	printf '#!/bin/sh\n"%s" "$@" | sed %s\n' "$WSPROBE" "'$2'" >"$TMP/altered.sh"
	chmod +x "$TMP/altered.sh"
	if "$PY" "$COMPARE" --cache "$TMP/altered.sh" "$pcap" >"$TMP/neg.out" 2>&1; then
		bad "negative control: $1" "the comparison passed: $(tail -2 "$TMP/neg.out")"
	elif grep -q 'differs' "$TMP/neg.out"; then
		ok "negative control: $1 is caught ($(head -1 "$TMP/neg.out"))"
	else
		bad "negative control: $1" "$(tail -2 "$TMP/neg.out")"
	fi
}

conversation py-ws-plain ws py plain
conversation py-ws-deflate ws py deflate
conversation ws-py-plain py ws plain
conversation ws-py-deflate py ws deflate
negative_control "a payload CRC altered" \
	'/"length":125,/s/"payload_crc32":"[0-9a-f]*"/"payload_crc32":"00000000"/'
negative_control "a FIN bit altered" '/"length":126,/s/"fin":true/"fin":false/'

# --- the capture's own behaviour ------------------------------------------
# An idle port: --duration ends the run, the file holds no packet.
t0=$(date +%s)
if capture_start duration -i lo --port 9299 --duration 1 -w "$TMP/idle.pcap"; then
	wait "$cappid"
	caprc=$?
	el=$(($(date +%s) - t0))
	if [ "$caprc" -eq 0 ] && [ "$el" -le 4 ] && [ -s "$TMP/idle.pcap" ] &&
		grep -q ': 0 packets, 0 frames' "$TMP/duration.err" &&
		"$WSPROBE" dissect "$TMP/idle.pcap" >/dev/null 2>&1; then
		ok "--duration 1 ends an idle capture (${el} s) with an empty, readable FILE"
	else
		bad "--duration 1" "exit $caprc after ${el} s: $(cat "$TMP/duration.err")"
	fi
else
	bad "--duration 1" "did not start: $(cat "$TMP/duration.err")"
fi

# connect_once: a TCP connection to $port, opened and closed.
connect_once() {
	"$PY" -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.close()' "$port"
}

# -c 3: a TCP handshake is three packets.  SIGTERM on a second run leaves
# a readable FILE.
if start_peer count-server "$TMP/count.port" "$PY" "$PEERS/py_script_server.py" 0 \
	"$TMP/count.port" plain; then
	if capture_start count -i lo -c 3 --port "$port" -w "$TMP/count.pcap"; then
		connect_once
		i=0
		while kill -0 "$cappid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		capture_stop TERM
		n=$(tshark -r "$TMP/count.pcap" 2>/dev/null | wc -l)
		if [ "$caprc" -eq 0 ] && [ "$n" -eq 3 ]; then
			ok "-c 3 stops after 3 packets (tshark reads $n)"
		else
			bad "-c 3" "exit $caprc, tshark reads $n packets: $(cat "$TMP/count.err")"
		fi
	else
		bad "-c 3" "did not start: $(cat "$TMP/count.err")"
	fi
	if capture_start term -i lo --port "$port" -w "$TMP/term.pcap"; then
		connect_once
		sleep 0.3
		capture_stop TERM
		n=$(tshark -r "$TMP/term.pcap" 2>/dev/null | wc -l)
		if [ "$caprc" -eq 0 ] && [ ! -e "$TMP/term.pcap.part" ] &&
			[ "$n" -ge 3 ]; then
			ok "SIGTERM ends the capture with FILE renamed ($n packets)"
		else
			bad "SIGTERM" "exit $caprc, $n packets: $(cat "$TMP/term.err")"
		fi
	else
		bad "SIGTERM" "did not start: $(cat "$TMP/term.err")"
	fi
else
	bad "-c 3" "the server did not start"
fi
stop_peers

# Without -i: "any" (Linux), which sees loopback too, in cooked headers.
if "$WSPROBE" capture -q --duration 0.2 -p 9 >"$TMP/any.out" 2>&1 &&
	grep -q 'listening on any, link type LINUX_SLL (113)' "$TMP/any.out"; then
	ok "the default interface is any (LINUX_SLL)"
else
	bad "default interface" "$(head -2 "$TMP/any.out")"
fi

# Errors: one line, a distinct exit code.
"$WSPROBE" capture -i lo tcp port >"$TMP/e1" 2>&1
e1=$?
"$WSPROBE" capture -i wsprobe-nosuch0 >"$TMP/e2" 2>&1
e2=$?
if [ "$e1" -eq 2 ] && [ "$(wc -l <"$TMP/e1")" -eq 1 ] &&
	grep -q 'bad filter "tcp port"' "$TMP/e1" &&
	[ "$e2" -eq 4 ] && [ "$(wc -l <"$TMP/e2")" -eq 1 ] &&
	grep -q 'wsprobe-nosuch0: no such interface' "$TMP/e2"; then
	ok "a bad filter exits 2, a missing interface 4, one line each"
else
	bad "errors" "exit $e1: $(cat "$TMP/e1"); exit $e2: $(cat "$TMP/e2")"
fi


finish tshark
