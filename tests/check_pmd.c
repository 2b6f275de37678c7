/*
 * check_pmd.c: permessage-deflate (proto/pmd.h), RFC 7692.
 *
 * - Section 7.2.3's examples byte for byte, both directions, in every
 *   slicing of input and output.
 * - Every section 7.1 parameter rule for offers and responses, valid and
 *   invalid, each with its exact code; server negotiation (first acceptable
 *   offer, decline) checked by feeding the response it writes back through
 *   the client's validation.
 * - Round trips over many messages of varied content and size, with and
 *   without context takeover, for every window size 8..15; chunking never
 *   changes a byte; zlib's behaviour with window bits 8 measured.
 * - The decompressed-size limit against a 1 GiB bomb generated on the fly,
 *   corrupt and truncated streams, and every allocation failing in turn.
 * - Every stream test runs once per engine built in (zlib, and ISA-L when
 *   WSP_HAVE_ISAL: TCases named "... isa-l"), asserting each engine's own
 *   behaviour where pmd.h documents a difference; "isa-l vs zlib" crosses
 *   them: each inflates the other's messages at every window, the ISA-L
 *   deflater stays inside 2^w and ignores output slicing, and the two
 *   inflaters agree on prefixes, limits, bad payloads and bit flips.
 */
#define ZLIB_CONST
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib.h"
#include "pmd.h"
#include "wsp_err.h"

/* Check's ck_assert records its location in a file on every call, which
 * costs a system call; inner loops use this instead, which does nothing
 * until it fails. */
#define REQUIRE(cond)                                                    \
	do {                                                             \
		if (!(cond))                                             \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

/* --------------------------------------------------------------------------
 * Helpers: a growable output buffer, slicing schedules, a message driver.
 */

struct obuf {
	uint8_t *p;
	size_t n, cap;
};

static void obuf_reserve(struct obuf *b, size_t more)
{
	if (b->cap - b->n >= more)
		return;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap - b->n < more)
		cap *= 2;
	b->p = realloc(b->p, cap);
	REQUIRE(b->p != NULL);
	b->cap = cap;
}

static void obuf_free(struct obuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

enum { S_ALL, S_FIXED, S_RANDOM };

/* How input is sliced and how much output room each call gets. */
struct sched {
	int in_mode;
	size_t in_k;
	int out_mode;
	size_t out_k;
	uint64_t rng;
};

static size_t sched_pick(int mode, size_t k, uint64_t *rng, size_t all)
{
	switch (mode) {
	case S_FIXED:
		return k;
	case S_RANDOM:
		return 1 + (size_t)(tl_rand(rng) % k);
	default:
		return all;
	}
}

static const uint8_t empty[1];

typedef int (*step_fn)(void *, const void *, size_t, int, void *, size_t,
		       size_t *, size_t *);

static int step_deflate(void *o, const void *in, size_t n, int fin,
			void *out, size_t cap, size_t *used, size_t *made)
{
	return pmd_deflate(o, in, n, fin, out, cap, used, made);
}

static int step_inflate(void *o, const void *in, size_t n, int fin,
			void *out, size_t cap, size_t *used, size_t *made)
{
	return pmd_inflate(o, in, n, fin, out, cap, used, made);
}

/* Runs one message in[0..n) through fn in the slices s asks for, appending
 * the output to ob.  Returns PMD_DONE or the error; checks the calling
 * contract on the way. */
static int run_msg(step_fn fn, void *obj, const uint8_t *in, size_t n,
		   struct sched *s, struct obuf *ob)
{
	size_t pos = 0;
	if (in == NULL)
		in = empty;
	for (;;) {
		size_t k = sched_pick(s->in_mode, s->in_k, &s->rng, n - pos);
		if (k > n - pos)
			k = n - pos;
		int fin = pos + k == n;
		size_t off = 0;
		for (long guard = 0;; guard++) {
			REQUIRE(guard < 100000000L);
			size_t room =
				sched_pick(s->out_mode, s->out_k, &s->rng, 1u << 18);
			obuf_reserve(ob, room);
			size_t used = 99, made = 99;
			int rc = fn(obj, in + pos + off, k - off, fin,
				    ob->p + ob->n, room, &used, &made);
			if (rc < 0) {
				REQUIRE(used == 0);
				REQUIRE(made == 0);
				return rc;
			}
			REQUIRE(used <= k - off);
			REQUIRE(made <= room);
			off += used;
			ob->n += made;
			if (rc == PMD_DONE) {
				REQUIRE(fin);
				REQUIRE(off == k);
				return rc;
			}
			if (rc == PMD_NEED_INPUT) {
				REQUIRE(!fin);
				REQUIRE(off == k);
				break;
			}
			REQUIRE(rc == PMD_NEED_OUTPUT);
			REQUIRE(made == room);
		}
		pos += k;
	}
}

static struct sched sched_all(void)
{
	struct sched s = {S_ALL, 0, S_ALL, 0, 1};
	return s;
}

/* The engine the stream tests run on.  Each stream TCase is registered
 * once per engine built in, with a checked fixture that sets this before
 * every test (in the forked child, or in-process under CK_FORK=no), so the
 * same test body holds both engines to the same contract; where pmd.h
 * documents a difference, the test asserts each engine's own behaviour. */
static enum pmd_engine engine = PMD_ENGINE_ZLIB;

static void use_zlib(void)
{
	engine = PMD_ENGINE_ZLIB;
}

static void use_isal(void)
{
	engine = PMD_ENGINE_ISAL;
}

static int on_isal(void)
{
	return engine == PMD_ENGINE_ISAL;
}

/* A deflater on engine e.  ISA-L has a single level: asked for any other
 * than -1 or 1 it must refuse (WSP_E_INVAL), and the test then runs on its
 * level 1, so every zlib-level test still exercises the ISA-L engine. */
static struct pmd_deflater *mk_deflater_on(enum pmd_engine e, int wbits,
					   int no_takeover, int level)
{
	struct pmd_deflate_cfg cfg;
	struct pmd_deflater *c = NULL;
	pmd_deflate_cfg_init(&cfg);
	cfg.window_bits = wbits;
	cfg.no_context_takeover = no_takeover;
	cfg.level = level;
	cfg.engine = (int)e;
	if (e == PMD_ENGINE_ISAL && level != -1 && level != 1) {
		REQUIRE(pmd_deflater_new(&c, &cfg, NULL) == WSP_E_INVAL);
		cfg.level = 1;
	}
	ck_assert_int_eq(pmd_deflater_new(&c, &cfg, NULL), 0);
	return c;
}

static struct pmd_inflater *mk_inflater_on(enum pmd_engine e, int wbits,
					   int no_takeover, size_t max,
					   enum wsp_role peer)
{
	struct pmd_inflate_cfg cfg;
	struct pmd_inflater *d = NULL;
	pmd_inflate_cfg_init(&cfg, max);
	cfg.window_bits = wbits;
	cfg.no_context_takeover = no_takeover;
	cfg.peer = peer;
	cfg.engine = (int)e;
	ck_assert_int_eq(pmd_inflater_new(&d, &cfg, NULL), 0);
	return d;
}

static struct pmd_deflater *mk_deflater(int wbits, int no_takeover, int level)
{
	return mk_deflater_on(engine, wbits, no_takeover, level);
}

static struct pmd_inflater *mk_inflater(int wbits, int no_takeover,
					size_t max, enum wsp_role peer)
{
	return mk_inflater_on(engine, wbits, no_takeover, max, peer);
}

/* Decompresses one message in one go with a fresh default inflater. */
static int inflate_once(const uint8_t *in, size_t n, struct obuf *ob)
{
	struct pmd_inflater *d = mk_inflater(15, 0, SIZE_MAX, WSP_ROLE_ANY);
	struct sched s = sched_all();
	int rc = run_msg(step_inflate, d, in, n, &s, ob);
	pmd_inflater_free(d);
	return rc;
}

static void assert_bytes(const struct obuf *b, const uint8_t *want, size_t n)
{
	REQUIRE(b->n == n);
	REQUIRE(n == 0 || memcmp(b->p, want, n) == 0);
}

static void assert_hex(const struct obuf *b, const char *hex)
{
	uint8_t want[256];
	size_t n = tl_hex(hex, want, sizeof(want));
	assert_bytes(b, want, n);
}

/* Test data of a given kind: JSON-like text, random bytes, zeros, a short
 * period, or text with random spans. */
enum { K_TEXT, K_RANDOM, K_ZEROS, K_PERIOD, K_MIX, K_NKINDS };

static void gen(uint8_t *p, size_t n, int kind, uint64_t *rng)
{
	static const char *words[] = {
		"{\"id\":", "\"name\":\"", "\"value\":", "true", "false",
		"null", "\"items\":[", "],", "},", "\"text\":\"hello world\",",
		"12345", "0.5", "\"permessage-deflate\"", "\n",
	};
	size_t i = 0;
	size_t period = 1 + (size_t)(tl_rand(rng) % 300);
	while (i < n) {
		switch (kind) {
		case K_TEXT: {
			const char *w = words[tl_rand(rng) % 14];
			size_t wn = strlen(w);
			for (size_t j = 0; j < wn && i < n; j++)
				p[i++] = (uint8_t)w[j];
			break;
		}
		case K_RANDOM:
			p[i++] = (uint8_t)tl_rand(rng);
			break;
		case K_ZEROS:
			p[i++] = 0;
			break;
		case K_PERIOD:
			p[i] = i < period ? (uint8_t)tl_rand(rng) : p[i - period];
			i++;
			break;
		default:
			if (tl_rand(rng) % 8 == 0) {
				size_t span = (size_t)(tl_rand(rng) % 64);
				for (size_t j = 0; j < span && i < n; j++)
					p[i++] = (uint8_t)tl_rand(rng);
			} else {
				gen(p + i, n - i < 40 ? n - i : 40, K_TEXT, rng);
				i += n - i < 40 ? n - i : 40;
			}
			break;
		}
	}
}

/* --------------------------------------------------------------------------
 * RFC 7692 section 7.2.3: the examples.
 */

static const uint8_t hello[] = {'H', 'e', 'l', 'l', 'o'};

struct example {
	const char *name;
	const char *payload; /* hex, as the RFC prints it */
};

static const struct example examples[] = {
	{"7.2.3.1 one compressed block", "f2 48 cd c9 c9 07 00"},
	{"7.2.3.3 no compression", "00 05 00 fa ff 48 65 6c 6c 6f 00"},
	{"7.2.3.4 BFINAL set", "f3 48 cd c9 c9 07 00 00"},
	{"7.2.3.5 two blocks", "f2 48 05 00 00 00 ff ff ca c9 c9 07 00"},
};

#define N_EXAMPLES (sizeof(examples) / sizeof(examples[0]))

START_TEST(rfc7692_7_2_3_examples_decompress_to_hello)
{
	uint8_t p[64];
	size_t n = tl_hex(examples[_i].payload, p, sizeof(p));
	/* Every input slice size and every output room size. */
	for (size_t ik = 1; ik <= n; ik++) {
		for (size_t ok = 1; ok <= 6; ok++) {
			struct pmd_inflater *d =
				mk_inflater(15, 0, 5, WSP_ROLE_SERVER);
			struct sched s = {S_FIXED, ik, S_FIXED, ok, 1};
			struct obuf ob = {0};
			struct tl_guard g;
			tl_guard_init(&g, p, n);
			ck_assert_msg(run_msg(step_inflate, d, g.data, n, &s,
					      &ob) == PMD_DONE,
				      "%s in=%zu out=%zu", examples[_i].name, ik,
				      ok);
			assert_bytes(&ob, hello, 5);
			/* The next message, with the window taken over. */
			ob.n = 0;
			uint8_t p2[8];
			size_t n2 = tl_hex("f2 00 11 00 00", p2, sizeof(p2));
			struct sched s2 = {S_FIXED, ik, S_FIXED, ok, 1};
			ck_assert_int_eq(run_msg(step_inflate, d, p2, n2, &s2,
						 &ob),
					 PMD_DONE);
			assert_bytes(&ob, hello, 5);
			tl_guard_free(&g);
			obuf_free(&ob);
			pmd_inflater_free(d);
		}
	}
}
END_TEST

START_TEST(rfc7692_7_2_3_1_hello_compresses_to_f2_48_cd)
{
	struct pmd_deflater *c = mk_deflater(15, 0, -1);
	struct obuf ob = {0};
	struct sched s = sched_all();
	ck_assert_int_eq(run_msg(step_deflate, c, hello, 5, &s, &ob),
			 PMD_DONE);
	assert_hex(&ob, "f2 48 cd c9 c9 07 00");
	obuf_free(&ob);
	pmd_deflater_free(c);

	/* The same bytes whatever the slicing, and the RFC's fragments
	 * (3 + 4 octets) are any split of this output. */
	for (int im = S_ALL; im <= S_RANDOM; im++) {
		for (size_t ok = 1; ok <= 8; ok++) {
			c = mk_deflater(15, 0, -1);
			struct sched s2 = {im, 2, S_FIXED, ok, 7};
			ck_assert_int_eq(run_msg(step_deflate, c, hello, 5,
						 &s2, &ob),
					 PMD_DONE);
			assert_hex(&ob, "f2 48 cd c9 c9 07 00");
			obuf_free(&ob);
			pmd_deflater_free(c);
		}
	}
}
END_TEST

START_TEST(rfc7692_7_2_3_2_context_takeover_shrinks_second_hello)
{
	struct obuf ob = {0};
	struct pmd_deflater *c = mk_deflater(15, 0, -1);
	struct sched s = sched_all();
	ck_assert_int_eq(run_msg(step_deflate, c, hello, 5, &s, &ob),
			 PMD_DONE);
	assert_hex(&ob, "f2 48 cd c9 c9 07 00");
	ob.n = 0;
	ck_assert_int_eq(run_msg(step_deflate, c, hello, 5, &s, &ob),
			 PMD_DONE);
	/* Both a match of 5 at distance 5 in a fixed-Huffman block; igzip
	 * (isa-l 2.30) codes the block one byte shorter than the RFC's
	 * zlib output.  Either must decompress to "Hello" after the first
	 * message, on either engine. */
	const char *second = on_isal() ? "02 13 00 00" : "f2 00 11 00 00";
	assert_hex(&ob, second);
	pmd_deflater_free(c);
	for (int e = PMD_ENGINE_ZLIB; e <= PMD_ENGINE_ISAL; e++) {
		if (!pmd_engine_available((enum pmd_engine)e))
			continue;
		struct pmd_inflater *d =
			mk_inflater_on((enum pmd_engine)e, 15, 0, 5,
				       WSP_ROLE_SERVER);
		uint8_t p[8];
		size_t n = tl_hex("f2 48 cd c9 c9 07 00", p, sizeof(p));
		struct obuf o = {0};
		ck_assert_int_eq(run_msg(step_inflate, d, p, n, &s, &o),
				 PMD_DONE);
		o.n = 0;
		n = tl_hex(second, p, sizeof(p));
		ck_assert_int_eq(run_msg(step_inflate, d, p, n, &s, &o),
				 PMD_DONE);
		assert_bytes(&o, hello, 5);
		obuf_free(&o);
		pmd_inflater_free(d);
	}

	/* client_no_context_takeover: the same bytes both times. */
	c = mk_deflater(15, 1, -1);
	for (int i = 0; i < 3; i++) {
		ob.n = 0;
		ck_assert_int_eq(run_msg(step_deflate, c, hello, 5, &s, &ob),
				 PMD_DONE);
		assert_hex(&ob, "f2 48 cd c9 c9 07 00");
	}
	pmd_deflater_free(c);
	obuf_free(&ob);
}
END_TEST

/* A no_context_takeover receiver sees the second "Hello" point back into
 * the first message: the sender broke R7692-7.2.1-08 (client) or -11. */
START_TEST(rfc7692_7_2_3_2_takeover_against_agreement_is_reported)
{
	uint8_t p2[8];
	size_t n2 = tl_hex("f2 00 11 00 00", p2, sizeof(p2));
	static const struct {
		enum wsp_role peer;
		int no_takeover;
		int first_ok;
		int rc;
	} v[] = {
		{WSP_ROLE_CLIENT, 1, 1, WSP_E_PMD_CLIENT_TAKEOVER},
		{WSP_ROLE_SERVER, 1, 1, WSP_E_PMD_SERVER_TAKEOVER},
		{WSP_ROLE_ANY, 1, 1, WSP_E_PMD_CORRUPT},
		/* Alone, with takeover: it refers before the stream. */
		{WSP_ROLE_CLIENT, 0, 0, WSP_E_PMD_CORRUPT},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (int mode = S_ALL; mode <= S_RANDOM; mode++) {
			struct pmd_inflater *d =
				mk_inflater(15, v[i].no_takeover, 100, v[i].peer);
			struct obuf ob = {0};
			struct sched s = {mode, 1, mode, 1, 3};
			if (v[i].first_ok) {
				uint8_t p1[8];
				size_t n1 = tl_hex("f2 48 cd c9 c9 07 00", p1,
						   sizeof(p1));
				ck_assert_int_eq(run_msg(step_inflate, d, p1,
							 n1, &s, &ob),
						 PMD_DONE);
			}
			ck_assert_int_eq(run_msg(step_inflate, d, p2, n2, &s,
						 &ob),
					 v[i].rc);
			obuf_free(&ob);
			pmd_inflater_free(d);
		}
	}
	ck_assert_str_eq(wsp_errreq(WSP_E_PMD_CLIENT_TAKEOVER),
			 "R7692-7.2.1-08");
	ck_assert_str_eq(wsp_errreq(WSP_E_PMD_SERVER_TAKEOVER),
			 "R7692-7.2.1-11");
}
END_TEST

/* 7.2.3.3: a message split into the RFC's two fragments, 3 and 4 octets,
 * fed as two slices with fin only on the second. */
START_TEST(rfc7692_7_2_3_1_fragments_3_and_4)
{
	uint8_t f1[4], f2[4], out[16];
	size_t n1 = tl_hex("f2 48 cd", f1, sizeof(f1));
	size_t n2 = tl_hex("c9 c9 07 00", f2, sizeof(f2));
	struct pmd_inflater *d = mk_inflater(15, 0, 1000, WSP_ROLE_SERVER);
	size_t used, made, total = 0;
	ck_assert_int_eq(pmd_inflate(d, f1, n1, 0, out, sizeof(out), &used,
				     &made),
			 PMD_NEED_INPUT);
	ck_assert_uint_eq(used, 3);
	total += made;
	ck_assert_int_eq(pmd_inflate(d, f2, n2, 1, out + total,
				     sizeof(out) - total, &used, &made),
			 PMD_DONE);
	ck_assert_uint_eq(used, 4);
	total += made;
	ck_assert_uint_eq(total, 5);
	ck_assert_int_eq(memcmp(out, hello, 5), 0);
	pmd_inflater_free(d);
}
END_TEST

/* The last slice may be empty: fin arrives after all the data. */
START_TEST(rfc7692_7_2_empty_final_slice)
{
	uint8_t p[8], out[16];
	size_t used, made, total = 0;
	size_t n = tl_hex("f2 48 cd c9 c9 07 00", p, sizeof(p));
	struct pmd_inflater *d = mk_inflater(15, 0, 5, WSP_ROLE_CLIENT);
	ck_assert_int_eq(pmd_inflate(d, p, n, 0, out, sizeof(out), &used,
				     &made),
			 PMD_NEED_INPUT);
	ck_assert_uint_eq(used, n);
	total = made;
	ck_assert_int_eq(pmd_inflate(d, NULL, 0, 1, out + total,
				     sizeof(out) - total, &used, &made),
			 PMD_DONE);
	total += made;
	ck_assert_uint_eq(total, 5);
	ck_assert_int_eq(memcmp(out, hello, 5), 0);
	pmd_inflater_free(d);

	struct pmd_deflater *c = mk_deflater(15, 0, -1);
	ck_assert_int_eq(pmd_deflate(c, hello, 5, 0, out, sizeof(out), &used,
				     &made),
			 PMD_NEED_INPUT);
	ck_assert_uint_eq(used, 5);
	total = made;
	ck_assert_int_eq(pmd_deflate(c, NULL, 0, 1, out + total,
				     sizeof(out) - total, &used, &made),
			 PMD_DONE);
	total += made;
	ck_assert_uint_eq(total, 7);
	ck_assert_int_eq(memcmp(out, "\xf2\x48\xcd\xc9\xc9\x07\x00", 7), 0);
	pmd_deflater_free(c);
}
END_TEST

/* 7.2.3.6: an empty message is the single octet 00, first or later, with
 * or without takeover, and decompresses to nothing. */
START_TEST(rfc7692_7_2_3_6_empty_message_is_00)
{
	for (int nt = 0; nt <= 1; nt++) {
		struct pmd_deflater *c = mk_deflater(15, nt, -1);
		struct pmd_inflater *d = mk_inflater(15, nt, 0, WSP_ROLE_ANY);
		struct obuf z = {0}, o = {0};
		const uint8_t *msgs[] = {NULL, hello, NULL, NULL, hello, NULL};
		for (size_t i = 0; i < 6; i++) {
			size_t n = msgs[i] ? 5 : 0;
			struct sched s = sched_all();
			z.n = 0;
			o.n = 0;
			ck_assert_int_eq(run_msg(step_deflate, c, msgs[i], n,
						 &s, &z),
					 PMD_DONE);
			if (n == 0)
				assert_hex(&z, "00");
			pmd_inflater_set_max(d, n);
			ck_assert_int_eq(run_msg(step_inflate, d, z.p, z.n, &s,
						 &o),
					 PMD_DONE);
			assert_bytes(&o, msgs[i] ? hello : empty, n);
		}
		obuf_free(&z);
		obuf_free(&o);
		pmd_deflater_free(c);
		pmd_inflater_free(d);
	}
}
END_TEST

/* 7.2.3.4 continued: a message ending in a final empty stored block
 * (BFINAL=1 exactly at the end of 00 00 ff ff), then a message that
 * refers back into it: the window survives the end of the raw stream. */
START_TEST(rfc7692_7_2_3_4_window_survives_bfinal)
{
	static const char *const seq[][2] = {
		{"f2 48 cd c9 c9 07 00 00 00 ff ff 01", "f2 00 11 00 00"},
		{"f3 48 cd c9 c9 07 00 00", "f2 00 11 00 00"},
		/* BFINAL mid-message, then a block referring back. */
		{"f3 48 cd c9 c9 07 00 f2 00 11 00 00", "f2 00 11 00 00"},
	};
	static const size_t first_len[] = {5, 5, 10};
	uint8_t want[10];
	memcpy(want, hello, 5);
	memcpy(want + 5, hello, 5);
	for (size_t i = 0; i < 3; i++) {
		for (int mode = S_ALL; mode <= S_RANDOM; mode++) {
			struct pmd_inflater *d =
				mk_inflater(15, 0, 100, WSP_ROLE_SERVER);
			struct obuf ob = {0};
			uint8_t p[32];
			struct sched s = {mode, 1, mode, 1, 5};
			size_t n = tl_hex(seq[i][0], p, sizeof(p));
			ck_assert_int_eq(run_msg(step_inflate, d, p, n, &s,
						 &ob),
					 PMD_DONE);
			assert_bytes(&ob, want, first_len[i]);
			ob.n = 0;
			n = tl_hex(seq[i][1], p, sizeof(p));
			ck_assert_int_eq(run_msg(step_inflate, d, p, n, &s,
						 &ob),
					 PMD_DONE);
			assert_bytes(&ob, hello, 5);
			obuf_free(&ob);
			pmd_inflater_free(d);
		}
	}
}
END_TEST

/* 7.2.3.4 at size: a message that is one whole raw DEFLATE stream (BFINAL
 * on its last block, as zlib's Z_FINISH writes it) plus the 0x00 octet,
 * several KiB long, decompressed in output rooms of 1..16, 32, 48, 64 and
 * every input slicing mode, then a message referring back into it.  A decoder that buffers
 * output past the end of the final block must still hand all of it out
 * before PMD_DONE. */
START_TEST(rfc7692_7_2_3_4_long_bfinal_message_in_any_room)
{
	uint8_t text[6000], zb[8000];
	uint64_t rng = 17;
	gen(text, sizeof(text), K_MIX, &rng);
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8,
				      Z_DEFAULT_STRATEGY),
			 Z_OK);
	zs.next_in = text;
	zs.avail_in = sizeof(text);
	zs.next_out = zb;
	zs.avail_out = sizeof(zb) - 1;
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	size_t n = sizeof(zb) - 1 - zs.avail_out;
	deflateEnd(&zs);
	zb[n++] = 0x00;
	/* The second message, the RFC's second "Hello": a literal 'H' and
	 * a match of 4 at distance 5, reaching into the first message. */
	uint8_t p2[8], want[5] = {'H'};
	memcpy(want + 1, text + sizeof(text) - 4, 4);
	for (size_t room = 1; room <= 64; room += room < 16 ? 1 : 16) {
		for (int im = S_ALL; im <= S_RANDOM; im++) {
			struct pmd_inflater *d = mk_inflater(15, 0, sizeof(text),
							     WSP_ROLE_SERVER);
			struct sched s = {im, 7, S_FIXED, room, room};
			struct obuf o = {0};
			ck_assert_msg(run_msg(step_inflate, d, zb, n, &s, &o) ==
					      PMD_DONE,
				      "room %zu in %d", room, im);
			ck_assert_msg(o.n == sizeof(text) &&
					      memcmp(o.p, text, o.n) == 0,
				      "room %zu in %d: %zu bytes out", room, im,
				      o.n);
			o.n = 0;
			size_t n2 = tl_hex("f2 00 11 00 00", p2, sizeof(p2));
			ck_assert_int_eq(run_msg(step_inflate, d, p2, n2, &s,
						 &o),
					 PMD_DONE);
			assert_bytes(&o, want, 5);
			obuf_free(&o);
			pmd_inflater_free(d);
		}
	}
	/* Found by fuzz_inflate: a final block that ends the payload (no
	 * 0x00 after it, but 00 00 ff ff still lands on a boundary) and
	 * decompresses to 2854 bytes.  The ISA-L engine once returned
	 * PMD_DONE after two small rooms' worth of it. */
	static const char fz[] =
		"ecc8b10d00310804c156b6027aa01424329fc07282dcfd97f189271c97"
		"983e8ba8a49aadb886bf555cc3dba6cf222aa966bf4daad98a6bb8c4f4"
		"5944bdedb3884aaa1e0d00a54dca182530bb1d6d132cded6237b2ed91e"
		"3f721fcb1971174494d6493c9d5c3460be5a201e69fedaa0eee8b9997f"
		"5c7c29";
	uint8_t p[128];
	n = tl_hex(fz, p, sizeof(p));
	struct obuf ref = {0};
	struct pmd_inflater *d =
		mk_inflater_on(PMD_ENGINE_ZLIB, 8, 0, 1 << 20, WSP_ROLE_SERVER);
	struct sched s = sched_all();
	ck_assert_int_eq(run_msg(step_inflate, d, p, n, &s, &ref), PMD_DONE);
	ck_assert_uint_eq(ref.n, 2854);
	pmd_inflater_free(d);
	for (size_t room = 1; room <= 64; room += room < 16 ? 1 : 16) {
		for (int im = S_ALL; im <= S_RANDOM; im++) {
			d = mk_inflater(8, 0, 1 << 20, WSP_ROLE_SERVER);
			struct sched sr = {im, 4, S_FIXED, room, room};
			struct obuf o = {0};
			ck_assert_int_eq(run_msg(step_inflate, d, p, n, &sr, &o),
					 PMD_DONE);
			ck_assert_msg(o.n == ref.n &&
					      memcmp(o.p, ref.p, o.n) == 0,
				      "room %zu in %d: %zu bytes out", room, im,
				      o.n);
			obuf_free(&o);
			pmd_inflater_free(d);
		}
	}
	obuf_free(&ref);
}
END_TEST

/* --------------------------------------------------------------------------
 * Payloads that are not valid permessage-deflate data.
 */

struct badpay {
	const char *hex;
	int rc;
};

static const struct badpay bad_payloads[] = {
	/* Empty payload: 00 00 ff ff alone is a cut stored block. */
	{"", WSP_E_PMD_UNTERMINATED},
	/* The sender forgot to strip 00 00 ff ff (R7692-7.2.1-01). */
	{"f2 48 cd c9 c9 07 00 00 00 ff ff", WSP_E_PMD_UNTERMINATED},
	/* BFINAL block without the octet 7.2.3.4 calls necessary. */
	{"f3 48 cd c9 c9 07 00", WSP_E_PMD_UNTERMINATED},
	{"f2 48", WSP_E_PMD_UNTERMINATED},
	{"f2 48 cd c9 c9 07", WSP_E_PMD_UNTERMINATED},
	/* Stored block announcing more bytes than the message has. */
	{"00 10 00 ef ff 48 65", WSP_E_PMD_UNTERMINATED},
	/* Reserved block type 11. */
	{"06", WSP_E_PMD_CORRUPT},
	{"07 00", WSP_E_PMD_CORRUPT},
	/* Stored block with LEN != ~NLEN. */
	{"00 05 00 fb ff 48 65 6c 6c 6f 00", WSP_E_PMD_CORRUPT},
	/* A distance before the start of the stream. */
	{"f2 00 11 00 00", WSP_E_PMD_CORRUPT},
	/* Dynamic block with an invalid code lengths set. */
	{"04 ff ff ff ff", WSP_E_PMD_CORRUPT},
};

#define N_BADPAY (sizeof(bad_payloads) / sizeof(bad_payloads[0]))

START_TEST(rfc7692_7_2_2_invalid_payloads_have_exact_codes)
{
	uint8_t p[64];
	size_t n = tl_hex(bad_payloads[_i].hex, p, sizeof(p));
	for (int mode = S_ALL; mode <= S_RANDOM; mode++) {
		for (size_t k = 1; k <= 3; k++) {
			struct pmd_inflater *d =
				mk_inflater(15, 0, 1000, WSP_ROLE_CLIENT);
			struct obuf ob = {0};
			struct sched s = {mode, k, mode, k, 9};
			struct tl_guard g;
			tl_guard_init(&g, p, n);
			int rc = run_msg(step_inflate, d, g.data, n, &s, &ob);
			ck_assert_msg(rc == bad_payloads[_i].rc,
				      "%s: got %s", bad_payloads[_i].hex,
				      wsp_errname(rc));
			/* The error sticks until reset. */
			size_t used, made;
			uint8_t out[8];
			ck_assert_int_eq(pmd_inflate(d, hello, 5, 1, out, 8,
						     &used, &made),
					 rc);
			ck_assert_int_eq(pmd_inflater_reset(d), 0);
			ob.n = 0;
			uint8_t h[8];
			size_t hn = tl_hex("f2 48 cd c9 c9 07 00", h,
					   sizeof(h));
			ck_assert_int_eq(run_msg(step_inflate, d, h, hn, &s,
						 &ob),
					 PMD_DONE);
			assert_bytes(&ob, hello, 5);
			tl_guard_free(&g);
			obuf_free(&ob);
			pmd_inflater_free(d);
		}
	}
	ck_assert_str_eq(wsp_errreq(WSP_E_PMD_UNTERMINATED), "R7692-7.2.1-01");
}
END_TEST

/* Every cut of a real compressed message, and single-bit flips of it:
 * either an error of this module or, if the damaged stream still parses,
 * no crash and no read past the input. */
START_TEST(rfc7692_7_2_2_cuts_and_bit_flips)
{
	uint8_t text[3000];
	uint64_t rng = 42;
	gen(text, sizeof(text), K_MIX, &rng);
	struct pmd_deflater *c = mk_deflater(15, 0, 6);
	struct obuf z = {0}, o = {0};
	struct sched s = sched_all();
	ck_assert_int_eq(run_msg(step_deflate, c, text, sizeof(text), &s, &z),
			 PMD_DONE);
	pmd_deflater_free(c);
	for (size_t k = 0; k < z.n; k++) {
		struct tl_guard g;
		tl_guard_init(&g, z.p, k);
		o.n = 0;
		int rc = inflate_once(g.data, k, &o);
		if (rc == PMD_DONE) {
			/* A cut at a block boundary: a prefix of the text. */
			ck_assert_uint_le(o.n, sizeof(text));
			ck_assert_int_eq(memcmp(o.p, text, o.n), 0);
		} else {
			ck_assert(rc == WSP_E_PMD_UNTERMINATED ||
				  rc == WSP_E_PMD_CORRUPT);
		}
		tl_guard_free(&g);
	}
	for (size_t bit = 0; bit < z.n * 8; bit += 3) {
		z.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		o.n = 0;
		int rc = inflate_once(z.p, z.n, &o);
		ck_assert(rc == PMD_DONE || rc == WSP_E_PMD_UNTERMINATED ||
			  rc == WSP_E_PMD_CORRUPT);
		z.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	obuf_free(&z);
	obuf_free(&o);
}
END_TEST

/* --------------------------------------------------------------------------
 * Round trips (R7692-7.2.1, 7.2.2): many messages, every window size, with
 * and without context takeover, sliced every which way.
 */

static void round_trip(int wbits, int nt, int level, int nmsgs,
		       size_t maxlen, uint64_t seed)
{
	struct pmd_deflater *c = mk_deflater(wbits, nt, level);
	struct pmd_inflater *d = mk_inflater(wbits, nt,
					     maxlen > 70000 ? maxlen : 70000,
					     WSP_ROLE_CLIENT);
	uint64_t rng = seed;
	uint8_t *prev = NULL;
	size_t prevn = 0;
	struct obuf z = {0}, o = {0};
	for (int m = 0; m < nmsgs; m++) {
		size_t n;
		switch (tl_rand(&rng) % 6) {
		case 0:
			n = 0;
			break;
		case 1:
			n = 1 + (size_t)(tl_rand(&rng) % 16);
			break;
		case 2:
			n = (size_t)(tl_rand(&rng) % 70000);
			break;
		default:
			n = (size_t)(tl_rand(&rng) % 3000);
			break;
		}
		if (m == nmsgs / 2)
			n = maxlen; /* the largest message once */
		uint8_t *msg = malloc(n ? n : 1);
		ck_assert_ptr_nonnull(msg);
		if (prev != NULL && tl_rand(&rng) % 4 == 0 && n > 0) {
			/* Repeat the last message: takeover pays off. */
			for (size_t i = 0; i < n; i++)
				msg[i] = prevn ? prev[i % prevn] : 0;
		} else {
			gen(msg, n, (int)(tl_rand(&rng) % K_NKINDS), &rng);
		}
		struct sched sc = {(int)(tl_rand(&rng) % 3),
				   1 + (size_t)(tl_rand(&rng) % 5000),
				   (int)(tl_rand(&rng) % 3),
				   1 + (size_t)(tl_rand(&rng) % 3000), rng};
		struct sched sd = {(int)(tl_rand(&rng) % 3),
				   1 + (size_t)(tl_rand(&rng) % 3000),
				   (int)(tl_rand(&rng) % 3),
				   1 + (size_t)(tl_rand(&rng) % 5000), rng};
		if (n > 100000) { /* keep the big one fast */
			sc.in_mode = sc.out_mode = S_ALL;
			sd.in_mode = sd.out_mode = S_ALL;
		}
		z.n = 0;
		o.n = 0;
		ck_assert_int_eq(run_msg(step_deflate, c, msg, n, &sc, &z),
				 PMD_DONE);
		ck_assert_uint_ge(z.n, 1);
		int rc = run_msg(step_inflate, d, z.p, z.n, &sd, &o);
		ck_assert_msg(rc == PMD_DONE, "w=%d nt=%d msg %d len %zu: %s",
			      wbits, nt, m, n, wsp_errname(rc));
		assert_bytes(&o, msg, n);
		free(prev);
		prev = msg;
		prevn = n;
	}
	free(prev);
	obuf_free(&z);
	obuf_free(&o);
	pmd_deflater_free(c);
	pmd_inflater_free(d);
}

/* _i: window bits 8..15 x takeover on/off. */
START_TEST(rfc7692_7_2_round_trip_every_window)
{
	int wbits = 8 + _i / 2;
	int nt = _i % 2;
	round_trip(wbits, nt, -1, 40, wbits == 15 ? (size_t)1 << 20 : 70000,
		   (uint64_t)(_i + 1) * 7919);
}
END_TEST

START_TEST(rfc7692_7_2_round_trip_every_level)
{
	round_trip(15, _i % 2, _i / 2, 12, 20000, (uint64_t)_i + 99);
}
END_TEST

/* Slicing never changes the compressed bytes (levels 1..9), nor the
 * decompressed ones: all at once == one byte at a time == random.  ISA-L
 * documents only output-slicing independence (igzip compresses what it has
 * been given), so there the bytes are compared between schedules with the
 * same input slicing, and every schedule must still round-trip. */
START_TEST(rfc7692_7_2_1_slicing_does_not_change_output)
{
	uint8_t msg[5000];
	uint64_t rng = 5;
	struct obuf ref = {0}, ref1 = {0}, z = {0}, o = {0};
	gen(msg, sizeof(msg), K_MIX, &rng);
	for (int level = 1; level <= 9; level += on_isal() ? 9 : 4) {
		struct sched schedules[] = {
			{S_ALL, 0, S_ALL, 0, 1},
			{S_FIXED, 1, S_ALL, 0, 1},
			{S_ALL, 0, S_FIXED, 1, 1},
			{S_FIXED, 1, S_FIXED, 1, 1},
			{S_RANDOM, 300, S_RANDOM, 7, 11},
			{S_RANDOM, 17, S_RANDOM, 200, 12},
		};
		ref.n = 0;
		for (size_t k = 0; k < 6; k++) {
			/* Three messages, so takeover state is exercised. */
			struct pmd_deflater *c = mk_deflater(15, 0, level);
			struct pmd_inflater *d =
				mk_inflater(15, 0, SIZE_MAX, WSP_ROLE_ANY);
			z.n = 0;
			for (int m = 0; m < 3; m++) {
				size_t before = z.n;
				ck_assert_int_eq(run_msg(step_deflate, c,
							 msg + m * 1000, 2000,
							 &schedules[k], &z),
						 PMD_DONE);
				o.n = 0;
				struct sched sd = schedules[5 - k];
				ck_assert_int_eq(run_msg(step_inflate, d,
							 z.p + before,
							 z.n - before, &sd, &o),
						 PMD_DONE);
				assert_bytes(&o, msg + m * 1000, 2000);
			}
			if (k == 0 || (k == 1 && on_isal())) {
				struct obuf *r = k == 0 ? &ref : &ref1;
				r->n = 0;
				obuf_reserve(r, z.n);
				memcpy(r->p, z.p, z.n);
				r->n = z.n;
			} else if (!on_isal()) {
				assert_bytes(&z, ref.p, ref.n);
			} else if (k == 2 || k == 3) {
				/* Same input slices as k - 2. */
				const struct obuf *r = k == 2 ? &ref : &ref1;
				assert_bytes(&z, r->p, r->n);
			}
			pmd_deflater_free(c);
			pmd_inflater_free(d);
		}
	}
	obuf_free(&ref1);
	obuf_free(&ref);
	obuf_free(&z);
	obuf_free(&o);
}
END_TEST

/* Decompression with input slices of every size 1..N, and output rooms of
 * every size 1..N, equals the one-shot result, across two messages with
 * the window taken over. */
START_TEST(rfc7692_7_2_2_every_slice_size_equals_one_shot)
{
	uint8_t msg[6000];
	uint64_t rng = 77;
	gen(msg, sizeof(msg), K_TEXT, &rng);
	struct pmd_deflater *c = mk_deflater(15, 0, -1);
	struct obuf z1 = {0}, z2 = {0}, o = {0};
	struct sched s = sched_all();
	ck_assert_int_eq(run_msg(step_deflate, c, msg, 3000, &s, &z1),
			 PMD_DONE);
	ck_assert_int_eq(run_msg(step_deflate, c, msg + 3000, 3000, &s, &z2),
			 PMD_DONE);
	pmd_deflater_free(c);
	size_t maxn = z1.n > z2.n ? z1.n : z2.n;
	for (int which = 0; which < 2; which++) {
		size_t top = which == 0 ? maxn : 3000;
		for (size_t k = 1; k <= top; k += (which == 1 && k > 64) ? 37 : 1) {
			struct pmd_inflater *d =
				mk_inflater(15, 0, 3000, WSP_ROLE_ANY);
			struct sched sk = which == 0
						  ? (struct sched){S_FIXED, k,
								   S_ALL, 0, 1}
						  : (struct sched){S_ALL, 0,
								   S_FIXED, k, 1};
			o.n = 0;
			ck_assert_int_eq(run_msg(step_inflate, d, z1.p, z1.n,
						 &sk, &o),
					 PMD_DONE);
			assert_bytes(&o, msg, 3000);
			o.n = 0;
			ck_assert_int_eq(run_msg(step_inflate, d, z2.p, z2.n,
						 &sk, &o),
					 PMD_DONE);
			assert_bytes(&o, msg + 3000, 3000);
			pmd_inflater_free(d);
		}
	}
	obuf_free(&z1);
	obuf_free(&z2);
	obuf_free(&o);
}
END_TEST

/* A no_context_takeover compressor produces, for every message, exactly
 * what a fresh one would (R7692-7.2.1-08/11). */
START_TEST(rfc7692_7_2_1_no_takeover_starts_each_message_fresh)
{
	uint8_t msg[4000];
	uint64_t rng = 3;
	gen(msg, sizeof(msg), K_TEXT, &rng);
	struct pmd_deflater *c = mk_deflater(12, 1, -1);
	struct obuf a = {0}, b = {0};
	for (int m = 0; m < 4; m++) {
		const uint8_t *p = msg + (m % 2) * 2000;
		struct sched s = sched_all();
		struct pmd_deflater *fresh = mk_deflater(12, 1, -1);
		a.n = 0;
		b.n = 0;
		ck_assert_int_eq(run_msg(step_deflate, c, p, 2000, &s, &a),
				 PMD_DONE);
		ck_assert_int_eq(run_msg(step_deflate, fresh, p, 2000, &s, &b),
				 PMD_DONE);
		assert_bytes(&a, b.p, b.n);
		pmd_deflater_free(fresh);
	}
	obuf_free(&a);
	obuf_free(&b);
	pmd_deflater_free(c);
}
END_TEST

/* --------------------------------------------------------------------------
 * Window bits 8 and zlib's distance checks, measured.
 */

START_TEST(zlib_raw_window_bits_8_behaviour)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	/* zlib 1.2.13 refuses raw deflate with 8 ... */
	ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, -8, 8,
				      Z_DEFAULT_STRATEGY),
			 Z_STREAM_ERROR);
	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, -9, 8,
				      Z_DEFAULT_STRATEGY),
			 Z_OK);
	deflateEnd(&zs);
	/* ... but inflates raw with an 8-bit (256-byte) window. */
	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(inflateInit2(&zs, -8), Z_OK);
	inflateEnd(&zs);
	/* Our deflater accepts 8 (running zlib at 9), as does the inflater. */
	struct pmd_deflater *c = mk_deflater(8, 0, -1);
	pmd_deflater_free(c);
	struct pmd_inflater *d = mk_inflater(8, 0, 1, WSP_ROLE_ANY);
	pmd_inflater_free(d);
}
END_TEST

/* Compresses data with a deflater on engine ce with window cwbits and
 * decompresses it on engine de with window dwbits; out_room 1 (one output
 * byte per call) makes zlib's distance check exact (nothing of the current
 * call's output to fall back on), 0 gives one big room. */
static int compress_then_inflate(enum pmd_engine ce, int cwbits, int level,
				 enum pmd_engine de, int dwbits,
				 const uint8_t *p, size_t n, size_t out_room)
{
	struct pmd_deflater *c = mk_deflater_on(ce, cwbits, 0, level);
	struct pmd_inflater *d = mk_inflater_on(de, dwbits, 0, n,
						WSP_ROLE_SERVER);
	struct obuf z = {0}, o = {0};
	struct sched s = sched_all();
	ck_assert_int_eq(run_msg(step_deflate, c, p, n, &s, &z), PMD_DONE);
	struct sched s1 = {S_ALL, 0, out_room ? S_FIXED : S_ALL, out_room, 1};
	int rc = run_msg(step_inflate, d, z.p, z.n, &s1, &o);
	if (rc == PMD_DONE)
		assert_bytes(&o, p, n);
	obuf_free(&z);
	obuf_free(&o);
	pmd_deflater_free(c);
	pmd_inflater_free(d);
	return rc;
}

/* The same, both on the engine under test, into a 256-byte window. */
static int compress_then_inflate8(int cwbits, int level, const uint8_t *p,
				  size_t n, size_t out_room)
{
	return compress_then_inflate(engine, cwbits, level, engine, 8, p, n,
				     out_room);
}

START_TEST(rfc7692_7_2_1_15_window_8_is_honoured)
{
	uint8_t buf[20000];
	static const size_t periods[] = {200, 250, 251, 255, 256, 257, 300, 500};
	/* ISA-L has level 1 only. */
	for (int level = 1; level <= 9; level += on_isal() ? 9 : 4) {
		for (size_t i = 0; i < 8; i++) {
			uint64_t rng = periods[i];
			for (size_t j = 0; j < periods[i]; j++)
				buf[j] = (uint8_t)tl_rand(&rng);
			for (size_t j = periods[i]; j < sizeof(buf); j++)
				buf[j] = buf[j - periods[i]];
			/* w = 8 (zlib at 9): every distance within 256. */
			ck_assert_int_eq(compress_then_inflate8(8, level, buf,
								sizeof(buf), 1),
					 PMD_DONE);
			/* Control: w = 10 reaches further; the exact check
			 * catches it whenever the period is over 256. */
			int rc = compress_then_inflate8(10, level, buf,
							sizeof(buf), 1);
			if (periods[i] > 256)
				ck_assert_int_eq(rc, WSP_E_PMD_SERVER_WINDOW);
			int big = compress_then_inflate8(10, level, buf,
							 sizeof(buf), 0);
			if (on_isal()) {
				/* igzip checks against its history: exact
				 * whatever the output rooms (pmd.c). */
				ck_assert_int_eq(big, rc);
				if (periods[i] > 256)
					ck_assert_int_eq(
						big, WSP_E_PMD_SERVER_WINDOW);
			} else {
				/* With one big output room zlib lets a
				 * distance into the same call's output pass:
				 * the check is best-effort, the bytes are
				 * right either way. */
				ck_assert_int_eq(big, PMD_DONE);
			}
		}
		uint64_t rng = 1;
		for (int kind = 0; kind < K_NKINDS; kind++) {
			gen(buf, sizeof(buf), kind, &rng);
			int rc = compress_then_inflate8(8, level, buf,
							sizeof(buf), 1);
			ck_assert_msg(rc == PMD_DONE, "level %d kind %d: %s",
				      level, kind, wsp_errname(rc));
		}
	}
	ck_assert_str_eq(wsp_errreq(WSP_E_PMD_SERVER_WINDOW), "R7692-7.2.1-15");
	ck_assert_str_eq(wsp_errreq(WSP_E_PMD_CLIENT_WINDOW), "R7692-7.2.1-13");
}
END_TEST

/* --------------------------------------------------------------------------
 * R6455-10.4-01: the size limit and the decompression bomb.
 */

START_TEST(rfc6455_10_4_limit_is_exact)
{
	uint8_t msg[3000];
	uint64_t rng = 9;
	gen(msg, sizeof(msg), K_TEXT, &rng);
	struct obuf z = {0}, o = {0};
	struct pmd_deflater *c = mk_deflater(15, 1, -1);
	struct sched s = sched_all();
	ck_assert_int_eq(run_msg(step_deflate, c, msg, sizeof(msg), &s, &z),
			 PMD_DONE);
	pmd_deflater_free(c);
	for (int mode = S_ALL; mode <= S_RANDOM; mode++) {
		for (size_t max = 2990; max <= 3010; max++) {
			struct pmd_inflater *d =
				mk_inflater(15, 1, max, WSP_ROLE_ANY);
			struct sched sd = {mode, 13, mode, 13, max};
			o.n = 0;
			int rc = run_msg(step_inflate, d, z.p, z.n, &sd, &o);
			if (max >= sizeof(msg)) {
				ck_assert_int_eq(rc, PMD_DONE);
				assert_bytes(&o, msg, sizeof(msg));
			} else {
				ck_assert_int_eq(rc, WSP_E_PMD_TOO_BIG);
				/* At most max + 1 bytes ever produced. */
				ck_assert_uint_le(o.n, max + 1);
			}
			pmd_inflater_free(d);
		}
	}
	obuf_free(&z);
	obuf_free(&o);
	ck_assert_str_eq(wsp_errreq(WSP_E_PMD_TOO_BIG), "R6455-10.4-01");
}
END_TEST

/* A stream that would decompress to 1 GiB of zeros is produced on the fly
 * (64 KiB of zeros at a time into a compressor, its output straight into
 * the decompressor) and never held in memory.  With a 1 MiB limit the
 * decompressor stops after at most limit + 1 bytes, having read about
 * 1 KiB of compressed data (deflate's best ratio is about 1032:1). */
START_TEST(rfc6455_10_4_decompression_bomb_stops_at_limit)
{
	const size_t limit = (size_t)1 << 20;
	const size_t bomb = (size_t)1 << 30;
	static uint8_t zeros[1 << 16];
	static uint8_t zbuf[1 << 12], obuf_[1 << 16];
	struct pmd_deflater *c = mk_deflater(15, 0, 9);
	struct pmd_inflater *d = mk_inflater(15, 0, limit, WSP_ROLE_CLIENT);
	size_t fed = 0, zin = 0, out = 0;
	int rc = PMD_NEED_INPUT;
	while (fed < bomb && rc >= 0) {
		size_t used, made;
		int fin = fed + sizeof(zeros) >= bomb;
		size_t off = 0;
		int crc;
		do {
			crc = pmd_deflate(c, zeros + off, sizeof(zeros) - off,
					  fin, zbuf, sizeof(zbuf), &used, &made);
			ck_assert_int_ge(crc, 0);
			off += used;
			size_t zoff = 0;
			while (zoff < made && rc >= 0) {
				size_t u2, m2;
				rc = pmd_inflate(d, zbuf + zoff, made - zoff,
						 0, obuf_, sizeof(obuf_), &u2,
						 &m2);
				if (rc >= 0) {
					zoff += u2;
					zin += u2;
					out += m2;
				}
			}
		} while (crc == PMD_NEED_OUTPUT && rc >= 0);
		fed += sizeof(zeros);
	}
	ck_assert_int_eq(rc, WSP_E_PMD_TOO_BIG);
	ck_assert_uint_le(out, limit + 1);
	ck_assert_uint_ge(out, limit - sizeof(obuf_));
	ck_assert_uint_le(zin, 2048);
	/* Far less than the 1 GiB planned was ever generated. */
	ck_assert_uint_le(fed, (size_t)64 << 20);
	pmd_deflater_free(c);
	pmd_inflater_free(d);
}
END_TEST

START_TEST(rfc6455_10_4_limit_zero_allows_only_empty)
{
	struct pmd_inflater *d = mk_inflater(15, 0, 0, WSP_ROLE_ANY);
	uint8_t p[8], out[8];
	size_t used, made;
	ck_assert_int_eq(pmd_inflate(d, "\x00", 1, 1, out, 8, &used, &made),
			 PMD_DONE);
	ck_assert_uint_eq(made, 0);
	size_t n = tl_hex("f2 48 cd c9 c9 07 00", p, sizeof(p));
	ck_assert_int_eq(pmd_inflate(d, p, n, 1, out, 8, &used, &made),
			 WSP_E_PMD_TOO_BIG);
	pmd_inflater_free(d);
}
END_TEST

/* --------------------------------------------------------------------------
 * API misuse and argument checks.
 */

START_TEST(pmd_stream_arguments)
{
	struct pmd_deflate_cfg dc;
	struct pmd_inflate_cfg ic;
	struct pmd_deflater *c = NULL;
	struct pmd_inflater *d = NULL;
	uint8_t out[16];
	size_t used, made;
	pmd_deflate_cfg_init(&dc);
	pmd_inflate_cfg_init(&ic, 100);
	static const int bad_bits[] = {0, 7, 16, -15};
	for (size_t i = 0; i < 4; i++) {
		dc.window_bits = bad_bits[i];
		ic.window_bits = bad_bits[i];
		ck_assert_int_eq(pmd_deflater_new(&c, &dc, NULL), WSP_E_INVAL);
		ck_assert_int_eq(pmd_inflater_new(&d, &ic, NULL), WSP_E_INVAL);
	}
	pmd_deflate_cfg_init(&dc);
	dc.level = 10;
	ck_assert_int_eq(pmd_deflater_new(&c, &dc, NULL), WSP_E_INVAL);
	dc.level = -1;
	dc.mem_level = 0;
	ck_assert_int_eq(pmd_deflater_new(&c, &dc, NULL), WSP_E_INVAL);
	dc.mem_level = 8;
	dc.strategy = 5;
	ck_assert_int_eq(pmd_deflater_new(&c, &dc, NULL), WSP_E_INVAL);
	pmd_inflate_cfg_init(&ic, 100);
	ic.peer = (enum wsp_role)7;
	ck_assert_int_eq(pmd_inflater_new(&d, &ic, NULL), WSP_E_INVAL);
	ck_assert_int_eq(pmd_deflater_new(NULL, &dc, NULL), WSP_E_INVAL);

	c = mk_deflater(15, 0, -1);
	d = mk_inflater(15, 0, 100, WSP_ROLE_ANY);
	ck_assert_int_eq(pmd_deflate(c, hello, 5, 1, out, 0, &used, &made),
			 WSP_E_INVAL);
	ck_assert_int_eq(pmd_deflate(c, NULL, 5, 1, out, 8, &used, &made),
			 WSP_E_INVAL);
	ck_assert_int_eq(pmd_deflate(c, hello, 5, 1, out, 8, NULL, &made),
			 WSP_E_INVAL);
	ck_assert_int_eq(pmd_inflate(d, hello, 5, 1, NULL, 8, &used, &made),
			 WSP_E_INVAL);
	ck_assert_int_eq(pmd_inflate(d, NULL, 1, 1, out, 8, &used, &made),
			 WSP_E_INVAL);
	/* A call with fin = 0 and nothing to do. */
	ck_assert_int_eq(pmd_deflate(c, NULL, 0, 0, out, 8, &used, &made),
			 PMD_NEED_INPUT);
	ck_assert_int_eq(pmd_inflate(d, NULL, 0, 0, out, 8, &used, &made),
			 PMD_NEED_INPUT);
	/* Output room of one byte for the flush tail. */
	ck_assert_int_eq(pmd_deflate(c, hello, 5, 1, out, 1, &used, &made),
			 PMD_NEED_OUTPUT);
	ck_assert_uint_eq(made, 1);
	pmd_deflater_free(c);
	pmd_inflater_free(d);
	pmd_deflater_free(NULL);
	pmd_inflater_free(NULL);
}
END_TEST

/* --------------------------------------------------------------------------
 * The engines against each other (run when ISA-L is built in).  What pmd.h
 * and pmd.c promise about ISA-L: its deflater's messages are plain RFC 7692
 * payloads any inflater reads, it never reaches back more than 2^w, its
 * bytes do not depend on the output rooms, without takeover each message
 * stands alone, and an empty message is 00; the two inflaters agree on
 * every stream both accept and on the limit.
 */

static enum pmd_engine other(enum pmd_engine e)
{
	return e == PMD_ENGINE_ZLIB ? PMD_ENGINE_ISAL : PMD_ENGINE_ZLIB;
}

/* The engine API: names, availability, ISA-L's level rule, and that it
 * ignores memLevel and strategy (same bytes whatever they say). */
START_TEST(pmd_engine_api)
{
	ck_assert_str_eq(pmd_engine_name(PMD_ENGINE_ZLIB), "zlib");
	ck_assert_str_eq(pmd_engine_name(PMD_ENGINE_ISAL), "isa-l");
	ck_assert_str_eq(pmd_engine_name((enum pmd_engine)2), "?");
	ck_assert_int_eq(pmd_engine_available(PMD_ENGINE_ZLIB), 1);
	ck_assert_int_eq(pmd_engine_available((enum pmd_engine)2), 0);
	ck_assert_int_eq(pmd_engine_available((enum pmd_engine)-1), 0);
	struct pmd_deflate_cfg dc;
	struct pmd_inflate_cfg ic;
	struct pmd_deflater *c = NULL;
	struct pmd_inflater *d = NULL;
	pmd_deflate_cfg_init(&dc);
	pmd_inflate_cfg_init(&ic, 100);
	ck_assert_int_eq(dc.engine, PMD_ENGINE_ZLIB);
	ck_assert_int_eq(ic.engine, PMD_ENGINE_ZLIB);
	static const int bad_engines[] = {2, -1, 1000};
	for (size_t i = 0; i < 3; i++) {
		dc.engine = bad_engines[i];
		ic.engine = bad_engines[i];
		ck_assert_int_eq(pmd_deflater_new(&c, &dc, NULL), WSP_E_INVAL);
		ck_assert_int_eq(pmd_inflater_new(&d, &ic, NULL), WSP_E_INVAL);
	}
	dc.engine = PMD_ENGINE_ISAL;
	ic.engine = PMD_ENGINE_ISAL;
	if (!pmd_engine_available(PMD_ENGINE_ISAL)) {
		ck_assert_int_eq(pmd_deflater_new(&c, &dc, NULL), WSP_E_INVAL);
		ck_assert_int_eq(pmd_inflater_new(&d, &ic, NULL), WSP_E_INVAL);
		return;
	}
	ck_assert_int_eq(pmd_engine_available(PMD_ENGINE_ISAL), 1);
	for (int level = -2; level <= 10; level++) {
		dc.level = level;
		int rc = pmd_deflater_new(&c, &dc, NULL);
		if (level == -1 || level == 1) {
			ck_assert_int_eq(rc, 0);
			pmd_deflater_free(c);
		} else {
			ck_assert_int_eq(rc, WSP_E_INVAL);
		}
	}
	/* memLevel and strategy: still range-checked, otherwise ignored. */
	uint8_t msg[3000];
	uint64_t rng = 8;
	gen(msg, sizeof(msg), K_TEXT, &rng);
	struct obuf ref = {0}, z = {0};
	static const int ms[][2] = {{8, 0}, {1, 0}, {9, 1}, {8, 2}, {3, 4}};
	for (size_t i = 0; i < 5; i++) {
		pmd_deflate_cfg_init(&dc);
		dc.engine = PMD_ENGINE_ISAL;
		dc.mem_level = ms[i][0];
		dc.strategy = ms[i][1];
		ck_assert_int_eq(pmd_deflater_new(&c, &dc, NULL), 0);
		struct sched s = sched_all();
		z.n = 0;
		ck_assert_int_eq(run_msg(step_deflate, c, msg, sizeof(msg), &s,
					 &z),
				 PMD_DONE);
		if (i == 0) {
			obuf_reserve(&ref, z.n);
			memcpy(ref.p, z.p, z.n);
			ref.n = z.n;
		} else {
			assert_bytes(&z, ref.p, ref.n);
		}
		pmd_deflater_free(c);
	}
	dc.mem_level = 0;
	ck_assert_int_eq(pmd_deflater_new(&c, &dc, NULL), WSP_E_INVAL);
	obuf_free(&ref);
	obuf_free(&z);
}
END_TEST

/* One message of test data: kind and size from the index, so a table of
 * messages covers every kind at small, block-sized and multi-window
 * sizes. */
static size_t interop_msg(uint8_t *buf, size_t cap, int m, uint64_t *rng)
{
	static const size_t sizes[] = {0, 1, 5, 300, 3000, 40000, 70000};
	size_t n = sizes[(size_t)m % 7];
	if (n > cap)
		n = cap;
	gen(buf, n, (m / 7) % K_NKINDS, rng);
	return n;
}

/* _i: window bits 8..15 x takeover.  Every message of each data kind that
 * one engine compresses, the other decompresses, with the agreed window
 * (exactly w) and takeover, in random slices; then a repeat of the
 * previous message, where takeover pays off.  ISA-L's inflater checks the
 * window exactly, so zlib's deflater at w = 8 (run at 9) is held to 256
 * bytes as well. */
START_TEST(isal_zlib_interop_every_window)
{
	int wbits = 8 + _i / 2;
	int nt = _i % 2;
	static uint8_t msg[70000];
	struct obuf z = {0}, o = {0};
	for (int dir = 0; dir < 2; dir++) {
		enum pmd_engine ce = dir ? PMD_ENGINE_ZLIB : PMD_ENGINE_ISAL;
		struct pmd_deflater *c = mk_deflater_on(ce, wbits, nt, -1);
		struct pmd_inflater *d = mk_inflater_on(other(ce), wbits, nt,
							sizeof(msg),
							WSP_ROLE_SERVER);
		uint64_t rng = (uint64_t)_i * 31 + (uint64_t)dir + 1;
		size_t n = 0;
		for (int m = 0; m < 7 * K_NKINDS; m++) {
			/* Every third message repeats the previous one. */
			if (m % 3 != 2)
				n = interop_msg(msg, sizeof(msg), m, &rng);
			struct sched sc = {S_RANDOM, 1 + tl_rand(&rng) % 5000,
					   S_RANDOM, 1 + tl_rand(&rng) % 3000,
					   rng};
			struct sched sd = {S_RANDOM, 1 + tl_rand(&rng) % 3000,
					   S_RANDOM, 1 + tl_rand(&rng) % 5000,
					   rng};
			z.n = 0;
			o.n = 0;
			ck_assert_int_eq(run_msg(step_deflate, c, msg, n, &sc,
						 &z),
					 PMD_DONE);
			int rc = run_msg(step_inflate, d, z.p, z.n, &sd, &o);
			ck_assert_msg(rc == PMD_DONE,
				      "%s -> %s w=%d nt=%d msg %d len %zu: %s",
				      pmd_engine_name(ce),
				      pmd_engine_name(other(ce)), wbits, nt, m,
				      n, wsp_errname(rc));
			assert_bytes(&o, msg, n);
		}
		pmd_deflater_free(c);
		pmd_inflater_free(d);
	}
	obuf_free(&z);
	obuf_free(&o);
}
END_TEST

/* R7692-7.2.1-13/15: with window w the ISA-L deflater never reaches back
 * more than 2^w.  Data that repeats with a period just around 2^w tempts
 * it; zlib inflates at exactly w with one output byte per call (its exact
 * mode, see compress_then_inflate).  The control compresses the same data
 * with w + 1, which uses the period 2^w + 1 and must be caught.  From
 * w = 14 on igzip's level-1 hash table (measured, isa-l 2.30) has lost
 * random data's positions by the time the period comes round, so the
 * control cannot tempt it there and is not run. */
START_TEST(isal_deflater_stays_in_window)
{
	int w = 8 + _i;
	size_t win = (size_t)1 << w;
	size_t n = 3 * win + 1000;
	uint8_t *buf = malloc(n);
	ck_assert_ptr_nonnull(buf);
	const size_t periods[] = {win - 1, win, win + 1, win + 7};
	for (size_t i = 0; i < 4; i++) {
		uint64_t rng = periods[i];
		for (size_t j = 0; j < periods[i]; j++)
			buf[j] = (uint8_t)tl_rand(&rng);
		for (size_t j = periods[i]; j < n; j++)
			buf[j] = buf[j - periods[i]];
		int rc = compress_then_inflate(PMD_ENGINE_ISAL, w, -1,
					       PMD_ENGINE_ZLIB, w, buf, n, 1);
		ck_assert_msg(rc == PMD_DONE, "w=%d period %zu: %s", w,
			      periods[i], wsp_errname(rc));
		if (w < 14 && periods[i] == win + 1) {
			rc = compress_then_inflate(PMD_ENGINE_ISAL, w + 1, -1,
						   PMD_ENGINE_ZLIB, w, buf, n,
						   1);
			ck_assert_int_eq(rc, WSP_E_PMD_SERVER_WINDOW);
		}
	}
	uint64_t rng = (uint64_t)w;
	for (int kind = 0; kind < K_NKINDS; kind++) {
		gen(buf, n, kind, &rng);
		int rc = compress_then_inflate(PMD_ENGINE_ISAL, w, -1,
					       PMD_ENGINE_ZLIB, w, buf, n, 1);
		ck_assert_msg(rc == PMD_DONE, "w=%d kind %d: %s", w, kind,
			      wsp_errname(rc));
	}
	free(buf);
}
END_TEST

/* The ISA-L deflater's bytes do not depend on the output rooms: one-byte
 * rooms, random rooms and one big room give identical bytes for the same
 * input slicing, over several messages (takeover on and off) of every
 * kind, small and larger than igzip's 64 KiB buffer. */
START_TEST(isal_output_independent_of_output_slicing)
{
	static uint8_t msg[150000];
	static const size_t sizes[] = {0, 5, 2000, 150000};
	struct obuf ref = {0}, z = {0};
	for (int nt = 0; nt <= 1; nt++) {
		for (int w = 8; w <= 15; w += 7) {
			for (int in = 0; in < 3; in++) {
				struct sched base[] = {
					{S_ALL, 0, S_ALL, 0, 5},
					{S_FIXED, 1000, S_ALL, 0, 5},
					{S_RANDOM, 3000, S_ALL, 0, 5},
				};
				ref.n = 0;
				for (int out = 0; out < 3; out++) {
					struct pmd_deflater *c = mk_deflater_on(
						PMD_ENGINE_ISAL, w, nt, 1);
					uint64_t rng = 99;
					z.n = 0;
					for (int m = 0; m < 4 * K_NKINDS; m++) {
						size_t n = sizes[m % 4];
						gen(msg, n, m / 4, &rng);
						struct sched s = base[in];
						s.rng = (uint64_t)m + 1;
						/* out 0: one room; 1: one
						 * byte; 2: random rooms. */
						if (out == 1) {
							s.out_mode = S_FIXED;
							s.out_k = 1;
						} else if (out == 2) {
							s.out_mode = S_FIXED;
							s.out_k = 1 + (size_t)m *
									      37 % 500;
						}
						ck_assert_int_eq(
							run_msg(step_deflate, c,
								msg, n, &s, &z),
							PMD_DONE);
					}
					pmd_deflater_free(c);
					if (out == 0) {
						obuf_reserve(&ref, z.n);
						memcpy(ref.p, z.p, z.n);
						ref.n = z.n;
					} else {
						assert_bytes(&z, ref.p, ref.n);
					}
				}
			}
		}
	}
	obuf_free(&ref);
	obuf_free(&z);
}
END_TEST

/* Without context takeover every ISA-L message stands alone
 * (R7692-7.2.1-08/11): it inflates with a fresh inflater of either engine,
 * equals what a fresh ISA-L deflater writes for it, and an inflater that
 * enforces no_context_takeover accepts the whole sequence.  Repeated
 * messages tempt a reference into the previous one. */
START_TEST(isal_no_takeover_messages_stand_alone)
{
	static uint8_t msg[70000];
	struct obuf z = {0}, f = {0}, o = {0};
	static const int windows[] = {8, 12, 15};
	for (size_t wi = 0; wi < 3; wi++) {
		int w = windows[wi];
		struct pmd_deflater *c = mk_deflater_on(PMD_ENGINE_ISAL, w, 1,
							-1);
		struct pmd_inflater *strict[2];
		for (int e = 0; e < 2; e++)
			strict[e] = mk_inflater_on((enum pmd_engine)e, w, 1,
						   sizeof(msg),
						   WSP_ROLE_CLIENT);
		uint64_t rng = (uint64_t)w;
		size_t n = 0;
		for (int m = 0; m < 7 * K_NKINDS; m++) {
			if (m % 2 == 0)
				n = interop_msg(msg, sizeof(msg), m, &rng);
			struct sched s = sched_all();
			z.n = 0;
			f.n = 0;
			ck_assert_int_eq(run_msg(step_deflate, c, msg, n, &s,
						 &z),
					 PMD_DONE);
			struct pmd_deflater *fresh =
				mk_deflater_on(PMD_ENGINE_ISAL, w, 1, -1);
			ck_assert_int_eq(run_msg(step_deflate, fresh, msg, n,
						 &s, &f),
					 PMD_DONE);
			pmd_deflater_free(fresh);
			assert_bytes(&z, f.p, f.n);
			for (int e = 0; e < 2; e++) {
				struct pmd_inflater *d = mk_inflater_on(
					(enum pmd_engine)e, w, 0, sizeof(msg),
					WSP_ROLE_CLIENT);
				struct sched s1 = {S_ALL, 0, S_FIXED, 1000, 1};
				o.n = 0;
				ck_assert_int_eq(run_msg(step_inflate, d, z.p,
							 z.n, &s1, &o),
						 PMD_DONE);
				assert_bytes(&o, msg, n);
				pmd_inflater_free(d);
				o.n = 0;
				ck_assert_int_eq(run_msg(step_inflate,
							 strict[e], z.p, z.n,
							 &s1, &o),
						 PMD_DONE);
				assert_bytes(&o, msg, n);
			}
		}
		pmd_deflater_free(c);
		for (int e = 0; e < 2; e++)
			pmd_inflater_free(strict[e]);
	}
	obuf_free(&z);
	obuf_free(&f);
	obuf_free(&o);
}
END_TEST

/* Section 7.2.3.6 on both deflaters: an empty message is exactly 00
 * whether it comes first or after data, with or without takeover, given as
 * one final empty slice or as an empty non-final slice and then the final
 * one, into a one-byte room; the next message still inflates on both
 * engines. */
START_TEST(isal_empty_message_is_exactly_00)
{
	uint8_t out[64];
	size_t used, made;
	for (int nt = 0; nt <= 3; nt++) {
		enum pmd_engine ce = nt & 2 ? PMD_ENGINE_ZLIB : PMD_ENGINE_ISAL;
		for (int how = 0; how < 3; how++) {
			struct pmd_deflater *c =
				mk_deflater_on(ce, 15, nt & 1, -1);
			struct pmd_inflater *d[2];
			for (int e = 0; e < 2; e++)
				d[e] = mk_inflater_on((enum pmd_engine)e, 15,
						      nt & 1, 100,
						      WSP_ROLE_SERVER);
			const uint8_t *msgs[] = {NULL, NULL, hello, NULL,
						 hello, hello, NULL, NULL};
			for (size_t i = 0; i < 8; i++) {
				size_t n = msgs[i] ? 5 : 0;
				size_t total = 0;
				int rc;
				if (n == 0 && how == 1) {
					rc = pmd_deflate(c, NULL, 0, 0, out,
							 sizeof(out), &used,
							 &made);
					ck_assert_int_eq(rc, PMD_NEED_INPUT);
					ck_assert_uint_eq(made, 0);
				}
				size_t room = how == 2 ? 1 : sizeof(out);
				do {
					rc = pmd_deflate(c, msgs[i], n, 1,
							 out + total, room,
							 &used, &made);
					ck_assert_int_ge(rc, 0);
					total += made;
					n -= used;
					if (msgs[i] != NULL)
						msgs[i] += used;
				} while (rc == PMD_NEED_OUTPUT);
				ck_assert_int_eq(rc, PMD_DONE);
				if (msgs[i] == NULL) {
					ck_assert_msg(total == 1 && out[0] == 0,
						      "%s nt=%d how=%d msg %zu: "
						      "%zu bytes, first %02x",
						      pmd_engine_name(ce),
						      nt & 1, how, i, total,
						      out[0]);
				}
				for (int e = 0; e < 2; e++) {
					struct obuf o = {0};
					struct sched s = sched_all();
					ck_assert_int_eq(run_msg(step_inflate,
								 d[e], out,
								 total, &s,
								 &o),
							 PMD_DONE);
					if (msgs[i] == NULL)
						ck_assert_uint_eq(o.n, 0);
					else
						assert_bytes(&o, hello, 5);
					obuf_free(&o);
				}
			}
			pmd_deflater_free(c);
			for (int e = 0; e < 2; e++)
				pmd_inflater_free(d[e]);
		}
	}
}
END_TEST

/* A cut stream: the two names pmd gives a truncated payload. */
static int is_cut(int rc)
{
	return rc == WSP_E_PMD_CORRUPT || rc == WSP_E_PMD_UNTERMINATED;
}

/* Both inflaters on one payload, one shot, fresh, same settings: the
 * result codes, and the bytes when both succeed. */
static void both_inflate(const uint8_t *p, size_t n, int w, size_t max,
			 int *rc, struct obuf *o)
{
	for (int e = 0; e < 2; e++) {
		struct pmd_inflater *d = mk_inflater_on((enum pmd_engine)e, w,
							0, max,
							WSP_ROLE_CLIENT);
		struct sched s = sched_all();
		o[e].n = 0;
		rc[e] = run_msg(step_inflate, d, p, n, &s, &o[e]);
		pmd_inflater_free(d);
	}
}

/* The two inflaters agree on every prefix of real messages from both
 * deflaters (same success or failure, same bytes when both succeed; the
 * code may differ only between CORRUPT and UNTERMINATED, which name the
 * same cut differently), on the limit, on the invalid payload table, and
 * on bit flips wherever both accept the damaged stream. */
START_TEST(isal_and_zlib_inflaters_agree)
{
	uint8_t text[3000];
	uint64_t rng = 4242;
	int rc[2];
	struct obuf o[2] = {{0}, {0}}, z = {0};
	gen(text, sizeof(text), K_MIX, &rng);
	for (int ce = 0; ce < 2; ce++) {
		for (int w = 9; w <= 15; w += 6) {
			struct pmd_deflater *c = mk_deflater_on(
				(enum pmd_engine)ce, w, 0, -1);
			struct sched s = sched_all();
			z.n = 0;
			ck_assert_int_eq(run_msg(step_deflate, c, text,
						 sizeof(text), &s, &z),
					 PMD_DONE);
			pmd_deflater_free(c);
			for (size_t k = 0; k <= z.n; k++) {
				both_inflate(z.p, k, w, SIZE_MAX, rc, o);
				ck_assert_msg((rc[0] == PMD_DONE) ==
						      (rc[1] == PMD_DONE),
					      "%s w=%d prefix %zu/%zu: zlib %s, "
					      "isa-l %s",
					      pmd_engine_name(ce), w, k, z.n,
					      wsp_errname(rc[0]),
					      wsp_errname(rc[1]));
				if (rc[0] == PMD_DONE)
					assert_bytes(&o[1], o[0].p, o[0].n);
				else
					ck_assert_msg(rc[0] == rc[1] ||
							      (is_cut(rc[0]) &&
							       is_cut(rc[1])),
						      "%s w=%d prefix %zu: zlib %s,"
						      " isa-l %s",
						      pmd_engine_name(ce), w, k,
						      wsp_errname(rc[0]),
						      wsp_errname(rc[1]));
			}
			/* The limit: both stop with TOO_BIG below the size,
			 * both succeed at it. */
			for (size_t max = 0; max <= sizeof(text);
			     max += max < 10 || max > 2990 ? 1 : 397) {
				both_inflate(z.p, z.n, w, max, rc, o);
				int want = max < sizeof(text)
						   ? WSP_E_PMD_TOO_BIG
						   : PMD_DONE;
				ck_assert_int_eq(rc[0], want);
				ck_assert_int_eq(rc[1], want);
				ck_assert_uint_eq(o[0].n, o[1].n);
			}
			/* Bit flips: when both accept, the same bytes. */
			for (size_t bit = 0; bit < z.n * 8; bit += 5) {
				z.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				both_inflate(z.p, z.n, w, SIZE_MAX, rc, o);
				if (rc[0] == PMD_DONE && rc[1] == PMD_DONE)
					assert_bytes(&o[1], o[0].p, o[0].n);
				z.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			}
		}
	}
	for (size_t i = 0; i < N_BADPAY; i++) {
		uint8_t p[64];
		size_t n = tl_hex(bad_payloads[i].hex, p, sizeof(p));
		both_inflate(p, n, 15, 1000, rc, o);
		ck_assert_int_eq(rc[0], bad_payloads[i].rc);
		ck_assert_int_eq(rc[1], bad_payloads[i].rc);
	}
	obuf_free(&o[0]);
	obuf_free(&o[1]);
	obuf_free(&z);
}
END_TEST

/* --------------------------------------------------------------------------
 * Allocation failures: every allocation of a scenario fails in turn, once
 * (a wrapper) and from then on (tl_failmem).  Each must end in
 * WSP_E_NOMEM, the failing object keeps saying so, and nothing leaks.
 */

struct trackmem {
	struct wsp_mem mem;
	struct tl_failmem fm;
	long once;  /* >= 0: fail only this allocation index */
	long count;
	long live;
};

static void *track_malloc(size_t size, void *user)
{
	struct trackmem *t = user;
	void *p;
	if (t->once >= 0)
		p = t->count == t->once ? NULL : malloc(size);
	else
		p = t->fm.mem.malloc(size, t->fm.mem.user);
	t->count++;
	if (p != NULL)
		t->live++;
	return p;
}

static void *track_realloc(void *ptr, size_t size, void *user)
{
	(void)ptr;
	(void)size;
	(void)user;
	ck_abort_msg("pmd does not realloc");
	return NULL;
}

static void track_free(void *ptr, void *user)
{
	struct trackmem *t = user;
	if (ptr != NULL)
		t->live--;
	free(ptr);
}

static void track_init(struct trackmem *t, long fail_from, long once)
{
	tl_failmem_init(&t->fm, fail_from);
	t->mem.malloc = track_malloc;
	t->mem.realloc = track_realloc;
	t->mem.free = track_free;
	t->mem.user = t;
	t->once = once;
	t->count = 0;
	t->live = 0;
}

/* Runs a scenario touching every allocation: both objects (deflater on
 * engine de, inflater on ie), zlib's inflate window (first output) and the
 * BFINAL window copy.  Returns 0 or the first error, which must be
 * WSP_E_NOMEM. */
static int alloc_scenario(const struct wsp_mem *mem, enum pmd_engine de,
			  enum pmd_engine ie)
{
	struct pmd_deflate_cfg dc;
	struct pmd_inflate_cfg ic;
	struct pmd_deflater *c = NULL;
	struct pmd_inflater *d = NULL;
	struct obuf z = {0}, o = {0};
	uint8_t p[32];
	int rc, in_inflate = 0;
	pmd_deflate_cfg_init(&dc);
	pmd_inflate_cfg_init(&ic, 1000);
	dc.engine = (int)de;
	ic.engine = (int)ie;
	rc = pmd_deflater_new(&c, &dc, mem);
	if (rc < 0)
		goto out;
	rc = pmd_inflater_new(&d, &ic, mem);
	if (rc < 0)
		goto out;
	for (int m = 0; m < 2; m++) {
		struct sched s = sched_all();
		z.n = 0;
		o.n = 0;
		rc = run_msg(step_deflate, c, hello, 5, &s, &z);
		if (rc < 0)
			goto out;
		in_inflate = 1;
		rc = run_msg(step_inflate, d, z.p, z.n, &s, &o);
		if (rc < 0)
			goto out;
		in_inflate = 0;
		assert_bytes(&o, hello, 5);
	}
	/* BFINAL mid-message: the window copy. */
	size_t n = tl_hex("f3 48 cd c9 c9 07 00 f2 00 11 00 00", p, sizeof(p));
	struct sched s = sched_all();
	o.n = 0;
	in_inflate = 1;
	rc = run_msg(step_inflate, d, p, n, &s, &o);
	if (rc < 0)
		goto out;
	assert_bytes(&o, (const uint8_t *)"HelloHello", 10);
	rc = 0;
out:
	if (rc < 0) {
		/* WSP_E_INVAL only for an engine not built in. */
		if (pmd_engine_available(de) && pmd_engine_available(ie))
			ck_assert_int_eq(rc, WSP_E_NOMEM);
		else
			ck_assert_int_eq(rc, WSP_E_INVAL);
		uint8_t b[8];
		size_t u, m;
		/* The failing inflater keeps saying so. */
		if (in_inflate)
			ck_assert_int_eq(pmd_inflate(d, hello, 5, 1, b, 8, &u,
						     &m),
					 WSP_E_NOMEM);
	}
	obuf_free(&z);
	obuf_free(&o);
	pmd_deflater_free(c);
	pmd_inflater_free(d);
	return rc;
}

/* _i: bit 0 the deflater's engine, bit 1 the inflater's (ISA-L if set). */
START_TEST(pmd_every_allocation_failure_is_clean)
{
	enum pmd_engine de = _i & 1 ? PMD_ENGINE_ISAL : PMD_ENGINE_ZLIB;
	enum pmd_engine ie = _i & 2 ? PMD_ENGINE_ISAL : PMD_ENGINE_ZLIB;
	struct trackmem t;
	if (!pmd_engine_available(de) || !pmd_engine_available(ie)) {
		/* Not built in: refused (before allocating anything for that
		 * object), nothing leaked. */
		track_init(&t, -1, -1);
		ck_assert_int_eq(alloc_scenario(&t.mem, de, ie), WSP_E_INVAL);
		ck_assert_int_eq(t.count, de == PMD_ENGINE_ISAL ? 0 : 6);
		ck_assert_int_eq(t.live, 0);
		return;
	}
	track_init(&t, -1, -1);
	ck_assert_int_eq(alloc_scenario(&t.mem, de, ie), 0);
	ck_assert_int_eq(t.live, 0);
	long total = t.count;
	/* zlib deflater: the object and 5 zlib deflate buffers; ISA-L: the
	 * object and its engine (stream, staging and level buffers in one).
	 * zlib inflater: the object, the inflate state, its window and the
	 * BFINAL window copy; ISA-L: the object and its state, no copy (it
	 * continues the stream after BFINAL, see pmd.c). */
	long want = (de == PMD_ENGINE_ISAL ? 2 : 6) +
		    (ie == PMD_ENGINE_ISAL ? 2 : 4);
	ck_assert_int_eq(total, want);
	for (long i = 0; i < total; i++) {
		track_init(&t, i, -1);
		ck_assert_int_eq(alloc_scenario(&t.mem, de, ie), WSP_E_NOMEM);
		ck_assert_int_eq(t.live, 0);
		track_init(&t, -1, i);
		ck_assert_int_eq(alloc_scenario(&t.mem, de, ie), WSP_E_NOMEM);
		ck_assert_int_eq(t.live, 0);
	}
}
END_TEST

/* --------------------------------------------------------------------------
 * Section 7.1: parameters of offers and responses.
 */

/* Parses a header value and returns the first element. */
static void parse1(const char *hdr, struct ext_elem *e)
{
	ck_assert_int_ge(ext_parse(hdr, strlen(hdr), e, 1), 1);
}

struct pvec {
	const char *params; /* appended to "permessage-deflate" */
	int rc;
	struct pmd_params want;
};

#define PV(s, rc, a, b, c, d, e) {s, rc, {a, b, c, d, e}}

static const struct pvec offer_vecs[] = {
	PV("", 0, 0, 0, 0, 0, 0),
	PV("; server_no_context_takeover", 0, 1, 0, 0, 0, 0),
	PV("; client_no_context_takeover", 0, 0, 1, 0, 0, 0),
	PV("; server_max_window_bits=8", 0, 0, 0, 8, 0, 0),
	PV("; server_max_window_bits=9", 0, 0, 0, 9, 0, 0),
	PV("; server_max_window_bits=10", 0, 0, 0, 10, 0, 0),
	PV("; server_max_window_bits=15", 0, 0, 0, 15, 0, 0),
	PV("; server_max_window_bits=\"12\"", 0, 0, 0, 12, 0, 0),
	PV("; server_max_window_bits=\"1\\3\"", 0, 0, 0, 13, 0, 0),
	PV("; client_max_window_bits", 0, 0, 0, 0, 0, 1),
	PV("; client_max_window_bits=8", 0, 0, 0, 0, 8, 0),
	PV("; client_max_window_bits=14", 0, 0, 0, 0, 14, 0),
	PV("; client_max_window_bits=\"\\1\\5\"", 0, 0, 0, 0, 15, 0),
	PV("; client_max_window_bits; server_max_window_bits=10", 0, 0, 0, 10,
	   0, 1),
	PV("; server_no_context_takeover; client_no_context_takeover; "
	   "server_max_window_bits=11; client_max_window_bits=12",
	   0, 1, 1, 11, 12, 0),
	PV("; foo", WSP_E_PMD_OFFER_UNKNOWN_PARAM, 0, 0, 0, 0, 0),
	PV("; Server_No_Context_Takeover", WSP_E_PMD_OFFER_UNKNOWN_PARAM, 0,
	   0, 0, 0, 0),
	PV("; server_max_window_bit=10", WSP_E_PMD_OFFER_UNKNOWN_PARAM, 0, 0,
	   0, 0, 0),
	PV("; client_no_context_takeover; x=1", WSP_E_PMD_OFFER_UNKNOWN_PARAM,
	   0, 0, 0, 0, 0),
	PV("; server_no_context_takeover; server_no_context_takeover",
	   WSP_E_PMD_OFFER_DUP_PARAM, 0, 0, 0, 0, 0),
	PV("; client_no_context_takeover; client_no_context_takeover",
	   WSP_E_PMD_OFFER_DUP_PARAM, 0, 0, 0, 0, 0),
	PV("; server_max_window_bits=10; server_max_window_bits=10",
	   WSP_E_PMD_OFFER_DUP_PARAM, 0, 0, 0, 0, 0),
	PV("; client_max_window_bits; client_max_window_bits=10",
	   WSP_E_PMD_OFFER_DUP_PARAM, 0, 0, 0, 0, 0),
	PV("; server_no_context_takeover=1",
	   WSP_E_PMD_OFFER_VALUE_NOT_ALLOWED, 0, 0, 0, 0, 0),
	PV("; client_no_context_takeover=\"x\"",
	   WSP_E_PMD_OFFER_VALUE_NOT_ALLOWED, 0, 0, 0, 0, 0),
	PV("; server_max_window_bits", WSP_E_PMD_OFFER_SERVER_BITS, 0, 0, 0,
	   0, 0),
	PV("; server_max_window_bits=7", WSP_E_PMD_OFFER_SERVER_BITS, 0, 0, 0,
	   0, 0),
	PV("; server_max_window_bits=16", WSP_E_PMD_OFFER_SERVER_BITS, 0, 0,
	   0, 0, 0),
	PV("; server_max_window_bits=0", WSP_E_PMD_OFFER_SERVER_BITS, 0, 0, 0,
	   0, 0),
	PV("; server_max_window_bits=08", WSP_E_PMD_OFFER_SERVER_BITS, 0, 0,
	   0, 0, 0),
	PV("; server_max_window_bits=010", WSP_E_PMD_OFFER_SERVER_BITS, 0, 0,
	   0, 0, 0),
	PV("; server_max_window_bits=1a", WSP_E_PMD_OFFER_SERVER_BITS, 0, 0,
	   0, 0, 0),
	PV("; server_max_window_bits=+9", WSP_E_PMD_OFFER_SERVER_BITS, 0, 0,
	   0, 0, 0),
	PV("; server_max_window_bits=-9", WSP_E_PMD_OFFER_SERVER_BITS, 0, 0,
	   0, 0, 0),
	PV("; server_max_window_bits=9.0", WSP_E_PMD_OFFER_SERVER_BITS, 0, 0,
	   0, 0, 0),
	PV("; server_max_window_bits=\"08\"", WSP_E_PMD_OFFER_SERVER_BITS, 0,
	   0, 0, 0, 0),
	PV("; server_max_window_bits=99999999999999999999999",
	   WSP_E_PMD_OFFER_SERVER_BITS, 0, 0, 0, 0, 0),
	PV("; client_max_window_bits=7", WSP_E_PMD_OFFER_CLIENT_BITS, 0, 0, 0,
	   0, 0),
	PV("; client_max_window_bits=16", WSP_E_PMD_OFFER_CLIENT_BITS, 0, 0,
	   0, 0, 0),
	PV("; client_max_window_bits=08", WSP_E_PMD_OFFER_CLIENT_BITS, 0, 0,
	   0, 0, 0),
	PV("; client_max_window_bits=\"16\"", WSP_E_PMD_OFFER_CLIENT_BITS, 0,
	   0, 0, 0, 0),
	PV("; client_max_window_bits=x", WSP_E_PMD_OFFER_CLIENT_BITS, 0, 0, 0,
	   0, 0),
};

#define N_OFFER (sizeof(offer_vecs) / sizeof(offer_vecs[0]))

static const struct pvec resp_vecs[] = {
	PV("", 0, 0, 0, 0, 0, 0),
	PV("; server_no_context_takeover", 0, 1, 0, 0, 0, 0),
	PV("; client_no_context_takeover", 0, 0, 1, 0, 0, 0),
	PV("; server_max_window_bits=8", 0, 0, 0, 8, 0, 0),
	PV("; server_max_window_bits=\"15\"", 0, 0, 0, 15, 0, 0),
	PV("; client_max_window_bits=8", 0, 0, 0, 0, 8, 0),
	PV("; client_max_window_bits=\"1\\1\"", 0, 0, 0, 0, 11, 0),
	PV("; server_no_context_takeover; client_no_context_takeover; "
	   "server_max_window_bits=9; client_max_window_bits=10",
	   0, 1, 1, 9, 10, 0),
	PV("; foo", WSP_E_PMD_RESP_UNKNOWN_PARAM, 0, 0, 0, 0, 0),
	PV("; Client_Max_Window_Bits=10", WSP_E_PMD_RESP_UNKNOWN_PARAM, 0, 0,
	   0, 0, 0),
	PV("; server_no_context_takeover; server_no_context_takeover",
	   WSP_E_PMD_RESP_DUP_PARAM, 0, 0, 0, 0, 0),
	PV("; client_max_window_bits=9; client_max_window_bits=9",
	   WSP_E_PMD_RESP_DUP_PARAM, 0, 0, 0, 0, 0),
	PV("; server_max_window_bits=9; server_max_window_bits=10",
	   WSP_E_PMD_RESP_DUP_PARAM, 0, 0, 0, 0, 0),
	PV("; client_no_context_takeover=0",
	   WSP_E_PMD_RESP_VALUE_NOT_ALLOWED, 0, 0, 0, 0, 0),
	PV("; server_no_context_takeover=\"1\"",
	   WSP_E_PMD_RESP_VALUE_NOT_ALLOWED, 0, 0, 0, 0, 0),
	PV("; server_max_window_bits", WSP_E_PMD_RESP_SERVER_BITS, 0, 0, 0, 0,
	   0),
	PV("; server_max_window_bits=7", WSP_E_PMD_RESP_SERVER_BITS, 0, 0, 0,
	   0, 0),
	PV("; server_max_window_bits=016", WSP_E_PMD_RESP_SERVER_BITS, 0, 0,
	   0, 0, 0),
	/* In a response client_max_window_bits needs a value. */
	PV("; client_max_window_bits", WSP_E_PMD_RESP_CLIENT_BITS, 0, 0, 0, 0,
	   0),
	PV("; client_max_window_bits=16", WSP_E_PMD_RESP_CLIENT_BITS, 0, 0, 0,
	   0, 0),
	PV("; client_max_window_bits=09", WSP_E_PMD_RESP_CLIENT_BITS, 0, 0, 0,
	   0, 0),
	PV("; client_max_window_bits=\"\"x", WSP_E_EXT_QUOTED_NOT_TOKEN, 0, 0,
	   0, 0, 0),
};

#define N_RESP (sizeof(resp_vecs) / sizeof(resp_vecs[0]))

static void check_pvec(const struct pvec *v, int offer)
{
	char hdr[256];
	struct ext_elem e[1];
	struct pmd_params got;
	int len = snprintf(hdr, sizeof(hdr), "permessage-deflate%s", v->params);
	int rc = ext_parse(hdr, (size_t)len, e, 1);
	if (rc < 0) {
		ck_assert_int_eq(rc, v->rc);
		return;
	}
	rc = offer ? pmd_parse_offer(&e[0], &got)
		   : pmd_parse_response(&e[0], &got);
	ck_assert_msg(rc == v->rc, "\"%s\": got %s", hdr, wsp_errname(rc));
	if (rc == 0) {
		ck_assert_int_eq(got.server_no_context_takeover,
				 v->want.server_no_context_takeover);
		ck_assert_int_eq(got.client_no_context_takeover,
				 v->want.client_no_context_takeover);
		ck_assert_int_eq(got.server_max_window_bits,
				 v->want.server_max_window_bits);
		ck_assert_int_eq(got.client_max_window_bits,
				 v->want.client_max_window_bits);
		ck_assert_int_eq(got.client_max_window_bits_novalue,
				 v->want.client_max_window_bits_novalue);
		/* Formatting and parsing again gives the same parameters. */
		char txt[256];
		struct pmd_params again;
		int n = pmd_params_format(&got, txt, sizeof(txt));
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(ext_parse(txt, (size_t)n, e, 1), 1);
		ck_assert_int_eq(offer ? pmd_parse_offer(&e[0], &again)
				       : pmd_parse_response(&e[0], &again),
				 0);
		ck_assert_int_eq(memcmp(&got, &again, sizeof(got)), 0);
	}
}

START_TEST(rfc7692_7_offer_parameters)
{
	check_pvec(&offer_vecs[_i], 1);
}
END_TEST

START_TEST(rfc7692_7_response_parameters)
{
	check_pvec(&resp_vecs[_i], 0);
}
END_TEST

START_TEST(rfc7692_7_codes_cite_their_rules)
{
	static const struct {
		int code;
		const char *req;
	} v[] = {
		{WSP_E_PMD_OFFER_UNKNOWN_PARAM, "R7692-7-02"},
		{WSP_E_PMD_OFFER_VALUE_NOT_ALLOWED, "R7692-7-03"},
		{WSP_E_PMD_OFFER_DUP_PARAM, "R7692-7-04"},
		{WSP_E_PMD_OFFER_SERVER_BITS, "R7692-7.1.2.1-02"},
		{WSP_E_PMD_OFFER_CLIENT_BITS, "R7692-7.1.2.2-02"},
		{WSP_E_PMD_RESP_UNKNOWN_PARAM, "R7692-7-07"},
		{WSP_E_PMD_RESP_VALUE_NOT_ALLOWED, "R7692-7-08"},
		{WSP_E_PMD_RESP_DUP_PARAM, "R7692-7-09"},
		{WSP_E_PMD_RESP_UNSUPPORTED, "R7692-7-10"},
		{WSP_E_PMD_RESP_SERVER_BITS, "R7692-7.1.2.1-05"},
		{WSP_E_PMD_RESP_CLIENT_BITS, "R7692-7.1.2.2-04"},
		{WSP_E_PMD_RESP_CLIENT_BITS_UNOFFERED, "R7692-7.1.2.2-05"},
		{WSP_E_PMD_RESP_SERVER_BITS_LARGER, "R7692-7.1.2.1-04"},
		{WSP_E_PMD_RESP_NOT_OFFERED, "R7692-5-12"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_str_eq(wsp_errreq(v[i].code), v[i].req);
}
END_TEST

START_TEST(rfc7692_7_not_permessage_deflate)
{
	struct ext_elem e[1];
	struct pmd_params p;
	parse1("x-webkit-deflate-frame", e);
	ck_assert_int_eq(pmd_is_pmd(&e[0]), 0);
	ck_assert_int_eq(pmd_parse_offer(&e[0], &p), WSP_E_INVAL);
	ck_assert_int_eq(pmd_parse_response(&e[0], &p), WSP_E_INVAL);
	parse1("Permessage-Deflate", e);
	ck_assert_int_eq(pmd_is_pmd(&e[0]), 0);
	parse1("permessage-deflate", e);
	ck_assert_int_eq(pmd_is_pmd(&e[0]), 1);
	ck_assert_int_eq(pmd_parse_offer(&e[0], NULL), WSP_E_INVAL);
	ck_assert_int_eq(pmd_is_pmd(NULL), 0);
}
END_TEST

START_TEST(rfc7692_7_1_params_format)
{
	char buf[200];
	struct pmd_params p = {1, 1, 10, 11, 0};
	ck_assert_int_eq(pmd_params_format(&p, buf, sizeof(buf)), 128);
	ck_assert_str_eq(buf, "permessage-deflate; server_no_context_takeover; "
			      "client_no_context_takeover; "
			      "server_max_window_bits=10; "
			      "client_max_window_bits=11");
	struct pmd_params q = {0, 0, 0, 0, 1};
	ck_assert_int_eq(pmd_params_format(&q, buf, sizeof(buf)), 42);
	ck_assert_str_eq(buf, "permessage-deflate; client_max_window_bits");
	struct pmd_params r = {0, 0, 8, 9, 0};
	ck_assert_int_gt(pmd_params_format(&r, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "permessage-deflate; server_max_window_bits=8; "
			      "client_max_window_bits=9");
	/* Too small: NOSPACE, with a NUL-terminated prefix. */
	for (size_t cap = 0; cap <= 128; cap++) {
		char small[129];
		memset(small, 'X', sizeof(small));
		int rc = pmd_params_format(&p, small, cap);
		ck_assert_int_eq(rc, WSP_E_NOSPACE);
		if (cap > 0) {
			ck_assert_uint_eq(strlen(small), cap - 1);
			ck_assert_int_eq(memcmp(small,
						"permessage-deflate; server_no",
						cap - 1 < 29 ? cap - 1 : 29),
					 0);
		}
	}
	struct pmd_params bad = {0, 0, 7, 0, 0};
	ck_assert_int_eq(pmd_params_format(&bad, buf, sizeof(buf)),
			 WSP_E_INVAL);
	bad.server_max_window_bits = 0;
	bad.client_max_window_bits = 16;
	ck_assert_int_eq(pmd_params_format(&bad, buf, sizeof(buf)),
			 WSP_E_INVAL);
}
END_TEST

/* --------------------------------------------------------------------------
 * Negotiation: the server picks, the client checks.
 */

/* Parses every permessage-deflate element of an offer header. */
static size_t client_offers(const char *hdr, struct pmd_params *out,
			    size_t max)
{
	struct ext_elem e[8];
	int n = ext_parse(hdr, strlen(hdr), e, 8);
	size_t k = 0;
	ck_assert_int_ge(n, 0);
	for (int i = 0; i < n && k < max; i++)
		if (pmd_is_pmd(&e[i]) && pmd_parse_offer(&e[i], &out[k]) == 0)
			k++;
	return k;
}

enum { CFG_DEFAULT, CFG_CBITS10, CFG_SBITS9, CFG_SBITS12, CFG_MIN11,
       CFG_REFUSE_SNCT, CFG_WANT_SNCT, CFG_WANT_CNCT };

struct negvec {
	const char *offer;
	int cfg;
	int rc;
	size_t chosen;
	const char *resp;
	struct pmd_agreed agreed;
	int first_err;
};

#define PMD "permessage-deflate"

static const struct negvec neg_vecs[] = {
	{PMD, CFG_DEFAULT, 1, 0, PMD, {0, 0, 15, 15}, 0},
	{PMD "; client_max_window_bits", CFG_DEFAULT, 1, 0, PMD,
	 {0, 0, 15, 15}, 0},
	{PMD "; client_max_window_bits", CFG_CBITS10, 1, 0,
	 PMD "; client_max_window_bits=10", {0, 0, 15, 10}, 0},
	{PMD "; client_max_window_bits=12", CFG_CBITS10, 1, 0,
	 PMD "; client_max_window_bits=10", {0, 0, 15, 10}, 0},
	{PMD "; client_max_window_bits=9", CFG_CBITS10, 1, 0,
	 PMD "; client_max_window_bits=9", {0, 0, 15, 9}, 0},
	{PMD "; client_max_window_bits=12", CFG_DEFAULT, 1, 0,
	 PMD "; client_max_window_bits=12", {0, 0, 15, 12}, 0},
	/* R7692-7.1.2.2-05: not offered, so not answered. */
	{PMD, CFG_CBITS10, 1, 0, PMD, {0, 0, 15, 15}, 0},
	{PMD "; server_max_window_bits=10", CFG_DEFAULT, 1, 0,
	 PMD "; server_max_window_bits=10", {0, 0, 10, 15}, 0},
	{PMD "; server_max_window_bits=10", CFG_SBITS9, 1, 0,
	 PMD "; server_max_window_bits=9", {0, 0, 9, 15}, 0},
	{PMD, CFG_SBITS12, 1, 0, PMD "; server_max_window_bits=12",
	 {0, 0, 12, 15}, 0},
	{PMD "; server_max_window_bits=8", CFG_DEFAULT, 1, 0,
	 PMD "; server_max_window_bits=8", {0, 0, 8, 15}, 0},
	{PMD "; server_max_window_bits=10", CFG_MIN11, 0, 0, "", {0, 0, 0, 0},
	 0},
	/* RFC 7692 section 7.1.3's fallback offer. */
	{PMD "; client_max_window_bits; server_max_window_bits=10, " PMD
	     "; client_max_window_bits",
	 CFG_MIN11, 1, 1, PMD, {0, 0, 15, 15}, 0},
	{PMD "; client_max_window_bits; server_max_window_bits=10, " PMD
	     "; client_max_window_bits",
	 CFG_DEFAULT, 1, 0, PMD "; server_max_window_bits=10", {0, 0, 10, 15},
	 0},
	{PMD "; server_no_context_takeover", CFG_DEFAULT, 1, 0,
	 PMD "; server_no_context_takeover", {1, 0, 15, 15}, 0},
	{PMD "; server_no_context_takeover", CFG_REFUSE_SNCT, 0, 0, "",
	 {0, 0, 0, 0}, 0},
	{PMD "; server_no_context_takeover, " PMD, CFG_REFUSE_SNCT, 1, 1, PMD,
	 {0, 0, 15, 15}, 0},
	{PMD, CFG_WANT_SNCT, 1, 0, PMD "; server_no_context_takeover",
	 {1, 0, 15, 15}, 0},
	{PMD "; client_no_context_takeover", CFG_DEFAULT, 1, 0,
	 PMD "; client_no_context_takeover", {0, 1, 15, 15}, 0},
	{PMD, CFG_WANT_CNCT, 1, 0, PMD "; client_no_context_takeover",
	 {0, 1, 15, 15}, 0},
	{"x-webkit-deflate-frame, " PMD, CFG_DEFAULT, 1, 1, PMD,
	 {0, 0, 15, 15}, 0},
	{PMD "; foo, " PMD, CFG_DEFAULT, 1, 1, PMD, {0, 0, 15, 15},
	 WSP_E_PMD_OFFER_UNKNOWN_PARAM},
	{PMD "; foo", CFG_DEFAULT, 0, 0, "", {0, 0, 0, 0},
	 WSP_E_PMD_OFFER_UNKNOWN_PARAM},
	{PMD "; server_max_window_bits, " PMD "; client_max_window_bits=5",
	 CFG_DEFAULT, 0, 0, "", {0, 0, 0, 0}, WSP_E_PMD_OFFER_SERVER_BITS},
	{"x-foo", CFG_DEFAULT, 0, 0, "", {0, 0, 0, 0}, 0},
	{"", CFG_DEFAULT, 0, 0, "", {0, 0, 0, 0}, 0},
	/* R7692-5-02: the earliest acceptable offer wins. */
	{PMD "; server_max_window_bits=10, " PMD, CFG_DEFAULT, 1, 0,
	 PMD "; server_max_window_bits=10", {0, 0, 10, 15}, 0},
	{PMD "; server_no_context_takeover; client_no_context_takeover; "
	     "server_max_window_bits=9; client_max_window_bits=9",
	 CFG_DEFAULT, 1, 0,
	 PMD "; server_no_context_takeover; client_no_context_takeover; "
	     "server_max_window_bits=9; client_max_window_bits=9",
	 {1, 1, 9, 9}, 0},
};

#define N_NEG (sizeof(neg_vecs) / sizeof(neg_vecs[0]))

static void neg_cfg(int which, struct pmd_server_cfg *cfg)
{
	pmd_server_cfg_init(cfg);
	switch (which) {
	case CFG_CBITS10:
		cfg->client_max_window_bits = 10;
		break;
	case CFG_SBITS9:
		cfg->server_max_window_bits = 9;
		break;
	case CFG_SBITS12:
		cfg->server_max_window_bits = 12;
		break;
	case CFG_MIN11:
		cfg->server_min_window_bits = 11;
		break;
	case CFG_REFUSE_SNCT:
		cfg->refuse_server_no_context_takeover = 1;
		break;
	case CFG_WANT_SNCT:
		cfg->server_no_context_takeover = 1;
		break;
	case CFG_WANT_CNCT:
		cfg->client_no_context_takeover = 1;
		break;
	default:
		break;
	}
}

START_TEST(rfc7692_5_server_negotiation)
{
	const struct negvec *v = &neg_vecs[_i];
	struct pmd_server_cfg cfg;
	struct ext_elem e[8];
	struct pmd_agreed a;
	char resp[256];
	size_t chosen = 99, rlen = 99;
	int ferr = 1;
	neg_cfg(v->cfg, &cfg);
	int n = ext_parse(v->offer, strlen(v->offer), e, 8);
	ck_assert_int_ge(n, 0);
	int rc = pmd_server_negotiate(&cfg, e, (size_t)n, &a, &chosen, resp,
				      sizeof(resp), &rlen, &ferr);
	ck_assert_msg(rc == v->rc, "\"%s\": %d", v->offer, rc);
	ck_assert_int_eq(ferr, v->first_err);
	ck_assert_str_eq(resp, v->resp);
	ck_assert_uint_eq(rlen, strlen(v->resp));
	if (rc != 1)
		return;
	ck_assert_uint_eq(chosen, v->chosen);
	ck_assert_int_eq(memcmp(&a, &v->agreed, sizeof(a)), 0);

	/* The client, given what it offered, accepts exactly this. */
	struct pmd_params offers[8];
	size_t no = client_offers(v->offer, offers, 8);
	struct ext_elem re[2];
	struct pmd_agreed ca;
	ck_assert_int_eq(ext_parse(resp, rlen, re, 2), 1);
	ck_assert_int_eq(pmd_client_check(offers, no, re, 1, NULL, &ca), 1);
	ck_assert_int_eq(memcmp(&a, &ca, sizeof(a)), 0);

	/* A buffer one byte short fails cleanly. */
	ck_assert_int_eq(pmd_server_negotiate(&cfg, e, (size_t)n, &a, &chosen,
					      resp, rlen, &rlen, NULL),
			 WSP_E_NOSPACE);
	ck_assert_uint_eq(rlen, 0);
}
END_TEST

START_TEST(rfc7692_5_server_negotiation_arguments)
{
	struct pmd_server_cfg cfg;
	struct pmd_agreed a;
	struct ext_elem e[1];
	char resp[64];
	parse1(PMD, e);
	pmd_server_cfg_init(&cfg);
	cfg.server_min_window_bits = 12;
	cfg.server_max_window_bits = 11;
	ck_assert_int_eq(pmd_server_negotiate(&cfg, e, 1, &a, NULL, resp, 64,
					      NULL, NULL),
			 WSP_E_INVAL);
	pmd_server_cfg_init(&cfg);
	cfg.client_max_window_bits = 7;
	ck_assert_int_eq(pmd_server_negotiate(&cfg, e, 1, &a, NULL, resp, 64,
					      NULL, NULL),
			 WSP_E_INVAL);
	pmd_server_cfg_init(&cfg);
	ck_assert_int_eq(pmd_server_negotiate(&cfg, NULL, 1, &a, NULL, resp,
					      64, NULL, NULL),
			 WSP_E_INVAL);
	ck_assert_int_eq(pmd_server_negotiate(&cfg, e, 1, NULL, NULL, resp,
					      64, NULL, NULL),
			 WSP_E_INVAL);
	/* Optional outputs may be NULL. */
	ck_assert_int_eq(pmd_server_negotiate(&cfg, e, 1, &a, NULL, resp, 64,
					      NULL, NULL),
			 1);
	ck_assert_str_eq(resp, PMD);
}
END_TEST

struct clivec {
	const char *offer;
	const char *resp;
	int min_bits;
	int rc;
	struct pmd_agreed agreed;
};

static const struct clivec cli_vecs[] = {
	{PMD, "", 8, 0, {0, 0, 0, 0}},
	{PMD, "x-foo", 8, 0, {0, 0, 0, 0}},
	{PMD, PMD, 8, 1, {0, 0, 15, 15}},
	{PMD, "x-foo, " PMD, 8, 1, {0, 0, 15, 15}},
	{"", PMD, 8, WSP_E_PMD_RESP_NOT_OFFERED, {0, 0, 0, 0}},
	{"x-foo", PMD, 8, WSP_E_PMD_RESP_NOT_OFFERED, {0, 0, 0, 0}},
	{PMD, PMD ", " PMD, 8, WSP_E_PMD_RESP_MULTIPLE, {0, 0, 0, 0}},
	{PMD, PMD "; client_max_window_bits=10", 8,
	 WSP_E_PMD_RESP_CLIENT_BITS_UNOFFERED, {0, 0, 0, 0}},
	{PMD "; client_max_window_bits", PMD "; client_max_window_bits=10", 8,
	 1, {0, 0, 15, 10}},
	{PMD "; client_max_window_bits=10",
	 PMD "; client_max_window_bits=11", 8,
	 WSP_E_PMD_RESP_CLIENT_BITS_LARGER, {0, 0, 0, 0}},
	{PMD "; client_max_window_bits=10",
	 PMD "; client_max_window_bits=10", 8, 1, {0, 0, 15, 10}},
	/* R7692-7.2.1-14: the hint does not bind without an answer. */
	{PMD "; client_max_window_bits=10", PMD, 8, 1, {0, 0, 15, 15}},
	{PMD "; server_max_window_bits=10", PMD, 8,
	 WSP_E_PMD_RESP_SERVER_BITS_MISSING, {0, 0, 0, 0}},
	{PMD "; server_max_window_bits=10",
	 PMD "; server_max_window_bits=11", 8,
	 WSP_E_PMD_RESP_SERVER_BITS_LARGER, {0, 0, 0, 0}},
	{PMD "; server_max_window_bits=10",
	 PMD "; server_max_window_bits=9", 8, 1, {0, 0, 9, 15}},
	/* R7692-7.1.2.1-06 and 7.1.1.1-04: allowed unasked. */
	{PMD, PMD "; server_max_window_bits=9", 8, 1, {0, 0, 9, 15}},
	{PMD, PMD "; server_no_context_takeover", 8, 1, {1, 0, 15, 15}},
	{PMD "; server_no_context_takeover", PMD, 8,
	 WSP_E_PMD_RESP_SNCT_MISSING, {0, 0, 0, 0}},
	/* R7692-7.1.1.2-03: must be supported. */
	{PMD, PMD "; client_no_context_takeover", 8, 1, {0, 1, 15, 15}},
	{PMD, PMD "; foo", 8, WSP_E_PMD_RESP_UNKNOWN_PARAM, {0, 0, 0, 0}},
	{PMD, PMD "; client_no_context_takeover; client_no_context_takeover",
	 8, WSP_E_PMD_RESP_DUP_PARAM, {0, 0, 0, 0}},
	{PMD "; client_max_window_bits", PMD "; client_max_window_bits", 8,
	 WSP_E_PMD_RESP_CLIENT_BITS, {0, 0, 0, 0}},
	{PMD, PMD "; server_no_context_takeover=x", 8,
	 WSP_E_PMD_RESP_VALUE_NOT_ALLOWED, {0, 0, 0, 0}},
	/* Several offers: valid for any one of them. */
	{PMD "; server_max_window_bits=10, " PMD, PMD, 8, 1, {0, 0, 15, 15}},
	{PMD "; client_max_window_bits, " PMD,
	 PMD "; client_max_window_bits=9", 8, 1, {0, 0, 15, 9}},
	{PMD ", " PMD "; client_max_window_bits",
	 PMD "; client_max_window_bits=9", 8, 1, {0, 0, 15, 9}},
	{PMD "; server_max_window_bits=10, " PMD "; server_max_window_bits=11",
	 PMD "; server_max_window_bits=12", 8,
	 WSP_E_PMD_RESP_SERVER_BITS_LARGER, {0, 0, 0, 0}},
	/* R7692-7-10: a window the client cannot compress with. */
	{PMD "; client_max_window_bits", PMD "; client_max_window_bits=9", 10,
	 WSP_E_PMD_RESP_UNSUPPORTED, {0, 0, 0, 0}},
	{PMD "; client_max_window_bits", PMD "; client_max_window_bits=10",
	 10, 1, {0, 0, 15, 10}},
};

#define N_CLI (sizeof(cli_vecs) / sizeof(cli_vecs[0]))

START_TEST(rfc7692_5_12_client_checks_response)
{
	const struct clivec *v = &cli_vecs[_i];
	struct pmd_params offers[8];
	struct ext_elem re[8];
	struct pmd_client_cfg cfg;
	struct pmd_agreed a;
	memset(&a, 0, sizeof(a));
	pmd_client_cfg_init(&cfg);
	cfg.client_min_window_bits = v->min_bits;
	size_t no = client_offers(v->offer, offers, 8);
	int nr = ext_parse(v->resp, strlen(v->resp), re, 8);
	ck_assert_int_ge(nr, 0);
	int rc = pmd_client_check(offers, no, re, (size_t)nr, &cfg, &a);
	ck_assert_msg(rc == v->rc, "offer \"%s\" response \"%s\": %s",
		      v->offer, v->resp, wsp_errname(rc));
	if (rc == 1)
		ck_assert_int_eq(memcmp(&a, &v->agreed, sizeof(a)), 0);
}
END_TEST

START_TEST(rfc7692_5_13_agreed_streams_per_role)
{
	struct pmd_agreed a = {1, 0, 9, 12};
	struct pmd_deflate_cfg dc;
	struct pmd_inflate_cfg ic;
	pmd_deflate_cfg_init(&dc);
	pmd_inflate_cfg_init(&ic, 77);
	pmd_agreed_streams(&a, WSP_ROLE_SERVER, &dc, &ic);
	ck_assert_int_eq(dc.window_bits, 9);
	ck_assert_int_eq(dc.no_context_takeover, 1);
	ck_assert_int_eq(ic.window_bits, 12);
	ck_assert_int_eq(ic.no_context_takeover, 0);
	ck_assert_int_eq(ic.peer, WSP_ROLE_CLIENT);
	ck_assert_uint_eq(ic.max_message, 77);
	ck_assert_int_eq(dc.level, -1);
	pmd_agreed_streams(&a, WSP_ROLE_CLIENT, &dc, &ic);
	ck_assert_int_eq(dc.window_bits, 12);
	ck_assert_int_eq(dc.no_context_takeover, 0);
	ck_assert_int_eq(ic.window_bits, 9);
	ck_assert_int_eq(ic.no_context_takeover, 1);
	ck_assert_int_eq(ic.peer, WSP_ROLE_SERVER);
	pmd_agreed_streams(&a, WSP_ROLE_CLIENT, NULL, NULL);
}
END_TEST

/* The stream TCases, on engine e: their names carry the engine, so a
 * failure says which one broke. */
static void add_stream_tcases(Suite *s, enum pmd_engine e)
{
	int isal = e == PMD_ENGINE_ISAL;
	void (*fixture)(void) = isal ? use_isal : use_zlib;
	TCase *tc = tcase_create(isal ? "R7692-7.2.3 isa-l" : "R7692-7.2.3");
	tcase_add_checked_fixture(tc, fixture, NULL);
	tcase_add_loop_test(tc, rfc7692_7_2_3_examples_decompress_to_hello, 0,
			    (int)N_EXAMPLES);
	tcase_add_test(tc, rfc7692_7_2_3_1_hello_compresses_to_f2_48_cd);
	tcase_add_test(tc, rfc7692_7_2_3_1_fragments_3_and_4);
	tcase_add_test(tc, rfc7692_7_2_3_2_context_takeover_shrinks_second_hello);
	tcase_add_test(tc, rfc7692_7_2_3_2_takeover_against_agreement_is_reported);
	tcase_add_test(tc, rfc7692_7_2_3_4_window_survives_bfinal);
	tcase_add_test(tc, rfc7692_7_2_3_4_long_bfinal_message_in_any_room);
	tcase_add_test(tc, rfc7692_7_2_3_6_empty_message_is_00);
	tcase_add_test(tc, rfc7692_7_2_empty_final_slice);
	suite_add_tcase(s, tc);

	tc = tcase_create(isal ? "R7692-7.2.2 isa-l" : "R7692-7.2.2");
	tcase_add_checked_fixture(tc, fixture, NULL);
	tcase_add_loop_test(tc, rfc7692_7_2_2_invalid_payloads_have_exact_codes,
			    0, (int)N_BADPAY);
	tcase_add_test(tc, rfc7692_7_2_2_cuts_and_bit_flips);
	tcase_add_test(tc, rfc7692_7_2_2_every_slice_size_equals_one_shot);
	suite_add_tcase(s, tc);

	tc = tcase_create(isal ? "R7692-7.2.1 isa-l" : "R7692-7.2.1");
	tcase_add_checked_fixture(tc, fixture, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, rfc7692_7_2_round_trip_every_window, 0, 16);
	tcase_add_loop_test(tc, rfc7692_7_2_round_trip_every_level, 0, 20);
	tcase_add_test(tc, rfc7692_7_2_1_slicing_does_not_change_output);
	tcase_add_test(tc, rfc7692_7_2_1_no_takeover_starts_each_message_fresh);
	if (!isal)
		tcase_add_test(tc, zlib_raw_window_bits_8_behaviour);
	tcase_add_test(tc, rfc7692_7_2_1_15_window_8_is_honoured);
	suite_add_tcase(s, tc);

	tc = tcase_create(isal ? "R6455-10.4-01 isa-l" : "R6455-10.4-01");
	tcase_add_checked_fixture(tc, fixture, NULL);
	tcase_add_test(tc, rfc6455_10_4_limit_is_exact);
	tcase_add_test(tc, rfc6455_10_4_decompression_bomb_stops_at_limit);
	tcase_add_test(tc, rfc6455_10_4_limit_zero_allows_only_empty);
	suite_add_tcase(s, tc);
}

Suite *pmd_suite(void)
{
	Suite *s = suite_create("pmd");
	add_stream_tcases(s, PMD_ENGINE_ZLIB);
	if (pmd_engine_available(PMD_ENGINE_ISAL)) {
		add_stream_tcases(s, PMD_ENGINE_ISAL);
		TCase *tc = tcase_create("isa-l vs zlib");
		tcase_set_timeout(tc, 120);
		tcase_add_loop_test(tc, isal_zlib_interop_every_window, 0, 16);
		tcase_add_loop_test(tc, isal_deflater_stays_in_window, 0, 8);
		tcase_add_test(tc, isal_output_independent_of_output_slicing);
		tcase_add_test(tc, isal_no_takeover_messages_stand_alone);
		tcase_add_test(tc, isal_empty_message_is_exactly_00);
		tcase_add_test(tc, isal_and_zlib_inflaters_agree);
		suite_add_tcase(s, tc);
	} else {
		/* Visible in every run of the suite, so a build without
		 * libisal cannot pass for one that tested it. */
		fprintf(stderr, "check_pmd: NOTE: ISA-L not built in "
				"(WSP_HAVE_ISAL unset): its stream and "
				"interop tests are skipped\n");
	}

	TCase *tc = tcase_create("R7692-7");
	tcase_add_loop_test(tc, rfc7692_7_offer_parameters, 0, (int)N_OFFER);
	tcase_add_loop_test(tc, rfc7692_7_response_parameters, 0, (int)N_RESP);
	tcase_add_test(tc, rfc7692_7_codes_cite_their_rules);
	tcase_add_test(tc, rfc7692_7_not_permessage_deflate);
	tcase_add_test(tc, rfc7692_7_1_params_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("R7692-5");
	tcase_add_loop_test(tc, rfc7692_5_server_negotiation, 0, (int)N_NEG);
	tcase_add_test(tc, rfc7692_5_server_negotiation_arguments);
	tcase_add_loop_test(tc, rfc7692_5_12_client_checks_response, 0,
			    (int)N_CLI);
	tcase_add_test(tc, rfc7692_5_13_agreed_streams_per_role);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_add_test(tc, pmd_stream_arguments);
	tcase_add_test(tc, pmd_engine_api);
	tcase_add_loop_test(tc, pmd_every_allocation_failure_is_clean, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}
