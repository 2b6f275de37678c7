/*
 * fuzz_digest.c: the dissector's --digest (dis_config.digest), which
 * tests/integration/tshark.sh relies on to compare whole payloads with
 * tshark's.  A capture file from memory is dissected twice, with and
 * without the digest, and:
 *   - every event but the CRC fields is the same both times (the digest
 *     changes nothing else; both formatted as text and JSON are equal
 *     once the JSON CRC fields are left out, i.e. with fmt.digest off);
 *   - a frame whose received payload was kept whole (len == received)
 *     has crc32 == zlib's crc32 of those bytes, and a compressed frame
 *     whose inflated bytes were kept whole has inflated_crc32 == crc32 of
 *     them; without the digest both are 0.
 * The keep size comes from the input's last byte (64..3889), so both whole
 * and cut payloads occur; small reassembly caps reach the overflow paths.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "cap.h"
#include "dis.h"
#include "disfmt.h"
#include "disfuzz.h"
#include "fuzz.h"

struct run {
	int digest;
	uint64_t h;        /* FNV-1a over every formatted line */
	uint64_t frames;
	struct disfmt_opts fmt;
};

static char line[DISFMT_MAX_LINE];

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001B3ull;
	return h;
}

static void on_event(const struct dis_event *ev, void *user)
{
	struct run *r = user;
	struct disfmt_opts j = r->fmt;
	j.json = 1;
	size_t n = disfmt_event(&r->fmt, ev, line, sizeof(line));
	r->h = fnv(r->h, line, n);
	n = disfmt_event(&j, ev, line, sizeof(line));
	r->h = fnv(r->h, line, n);
	if (ev->type != DIS_EV_FRAME)
		return;
	const struct dis_frame *f = &ev->frame;
	r->frames++;
	if (!r->digest) {
		REQUIRE(f->crc32 == 0 && f->inflated_crc32 == 0);
		return;
	}
	if (f->len == f->received)
		REQUIRE(f->crc32 == (uint32_t)crc32(0, f->data, (uInt)f->len));
	if (f->compressed && f->inflated_len == f->inflated_total)
		REQUIRE(f->inflated_crc32 ==
		      (uint32_t)crc32(0, f->inflated, (uInt)f->inflated_len));
	if (!f->compressed)
		REQUIRE(f->inflated_crc32 == 0);
}

static void dissect(const uint8_t *data, size_t size, size_t keep,
		    struct run *r)
{
	/* The dissector unmasks in place: a fresh, exactly-sized copy. */
	uint8_t *a = malloc(size + 1);
	REQUIRE(a != NULL);
	memcpy(a, data, size);
	struct dis_config cfg;
	disfuzz_config(&cfg);
	cfg.keep = keep;
	cfg.digest = (uint8_t)r->digest;
	memset(&r->fmt, 0, sizeof(r->fmt));
	r->fmt.preview = 32;
	r->h = 1469598103934665603ull;
	r->frames = 0;
	struct dis d;
	REQUIRE(dis_init(&d, &cfg) == 0);
	disfuzz_run(&d, a, size, &r->fmt, on_event, r);
	dis_free(&d);
	free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	size_t keep = 64 + (size > 0 ? (size_t)data[size - 1] * 15 : 0);
	struct run with, without;
	with.digest = 1;
	without.digest = 0;
	dissect(data, size, keep, &with);
	dissect(data, size, keep, &without);
	REQUIRE(with.frames == without.frames);
	REQUIRE(with.h == without.h);
	return 0;
}
