#!/bin/sh
# pcap.sh: per-case captures (--pcap, issue 6 item 1) against real peers.
#
# wsprobe client --pcap against wsprobe echo, over ws:// (a handful of
# cases: text, binary 64 KiB, ping, fragments with a ping between, close,
# permessage-deflate) and over wss:// (the certificate made as in
# wsprobe.sh), then wsprobe server --pcap against the python3-websockets
# client driver (tests/peers) for three cases, run again under a second
# agent name (its captures in pcap/AGENT/, the first agent's untouched).  For every capture:
#   - the file exists for every case, and results.json names it;
#   - tshark finds the same WebSocket frames as `wsprobe dissect --json`:
#     same count, opcodes and payload lengths, in order (tshark's 7-bit
#     length field is completed with its 16/64-bit extension);
#   - `wsprobe dissect --check` finds no violation (every case here is OK
#     against these peers, so a violation is a capture that lies).
# And --pcap-max: a case over the bound is cut, says so once on stderr and
# in results.json ("pcap_truncated"), and the cut file still reads.
#
# Usage: sh tests/integration/pcap.sh [PATH/TO/wsprobe]
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

echo "per-case captures (--pcap)"

CASES='1.1.1,1.2.8,2.1,5.6,7.1.1,12.1.1'

if ! command -v tshark >/dev/null 2>&1; then
	bad "tshark" "not found (sh scripts/install-deps.sh --test)"
	finish "pcap"
	exit
fi

# frames_tshark FILE PORT: "opcode length" per frame, in order.  Decoded
# as HTTP on PORT (the upgrade then hands the stream to WebSocket), since
# tshark only knows HTTP's usual ports.
frames_tshark() {
	tshark -r "$1" -d "tcp.port==$2,http" -Y websocket -T fields \
		-e websocket.opcode -e websocket.payload_length \
		-e websocket.payload_length_ext_16 \
		-e websocket.payload_length_ext_64 2>/dev/null |
		"$PY" -c '
import sys
for line in sys.stdin:
    f = (line.rstrip("\n").split("\t") + ["", "", "", ""])[:4]
    ops, lens = f[0].split(","), f[1].split(",")
    e16 = [x for x in f[2].split(",") if x]
    e64 = [x for x in f[3].split(",") if x]
    for op, n in zip(ops, lens):
        if n == "126":
            n = e16.pop(0)
        elif n == "127":
            n = e64.pop(0)
        print(int(op), int(n))
'
}

# frames_ours FILE: the same from wsprobe dissect --json.
frames_ours() {
	"$WSPROBE" dissect --json "$1" | "$PY" -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    if o["type"] == "frame":
        print(o["opcode"], o["length"])
'
}

# check_dir NAME DIR PORT CASES: the captures of a run in DIR.
check_dir() {
	name=$1
	d=$2
	p=$3
	ids=$("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
for a in r["agents"]:
    for c in a["cases"]:
        print(c["id"], c.get("pcap", "-"), c.get("pcap_truncated", "-"))
' "$d/results.json" 2>&1) || {
		bad "$name: results.json" "$ids"
		return
	}
	n=0
	for want in $(echo "$4" | tr ',' ' '); do
		line=$(echo "$ids" | awk -v id="$want" '$1 == id')
		f=$(echo "$line" | awk '{print $2}')
		if [ "$f" != "pcap/$want.pcap" ] || [ ! -s "$d/$f" ]; then
			bad "$name $want: capture" "results say '$line'; file $d/pcap/$want.pcap"
			continue
		fi
		if [ "$(echo "$line" | awk '{print $3}')" != False ]; then
			bad "$name $want: capture" "marked truncated: $line"
			continue
		fi
		frames_tshark "$d/$f" "$p" >"$TMP/ts" 2>&1
		frames_ours "$d/$f" >"$TMP/ours" 2>&1
		if [ ! -s "$TMP/ours" ] || ! cmp -s "$TMP/ts" "$TMP/ours"; then
			bad "$name $want: tshark and wsprobe dissect disagree" \
				"$(diff "$TMP/ts" "$TMP/ours" | head -8 | tr '\n' ' ')"
			continue
		fi
		if ! "$WSPROBE" dissect --check "$d/$f" >"$TMP/chk" 2>&1; then
			bad "$name $want: dissect --check" "$(head -3 "$TMP/chk")"
			continue
		fi
		n=$((n + 1))
	done
	ok "$name: $n captures, tshark agrees with dissect ($(wc -l <"$TMP/ours") frames in the last), no violation"
}

# --- ws:// against wsprobe echo ------------------------------------------
if start_peer echo "$TMP/echo.port" "$WSPROBE" echo --listen 127.0.0.1:0 \
	--port-file "$TMP/echo.port"; then
	wsprobe_run "$TMP/c1.out" client -q --seed 5 --pcap -c "$CASES" \
		-o "$TMP/c1" "ws://127.0.0.1:$port/"
	if [ "$rc" -eq 0 ]; then
		ok "client --pcap: exit 0"
		check_dir "ws://" "$TMP/c1" "$port" "$CASES"
	else
		bad "client --pcap" "exit $rc: $(tail -3 "$TMP/c1.out")"
	fi
	# The HTML report links each capture.
	if grep -q 'href="pcap/5.6.pcap"' "$TMP/c1/index.html" 2>/dev/null; then
		ok "index.html links the captures"
	else
		bad "index.html" "no link to pcap/5.6.pcap"
	fi

	# --pcap-max: 1.2.8 (64 KiB each way) over 8192 bytes is cut.
	wsprobe_run "$TMP/c2.out" client -q --seed 5 --pcap-max 8192 \
		-c '1.2.8,1.1.1' -o "$TMP/c2" "ws://127.0.0.1:$port/"
	t=$("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(" ".join("%s:%s" % (c["id"], c.get("pcap_truncated")) for c in r["agents"][0]["cases"]))
' "$TMP/c2/results.json" 2>&1)
	size=$(wc -c <"$TMP/c2/pcap/1.2.8.pcap" 2>/dev/null || echo 0)
	warned=$(grep -c "capture cut short" "$TMP/c2.out")
	if [ "$rc" -eq 0 ] && [ "$t" = "1.1.1:False 1.2.8:True" ] &&
		[ "$size" -le 8192 ] && [ "$size" -gt 1000 ] && [ "$warned" -eq 1 ] &&
		"$WSPROBE" dissect "$TMP/c2/pcap/1.2.8.pcap" >/dev/null 2>&1; then
		ok "--pcap-max 8192: 1.2.8 cut at $size bytes, said once, still readable"
	else
		bad "--pcap-max" "exit $rc, '$t', $size bytes, warned $warned times"
	fi
else
	bad "ws:// echo" "wsprobe echo did not start"
fi
stop_peers

# --- wss:// against wsprobe echo: the capture holds the plaintext --------
if ! command -v openssl >/dev/null 2>&1; then
	bad "wss://" "openssl not found (sh scripts/install-deps.sh --test)"
elif ! mkcert ip "IP:127.0.0.1"; then
	bad "wss://" "openssl req failed: $(tail -3 "$TMP/openssl.log")"
elif start_peer tls "$TMP/tls.port" "$WSPROBE" echo --listen 127.0.0.1:0 \
	--port-file "$TMP/tls.port" --tls-cert "$TMP/ip.crt" \
	--tls-key "$TMP/ip.key"; then
	wsprobe_run "$TMP/t1.out" client -q --seed 5 --pcap -c '1.1.1,5.6' \
		--cacert "$TMP/ip.crt" -o "$TMP/t1" "wss://127.0.0.1:$port/"
	if [ "$rc" -eq 0 ]; then
		ok "wss:// client --pcap: exit 0"
		check_dir "wss://" "$TMP/t1" "$port" "1.1.1,5.6"
	else
		bad "wss:// client --pcap" "exit $rc: $(tail -3 "$TMP/t1.out")"
	fi
	stop_peers
else
	bad "wss:// echo" "wsprobe echo --tls-cert did not start"
fi

# --- wsprobe server --pcap against python3-websockets's client driver ---
SCASES='1.1.1,2.1,5.6'
if ! "$PY" -c 'import websockets' 2>/dev/null; then
	bad "server" "$PY has no websockets module (sh scripts/install-deps.sh --test)"
elif start_peer server "$TMP/server.port" "$WSPROBE" server -q --pcap \
	--listen 127.0.0.1:0 --port-file "$TMP/server.port" -c "$SCASES" \
	-o "$TMP/s1" --seed 5; then
	in_background timeout -k 5 60 "$PY" "$ROOT/tests/peers/py_websockets_client.py" \
		"ws://127.0.0.1:$port" py >"$TMP/driver.out" 2>&1
	if [ "$rc" -eq 0 ]; then
		ok "server --pcap: the driver ran ($(tail -1 "$TMP/driver.out"))"
		check_dir "server" "$TMP/s1" "$port" "$SCASES"
	else
		bad "server --pcap: driver" "exit $rc: $(tail -3 "$TMP/driver.out")"
	fi
	# A second agent's captures go to pcap/AGENT/: the first agent's
	# files (and what its results name) stay its own.
	cp "$TMP/s1/pcap/1.1.1.pcap" "$TMP/first.pcap" 2>/dev/null
	in_background timeout -k 5 60 "$PY" "$ROOT/tests/peers/py_websockets_client.py" \
		"ws://127.0.0.1:$port" py2 >"$TMP/driver2.out" 2>&1
	got=$("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(" ".join("%s:%s" % (a["agent"], c.get("pcap")) for a in r["agents"]
               for c in a["cases"] if c["id"] == "1.1.1"))
' "$TMP/s1/results.json" 2>&1)
	if [ "$rc" -eq 0 ] && [ "$got" = "py:pcap/1.1.1.pcap py2:pcap/py2/1.1.1.pcap" ] &&
		cmp -s "$TMP/first.pcap" "$TMP/s1/pcap/1.1.1.pcap" &&
		"$WSPROBE" dissect --check "$TMP/s1/pcap/py2/1.1.1.pcap" >/dev/null 2>&1; then
		ok "server --pcap, a second agent: its own folder, the first's files untouched"
	else
		bad "server --pcap, a second agent" "exit $rc, results: $got"
	fi
	stop_peers
else
	bad "server" "wsprobe server --pcap did not start"
fi

finish "pcap"
