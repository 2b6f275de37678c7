/*
 * u8.h: a streaming UTF-8 validator (RFC 3629; RFC 6455 section 8.1).
 *
 * State is carried across calls, so a text message can be validated frame by
 * frame and a code point may be split between fragments (R6455-5.6-01).
 * Strict: overlong forms, surrogates (U+D800..U+DFFF), code points above
 * U+10FFFF, the bytes C0, C1, F5..FF, stray continuation bytes and a
 * sequence cut off at the end of the message are all invalid.  The error is
 * reported at the first byte after which no valid continuation exists
 * ("fail fast"): for E0 80 that is the 80, for ED A0 the A0, for F4 90 the
 * 90.  A sequence cut short by the end of the message is reported by
 * u8_finish at the message length.
 *
 * Error classes (proto/err/u8.def, all citing R6455-8.1-01), decided at the
 * first hopeless byte:
 *   WSP_E_U8_UNEXPECTED_CONT  80..BF where a code point should start;
 *   WSP_E_U8_INVALID_BYTE     F8..FF, which no UTF-8 form uses;
 *   WSP_E_U8_OVERLONG         C0 and C1 (they can only start overlong
 *                             forms: reported at the lead byte), E0 80..9F,
 *                             F0 80..8F (reported at the second byte);
 *   WSP_E_U8_SURROGATE        ED A0..BF (at the second byte);
 *   WSP_E_U8_TOO_LARGE        F5..F7 (at the lead byte), F4 90..BF (at the
 *                             second byte);
 *   WSP_E_U8_SHORT_SEQ        any non-continuation byte (ASCII or a lead
 *                             byte) where a continuation byte is due, at
 *                             that byte;
 *   WSP_E_U8_TRUNCATED        the message ends inside a sequence (u8_finish,
 *                             at the message length).
 *
 * Two implementations: u8_feed (a vector path for whole 64-byte blocks
 * where the CPU has SSSE3, ASCII and plain-sequence fast paths, and a
 * table DFA behind them) and u8_ref_validate (a plain scalar decoder, the
 * reference the tests and the differential fuzz target compare u8_feed
 * with).  Nothing here allocates; the validator is a plain struct the
 * caller embeds.
 */
#ifndef U8_H
#define U8_H

#include <stddef.h>
#include <stdint.h>

struct u8_validator {
	uint32_t state;    /* private: DFA state, 0 = between code points */
	int vector;        /* private: take the vector path (u8_init sets it
			    * from u8_vector_available; the tests clear it
			    * to compare the two paths) */
	uint64_t offset;   /* bytes accepted so far in this message */
	int error;         /* 0, or the WSP_E_U8_* code of the first error */
	uint64_t error_offset; /* message offset of the first invalid byte */
};

/* Starts a new message (also the way to reuse a validator after an error). */
void u8_init(struct u8_validator *v);

/* Validates the next n bytes of the message.  Returns 0 when they are valid
 * so far (a sequence may be left open), or the negative WSP_E_U8_* code of
 * the first error; v->error_offset is then the offset in the whole message of
 * the offending byte.  Once an error is reported every later call returns it
 * again without looking at the input.  Any split of a message into calls
 * gives the same result and error_offset (a code point may straddle calls).
 * Reads p[0..n) only and keeps no pointer to it; p may be NULL when n is 0.
 * All-ASCII stretches are checked 64 bytes per step. */
int u8_feed(struct u8_validator *v, const uint8_t *p, size_t n);

/* Ends the message: returns 0 when it is complete and valid, or the error
 * (WSP_E_U8_TRUNCATED when it ends inside a sequence, with error_offset the
 * message length; an earlier error from u8_feed is returned again).  The
 * error is sticky: the validator keeps it until u8_init. */
int u8_finish(struct u8_validator *v);

/* 1 when u8_feed can check 64-byte blocks sixteen bytes per step (x86-64
 * with SSSE3, asked of the CPU once), else 0: then it steps over ASCII a
 * block at a time and over the rest a code point at a time.  Either way the
 * results are the same. */
int u8_vector_available(void);

/* One-shot check of a whole message with the scalar reference decoder.
 * Returns 0 or the WSP_E_U8_* code, with the offset of the first invalid
 * byte in *err_off (when err_off is not NULL; n when the message is valid,
 * and n too for WSP_E_U8_TRUNCATED).  Must agree with
 * u8_init + u8_feed + u8_finish on every input. */
int u8_ref_validate(const uint8_t *p, size_t n, uint64_t *err_off);

#endif
