#!/bin/sh
# fuzz.sh: `wsprobe fuzz` against servers with deliberate defects
# (tests/peers/defect_server.py), each found within a stated number of
# iterations with a fixed seed, minimised under a stated size, and replayed
# with `wsprobe run` on the saved case.lua: FAILED against the defective
# server, not FAILED against `wsprobe echo`.  Also: no finding at all
# against `wsprobe echo` (no false positives), a --listen run against a
# real client, and --handshake against wsprobe echo.
#
# The bounds below are what seed 1 needs today with some margin; the
# search is deterministic from the seed as long as the server answers the
# same way, so a change in the mutator or the seeds may move them.
#
#   defect     found within     minimised to at most
#   crash      200 iterations   16 bytes (a Ping with RSV2: 6 bytes)
#   hang       400 iterations   160 bytes (a fragment + a 125-byte Ping:
#                               137 bytes; 141 with the 60 replays allowed)
#   violation  1500 iterations  16 bytes (a Close with code 1005: 8 bytes)
#
# Ports: the crash server needs a known port (the restart command brings
# it back there): FUZZ_PORT, and so does the --listen run (the client must
# know where to connect): FUZZ_LISTEN_PORT; by default each is a port the
# kernel found free just before (lib.sh free_port); everything else uses
# port 0.
#
# Usage: sh tests/integration/fuzz.sh [PATH/TO/wsprobe]
set -u
. "$(dirname "$0")/lib.sh"
# The crash servers `wsprobe fuzz --restart` started write their pid here;
# the fuzzer stops them when it exits, this covers a fuzzer that was killed.
fuzz_cleanup() {
	if [ -s "$TMP/restarted.pid" ]; then
		kill "$(cat "$TMP/restarted.pid")" 2>/dev/null
	fi
	cleanup
}
trap fuzz_cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

DEFECT="$ROOT/tests/peers/defect_server.py"
CRASH_PORT=${FUZZ_PORT:-$(free_port)}

echo "wsprobe fuzz vs defect_server.py"

# found CLASS DIR MAX_ITER MAX_BYTES: checks the first finding in DIR.
found() {
	cls=$1
	d=$2
	max_iter=$3
	max_bytes=$4
	line=$(grep " $cls " "$d/findings.txt" 2>/dev/null | head -1)
	if [ -z "$line" ]; then
		bad "$cls found" "no $cls in $d/findings.txt: $(cat "$d/out" 2>/dev/null | tail -5)"
		return 1
	fi
	it=$(echo "$line" | sed -n 's/.* iteration=\([0-9]*\) .*/\1/p')
	num=$(echo "$line" | cut -d' ' -f1)
	fdir="$d/findings/$num-$cls"
	size=$(wc -c <"$fdir/input.bin")
	if [ "$it" -le "$max_iter" ]; then
		ok "$cls found at iteration $it (bound $max_iter)"
	else
		bad "$cls found in time" "iteration $it > $max_iter"
	fi
	if [ "$size" -le "$max_bytes" ]; then
		ok "$cls minimised to $size bytes (bound $max_bytes): $(echo "$line" | sed -n 's/.*\(bytes=[^ ]*\).*/\1/p')"
	else
		bad "$cls minimised" "$size bytes > $max_bytes"
	fi
	for f in input.bin case.lua capture.pcap; do
		if [ ! -s "$fdir/$f" ] && [ "$f" != input.bin ]; then
			bad "$cls $f" "missing or empty"
		fi
	done
	# The capture is a real one: the dissector reads the handshake and
	# the frames of the minimised replay.
	if "$WSPROBE" dissect "$fdir/capture.pcap" >"$d/dissect.txt" 2>&1 &&
		grep -q "101 Switching Protocols" "$d/dissect.txt"; then
		ok "$cls capture.pcap dissects"
	else
		bad "$cls capture.pcap" "$(head -5 "$d/dissect.txt")"
	fi
	case_lua="$fdir/case.lua"
	return 0
}

# replay CLASS URL WANT(failed|ok): wsprobe run on $case_lua.
replay() {
	wsprobe_run "$TMP/replay.out" run --url "$2" "$case_lua" \
		-o "$TMP/replay-$1-$3"
	if [ "$3" = failed ]; then
		if [ "$rc" -eq 1 ] && grep -q FAILED "$TMP/replay.out"; then
			ok "$1 case.lua: FAILED against the defective server"
		else
			bad "$1 case.lua vs defect" "exit $rc: $(tail -5 "$TMP/replay.out")"
		fi
	else
		if [ "$rc" -eq 0 ]; then
			ok "$1 case.lua: not FAILED against wsprobe echo"
		else
			bad "$1 case.lua vs echo" "exit $rc: $(tail -5 "$TMP/replay.out")"
		fi
	fi
}

# A correct server to replay against.
if ! start_peer echo "$TMP/echo.port" "$WSPROBE" echo --listen 127.0.0.1:0 \
	--port-file "$TMP/echo.port"; then
	bad "wsprobe echo" "did not start"
	finish fuzz
	exit 1
fi
ECHO_URL="ws://127.0.0.1:$port/"

# --- crash, with --restart --------------------------------------------
RESTART="$PY $DEFECT --crash --port $CRASH_PORT"
if start_peer crash "$TMP/crash.port" $RESTART --port-file "$TMP/crash.port"; then
	wsprobe_run "$TMP/crash.out" fuzz -q "ws://127.0.0.1:$CRASH_PORT/" \
		--seed 1 -n 300 --timeout 500 -o "$TMP/crash" \
		--restart "exec $RESTART --pid-file $TMP/restarted.pid"
	cp "$TMP/crash.out" "$TMP/crash/out" 2>/dev/null
	# A fuzzer that exited normally stopped what it restarted: forget the
	# pid (it may be reused).
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]; then
		rm -f "$TMP/restarted.pid"
	fi
	if [ "$rc" -eq 1 ]; then
		ok "crash run: exit 1 ($(head -1 "$TMP/crash.out"))"
	else
		bad "crash run" "exit $rc: $(tail -5 "$TMP/crash.out")"
	fi
	if found crash "$TMP/crash" 200 16; then
		# the fuzzer stopped the servers it restarted; start one
		if start_peer crash2 "$TMP/crash.port" $RESTART \
			--port-file "$TMP/crash.port"; then
			replay crash "ws://127.0.0.1:$CRASH_PORT/" failed
		fi
		replay crash "$ECHO_URL" ok
	fi
else
	bad "crash server" "did not start on port $CRASH_PORT"
fi

# --- hang and violation -------------------------------------------------
# defect CLASS MAX_ITER MAX_BYTES ITERATIONS TIMEOUT_MS TRIALS
defect() {
	cls=$1
	if ! start_peer "$cls" "$TMP/$cls.port" "$PY" "$DEFECT" "--$cls" \
		--port-file "$TMP/$cls.port"; then
		bad "$cls server" "did not start"
		return
	fi
	url="ws://127.0.0.1:$port/"
	wsprobe_run "$TMP/$cls.out" fuzz -q "$url" --seed 1 -n "$4" \
		--timeout "$5" --min-trials "$6" -o "$TMP/$cls"
	cp "$TMP/$cls.out" "$TMP/$cls/out" 2>/dev/null
	if [ "$rc" -eq 1 ]; then
		ok "$cls run: exit 1 ($(head -1 "$TMP/$cls.out"))"
	else
		bad "$cls run" "exit $rc: $(tail -5 "$TMP/$cls.out")"
	fi
	if found "$cls" "$TMP/$cls" "$2" "$3"; then
		replay "$cls" "$url" failed
		replay "$cls" "$ECHO_URL" ok
	fi
}

defect hang 400 160 400 200 60
defect violation 1500 16 1500 500 100

# --- no false positives against a correct server ------------------------
wsprobe_run "$TMP/clean.out" fuzz -q "$ECHO_URL" --seed 2 -n 1000 \
	--timeout 1000 -o "$TMP/clean"
if [ "$rc" -eq 0 ] && [ ! -e "$TMP/clean/findings.txt" ]; then
	ok "wsprobe echo: no finding in 1000 iterations ($(head -1 "$TMP/clean.out"))"
else
	bad "wsprobe echo clean" "exit $rc: $(cat "$TMP/clean/findings.txt" 2>/dev/null | head -3) $(tail -3 "$TMP/clean.out")"
fi

# --- the opening handshake ------------------------------------------------
wsprobe_run "$TMP/hs.out" fuzz -q "$ECHO_URL" --handshake --seed 3 -n 300 \
	--timeout 1000 -o "$TMP/hs"
if [ "$rc" -eq 0 ] && [ ! -e "$TMP/hs/findings.txt" ]; then
	ok "--handshake vs wsprobe echo: no finding in 300 iterations"
else
	bad "--handshake clean" "exit $rc: $(cat "$TMP/hs/findings.txt" 2>/dev/null | head -3) $(tail -3 "$TMP/hs.out")"
fi

# --- the server role: a real client connecting again and again ----------
# python3-websockets' client in a loop: each connection is one iteration.
LISTEN_PORT=${FUZZ_LISTEN_PORT:-$(free_port)}
"$PY" -c '
import asyncio, sys, websockets
async def main(url):
    while True:
        try:
            async with websockets.connect(url, compression=None,
                                          open_timeout=5,
                                          close_timeout=1) as ws:
                async for m in ws:
                    await ws.send(m)
        except Exception:
            await asyncio.sleep(0.01)
asyncio.run(main(sys.argv[1]))
' "ws://127.0.0.1:$LISTEN_PORT/" >"$TMP/client.log" 2>&1 &
pids="$pids $!"
wsprobe_run "$TMP/listen.out" fuzz -q --listen "127.0.0.1:$LISTEN_PORT" \
	--seed 4 -n 150 --timeout 1000 -o "$TMP/listen"
if [ "$rc" -eq 0 ] && grep -q "^fuzz: 150 iterations" "$TMP/listen.out"; then
	ok "--listen vs python3-websockets client: 150 iterations, no finding ($(head -1 "$TMP/listen.out"))"
else
	bad "--listen" "exit $rc: $(cat "$TMP/listen/findings.txt" 2>/dev/null | head -3) $(tail -3 "$TMP/listen.out")"
fi

finish fuzz
