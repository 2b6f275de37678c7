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

# ISA-L is optional: ISAL=0 drops it from every compile and link, and the
# zlib-only permessage-deflate code builds and says ISA-L is absent.
if make --no-print-directory -n -B V=1 ISAL=0 wsprobe 2>/dev/null \
	| grep -q -e 'WSP_HAVE_ISAL' -e '-lisal'; then bad "ISAL=0 still uses ISA-L"; else ok; fi
printf '%s\n' '#include "pmd.h"' 'int main(void)' '{' \
	'	return pmd_engine_available(PMD_ENGINE_ISAL) ||' \
	'	       !pmd_engine_available(PMD_ENGINE_ZLIB);' '}' >"$stage/noisal.c"
if ${CC:-cc} -std=c11 -D_DEFAULT_SOURCE -Iproto -Wall -Wextra -Werror \
	"$stage/noisal.c" proto/pmd.c proto/ext.c proto/wsp_err.c proto/wsp_mem.c \
	-lz -o "$stage/noisal" 2>"$stage/noisal.log" && "$stage/noisal"; then ok
else bad "zlib-only pmd.c: $(head -3 "$stage/noisal.log")"; fi

# Variants do not share objects.
for d in build/release build/asan; do
	[ -d "$d/proto" ] && ok || bad "no object folder $d/proto"
done

echo "build: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
