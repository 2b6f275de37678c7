#!/bin/sh
# cli.sh: checks of the wsprobe command line itself: help, version, exit codes.
# Usage: sh tests/cli.sh PATH/TO/wsprobe
set -u
bin=${1:?usage: cli.sh WSPROBE}
pass=0
fail=0

expect() { # expect NAME WANTED-EXIT COMMAND...
	name=$1; want=$2; shift 2
	"$@" >/tmp/wsprobe-cli.$$ 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then pass=$((pass + 1))
	else fail=$((fail + 1)); echo "FAIL $name: exit $got, wanted $want"; cat /tmp/wsprobe-cli.$$; fi
}
expect_out() { # expect_out NAME PATTERN COMMAND...
	name=$1; pat=$2; shift 2
	if "$@" 2>&1 | grep -q -- "$pat"; then pass=$((pass + 1))
	else fail=$((fail + 1)); echo "FAIL $name: output lacks '$pat'"; fi
}

expect help 0 "$bin" --help
expect version 0 "$bin" --version
expect no-args 2 "$bin"
expect unknown-option 2 "$bin" --no-such-option
expect_out help-exit-codes "target unreachable" "$bin" --help
expect_out version-string "^wsprobe [0-9]" "$bin" --version
expect_out version-zlib "zlib 1\." "$bin" --version
expect_out version-engine "permessage-deflate engine: \(zlib\|isa-l\)$" "$bin" --version
expect bad-deflate-engine 2 "$bin" client --deflate-engine gzip ws://127.0.0.1:1/
expect_out bad-deflate-engine-names-it "takes zlib or isa-l, not 'gzip'" "$bin" client --deflate-engine gzip ws://127.0.0.1:1/
expect_out unknown-names-it "no-such-option" "$bin" --no-such-option
expect server-help 0 "$bin" server --help
expect run-help 0 "$bin" run --help
expect report-help 0 "$bin" report --help
expect list-missing-file 3 "$bin" list /nonexistent/cases.lua
expect client-no-url 2 "$bin" client
expect client-bad-url 3 "$bin" client -q http://127.0.0.1:1/
expect client-unreachable 4 "$bin" client -q ws://127.0.0.1:1/
expect echo-no-listen 2 "$bin" echo
expect_out list-has-2.10 "^2.10 " "$bin" list --cases '2.*'
expect_out list-coverage-must-not "^  MUST NOT  *23/23 *100%" "$bin" list --coverage
expect_out list-coverage-must "^  MUST  *122/122 *100%" "$bin" list --coverage
expect_out list-coverage-why "why none: drivers open each case's connection themselves" "$bin" list --coverage
# The shared option setters (cli_opts.h), wired into each subcommand with
# its own wording.
expect client-bad-seed 2 "$bin" client --seed x ws://127.0.0.1:1/
expect_out client-bad-seed-msg "^wsprobe --seed takes a number from 0 to 2^64-1, not 'x'$" "$bin" client --seed x
expect_out run-bad-scale-msg "^wsprobe --timeout-scale takes 0.05 to 1000, not '0'$" "$bin" run --timeout-scale 0 x.lua
expect server-bad-pcap-max 2 "$bin" server --pcap-max 1
expect_out server-bad-pcap-max-msg "^wsprobe server: --pcap-max takes 4096 to 2^40 bytes, not '1'$" "$bin" server --pcap-max 1
expect_out run-listen-bad-msg "^wsprobe server: --listen takes HOST:PORT, not 'x'$" "$bin" run x.lua --listen x
expect bad-deflate-cache 2 "$bin" client --deflate-cache 65537 ws://127.0.0.1:1/
expect_out bad-deflate-cache-msg "^wsprobe --deflate-cache takes 0 to 65536 MiB, not 'x'$" "$bin" client --deflate-cache x ws://127.0.0.1:1/
expect_out echo-bad-deflate-cache-msg "^wsprobe echo: --deflate-cache takes 0 to 65536 MiB, not '-1'$" "$bin" echo --deflate-cache -1
expect_out server-bad-deflate-cache-msg "^wsprobe server: --deflate-cache takes 0 to 65536 MiB, not '1.5'$" "$bin" server --deflate-cache 1.5
expect_out help-deflate-cache "deflate-cache MIB" "$bin" client --help
expect_out echo-bad-max-message-msg "^wsprobe echo: --max-message takes 1 to 2^40 bytes, not '0'$" "$bin" echo --max-message 0
rm -f /tmp/wsprobe-cli.$$
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
