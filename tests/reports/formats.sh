#!/bin/sh
# formats.sh: every report file of a real run against wsprobe's echo server,
# read back with real parsers (check.py): results.json against the JSON
# Schema, junit.xml as XML, the Autobahn layout, index.html in headless
# Chromium (no console message, the counts of results.json in the DOM after
# its script ran).  Then `wsprobe report`: the same bytes again, one format
# at a time, in a German locale; bad input is exit 3 with one line; a file
# that cannot be replaced is exit 5 and leaves the others intact.
# Usage: sh tests/reports/formats.sh PATH/TO/wsprobe
set -u
bin=$(cd "$(dirname "${1:?usage: formats.sh WSPROBE}")" && pwd)/$(basename "$1")
name=formats
. "$(dirname "$0")/lib.sh"
need_tools
start_echo

out=$tmp/rep
expect_exit "client against echo" 0 "$bin" client --agent "Echo Server/1.0" \
	-c '1.*,2.*,5.1,7.1.*' -x '2.1*,1.2.8' -j 4 -o "$out" "ws://127.0.0.1:$port/"
grep_out "summary on stdout" "^  all +[0-9]+ +[0-9]+"
if grep -q "$(printf '\033')" "$tmp/out"; then bad "colour without a terminal"; else ok; fi
for f in results.json junit.xml index.json index.html \
	echo_server_1_0_case_1_1_1.json echo_server_1_0_case_7_1_6.json; do
	check "$f written" test -s "$out/$f"
done
check "no temporary file left" sh -c "! ls -a '$out' | grep -q tmp"
check "results.json matches docs/results.schema.json" \
	"$PY" "$here/check.py" schema "$out/results.json"
check "junit.xml agrees with results.json" "$PY" "$here/check.py" junit "$out"
# 7.1.6 sends 256 KiB and more: its wire log is cut at the cap, and says so.
check "a wire log over the cap is marked truncated" \
	grep -q '"truncated": true' "$out/results.json"
check "index.html says a log is truncated" \
	grep -q '<b class="trunc">truncated:</b>' "$out/index.html"
check "index.html decodes frames" \
	grep -q '<b>TEXT</b> <small>opcode 1</small> FIN=1' "$out/index.html"
check "junit.xml failures carry a wire log excerpt" \
	sh -c "! grep -q '<failure' '$out/junit.xml' || grep -q 'wire log (' '$out/junit.xml'"
check "excluded cases are skipped in junit.xml" \
	grep -q 'name="2.10 .*">$' "$out/junit.xml"
check "the Autobahn layout agrees with results.json" \
	"$PY" "$here/check.py" autobahn "$out"
# Loaded with a link to the first case (OK, so closed in the page as
# written): the script opens it.
check "index.html loads in Chromium" \
	chromium_dump "$out/index.html#r0-0" "$tmp/dom.html" "$tmp/chromium.log"
no_console "$tmp/chromium.log"
check "the DOM shows the counts of results.json" \
	"$PY" "$here/check.py" dom "$tmp/dom.html" "$out"
check "the case linked to is closed in the file" \
	grep -q '<details class="case" id="r0-0" data-v="OK" data-cat="1">' "$out/index.html"
check "and open in the DOM" \
	grep -q '<details class="case" id="r0-0" data-v="OK" data-cat="1" open="">' "$tmp/dom.html"

# wsprobe report DIR: every format again, byte for byte.
cp -R "$out" "$tmp/before"
expect_exit "report DIR" 0 "$bin" report "$out"
grep_out "report prints the summary" "^  all "
check "report DIR rewrites the same bytes" diff -r "$tmp/before" "$out"

# One format at a time: only its files appear, with the same bytes.
for fmt in json junit autobahn html text; do
	one=$tmp/one-$fmt
	mkdir "$one"
	cp "$out/results.json" "$one/"
	expect_exit "report --format $fmt" 0 "$bin" report -q --format "$fmt" "$one"
	case $fmt in
	json | text) want="results.json" ;;
	junit) want="junit.xml results.json" ;;
	html) want="index.html results.json" ;;
	autobahn) want=$(cd "$out" && ls | grep -E '^index.json$|_case_|^results.json$' | tr '\n' ' ') ;;
	esac
	got=$(cd "$one" && ls | tr '\n' ' ')
	if [ "$(echo $got)" = "$(echo $want)" ]; then ok
	else bad "--format $fmt wrote '$got', wanted '$want'"; fi
	for f in $got; do
		check "--format $fmt: $f as in the full report" cmp "$one/$f" "$out/$f"
	done
done
expect_exit "report --format text prints the summary" 0 "$bin" report -f text "$out"
grep_out "--format text" "^  all "

# In a locale with a decimal comma (built here when the system has its
# definition): not one byte changes.
mkdir -p "$tmp/locale"
if command -v localedef >/dev/null 2>&1 && [ -f /usr/share/i18n/locales/de_DE ] &&
	localedef -i de_DE -f UTF-8 "$tmp/locale/de_DE.UTF-8" >/dev/null 2>&1; then
	if [ "$(LOCPATH=$tmp/locale LC_ALL=de_DE.UTF-8 /usr/bin/printf '%.1f' 1.5)" = "1,5" ]; then ok
	else bad "the de_DE locale built is not in effect"; fi
	cp -R "$tmp/before" "$tmp/de"
	expect_exit "report in de_DE.UTF-8" 0 env LOCPATH="$tmp/locale" \
		LC_ALL=de_DE.UTF-8 "$bin" report -q "$tmp/de"
	check "de_DE.UTF-8 changes no byte" diff -r "$tmp/before" "$tmp/de"
else
	echo "formats: no de_DE locale definition; C.UTF-8 instead"
	cp -R "$tmp/before" "$tmp/de"
	expect_exit "report in C.UTF-8" 0 env LC_ALL=C.UTF-8 "$bin" report -q "$tmp/de"
	check "C.UTF-8 changes no byte" diff -r "$tmp/before" "$tmp/de"
fi

# Bad input: exit 3 and one line naming the file; nothing written.
mkdir "$tmp/empty"
expect_exit "no results.json" 3 "$bin" report "$tmp/empty"
grep_out "names the file" "^wsprobe report: .*/empty/results.json: cannot read: No such file"
check "one line" test "$(wc -l <"$tmp/out")" -eq 1
check "nothing written" test -z "$(ls "$tmp/empty")"
mkdir "$tmp/bad1" "$tmp/bad2" "$tmp/bad3"
printf '{"tool": "wsprobe",\n "seed": "1", "agents": [' >"$tmp/bad1/results.json"
expect_exit "truncated results.json" 3 "$bin" report "$tmp/bad1"
grep_out "line and column" "^wsprobe report: .*/bad1/results.json:[0-9]+:[0-9]+: "
check "one line" test "$(wc -l <"$tmp/out")" -eq 1
printf '{"seed": "1", "agents": [{"agent": "a", "role": "server", "cases": [{"id": "1"}]}]}' \
	>"$tmp/bad2/results.json"
expect_exit "a case without a verdict" 3 "$bin" report "$tmp/bad2"
grep_out "says where" "^wsprobe report: .*/bad2/results.json: agents\[0\]\.cases\[0\]: \"verdict\" must be"
check "one line" test "$(wc -l <"$tmp/out")" -eq 1
check "nothing written" test "$(ls "$tmp/bad2")" = "results.json"
mkdir "$tmp/bad3/results.json"
expect_exit "results.json is a folder" 3 "$bin" report "$tmp/bad3"
check "one line" test "$(wc -l <"$tmp/out")" -eq 1
expect_exit "unknown format" 2 "$bin" report --format pdf "$out"
grep_out "names the formats" "text, json, junit, autobahn or html, not 'pdf'"
expect_exit "no folder" 2 "$bin" report
expect_exit "two folders" 2 "$bin" report "$out" "$out"

# A file that cannot be replaced (a folder took its name): exit 5, one
# line naming it, every other file written, no temporary file left.
cp -R "$tmp/before" "$tmp/stuck"
rm "$tmp/stuck/junit.xml"
mkdir "$tmp/stuck/junit.xml"
expect_exit "junit.xml cannot be replaced" 5 "$bin" report -q "$tmp/stuck"
grep_out "names junit.xml" "junit.xml: cannot rename into place"
check "one line" test "$(wc -l <"$tmp/out")" -eq 1
check "the other files are intact" sh -c "cd '$tmp/before' && for f in *; do
	[ \$f = junit.xml ] || cmp \"\$f\" '$tmp/stuck/'\"\$f\" || exit 1; done"
check "no temporary file left" sh -c "! ls -a '$tmp/stuck' | grep -q tmp"

finish
