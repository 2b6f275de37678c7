/*
 * cli_version.c: `wsprobe --version`: our version and the versions of the
 * libraries actually linked in (they decide behaviour: zlib's or ISA-L's
 * inflate, the TLS stack), so a bug report carries them.
 */
#include <jansson.h>
#include <lua.h>
#include <openssl/crypto.h>
#include <pcap/pcap.h>
#include <zlib.h>
#ifdef WSP_HAVE_ISAL
#include <isa-l.h>
#endif

#include "cli.h"
#include "pmd.h"

int cli_version(FILE *out)
{
	fprintf(out, "wsprobe %s\n", WSPROBE_VERSION);
	fprintf(out, "  openssl %s\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(out, "  zlib %s\n", zlibVersion());
	fprintf(out, "  %s\n", pcap_lib_version());
	fprintf(out, "  %s\n", LUA_RELEASE);
	fprintf(out, "  jansson %s\n", jansson_version_str());
#ifdef WSP_HAVE_ISAL
	fprintf(out, "  isa-l %d.%d.%d\n", ISAL_MAJOR_VERSION,
		ISAL_MINOR_VERSION, ISAL_PATCH_VERSION);
#endif
	fprintf(out, "  permessage-deflate engine: %s\n",
		pmd_engine_name(pmd_engine_available(PMD_ENGINE_ISAL)
					? PMD_ENGINE_ISAL
					: PMD_ENGINE_ZLIB));
	return ferror(out) ? CLI_EXIT_INTERNAL : CLI_EXIT_OK;
}
