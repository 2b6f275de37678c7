/*
 * rd.h: the bounds-checked read cursor every pcap/ decoder reads packets
 * and file records through (STYLE.md, principle 11).
 *
 * tcpdump's GET_* discipline without the longjmp: every read checks the
 * bytes left first, a read that does not fit returns 0 and sets a sticky
 * "truncated" flag, and the cursor then sits at the end so that every later
 * read fails too.  A decoder reads all the fields of a header and checks
 * the flag once.  Multi-byte fields are assembled byte by byte in the order
 * asked for, so no packet pointer is ever cast to a struct and alignment
 * never matters.  Lengths are compared, never pointers computed past the
 * end.
 */
#ifndef PCAP_RD_H
#define PCAP_RD_H

#include <stddef.h>
#include <stdint.h>

struct rd {
	const uint8_t *p; /* the first byte */
	size_t len;       /* bytes at p */
	size_t off;       /* next byte to read, always <= len */
	int trunc;        /* sticky: a read wanted more than was left */
};

static inline void rd_init(struct rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = p != NULL ? len : 0;
	r->off = 0;
	r->trunc = 0;
}

static inline size_t rd_left(const struct rd *r)
{
	return r->len - r->off;
}

/* Reserves n bytes: returns their offset, or sets trunc, moves the cursor
 * to the end and returns SIZE_MAX. */
static inline size_t rd_take(struct rd *r, size_t n)
{
	if (n > r->len - r->off) {
		r->trunc = 1;
		r->off = r->len;
		return SIZE_MAX;
	}
	size_t at = r->off;
	r->off += n;
	return at;
}

static inline uint8_t rd_u8(struct rd *r)
{
	size_t at = rd_take(r, 1);
	return at == SIZE_MAX ? 0 : r->p[at];
}

static inline uint16_t rd_be16(struct rd *r)
{
	size_t at = rd_take(r, 2);
	if (at == SIZE_MAX)
		return 0;
	return (uint16_t)(((unsigned)r->p[at] << 8) | r->p[at + 1]);
}

static inline uint16_t rd_le16(struct rd *r)
{
	size_t at = rd_take(r, 2);
	if (at == SIZE_MAX)
		return 0;
	return (uint16_t)(((unsigned)r->p[at + 1] << 8) | r->p[at]);
}

static inline uint32_t rd_be32(struct rd *r)
{
	size_t at = rd_take(r, 4);
	if (at == SIZE_MAX)
		return 0;
	return ((uint32_t)r->p[at] << 24) | ((uint32_t)r->p[at + 1] << 16) |
	       ((uint32_t)r->p[at + 2] << 8) | r->p[at + 3];
}

static inline uint32_t rd_le32(struct rd *r)
{
	size_t at = rd_take(r, 4);
	if (at == SIZE_MAX)
		return 0;
	return ((uint32_t)r->p[at + 3] << 24) | ((uint32_t)r->p[at + 2] << 16) |
	       ((uint32_t)r->p[at + 1] << 8) | r->p[at];
}

/* Byte order chosen at run time (capture files say theirs): big-endian
 * when be is non-zero. */
static inline uint16_t rd_u16o(struct rd *r, int be)
{
	return be ? rd_be16(r) : rd_le16(r);
}

static inline uint32_t rd_u32o(struct rd *r, int be)
{
	return be ? rd_be32(r) : rd_le32(r);
}

/* Copies n bytes into out (zeroes on truncation). */
static inline void rd_copy(struct rd *r, uint8_t *out, size_t n)
{
	size_t at = rd_take(r, n);
	for (size_t i = 0; i < n; i++)
		out[i] = at == SIZE_MAX ? 0 : r->p[at + i];
}

/* Skips n bytes; 0, or -1 (and trunc) when fewer are left. */
static inline int rd_skip(struct rd *r, size_t n)
{
	return rd_take(r, n) == SIZE_MAX ? -1 : 0;
}

/* The address of the next byte (the end when none is left). */
static inline const uint8_t *rd_here(const struct rd *r)
{
	return r->p == NULL ? NULL : r->p + r->off;
}

#endif
