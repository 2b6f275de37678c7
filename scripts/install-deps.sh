#!/bin/sh
# install-deps.sh: installs the Debian 12 packages wsprobe needs, if missing.
#
#   sh scripts/install-deps.sh            build and run wsprobe
#   sh scripts/install-deps.sh --test     also what `make check` needs
#   sh scripts/install-deps.sh --bench    also what `make bench` needs
#   sh scripts/install-deps.sh --fuzz     also what `make fuzz` needs
#   sh scripts/install-deps.sh --all      everything
#
# As root it runs apt-get itself; otherwise it prints the exact apt-get line
# and exits 1.  It exits 0 at once when nothing is missing.
set -eu

# libisal-dev (Intel ISA-L) is the fast permessage-deflate compressor; the
# build works without it (zlib only), just slower on categories 12 and 13.
build="gcc make pkg-config libc6-dev libssl-dev zlib1g-dev libisal-dev libpcap-dev liblua5.4-dev libjansson-dev"
# The integration tests' peers (tests/integration/): Debian's python3 with
# python3-websockets, node and npm for the npm package ws, openssl for the
# test certificate, GNU time for the memory check.
test_pkgs="check clang libclang-rt-14-dev python3 python3-websockets nodejs npm openssl time"
# The report tests (tests/reports/): the HTML page in headless Chromium,
# results.json against docs/results.schema.json, docs/ci.md's YAML.
test_pkgs="$test_pkgs chromium python3-jsonschema python3-yaml"
# The capture tests (tests/integration/pcap.sh): tshark reads --pcap files
# (DEBIAN_FRONTEND=noninteractive below answers its debconf question).
test_pkgs="$test_pkgs tshark"
bench_pkgs="libwslay-dev tshark"
fuzz_pkgs="clang libclang-rt-14-dev"

want="$build"
for arg in "$@"; do
	case "$arg" in
	--test) want="$want $test_pkgs" ;;
	--bench) want="$want $bench_pkgs" ;;
	--fuzz) want="$want $fuzz_pkgs" ;;
	--all) want="$want $test_pkgs $bench_pkgs $fuzz_pkgs" ;;
	-h|--help) sed -n '2,12p' "$0"; exit 0 ;;
	*) echo "install-deps.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	# node and npm from another source (NodeSource's nodejs package
	# provides npm and conflicts with Debian's) are fine as they are.
	case "$p" in
	nodejs) command -v node >/dev/null 2>&1 && continue ;;
	npm) command -v npm >/dev/null 2>&1 && continue ;;
	esac
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	exit 0
fi

line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: missing packages:$missing" >&2
	echo "install-deps.sh: run as root: apt-get update && $line" >&2
	exit 1
fi

echo "install-deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
