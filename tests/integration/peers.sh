#!/bin/sh
# peers.sh: wsprobe's client against real third-party WebSocket servers on
# loopback: an echo server on Debian's python3-websockets
# (tests/peers/py_websockets_echo.py) and one on the npm package ws
# (tests/peers/ws_echo.js, version pinned by tests/peers/package-lock.json).
# Each run's verdicts are compared with the pinned ones in
# tests/integration/expected/<peer>.txt (case id -> verdict; alternatives
# such as OK|NON-STRICT where the peer's behaviour depends on timing).
# Then each server runs again with permessage-deflate enabled (--deflate)
# for the cases that need it ($DEFLATE_CASES), pinned in
# expected/<peer>-deflate.txt.  Every verdict other than OK is explained
# in docs/peers.md.
#
# Usage: sh tests/integration/peers.sh [PATH/TO/wsprobe]
#   UPDATE=1 rewrites the expected files from this run (review the diff and
#   docs/peers.md before committing it).
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

EXPECTED="$ROOT/tests/integration/expected"
PEERS="$ROOT/tests/peers"

# run_peer NAME [CASES]: plays the cases ($PEER_CASES but $PEER_EXCLUDE
# by default) against the running peer ($port) and compares with
# expected/NAME.txt.
run_peer() {
	peer=$1
	wsprobe_run "$TMP/$peer.out" client -q --seed 1 --jobs 2 -a "$peer" \
		-c "${2:-$PEER_CASES}" -x "$PEER_EXCLUDE" \
		-o "$TMP/$peer" "ws://127.0.0.1:$port/"
	# 0 (no case FAILED) or 1 (some did) are both answers; anything
	# else is a wsprobe failure.
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		bad "$peer: run" "exit $rc: $(tail -3 "$TMP/$peer.out")"
		return
	fi
	ok "$peer: run (exit $rc)"
	if [ "${UPDATE:-0}" = 1 ]; then
		old=$EXPECTED/$peer.txt
		[ -f "$old" ] || old=-
		"$PY" "$RESULTS" rewrite-expected "$old" \
			"$TMP/$peer/results.json" >"$TMP/$peer.new" &&
			mv "$TMP/$peer.new" "$EXPECTED/$peer.txt"
		echo "  (rewrote $EXPECTED/$peer.txt)"
	fi
	check "$peer: verdicts as pinned in expected/$peer.txt" \
		"$PY" "$RESULTS" compare "$EXPECTED/$peer.txt" \
		"$TMP/$peer/results.json"
}

echo "wsprobe client vs third-party peers"

# --- python3-websockets --------------------------------------------------
if ! "$PY" -c 'import websockets' 2>/dev/null; then
	bad "py-websockets" "$PY has no websockets module (sh scripts/install-deps.sh --test)"
elif start_peer py "$TMP/py.port" "$PY" "$PEERS/py_websockets_echo.py" 0 \
	"$TMP/py.port"; then
	ok "py-websockets: started ($("$PY" -c 'import websockets; print(websockets.__version__)'))"
	run_peer py-websockets
else
	bad "py-websockets" "the echo server did not start"
fi
stop_peers
if ! "$PY" -c 'import websockets' 2>/dev/null; then
	:
elif start_peer pyd "$TMP/pyd.port" "$PY" "$PEERS/py_websockets_echo.py" \
	--deflate 0 "$TMP/pyd.port"; then
	run_peer py-websockets-deflate "$DEFLATE_CASES"
else
	bad "py-websockets --deflate" "the echo server did not start"
fi
stop_peers

# --- ws (npm) ------------------------------------------------------------
# The package comes from the registry through package-lock.json (npm ci),
# installed once into tests/peers/node_modules (ignored by git).
# node_modules/.wsprobe-lock is a copy of the lock file that was installed.
ws_ready() {
	[ -f "$PEERS/node_modules/ws/package.json" ] &&
		cmp -s "$PEERS/package-lock.json" "$PEERS/node_modules/.wsprobe-lock"
}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	bad "ws" "node or npm not found (sh scripts/install-deps.sh --test)"
else
	if ! ws_ready; then
		echo "  (npm ci in tests/peers)"
		if (cd "$PEERS" && npm ci --no-audit --no-fund --loglevel=error) \
			>"$TMP/npm.log" 2>&1; then
			cp "$PEERS/package-lock.json" "$PEERS/node_modules/.wsprobe-lock"
		else
			cat "$TMP/npm.log"
		fi
	fi
	if [ ! -f "$PEERS/node_modules/ws/package.json" ]; then
		bad "ws" "npm ci did not install ws"
	elif start_peer ws "$TMP/ws.port" node "$PEERS/ws_echo.js" 0 "$TMP/ws.port"; then
		ok "ws: started ($(node -p "require('$PEERS/node_modules/ws/package.json').version"), node $(node --version))"
		run_peer ws
	else
		bad "ws" "the echo server did not start"
	fi
	stop_peers
	if [ ! -f "$PEERS/node_modules/ws/package.json" ]; then
		:
	elif start_peer wsd "$TMP/wsd.port" node "$PEERS/ws_echo.js" --deflate \
		0 "$TMP/wsd.port"; then
		run_peer ws-deflate "$DEFLATE_CASES"
	else
		bad "ws --deflate" "the echo server did not start"
	fi
fi
stop_peers

finish "peers"
