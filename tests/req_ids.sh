#!/bin/sh
# req_ids.sh: every requirement id cited in the code, tests, fuzz targets and
# docs must exist in docs/requirements.tsv (our copy of
# ../shared/spec/requirements.tsv), and that copy must equal the shared one
# when the shared one is present.  A typo in an id is a test failure.
# R6455-99.9-99 is the one id tests use on purpose as an unknown id.
set -u
cd "$(dirname "$0")/.."
tsv=docs/requirements.tsv
shared=../shared/spec/requirements.tsv
fail=0
if [ -f "$shared" ] && ! cmp -s "$tsv" "$shared"; then
	echo "req_ids: $tsv differs from $shared; copy it again"
	fail=1
fi
cut -f1 "$tsv" | tail -n +2 | sort -u > /tmp/req_known.$$
grep -rhoE 'R(6455|7692)-[0-9][0-9.]*-[0-9]{2}' proto tests fuzz harness pcap reports cases bench docs \
	--include='*.c' --include='*.h' --include='*.def' --include='*.lua' --include='*.md' \
	2>/dev/null | grep -v '^R6455-99\.9-99$' | sort -u > /tmp/req_used.$$
unknown=$(comm -23 /tmp/req_used.$$ /tmp/req_known.$$)
if [ -n "$unknown" ]; then
	echo "req_ids: ids cited but not in $tsv:"; echo "$unknown" | sed 's/^/  /'
	fail=1
fi
n=$(wc -l < /tmp/req_used.$$)
rm -f /tmp/req_known.$$ /tmp/req_used.$$
if [ "$fail" -eq 0 ]; then echo "req_ids: 1 passed, 0 failed ($n distinct ids cited, all known)"
else echo "req_ids: 0 passed, 1 failed"; fi
exit "$fail"
