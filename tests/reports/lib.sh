# lib.sh: shared by the report tests (tests/reports/*.sh), which source it
# after setting name=.  Provides pass/fail counting, a scratch folder that
# is removed on exit, wsprobe's echo server on a free port, headless
# Chromium, and the python3 that has the modules check.py needs.
# Every process started here is stopped by its own id on exit.

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
pass=0
fail=0
pids=""
tmp=$(mktemp -d "/tmp/wsprobe-$name.XXXXXX")

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $name: $*"; }

# check DESCRIPTION COMMAND...: passes when COMMAND exits 0; otherwise
# shows (the start of) what it printed.
check() {
	desc=$1
	shift
	if "$@" >"$tmp/check.out" 2>&1; then ok
	else bad "$desc"; sed -n '1,25s/^/    /p' "$tmp/check.out"; fi
}

# expect_exit DESCRIPTION WANTED COMMAND...: COMMAND's exit status is
# WANTED; its output stays in $tmp/out.
expect_exit() {
	desc=$1
	want=$2
	shift 2
	"$@" >"$tmp/out" 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then ok
	else bad "$desc: exit $got, wanted $want"; sed -n '1,25s/^/    /p' "$tmp/out"; fi
}

# grep_out DESCRIPTION PATTERN [FILE]: an extended regular expression is
# found in FILE (default: the last command's output).
grep_out() {
	if grep -Eq -- "$2" "${3:-$tmp/out}"; then ok
	else bad "$1: no line matches '$2'"; sed -n '1,25s/^/    /p' "${3:-$tmp/out}"; fi
}

need_tools() {
	if ! "$PY" -c 'import jsonschema, yaml' 2>/dev/null; then
		echo "$name: $PY lacks jsonschema or yaml: sh scripts/install-deps.sh --test"
		exit 1
	fi
}

# start_echo: wsprobe echo on 127.0.0.1, a free port; sets $port.
start_echo() {
	rm -f "$tmp/echo.port"
	"$bin" echo --listen 127.0.0.1:0 --port-file "$tmp/echo.port" \
		>"$tmp/echo.log" 2>&1 &
	pids="$pids $!"
	wait_port_file "$tmp/echo.port"
	port=$(cat "$tmp/echo.port")
}

# wait_port_file FILE: until FILE holds a port (5 s at most).
wait_port_file() {
	i=0
	while [ ! -s "$1" ] && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$1" ] || { echo "$name: no port in $1"; exit 1; }
}

# chromium_dump HTML DOM LOG: loads HTML in headless Chromium (no network,
# a throw-away profile), writes the DOM after the page's script ran to DOM
# and Chromium's log (console messages included) to LOG.
chromium_dump() {
	if ! command -v chromium >/dev/null 2>&1; then
		echo "$name: chromium is missing: sh scripts/install-deps.sh --test"
		return 1
	fi
	profile=$(mktemp -d "$tmp/chromium.XXXXXX")
	timeout 90 chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update \
		--disable-sync --no-first-run --user-data-dir="$profile" \
		--enable-logging=stderr --v=0 --dump-dom "file://$1" >"$2" 2>"$3"
}

# no_console LOG: Chromium logged no console message (an uncaught error,
# a Content-Security-Policy violation, a console.log).
no_console() {
	if grep -E 'CONSOLE|Uncaught' "$1" >"$tmp/console" 2>&1; then
		bad "console messages in Chromium"
		sed -n '1,10s/^/    /p' "$tmp/console"
	else
		ok
	fi
}

finish() {
	echo "$name: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
