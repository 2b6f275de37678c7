/*
 * wsp_err.h: the one table of result codes used by every wsprobe module.
 *
 * Every code is declared once, in an X-macro list, and that list generates
 * the enum, wsp_errname(), wsp_strerror() and wsp_errreq(): names, messages
 * and requirement ids cannot drift apart.  The list is split into one
 * ".def" file per module under proto/err/ so that each module owns its own
 * range; wsp_err.def includes them in order, and this header turns them into
 * one enum.
 *
 * Conventions (STYLE.md, principle 13):
 *   - 0 and positive values are success (or a count); codes are negative.
 *   - Codes are grouped by hundreds per module:
 *       -1 ..  -99  general argument and buffer errors
 *     -100 .. -199  frame codec (wsf_)          -200 .. -299  message layer (msg_)
 *     -300 .. -399  UTF-8 (u8_)                 -400 .. -499  close payloads (wsc_)
 *     -500 .. -599  opening handshake (hs_)     -600 .. -699  permessage-deflate (pmd_)
 *     -700 .. -799  extension header grammar (ext_)
 *     -800 .. -899  harness transport: URLs (url_), TCP/TLS (net_)
 *     -900 .. -999  fatal: the object must be freed and not used again
 *    -1000 .. -1099 capture reading and the dissector (pcap/: cap_, dis_)
 *   - A code that stands for a protocol violation carries the id of the
 *     requirement it breaks (../shared/spec/requirements.tsv); tool errors
 *     carry NULL.
 *
 * Each entry: XX(NAME, value, "requirement id" or NULL, "one-line message").
 */
#ifndef WSP_ERR_H
#define WSP_ERR_H

enum wsp_err {
	WSP_OK = 0,
#define XX(name, value, req, msg) WSP_E_##name = (value),
#include "wsp_err.def"
#undef XX
	/* Codes at or below this one are fatal for the object that returned
	 * them: free it, do not call it again. */
	WSP_E_FATAL = -900
};

/* The symbolic name of code, e.g. "WSP_E_NOMEM"; "WSP_OK" for 0 and
 * "WSP_E_UNKNOWN" for a value not in the table.  Static storage. */
const char *wsp_errname(int code);

/* A one-line, human-readable message for code (static storage). */
const char *wsp_strerror(int code);

/* The requirement id the code stands for ("R6455-5.2-03"), or NULL when the
 * code is a tool error rather than a protocol violation. */
const char *wsp_errreq(int code);

/* Non-zero when code means the object that returned it must be freed: the
 * range -900 .. -999 only. */
int wsp_is_fatal(int code);

#endif
