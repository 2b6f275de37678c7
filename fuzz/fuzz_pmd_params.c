/*
 * fuzz_pmd_params.c: permessage-deflate negotiation (proto/pmd.h) from
 * arbitrary offers and responses.
 *
 * Input layout: byte 0 picks the server configuration (bits 0-2 the window
 * our compressor may use, 15 - n; bits 3-4 the smallest one, 8 + n; bit 5
 * server_no_context_takeover; bit 6 client_no_context_takeover; bit 7
 * refuse server_no_context_takeover), byte 1 the window the server would
 * like the client to use (8 + n % 8) and the client's smallest window
 * (8 + (n >> 4) % 8); the rest is "offer header\nresponse header".
 *
 * Invariants: every offer parses to a code of this module or to
 * parameters that format and parse back unchanged; the server's
 * negotiation never fails for lack of room and, when it accepts, writes a
 * response that the client, given the same offers, accepts with the same
 * agreed parameters, within the limits of the chosen offer and the
 * configuration; the client's check of the fuzzed response returns a known
 * code, and agreed windows are always 8..15.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ext.h"
#include "fuzz.h"
#include "pmd.h"
#include "wsp_err.h"

#define MAXE 8

static void agreed_ok(const struct pmd_agreed *a)
{
	REQUIRE(a->server_max_window_bits >= 8 &&
		a->server_max_window_bits <= 15);
	REQUIRE(a->client_max_window_bits >= 8 &&
		a->client_max_window_bits <= 15);
	REQUIRE(a->server_no_context_takeover == 0 ||
		a->server_no_context_takeover == 1);
	REQUIRE(a->client_no_context_takeover == 0 ||
		a->client_no_context_takeover == 1);
}

static int pmd_code(int rc)
{
	return rc <= -601 && rc >= -699 && wsp_errname(rc)[6] == 'P';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct pmd_server_cfg cfg;
	struct pmd_client_cfg ccfg;
	pmd_server_cfg_init(&cfg);
	pmd_client_cfg_init(&ccfg);
	cfg.server_max_window_bits = 15 - (data[0] & 7);
	cfg.server_min_window_bits = 8 + ((data[0] >> 3) & 3);
	if (cfg.server_min_window_bits > cfg.server_max_window_bits)
		cfg.server_min_window_bits = cfg.server_max_window_bits;
	cfg.server_no_context_takeover = (data[0] >> 5) & 1;
	cfg.client_no_context_takeover = (data[0] >> 6) & 1;
	cfg.refuse_server_no_context_takeover = (data[0] >> 7) & 1;
	cfg.client_max_window_bits = 8 + data[1] % 8;
	ccfg.client_min_window_bits = 8 + (data[1] >> 4) % 8;
	data += 2;
	size -= 2;

	const uint8_t *nl = memchr(data, '\n', size);
	size_t on = nl ? (size_t)(nl - data) : size;
	size_t rn = nl ? size - on - 1 : 0;
	char *offer = malloc(on ? on : 1);
	char *resp = malloc(rn ? rn : 1);
	REQUIRE(offer != NULL && resp != NULL);
	if (on > 0)
		memcpy(offer, data, on);
	if (rn > 0)
		memcpy(resp, data + on + 1, rn);

	struct ext_elem oe[MAXE], re[MAXE];
	struct pmd_params offers[MAXE];
	size_t noffers = 0;
	int n = ext_parse(offer, on, oe, MAXE);
	if (n > MAXE)
		n = MAXE;
	for (int i = 0; i < n; i++) {
		struct pmd_params p, q;
		char txt[256];
		struct ext_elem e1[1];
		if (!pmd_is_pmd(&oe[i])) {
			REQUIRE(pmd_parse_offer(&oe[i], &p) == WSP_E_INVAL);
			continue;
		}
		int rc = pmd_parse_offer(&oe[i], &p);
		if (rc < 0) {
			REQUIRE(pmd_code(rc));
			continue;
		}
		int len = pmd_params_format(&p, txt, sizeof(txt));
		REQUIRE(len > 0);
		REQUIRE(ext_parse(txt, (size_t)len, e1, 1) == 1);
		REQUIRE(pmd_parse_offer(&e1[0], &q) == 0);
		REQUIRE(memcmp(&p, &q, sizeof(p)) == 0);
		offers[noffers++] = p;
	}

	if (n >= 0) {
		struct pmd_agreed a, ca;
		char txt[256];
		size_t chosen = 0, tlen = 0;
		int ferr = 0;
		int rc = pmd_server_negotiate(&cfg, oe, (size_t)n, &a, &chosen,
					      txt, sizeof(txt), &tlen, &ferr);
		REQUIRE(rc == 0 || rc == 1);
		REQUIRE(ferr == 0 || pmd_code(ferr));
		REQUIRE(strlen(txt) == tlen);
		if (rc == 1) {
			struct pmd_params o;
			REQUIRE(chosen < (size_t)n);
			REQUIRE(pmd_parse_offer(&oe[chosen], &o) == 0);
			agreed_ok(&a);
			REQUIRE(a.server_max_window_bits <=
				cfg.server_max_window_bits);
			REQUIRE(a.server_max_window_bits >=
				cfg.server_min_window_bits);
			if (o.server_max_window_bits)
				REQUIRE(a.server_max_window_bits <=
					o.server_max_window_bits);
			if (o.client_max_window_bits)
				REQUIRE(a.client_max_window_bits <=
					o.client_max_window_bits);
			if (o.server_no_context_takeover)
				REQUIRE(a.server_no_context_takeover);
			struct ext_elem e1[2];
			REQUIRE(ext_parse(txt, tlen, e1, 2) == 1);
			REQUIRE(pmd_client_check(offers, noffers, e1, 1, NULL,
						 &ca) == 1);
			REQUIRE(memcmp(&a, &ca, sizeof(a)) == 0);
		} else {
			REQUIRE(tlen == 0);
		}
	}

	int m = ext_parse(resp, rn, re, MAXE);
	if (m >= 0) {
		struct pmd_agreed a;
		if (m > MAXE)
			m = MAXE;
		int rc = pmd_client_check(offers, noffers, re, (size_t)m,
					  &ccfg, &a);
		REQUIRE(rc == 0 || rc == 1 || pmd_code(rc));
		if (rc == 1) {
			agreed_ok(&a);
			REQUIRE(a.client_max_window_bits >=
				ccfg.client_min_window_bits);
		}
	}
	free(offer);
	free(resp);
	return 0;
}
