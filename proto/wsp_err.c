/*
 * wsp_err.c: names, messages and requirement ids for the codes of wsp_err.h,
 * all generated from the same X-macro list.
 */
#include <stddef.h>

#include "wsp_err.h"

const char *wsp_errname(int code)
{
	switch (code) {
	case WSP_OK:
		return "WSP_OK";
#define XX(name, value, req, msg) \
	case (value):             \
		return "WSP_E_" #name;
#include "wsp_err.def"
#undef XX
	default:
		return "WSP_E_UNKNOWN";
	}
}

const char *wsp_strerror(int code)
{
	switch (code) {
	case WSP_OK:
		return "success";
#define XX(name, value, req, msg) \
	case (value):             \
		return (msg);
#include "wsp_err.def"
#undef XX
	default:
		return "unknown error code";
	}
}

const char *wsp_errreq(int code)
{
	switch (code) {
#define XX(name, value, req, msg) \
	case (value):             \
		return (req);
#include "wsp_err.def"
#undef XX
	default:
		return NULL;
	}
}

int wsp_is_fatal(int code)
{
	/* Only the fatal range: the codes of later modules (pcap, -1000 and
	 * below) are ordinary results. */
	return code <= WSP_E_FATAL && code > -1000;
}
