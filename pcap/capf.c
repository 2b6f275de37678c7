/*
 * capf.c: the file reading of capf.h.  One buffer holds the unparsed tail
 * of what was read; it grows only when a single record is bigger than it
 * (never past CAP_MAX_RECORD plus one read block) and is compacted by
 * moving the tail to the front before each read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capf.h"
#include "wsp_err.h"

#define CAPF_BLOCK (1024u * 1024u)

static int fail(struct capf *f, int code, const char *detail)
{
	f->failed = code;
	if (detail != NULL)
		snprintf(f->err, sizeof(f->err), "%s", detail);
	else
		snprintf(f->err, sizeof(f->err), "%s", wsp_strerror(code));
	return code;
}

/* Makes room for want bytes from f->start and reads at least one more
 * block (or to the end of the file).  Returns 0 or a negative code. */
static int fill(struct capf *f, size_t want)
{
	if (f->start > 0) {
		memmove(f->buf, f->buf + f->start, f->end - f->start);
		f->end -= f->start;
		f->start = 0;
	}
	size_t need = want > f->end ? want : f->end;
	if (need < f->end + CAPF_BLOCK)
		need = f->end + CAPF_BLOCK;
	if (need > f->cap) {
		uint8_t *nb = wsp_realloc(f->mem, f->buf, need);
		if (nb == NULL)
			return fail(f, WSP_E_NOMEM, NULL);
		f->buf = nb;
		f->cap = need;
	}
	/* Read until the record fits or the file ends. */
	do {
		ssize_t n = read(f->fd, f->buf + f->end, f->cap - f->end);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			char msg[200];
			snprintf(msg, sizeof(msg), "read failed: %s",
				 strerror(errno));
			return fail(f, WSP_E_PCAP_IO, msg);
		}
		if (n == 0) {
			f->eof = 1;
			break;
		}
		f->end += (size_t)n;
	} while (f->end < want);
	return 0;
}

/* One record; 1 packet, 2 other record, 0 end, < 0 error. */
static int step(struct capf *f, struct cap_pkt *pkt)
{
	for (;;) {
		size_t need = 0;
		int rc = cap_next(&f->rd, f->buf + f->start, f->end - f->start,
				  pkt, &need);
		if (rc > 0) {
			f->start += (size_t)rc;
			return pkt->data != NULL ? 1 : 2;
		}
		if (rc != WSP_E_INCOMPLETE)
			return fail(f, rc, NULL);
		if (f->eof) {
			rc = cap_end(&f->rd, f->buf + f->start,
				     f->end - f->start);
			if (rc == 0)
				return 0;
			if (rc == WSP_E_PCAP_CUT_SHORT) {
				char msg[200];
				snprintf(msg, sizeof(msg),
					 "%s (record at byte %llu)",
					 wsp_strerror(rc),
					 (unsigned long long)f->rd.offset);
				return fail(f, rc, msg);
			}
			return fail(f, rc, NULL);
		}
		if ((rc = fill(f, need)) != 0)
			return rc;
	}
}

int capf_open(struct capf *f, const char *path, const struct wsp_mem *mem)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->mem = mem;
	cap_reader_init(&f->rd);
	if (strcmp(path, "-") == 0) {
		f->fd = 0;
	} else {
		f->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0) {
			char msg[200];
			snprintf(msg, sizeof(msg), "%s", strerror(errno));
			return fail(f, WSP_E_PCAP_IO, msg);
		}
		f->own_fd = 1;
	}
	/* The file header (or the first section header) must parse. */
	struct cap_pkt pkt;
	int rc = fill(f, 0);
	if (rc != 0)
		return rc;
	size_t need = 0;
	rc = cap_next(&f->rd, f->buf, f->end, &pkt, &need);
	while (rc == WSP_E_INCOMPLETE && !f->eof) {
		if ((rc = fill(f, need)) != 0)
			return rc;
		rc = cap_next(&f->rd, f->buf, f->end, &pkt, &need);
	}
	if (rc == WSP_E_INCOMPLETE)
		rc = cap_end(&f->rd, f->buf, f->end);
	if (rc < 0)
		return fail(f, rc, NULL);
	f->start = (size_t)rc;
	return 0;
}

int capf_next(struct capf *f, struct cap_pkt *pkt)
{
	if (f->failed != 0)
		return f->failed;
	int rc;
	while ((rc = step(f, pkt)) == 2)
		;
	return rc;
}

void capf_close(struct capf *f)
{
	if (f->own_fd && f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	wsp_free(f->mem, f->buf);
	f->buf = NULL;
}
