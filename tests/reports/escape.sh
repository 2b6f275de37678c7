#!/bin/sh
# escape.sh: a peer that sends <script> and quote characters in every field
# it controls (a handshake header, message payloads, the close reason; see
# evil_peer.py), tested under an agent name made of the same, must not give
# the HTML page or the XML live markup: junit.xml parses (Python's XML
# parser) with no element but the writer's and every such text comes back
# unchanged as text; index.html holds it only escaped and, loaded in
# headless Chromium, runs no script but its own and logs nothing.
# Usage: sh tests/reports/escape.sh PATH/TO/wsprobe
set -u
bin=$(cd "$(dirname "${1:?usage: escape.sh WSPROBE}")" && pwd)/$(basename "$1")
name=escape
. "$(dirname "$0")/lib.sh"
need_tools

"$PY" "$here/evil_peer.py" "$tmp/peer.port" >"$tmp/peer.log" 2>&1 &
pids="$pids $!"
wait_port_file "$tmp/peer.port"
port=$(cat "$tmp/peer.port")

agent="<script>alert(\"agent\")</script> 'a' & \"b\""
out=$tmp/rep
expect_exit "the cases fail" 1 "$bin" client -q -a "$agent" -c 1.1.1,1.1.2,2.2 \
	-x 2.2 --timeout-scale 0.2 -o "$out" "ws://127.0.0.1:$port/"
check "results.json matches the schema" "$PY" "$here/check.py" schema "$out/results.json"
check "junit.xml agrees with results.json" "$PY" "$here/check.py" junit "$out"
check "the Autobahn layout agrees" "$PY" "$here/check.py" autobahn "$out"
# The texts, exactly as evil_peer.py and the command line put them in.
# The texts, as evil_peer.py and the command line put them in (a message
# payload as the event description records it: its first 24 bytes).
check "hostile text is text everywhere" "$PY" "$here/check.py" hostile "$out" \
	"j:$agent" \
	"j:message text 71 bytes \"</code></pre><script>ale\"..." \
	"j:<script>alert(\"close\")</script>'" \
	"X-Evil: <script>alert(\"hdr\")</script> 'single' & \"double\""
check "no raw '<script>alert' in index.html" sh -c "! grep -q '<script>alert' '$out/index.html'"
check "no raw '<img' in index.html" sh -c "! grep -q '<img' '$out/index.html'"
check "index.html loads in Chromium" \
	chromium_dump "$out/index.html" "$tmp/dom.html" "$tmp/chromium.log"
no_console "$tmp/chromium.log"
check "the DOM: one script, the counts of results.json" \
	"$PY" "$here/check.py" dom "$tmp/dom.html" "$out"
check "no <img> element in the DOM" sh -c "! grep -qi '<img' '$tmp/dom.html'"

finish
