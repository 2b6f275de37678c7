/*
 * disfuzz.c: the dissector set-up and packet loop shared by the capture
 * fuzz targets (see disfuzz.h).  Not a target: linked into every one.
 */
#include "disfuzz.h"

#include <stdlib.h>
#include <string.h>

#include "cap.h"

void disfuzz_config(struct dis_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->stream = -1;
	cfg->tcpr.max_buffer = 8192;
	cfg->tcpr.max_total = 65536;
	cfg->tcpr.max_open = 16;
	cfg->tcpr.max_closed = 16;
	cfg->max_inflate = 1u << 20;
}

void disfuzz_run(struct dis *d, uint8_t *buf, size_t size,
		 struct disfmt_opts *fmt,
		 void (*cb)(const struct dis_event *ev, void *user),
		 void *user)
{
	struct cap_reader rd;
	cap_reader_init(&rd);
	size_t off = 0;
	for (;;) {
		struct cap_pkt p;
		size_t need;
		int rc = cap_next(&rd, buf + off, size - off, &p, &need);
		if (rc <= 0)
			break;
		off += (size_t)rc;
		if (p.data == NULL)
			continue;
		if (p.number == 1)
			fmt->t0 = p.ts;
		if (dis_packet(d, &p, cb, user) != 0)
			abort();
	}
	dis_finish(d, cb, user);
}
