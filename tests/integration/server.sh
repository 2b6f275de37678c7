#!/bin/sh
# server.sh: `wsprobe server` against real third-party WebSocket CLIENTS on
# loopback.  One server (--seed 1, port 0, --port-file) serves two
# Autobahn fuzzingserver client drivers one after the other, each under
# its own agent name: tests/peers/ws_autobahn_client.js on the npm package
# ws (agent "ws", version pinned by tests/peers/package-lock.json) and
# tests/peers/py_websockets_client.py on Debian's python3-websockets
# (agent "py-websockets").  For each driver: it exits 0 within
# DRIVER_LIMIT seconds, every case offered to clients is in results.json
# for its agent (the drivers call /updateReports, which closes once the
# report is written), and its verdicts match
# tests/integration/expected/server-<agent>.txt ("ID VERDICT", A|B allows
# either; every verdict other than OK is explained in docs/peers.md).
# Finally SIGTERM stops the server: it must exit 0 or 1 and leave a
# results.json with both agents and the same verdicts.  The cases are
# $PEER_CASES but $SERVER_EXCLUDE (tests/integration/lib.sh).  Then a
# second server offers the permessage-deflate cases ($DEFLATE_CASES) to
# both drivers run with --deflate (agents ws-deflate and
# py-websockets-deflate, expected/server-<agent>.txt), and a third one, over
# wss://, the TLS cases of category 22 (agents ws-tls, py-websockets-tls
# and py-websockets-insecure; 22.3.5: a certificate the client cannot
# verify), and a fourth one, used by the ws driver as its HTTP proxy, the
# proxy cases (agent ws-proxy; 22.5.2: a CONNECT refused).
#
# Usage: sh tests/integration/server.sh [PATH/TO/wsprobe]
#   UPDATE=1 rewrites the expected files from this run (review the diff and
#   docs/peers.md before committing it).
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

EXPECTED="$ROOT/tests/integration/expected"
SCHEME=ws
PEERS="$ROOT/tests/peers"
# A driver runs ~10-15 s; the limit turns a hang into a failure.
DRIVER_LIMIT=${DRIVER_LIMIT:-120}
REPORT="$TMP/report/results.json"

# agent_json AGENT OUT: writes AGENT's part of $REPORT to OUT as a report
# of its own (what results.py reads) and prints its number of cases;
# fails when the report or the agent is missing.
agent_json() {
	"$PY" - "$REPORT" "$1" "$2" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    report = json.load(f)
agents = [a for a in report["agents"] if a["agent"] == sys.argv[2]]
if len(agents) != 1:
    sys.exit("%d agents named %s in %s" % (len(agents), sys.argv[2],
                                            sys.argv[1]))
report["agents"] = agents
with open(sys.argv[3], "w") as f:
    json.dump(report, f)
print(len(agents[0]["cases"]))
EOF
}

# run_driver AGENT COMMAND...: runs the driver against the server
# ($port) and checks what it left in $REPORT.
run_driver() {
	agent=$1
	shift
	in_background timeout -k 5 "$DRIVER_LIMIT" "$@" \
		"$SCHEME://127.0.0.1:$port" "$agent" >"$TMP/$agent.driver" 2>&1
	if [ "$rc" -ne 0 ]; then
		bad "$agent: driver" "exit $rc (124: over $DRIVER_LIMIT s): $(tail -3 "$TMP/$agent.driver")"
		return
	fi
	ok "$agent: driver exit 0 ($(tail -1 "$TMP/$agent.driver"))"
	if ! n=$(agent_json "$agent" "$TMP/$agent.json" 2>&1); then
		bad "$agent: results.json" "$n"
		return
	fi
	if [ "$n" -eq "$ncases" ]; then
		ok "$agent: all $n cases in results.json"
	else
		bad "$agent: results.json" "$n cases, $ncases offered to clients"
	fi
	"$PY" "$RESULTS" verdicts "$TMP/$agent.json" >"$TMP/$agent.verdicts"
	exp="$EXPECTED/server-$agent.txt"
	if [ "${UPDATE:-0}" = 1 ]; then
		old=$exp
		[ -f "$exp" ] || old=-
		"$PY" "$RESULTS" rewrite-expected "$old" "$TMP/$agent.json" \
			>"$TMP/$agent.new" && mv "$TMP/$agent.new" "$exp"
		echo "  (rewrote $exp)"
	fi
	check "$agent: verdicts as pinned in expected/server-$agent.txt" \
		"$PY" "$RESULTS" compare "$exp" "$TMP/$agent.json"
}

echo "wsprobe server vs third-party client drivers"

# client_cases CASES EXCLUDE: how many cases a server offers: those of
# CASES that apply to clients, but the ids EXCLUDE names.
client_cases() {
	"$WSPROBE" list --json -c "$1" | "$PY" -c '
import fnmatch, json, sys
ex = [p for p in sys.argv[1].split(",") if p]
print(sum("client" in c["roles"] and
          not any(fnmatch.fnmatchcase(c["id"], p) for p in ex)
          for c in json.load(sys.stdin)["cases"]))' "$2"
}
ncases=$(client_cases "$PEER_CASES" "$SERVER_EXCLUDE")

if ! start_peer server "$TMP/server.port" "$WSPROBE" server \
	--listen 127.0.0.1:0 --port-file "$TMP/server.port" \
	-c "$PEER_CASES" -x "$SERVER_EXCLUDE" -o "$TMP/report" --seed 1; then
	bad "server" "wsprobe server did not start"
	finish "server"
	exit
fi
srvpid=${pids##* }
ok "server: listening on 127.0.0.1:$port ($ncases cases for clients)"

# --- ws (npm) ------------------------------------------------------------
# Installed as peers.sh does: npm ci from package-lock.json, once, into
# tests/peers/node_modules (node_modules/.wsprobe-lock is a copy of the
# lock file that was installed).
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
	if [ -f "$PEERS/node_modules/ws/package.json" ]; then
		echo "  (ws $(node -p "require('$PEERS/node_modules/ws/package.json').version"), node $(node --version))"
		run_driver ws node "$PEERS/ws_autobahn_client.js"
	else
		bad "ws" "npm ci did not install ws"
	fi
fi

# --- python3-websockets --------------------------------------------------
if "$PY" -c 'import websockets' 2>/dev/null; then
	echo "  (python3-websockets $("$PY" -c 'import websockets; print(websockets.__version__)'))"
	run_driver py-websockets "$PY" "$PEERS/py_websockets_client.py"
else
	bad "py-websockets" "$PY has no websockets module (sh scripts/install-deps.sh --test)"
fi

# --- SIGTERM -------------------------------------------------------------
# The server writes what ran and exits: 0, or 1 when a case FAILED.
kill -TERM "$srvpid" 2>/dev/null
i=0
while kill -0 "$srvpid" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 "$srvpid" 2>/dev/null; then
	kill -9 "$srvpid" 2>/dev/null
	bad "server: SIGTERM" "still running 10 s later"
fi
wait "$srvpid"
src=$?
pids=""
if [ "$src" -eq 0 ] || [ "$src" -eq 1 ]; then
	ok "server: SIGTERM, exit $src"
else
	bad "server: SIGTERM" "exit $src: $(tail -3 "$TMP/server.log")"
fi
# Both agents, each with the verdicts its /updateReports wrote.
for agent in ws py-websockets; do
	[ -f "$TMP/$agent.verdicts" ] || continue
	if n=$(agent_json "$agent" "$TMP/$agent.final.json" 2>&1) &&
		"$PY" "$RESULTS" verdicts "$TMP/$agent.final.json" \
			>"$TMP/$agent.final" &&
		cmp -s "$TMP/$agent.verdicts" "$TMP/$agent.final"; then
		ok "$agent: in results.json after SIGTERM ($n cases)"
	else
		bad "$agent: results.json after SIGTERM" "$n; $(diff "$TMP/$agent.verdicts" "$TMP/$agent.final" 2>&1 | head -5)"
	fi
done

# --- permessage-deflate ----------------------------------------------------
# The same drivers offering permessage-deflate (--deflate) to a second
# server that offers only the cases needing it.
REPORT="$TMP/report-deflate/results.json"
ncases=$(client_cases "$DEFLATE_CASES" "")
if start_peer server-deflate "$TMP/server-deflate.port" "$WSPROBE" server \
	--listen 127.0.0.1:0 --port-file "$TMP/server-deflate.port" \
	-c "$DEFLATE_CASES" -o "$TMP/report-deflate" --seed 1; then
	ok "server (permessage-deflate cases): listening on 127.0.0.1:$port ($ncases cases)"
	if [ -f "$PEERS/node_modules/ws/package.json" ]; then
		run_driver ws-deflate node "$PEERS/ws_autobahn_client.js" --deflate
	fi
	if "$PY" -c 'import websockets' 2>/dev/null; then
		run_driver py-websockets-deflate "$PY" \
			"$PEERS/py_websockets_client.py" --deflate
	fi
else
	bad "server (permessage-deflate cases)" "wsprobe server did not start"
fi
stop_peers

# --- wss:// ----------------------------------------------------------------
# A third server, with a certificate the drivers are told to trust (--ca /
# --cafile), offers the TLS cases of category 22 between 1.1.1 and 22.9.1.
# 22.3.5 serves the connection after 22.3.2's with a certificate no client
# can verify: each library must refuse it, and the driver must still reach
# 22.9.1.  The Python driver run with --insecure must fail 22.3.5.  22.7.x
# and 22.8.1 run over wss:// too (R6455-11.1.2-01/02): the certificate
# also names xn--bcher-kva.example, the host of 22.7.1's IRI.
REPORT="$TMP/report-tls/results.json"
TLS_CASES='1.1.1,22.3.*,22.7.*,22.8.1,22.9.1'
ncases=$(client_cases "$TLS_CASES" "")
if ! command -v openssl >/dev/null 2>&1; then
	bad "server (wss://)" "openssl not found (sh scripts/install-deps.sh --test)"
elif ! mkcert tls "IP:127.0.0.1,DNS:localhost,DNS:xn--bcher-kva.example"; then
	bad "server (wss://)" "openssl req failed: $(tail -3 "$TMP/openssl.log")"
elif start_peer server-tls "$TMP/server-tls.port" "$WSPROBE" server \
	--listen 127.0.0.1:0 --port-file "$TMP/server-tls.port" \
	--tls-cert "$TMP/tls.crt" --tls-key "$TMP/tls.key" \
	-c "$TLS_CASES" -o "$TMP/report-tls" --seed 1; then
	ok "server (wss://): listening on 127.0.0.1:$port ($ncases cases)"
	SCHEME=wss
	if [ -f "$PEERS/node_modules/ws/package.json" ]; then
		run_driver ws-tls node "$PEERS/ws_autobahn_client.js" \
			--ca="$TMP/tls.crt"
	fi
	if "$PY" -c 'import websockets' 2>/dev/null; then
		run_driver py-websockets-tls "$PY" \
			"$PEERS/py_websockets_client.py" --cafile="$TMP/tls.crt"
		# The negative control: verifying nothing, it sends its
		# request over the untrusted certificate (22.3.5 FAILED).
		run_driver py-websockets-insecure "$PY" \
			"$PEERS/py_websockets_client.py" --insecure
	fi
	SCHEME=ws
else
	bad "server (wss://)" "wsprobe server --tls-cert did not start"
fi
stop_peers

# --- through the server as an HTTP proxy ------------------------------------
# A fourth server offers the proxy cases between 1.1.1 and 22.9.1 to the ws
# driver run with --proxy (CONNECT by the npm package https-proxy-agent):
# 22.5.1 answers its CONNECT, 22.5.2 refuses it with 502, and the driver
# must give that connection up and still reach 22.9.1.
REPORT="$TMP/report-proxy/results.json"
PROXY_CASES='1.1.1,22.5.*,22.9.1'
ncases=$(client_cases "$PROXY_CASES" "")
if [ ! -f "$PEERS/node_modules/https-proxy-agent/package.json" ]; then
	bad "server (proxy)" "npm ci did not install https-proxy-agent"
elif start_peer server-proxy "$TMP/server-proxy.port" "$WSPROBE" server \
	--listen 127.0.0.1:0 --port-file "$TMP/server-proxy.port" \
	-c "$PROXY_CASES" -o "$TMP/report-proxy" --seed 1; then
	ok "server (proxy): listening on 127.0.0.1:$port ($ncases cases)"
	run_driver ws-proxy node "$PEERS/ws_autobahn_client.js" \
		--proxy="http://127.0.0.1:$port"
else
	bad "server (proxy)" "wsprobe server did not start"
fi
stop_peers

finish "server"
