#!/bin/sh
# cve_classes.sh: fuzz/cve-classes.tsv maps every bug class of the WebSocket
# CVEs (issue 7) to fuzz seeds or dictionary entries and to cases.  This test
# fails when a row is malformed or empty, when a listed seed file is missing
# from fuzz/corpus/ (or its SHA-256 name does not match its content), when a
# listed dictionary entry is not a named entry of its fuzz/*.dict file, or
# when a listed case id is not in `wsprobe list --json`.
#
# Usage: sh tests/fuzz/cve_classes.sh [WSPROBE]   (default ./wsprobe)
# CVE_CLASSES_TSV=FILE checks another table (to see the test fail).
set -u
cd "$(dirname "$0")/../.."
wsprobe=${1:-./wsprobe}
tsv=${CVE_CLASSES_TSV:-fuzz/cve-classes.tsv}
fail=0
err() { echo "cve_classes: $*"; fail=1; }

[ -f "$tsv" ] || { echo "cve_classes: $tsv missing"; echo "cve_classes: 0 passed, 1 failed"; exit 1; }
ids=$(mktemp) || exit 1
trap 'rm -f "$ids"' EXIT
if ! "$wsprobe" list --json >"$ids.json" 2>/dev/null; then
	err "'$wsprobe list --json' failed"
fi
grep -o '"id": *"[0-9.]*"' "$ids.json" 2>/dev/null | sed 's/.*"\([0-9.]*\)"$/\1/' | sort -u >"$ids"
rm -f "$ids.json"
[ -s "$ids" ] || err "no case ids from '$wsprobe list --json'"

rows=0 nseed=0 ndict=0 ncase=0
tab=$(printf '\t')
while IFS="$tab" read -r key cls cves items cases extra; do
	case "$key" in ''|'#'*|key) continue ;; esac
	rows=$((rows + 1))
	if [ -z "$cls" ] || [ -z "$cves" ] || [ -z "$items" ] || [ -z "$cases" ] || [ -n "$extra" ]; then
		err "$key: a row needs exactly 5 non-empty tab-separated fields"
		continue
	fi
	for it in $items; do
		case "$it" in
		*/*)
			f=fuzz/corpus/$it
			nseed=$((nseed + 1))
			if [ ! -f "$f" ]; then
				err "$key: seed $f is missing"
				continue
			fi
			name=${it##*/}
			if [ ${#name} -eq 64 ]; then
				sum=$(sha256sum "$f" | cut -d' ' -f1)
				[ "$sum" = "$name" ] || err "$key: $f is not named by its SHA-256 ($sum)"
			fi
			;;
		*:*)
			d=fuzz/${it%%:*}
			n=${it#*:}
			ndict=$((ndict + 1))
			if [ ! -f "$d" ]; then
				err "$key: dictionary $d is missing"
			elif ! grep -q "^$n=\"" "$d"; then
				err "$key: no entry '$n' in $d"
			fi
			;;
		*) err "$key: '$it' is neither TARGET/FILE nor DICT:NAME" ;;
		esac
	done
	for c in $cases; do
		ncase=$((ncase + 1))
		grep -qx "$c" "$ids" || err "$key: case $c is not in '$wsprobe list --json'"
	done
done <"$tsv"
[ "$rows" -gt 0 ] || err "no rows in $tsv"

if [ "$fail" -eq 0 ]; then
	echo "cve_classes: 1 passed, 0 failed ($rows classes, $nseed seeds, $ndict dictionary entries, $ncase case references)"
else
	echo "cve_classes: 0 passed, 1 failed"
fi
exit "$fail"
