/*
 * pmd.h: permessage-deflate (RFC 7692): parameter negotiation and bounded
 * per-message compression and decompression on zlib.
 *
 * Pure like the rest of proto/: no I/O, no clocks, no global state; every
 * allocation (the objects and zlib's own) goes through a struct wsp_mem.
 *
 * Two halves:
 *   1. Negotiation.  pmd_parse_offer / pmd_parse_response judge one
 *      "permessage-deflate" element from ext_parse() on its own;
 *      pmd_server_negotiate picks the first acceptable offer and writes the
 *      response element; pmd_client_check validates the server's response
 *      against what the client offered.  Both end in a struct pmd_agreed,
 *      and pmd_agreed_streams turns that into stream settings for one side.
 *   2. Streams.  A struct pmd_deflater compresses messages and a struct
 *      pmd_inflater decompresses them, with or without context takeover.
 *      Both are pull-style and copy nothing: input is taken in any slices
 *      (frames, fragments, bytes), output goes straight into caller buffers
 *      of any size, and the result never depends on how either was cut.
 *
 * Window bits 8 (documented decision).  zlib 1.2.13 refuses windowBits 8
 * for raw deflate (deflateInit2 returns Z_STREAM_ERROR; it only accepts 8
 * with a zlib header and then silently uses 9).  Its raw inflate does accept
 * 8 and then keeps a 256-byte window, rejecting any farther distance with
 * "invalid distance too far back".  So:
 *   - the inflater uses exactly the window bits it is given, 8 included;
 *   - the deflater, asked for 8, runs zlib with windowBits 9.  This still
 *     honours R7692-7.2.1-13/15 ("must not use a sliding window longer than
 *     2^w bytes"): zlib never emits a distance above w_size - 262
 *     (MAX_DIST, since it keeps MIN_LOOKAHEAD = 262 bytes of lookahead in
 *     the window), which is 250 bytes for windowBits 9, under the 256 that
 *     w = 8 allows.  check_pmd proves it by inflating such output with a
 *     256-byte window over varied data.
 *
 * BFINAL = 1 (RFC 7692 section 7.2.3.4).  The payload is a sequence of
 * DEFLATE blocks; a block with BFINAL set does not end the connection's
 * stream.  When zlib reports the end of a final block and bytes follow (in
 * the same or a later message), the inflater starts a new raw stream and
 * hands it the old LZ77 window (inflateGetDictionary/inflateSetDictionary),
 * so later back-references still resolve, as the RFC's model of one window
 * per direction requires.  The window copy is allocated on first use only.
 * A message must still end on a block boundary once 00 00 ff ff is
 * appended, so a payload that ends right after a BFINAL block without the
 * extra 0x00 octet the RFC calls necessary (and an empty payload) is
 * WSP_E_PMD_UNTERMINATED.
 */
#ifndef PMD_H
#define PMD_H

#include <stddef.h>

#include "ext.h"
#include "wsp.h"
#include "wsp_mem.h"

#define PMD_NAME "permessage-deflate"

/* The parameters of one permessage-deflate offer or response element, as
 * written (R7692 section 7.1).  Flags are 0 or 1; window bits are 0 when the
 * parameter is absent, else 8..15. */
struct pmd_params {
	int server_no_context_takeover;
	int client_no_context_takeover;
	int server_max_window_bits;
	int client_max_window_bits;
	/* Offers only: client_max_window_bits present without a value (the
	 * client supports the parameter in the response, no hint given). */
	int client_max_window_bits_novalue;
};

/* What both sides apply after a successful negotiation (R7692-5-13).
 * Window bits are always 8..15: 15 when the response did not limit them. */
struct pmd_agreed {
	int server_no_context_takeover;
	int client_no_context_takeover;
	int server_max_window_bits;
	int client_max_window_bits;
};

/* 1 when e names permessage-deflate.  The comparison is exact and
 * case-sensitive, as for every token in this module. */
int pmd_is_pmd(const struct ext_elem *e);

/* Parses one client offer element into *out (zeroed first).  Returns 0, or
 * the reason a server must decline it (R7692-7-01):
 *   WSP_E_PMD_OFFER_UNKNOWN_PARAM    a parameter not defined for offers
 *   WSP_E_PMD_OFFER_DUP_PARAM        the same parameter twice
 *   WSP_E_PMD_OFFER_VALUE_NOT_ALLOWED a value on a *_no_context_takeover
 *   WSP_E_PMD_OFFER_SERVER_BITS      server_max_window_bits without a value,
 *                                    or not 8..15 without leading zeros
 *   WSP_E_PMD_OFFER_CLIENT_BITS      client_max_window_bits with such a value
 *   WSP_E_INVAL                      e is not a permessage-deflate element
 * Values may be quoted-strings; they are judged once unescaped.  Parameters
 * are judged in order and the first fault is returned. */
int pmd_parse_offer(const struct ext_elem *e, struct pmd_params *out);

/* Parses one server response element into *out, judging each parameter on
 * its own (the rules that relate it to the offer are pmd_client_accept's).
 * Returns 0 or the reason the client must fail the connection (R7692-7-06):
 *   WSP_E_PMD_RESP_UNKNOWN_PARAM, WSP_E_PMD_RESP_DUP_PARAM,
 *   WSP_E_PMD_RESP_VALUE_NOT_ALLOWED, WSP_E_PMD_RESP_SERVER_BITS,
 *   WSP_E_PMD_RESP_CLIENT_BITS (in a response it needs a value), or
 *   WSP_E_INVAL when e is not a permessage-deflate element. */
int pmd_parse_response(const struct ext_elem *e, struct pmd_params *out);

/* What a server is willing to do.  pmd_server_cfg_init sets the defaults:
 * every offer RFC 7692 allows is accepted, nothing extra is asked for. */
struct pmd_server_cfg {
	/* Largest window our compressor may use, 8..15 (default 15).  An
	 * offer's server_max_window_bits lowers it; below 15 it is announced
	 * even when not offered (R7692-7.1.2.1-06). */
	int server_max_window_bits;
	/* Smallest window our compressor can work with, 8..15 (default 8).
	 * Offers asking for less are declined (R7692-7.1.2.1-03). */
	int server_min_window_bits;
	/* Window we would like the client to compress with, 8..15 (default
	 * 15).  Asked for only when the offer carries client_max_window_bits
	 * (R7692-7.1.2.2-05), never above its value (R7692-7.1.2.2-03). */
	int client_max_window_bits;
	/* 1: always answer server_no_context_takeover (R7692-7.1.1.1-04). */
	int server_no_context_takeover;
	/* 1: always answer client_no_context_takeover (R7692-7.1.1.2-02).
	 * When the offer carries the hint it is echoed regardless. */
	int client_no_context_takeover;
	/* 1: decline offers carrying server_no_context_takeover (R7692-7-05;
	 * RFC 7692 recommends supporting it, R7692-7.1.1.1-03). */
	int refuse_server_no_context_takeover;
};

void pmd_server_cfg_init(struct pmd_server_cfg *cfg);

/* Writes "permessage-deflate" and the parameters of p, in the order of
 * struct pmd_params, as a header element ("; name" or "; name=value") into
 * buf[0..cap) with a terminating NUL.  Returns the length without the NUL,
 * or WSP_E_NOSPACE (buf then holds a truncated, NUL-terminated prefix if
 * cap > 0) or WSP_E_INVAL for window bits outside 0 and 8..15.  Serves both
 * offers and responses; it writes whatever p says, valid or not. */
int pmd_params_format(const struct pmd_params *p, char *buf, size_t cap);

/* Server side of the negotiation.  offers[0..n) is the client's whole
 * extension list from ext_parse(); elements that are not permessage-deflate
 * are skipped.  The first offer that parses (pmd_parse_offer) and that cfg
 * supports wins (earlier offers are preferred, R7692-5-02).
 * Returns:
 *   1  accepted: *agreed is set, *chosen (if not NULL) is its index in
 *      offers, and resp[0..cap) holds the response element, NUL-terminated,
 *      of length *resp_len (if resp_len is not NULL);
 *   0  declined (no permessage-deflate offer, or none acceptable): the
 *      response must carry no permessage-deflate element (R7692-5-11);
 *      *resp_len is 0;
 *   WSP_E_NOSPACE  resp too small for the chosen response (nothing agreed);
 *   WSP_E_INVAL    bad arguments or cfg values.
 * When first_err is not NULL it receives the pmd_parse_offer code of the
 * first offer that was declined for being invalid (0 if none): the client
 * broke a rule even if a later offer was accepted.  Offers declined only
 * because cfg does not support them do not set it. */
int pmd_server_negotiate(const struct pmd_server_cfg *cfg,
			 const struct ext_elem *offers, size_t n,
			 struct pmd_agreed *agreed, size_t *chosen,
			 char *resp, size_t cap, size_t *resp_len,
			 int *first_err);

/* What a client is willing to do: the smallest window it can compress with
 * (8..15, default 8: anything RFC 7692 allows).  A response asking for less
 * is not supported (R7692-7-10). */
struct pmd_client_cfg {
	int client_min_window_bits;
};

void pmd_client_cfg_init(struct pmd_client_cfg *cfg);

/* Judges a parsed response *resp against one parsed offer *offer that the
 * client sent.  Returns 0 and sets *agreed, or:
 *   WSP_E_PMD_RESP_CLIENT_BITS_UNOFFERED  client_max_window_bits answered but
 *                                         not offered (R7692-7.1.2.2-05)
 *   WSP_E_PMD_RESP_CLIENT_BITS_LARGER     above the offered value
 *                                         (R7692-7.1.2.2-03)
 *   WSP_E_PMD_RESP_SERVER_BITS_LARGER     server_max_window_bits above the
 *                                         offered value (R7692-7.1.2.1-04)
 *   WSP_E_PMD_RESP_SERVER_BITS_MISSING    offered but not echoed
 *                                         (R7692-7.1.2.1-04)
 *   WSP_E_PMD_RESP_SNCT_MISSING           server_no_context_takeover offered
 *                                         but not echoed (R7692-7.1.1.1-02)
 *   WSP_E_PMD_RESP_UNSUPPORTED            a client window below
 *                                         cfg->client_min_window_bits
 *                                         (R7692-7-10)
 * checked in that order.  cfg may be NULL (the defaults). */
int pmd_client_accept(const struct pmd_params *offer,
		      const struct pmd_params *resp,
		      const struct pmd_client_cfg *cfg,
		      struct pmd_agreed *agreed);

/* Client side of the negotiation.  offers[0..noffers) are the
 * permessage-deflate elements the client sent, parsed, in order;
 * resp[0..nresp) is the server's whole extension list from ext_parse().
 * Returns:
 *   1  permessage-deflate accepted: *agreed is set;
 *   0  the response has no permessage-deflate element (declined);
 *   WSP_E_PMD_RESP_NOT_OFFERED  a permessage-deflate element although the
 *                               client offered none (R7692-5-12);
 *   WSP_E_PMD_RESP_MULTIPLE     more than one such element (R7692-5-12);
 *   a pmd_parse_response code, or, when the element fits none of the
 *   offers, the pmd_client_accept code for the first offer.
 * The response is accepted if it is valid for any one of the offers (the
 * server answers one of them and does not say which); the earliest such
 * offer fixes *agreed.  cfg may be NULL.  Which other extensions the server
 * accepted alongside (R7692-5-07..5-10) is the handshake module's to judge. */
int pmd_client_check(const struct pmd_params *offers, size_t noffers,
		     const struct ext_elem *resp, size_t nresp,
		     const struct pmd_client_cfg *cfg,
		     struct pmd_agreed *agreed);

/* ------------------------------------------------------------------------
 * Streams
 */

/* Status values of pmd_deflate and pmd_inflate (>= 0). */
enum pmd_status {
	PMD_NEED_INPUT = 0,  /* all input taken; call again with more */
	PMD_NEED_OUTPUT = 1, /* output buffer full; call again with more
				room and the input not yet consumed */
	PMD_DONE = 2         /* fin given and the whole message is out */
};

/* Compressor engines.  zlib is always built in.  ISA-L (Intel's igzip,
 * Debian libisal-dev) is there when the build found it (WSP_HAVE_ISAL):
 * its level 1 compresses the 12.x/13.x data sets about four times faster
 * than zlib's level 1 and still writes LZ77 matches over the whole agreed
 * window and dynamic Huffman blocks (bench/bench_pmd.c measures both). */
enum pmd_engine {
	PMD_ENGINE_ZLIB = 0,
	PMD_ENGINE_ISAL = 1
};

/* 1 if engine e is built in, else 0. */
int pmd_engine_available(enum pmd_engine e);
/* "zlib", "isa-l", or "?" for an unknown value. */
const char *pmd_engine_name(enum pmd_engine e);

struct pmd_deflate_cfg {
	int window_bits;         /* 8..15 (8 runs zlib with 9, see above) */
	int no_context_takeover; /* 1: a fresh window for every message */
	int level;               /* zlib level 0..9, or -1 for zlib's 6;
				    ISA-L: -1 or 1 (its level 1) */
	int mem_level;           /* zlib memLevel 1..9 (ISA-L: ignored) */
	int strategy;            /* zlib strategy number (0 = default;
				    ISA-L: ignored) */
	int engine;              /* enum pmd_engine; PMD_ENGINE_ZLIB */
};

struct pmd_inflate_cfg {
	int window_bits;         /* 8..15: window used to decompress */
	int no_context_takeover; /* 1: empty window at each message start */
	/* Hard limit on one message's decompressed size (R6455-10.4-01);
	 * SIZE_MAX means none. */
	size_t max_message;
	/* Who sends the compressed messages; it picks the requirement id of
	 * a window or takeover violation.  WSP_ROLE_ANY reports them as
	 * WSP_E_PMD_CORRUPT. */
	enum wsp_role peer;
	int engine;              /* enum pmd_engine; PMD_ENGINE_ZLIB */
};

/* Defaults: window 15, context takeover, level -1, memLevel 8, strategy 0,
 * engine zlib; for the inflater, max_message as given and peer
 * WSP_ROLE_ANY. */
void pmd_deflate_cfg_init(struct pmd_deflate_cfg *cfg);
void pmd_inflate_cfg_init(struct pmd_inflate_cfg *cfg, size_t max_message);

/* Fills the window bits and takeover flags of dc (our compressor) and ic
 * (our decompressor, and its peer) for our role self (CLIENT or SERVER)
 * from *a, leaving the other fields alone.  Either pointer may be NULL.
 * The inflater gets the agreed peer window, which is strict: a peer that
 * reaches further back is reported.  Using 15 instead is always allowed
 * (R7692-7.2.2-07/09) and is the lenient choice. */
void pmd_agreed_streams(const struct pmd_agreed *a, enum wsp_role self,
			struct pmd_deflate_cfg *dc,
			struct pmd_inflate_cfg *ic);

struct pmd_deflater;
struct pmd_inflater;

/* Create and free.  new returns 0 and sets *out, WSP_E_INVAL for cfg
 * values out of range (an engine not built in included), or WSP_E_NOMEM.
 * mem may be NULL (the C library's allocator); it must outlive the object.
 * free accepts NULL. */
int pmd_deflater_new(struct pmd_deflater **out,
		     const struct pmd_deflate_cfg *cfg,
		     const struct wsp_mem *mem);
void pmd_deflater_free(struct pmd_deflater *c);
int pmd_inflater_new(struct pmd_inflater **out,
		     const struct pmd_inflate_cfg *cfg,
		     const struct wsp_mem *mem);
void pmd_inflater_free(struct pmd_inflater *d);

/* Compresses one message, streaming (R7692-7.2.1-01).  A message is a
 * series of calls whose input slices, concatenated, are the payload; fin=1
 * marks the last slice (it may be empty).  Each call reads from in[0..n)
 * and writes to out[0..cap), reporting *consumed and *produced; it returns
 * PMD_NEED_INPUT (fin was 0 and everything was taken), PMD_NEED_OUTPUT (out
 * is full: call again with in advanced by *consumed, same fin, and more
 * room) or PMD_DONE (the message is complete; the next call starts the next
 * message).  The concatenated output is the payload to frame: DEFLATE
 * blocks ending in a sync flush with its 00 00 ff ff removed, or the single
 * octet 00 for an empty message (RFC 7692 section 7.2.3.6).  For levels
 * 1..9 the bytes do not depend on the slicing of input or output; level 0
 * (stored blocks) sizes its blocks by the output room.  With the ISA-L
 * engine they do not depend on the output slicing, but may on the input
 * slicing (igzip compresses what it has been given).  Non-final fragments
 * may be sent from any prefix of the output (R7692-7.2.1-06).
 * Errors: WSP_E_INVAL (cap == 0, or NULL pointers with non-zero sizes),
 * WSP_E_NOMEM, WSP_E_INTERNAL.  After an error the object only returns that
 * error again: free it. */
int pmd_deflate(struct pmd_deflater *c, const void *in, size_t n, int fin,
		void *out, size_t cap, size_t *consumed, size_t *produced);

/* Decompresses one message, streaming (R7692-7.2.2-01): in slices are the
 * payloads of the message's frames in order, fin=1 on the last (which may
 * be empty); 00 00 ff ff is appended internally.  Same calling pattern and
 * return values as pmd_deflate; PMD_DONE means the message is complete and
 * every output byte has been delivered.  At most max_message + 1 bytes of
 * one message are ever produced: output room is capped at that, so a
 * decompression bomb costs at most the limit plus one caller buffer of work
 * and no memory of ours (R6455-10.4-01).  Output does not depend on the
 * slicing of input or output, nor does which error is returned, with one
 * exception: with window_bits < 15 a back-reference longer than the window
 * is caught only when it reaches past what the same zlib call has already
 * written to out (zlib checks its window plus that part), so detecting
 * WSP_E_PMD_*_WINDOW is best-effort and depends on the output rooms (with
 * rooms of one byte it is exact).  The decompressed bytes are right either
 * way.  References before the start of the message (no_context_takeover)
 * or of the stream are always caught.
 * Errors (the connection should be failed; afterwards the object returns
 * the same error until pmd_inflater_reset):
 *   WSP_E_PMD_TOO_BIG            the message exceeds max_message
 *   WSP_E_PMD_CORRUPT            invalid DEFLATE data
 *   WSP_E_PMD_UNTERMINATED       payload + 00 00 ff ff does not end on a
 *                                block boundary (R7692-7.2.1-01)
 *   WSP_E_PMD_CLIENT_WINDOW / WSP_E_PMD_SERVER_WINDOW
 *                                a back-reference beyond the agreed window
 *                                (R7692-7.2.1-13 / -15)
 *   WSP_E_PMD_CLIENT_TAKEOVER / WSP_E_PMD_SERVER_TAKEOVER
 *                                a back-reference into an earlier message
 *                                although no_context_takeover was agreed
 *                                (R7692-7.2.1-08 / -11)
 *   WSP_E_INVAL, WSP_E_NOMEM, WSP_E_INTERNAL. */
int pmd_inflate(struct pmd_inflater *d, const void *in, size_t n, int fin,
		void *out, size_t cap, size_t *consumed, size_t *produced);

/* Abandons any message in progress and empties the window; clears a
 * stored error other than WSP_E_NOMEM/WSP_E_INTERNAL.  Returns 0 or that
 * stored fatal code. */
int pmd_inflater_reset(struct pmd_inflater *d);

/* Changes the per-message limit; applies from the next call (a message
 * already past the new limit fails with WSP_E_PMD_TOO_BIG). */
void pmd_inflater_set_max(struct pmd_inflater *d, size_t max_message);

#endif
