#!/bin/sh
# demo.sh: the main job on the embedded default.  Starts the built-in
# reference server (`wsprobe echo`) on a free loopback port, plays every
# case of the embedded library against it, prints the summary and where the
# report is, and stops the server.  Exit status: the client's.
#
# Usage: sh scripts/demo.sh [WSPROBE] [extra client options...]
set -u
bin=${1:-./wsprobe}
[ $# -gt 0 ] && shift
dir=$(mktemp -d /tmp/wsprobe-demo.XXXXXX)
"$bin" echo --listen 127.0.0.1:0 --port-file "$dir/port" >"$dir/echo.log" 2>&1 &
echo_pid=$!
trap 'kill "$echo_pid" 2>/dev/null; wait "$echo_pid" 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
i=0
while [ ! -s "$dir/port" ]; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$echo_pid" 2>/dev/null; then
		echo "demo: the echo server did not start:" >&2
		cat "$dir/echo.log" >&2
		exit 5
	fi
	sleep 0.05
done
port=$(cat "$dir/port")
echo "demo: wsprobe echo listening on 127.0.0.1:$port"
"$bin" client --agent wsprobe-echo "ws://127.0.0.1:$port/" "$@"
rc=$?
exit $rc
