#!/bin/sh
# build.sh: checks of the build itself: install and uninstall honour PREFIX
# and DESTDIR, the user's CFLAGS reach every compile, and each variant keeps
# its own object folder.  Run from the top of the tree by `make check`.
set -u
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

stage=$(mktemp -d /tmp/wsprobe-stage.XXXXXX)
trap 'rm -rf "$stage"' EXIT

make --no-print-directory -s install DESTDIR="$stage" PREFIX=/opt/wsp >/dev/null 2>&1 \
	|| bad "make install failed"
[ -x "$stage/opt/wsp/bin/wsprobe" ] && ok || bad "install: no $stage/opt/wsp/bin/wsprobe"
[ -f "$stage/opt/wsp/share/doc/wsprobe/README.md" ] && ok || bad "install: no README"
"$stage/opt/wsp/bin/wsprobe" --version >/dev/null 2>&1 && ok || bad "installed binary does not run"
make --no-print-directory -s uninstall DESTDIR="$stage" PREFIX=/opt/wsp >/dev/null 2>&1 \
	|| bad "make uninstall failed"
[ ! -e "$stage/opt/wsp/bin/wsprobe" ] && ok || bad "uninstall left the binary"

# The user's CFLAGS are kept (a dry run that rebuilds everything).
if make --no-print-directory -n -B V=1 CFLAGS='-O1 -DWSP_USER_FLAG_SEEN' wsprobe 2>/dev/null \
	| grep -q 'WSP_USER_FLAG_SEEN'; then ok; else bad "user CFLAGS not passed to the compiler"; fi

# Variants do not share objects.
for d in build/release build/asan; do
	[ -d "$d/proto" ] && ok || bad "no object folder $d/proto"
done

echo "build: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
