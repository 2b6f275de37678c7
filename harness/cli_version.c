/*
 * cli_version.c: `wsprobe --version`: our version and the versions of the
 * libraries actually linked in (they decide behaviour: zlib's inflate, the
 * TLS stack), so a bug report carries them.
 */
#include <jansson.h>
#include <lua.h>
#include <openssl/crypto.h>
#include <pcap/pcap.h>
#include <zlib.h>

#include "cli.h"

int cli_version(FILE *out)
{
	fprintf(out, "wsprobe %s\n", WSPROBE_VERSION);
	fprintf(out, "  openssl %s\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(out, "  zlib %s\n", zlibVersion());
	fprintf(out, "  %s\n", pcap_lib_version());
	fprintf(out, "  %s\n", LUA_RELEASE);
	fprintf(out, "  jansson %s\n", jansson_version_str());
	return ferror(out) ? CLI_EXIT_INTERNAL : CLI_EXIT_OK;
}
