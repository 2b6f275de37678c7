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

build="gcc make pkg-config libc6-dev libssl-dev zlib1g-dev libpcap-dev liblua5.4-dev libjansson-dev"
test_pkgs="check clang libclang-rt-14-dev"
bench_pkgs="libwslay-dev"
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
