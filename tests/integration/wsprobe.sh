#!/bin/sh
# wsprobe.sh: wsprobe's client against wsprobe's own echo server, over
# ws:// and wss://.  Every case must be OK; --jobs 1 and --jobs 4 must give
# the same results apart from durations; two runs with the same --seed must
# write the same results apart from durations (and a different seed must
# not, or the comparison proves nothing).  Over wss:// the certificate is
# made here with `openssl req`: trusted with --cacert, skipped with
# --insecure, and rejected (exit 4, one line naming the certificate
# problem) when wsprobe is not told to trust it or it names another host.
#
# Usage: sh tests/integration/wsprobe.sh [PATH/TO/wsprobe]
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

echo "wsprobe client vs wsprobe echo"

# all_ok NAME DIR: every case in DIR/results.json is OK (INFORMATIONAL
# where the case is informational by design: 7.1.6, 7.13.x).
all_ok() {
	"$PY" "$RESULTS" verdicts "$2/results.json" >"$TMP/v" 2>&1 || {
		bad "$1" "cannot read $2/results.json"
		return
	}
	n=$(wc -l <"$TMP/v")
	info=$(grep -c ' INFORMATIONAL$' "$TMP/v")
	notok=$(grep -Evc ' (OK|INFORMATIONAL)$' "$TMP/v")
	if [ "$n" -gt 0 ] && [ "$notok" -eq 0 ]; then
		ok "$1 ($n cases: $((n - info)) OK, $info INFORMATIONAL)"
	else
		bad "$1" "$notok of $n cases not OK: $(grep -Ev ' (OK|INFORMATIONAL)$' "$TMP/v" | head -5 | tr '\n' ' ')"
	fi
}

# same NAME DIR1 DIR2: results equal apart from duration_ms.
same() {
	"$PY" "$RESULTS" canon "$2/results.json" >"$TMP/c1" 2>&1 &&
		"$PY" "$RESULTS" canon "$3/results.json" >"$TMP/c2" 2>&1
	if cmp -s "$TMP/c1" "$TMP/c2"; then
		ok "$1"
	else
		bad "$1" "$(diff "$TMP/c1" "$TMP/c2" | head -10)"
	fi
}

# Categories 12 and 13 (permessage-deflate, 216 cases of 1000 round trips
# each, minutes of CPU) would make every full run below take minutes: the
# repeated runs leave them out, and one run plays a representative subset
# (every data set and every parameter set, one frame and 256-byte
# fragments, the smallest and a middle size).
DEFLATE_BULK='12.*,13.*'
DEFLATE_SAMPLE='12.*.1,12.*.11,13.*.1,13.*.11'

# --- ws:// ---------------------------------------------------------------
if start_peer echo "$TMP/echo.port" "$WSPROBE" echo --listen 127.0.0.1:0 \
	--port-file "$TMP/echo.port"; then
	url="ws://127.0.0.1:$port/"
	wsprobe_run "$TMP/j1.out" client -q --seed 42 --jobs 1 -x "$DEFLATE_BULK" -o "$TMP/j1" "$url"
	[ "$rc" -eq 0 ] && ok "jobs 1: exit 0" || bad "jobs 1" "exit $rc: $(tail -3 "$TMP/j1.out")"
	all_ok "jobs 1: verdicts" "$TMP/j1"

	wsprobe_run "$TMP/j4.out" client -q --seed 42 --jobs 4 -x "$DEFLATE_BULK" -o "$TMP/j4" "$url"
	[ "$rc" -eq 0 ] && ok "jobs 4: exit 0" || bad "jobs 4" "exit $rc: $(tail -3 "$TMP/j4.out")"
	all_ok "jobs 4: verdicts" "$TMP/j4"
	same "jobs 1 and jobs 4 give the same results" "$TMP/j1" "$TMP/j4"

	wsprobe_run "$TMP/s2.out" client -q --seed 42 --jobs 4 -x "$DEFLATE_BULK" -o "$TMP/s2" "$url"
	[ "$rc" -eq 0 ] && ok "seed 42 again: exit 0" || bad "seed 42 again" "exit $rc"
	same "same seed, same results" "$TMP/j4" "$TMP/s2"

	wsprobe_run "$TMP/d1.out" client -q --seed 42 --jobs 2 \
		-c "$DEFLATE_SAMPLE" -o "$TMP/d1" "$url"
	[ "$rc" -eq 0 ] && ok "permessage-deflate sample: exit 0" || bad "permessage-deflate sample" "exit $rc: $(tail -3 "$TMP/d1.out")"
	all_ok "permessage-deflate sample: verdicts" "$TMP/d1"

	# The two permessage-deflate engines against each other: this
	# client on zlib, the echo on its default (ISA-L when built in), so
	# each engine's output is read by the other's decompressor.
	wsprobe_run "$TMP/d2.out" client -q --seed 42 --jobs 2 --deflate-engine zlib \
		-c "$DEFLATE_SAMPLE,19.*" -o "$TMP/d2" "$url"
	[ "$rc" -eq 0 ] && ok "client on zlib, echo on $("$WSPROBE" --version | sed -n 's/.*deflate engine: //p'): exit 0" ||
		bad "engines crossed" "exit $rc: $(tail -3 "$TMP/d2.out")"
	all_ok "engines crossed: verdicts" "$TMP/d2"

	wsprobe_run "$TMP/s3.out" client -q --seed 43 --jobs 4 -x "$DEFLATE_BULK" -o "$TMP/s3" "$url"
	"$PY" "$RESULTS" canon "$TMP/j1/results.json" >"$TMP/c1" 2>/dev/null
	"$PY" "$RESULTS" canon "$TMP/s3/results.json" >"$TMP/c3" 2>/dev/null
	if [ "$rc" -eq 0 ] && [ -s "$TMP/c3" ] && ! cmp -s "$TMP/c1" "$TMP/c3"; then
		ok "another seed, other bytes (handshake nonces differ)"
	else
		bad "another seed" "exit $rc, or results identical to seed 42's"
	fi
else
	bad "ws:// echo" "wsprobe echo did not start"
fi
stop_peers

# --- wss:// --------------------------------------------------------------
# A self-signed certificate for 127.0.0.1 and localhost, and one for
# localhost only (to see the address checked against it).
if ! command -v openssl >/dev/null 2>&1; then
	bad "wss://" "openssl not found (sh scripts/install-deps.sh --test)"
elif ! mkcert ip "IP:127.0.0.1,DNS:localhost" || ! mkcert name "DNS:localhost"; then
	bad "wss://" "openssl req failed: $(tail -3 "$TMP/openssl.log")"
else
	if start_peer tls "$TMP/tls.port" "$WSPROBE" echo --listen 127.0.0.1:0 \
		--port-file "$TMP/tls.port" --tls-cert "$TMP/ip.crt" \
		--tls-key "$TMP/ip.key"; then
		url="wss://127.0.0.1:$port/"
		wsprobe_run "$TMP/t1.out" client -q --seed 7 --jobs 4 \
			-x "$DEFLATE_BULK" --cacert "$TMP/ip.crt" -o "$TMP/t1" "$url"
		[ "$rc" -eq 0 ] && ok "wss --cacert: exit 0" || bad "wss --cacert" "exit $rc: $(tail -3 "$TMP/t1.out")"
		all_ok "wss --cacert: verdicts" "$TMP/t1"

		wsprobe_run "$TMP/t2.out" client -q --seed 7 -c '1.1.*' --insecure \
			-o "$TMP/t2" "$url"
		[ "$rc" -eq 0 ] && ok "wss --insecure: exit 0" || bad "wss --insecure" "exit $rc: $(tail -3 "$TMP/t2.out")"

		# Not told to trust the certificate: exit 4, one line, no
		# report, naming OpenSSL's reason.
		wsprobe_run "$TMP/t3.out" client -q -o "$TMP/t3" "$url"
		if [ "$rc" -eq 4 ] && [ "$(wc -l <"$TMP/t3.out")" -eq 1 ] &&
			grep -q "certificate.*self-signed" "$TMP/t3.out" &&
			[ ! -e "$TMP/t3" ]; then
			ok "wss without --cacert: exit 4, one line naming the certificate"
		else
			bad "wss without --cacert" "exit $rc: $(cat "$TMP/t3.out")"
		fi
		# A cert for 127.0.0.1 reached as localhost: name matches too.
		wsprobe_run "$TMP/t4.out" client -q -c '1.1.1' --cacert "$TMP/ip.crt" \
			-o "$TMP/t4" "wss://localhost:$port/"
		[ "$rc" -eq 0 ] && ok "wss://localhost with the right name: exit 0" ||
			bad "wss://localhost" "exit $rc: $(cat "$TMP/t4.out")"
	else
		bad "wss:// echo" "wsprobe echo --tls-cert did not start"
	fi
	stop_peers
	# The address is checked against the certificate (iPAddress names),
	# not only the chain: a certificate for localhost alone does not do
	# for wss://127.0.0.1.
	if start_peer tls2 "$TMP/tls2.port" "$WSPROBE" echo --listen 127.0.0.1:0 \
		--port-file "$TMP/tls2.port" --tls-cert "$TMP/name.crt" \
		--tls-key "$TMP/name.key"; then
		wsprobe_run "$TMP/t5.out" client -q -c '1.1.1' --cacert "$TMP/name.crt" \
			-o "$TMP/t5" "wss://127.0.0.1:$port/"
		if [ "$rc" -eq 4 ] && [ "$(wc -l <"$TMP/t5.out")" -eq 1 ] &&
			grep -q "IP address mismatch" "$TMP/t5.out"; then
			ok "wss://127.0.0.1 with a certificate for localhost: exit 4"
		else
			bad "wss address check" "exit $rc: $(cat "$TMP/t5.out")"
		fi
	else
		bad "wss:// echo (name)" "wsprobe echo --tls-cert did not start"
	fi
	stop_peers
fi

finish "wsprobe-echo"
