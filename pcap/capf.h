/*
 * capf.h: reading a capture file (or standard input) record by record,
 * around the pure parser of cap.h.  This is the I/O half: it owns the file
 * descriptor and one buffer, reads in large blocks, and hands each record
 * to cap_next.  Memory is one buffer of at most CAP_MAX_RECORD plus the
 * read block, whatever the size of the file.
 */
#ifndef PCAP_CAPF_H
#define PCAP_CAPF_H

#include <stddef.h>
#include <stdint.h>

#include "cap.h"
#include "wsp_mem.h"

struct capf {
	struct cap_reader rd;
	int fd;
	int own_fd;
	uint8_t *buf;
	size_t cap;      /* allocated */
	size_t start;    /* first unparsed byte */
	size_t end;      /* bytes read into buf */
	int eof;
	int failed;      /* the sticky error code */
	const struct wsp_mem *mem;
	char err[256];   /* one line: what went wrong (no file name) */
};

/*
 * Opens path ("-" means standard input) and reads the file header, so that
 * a file that is not a capture is refused here.  Returns 0, or a negative
 * code with a one-line reason in f->err: WSP_E_PCAP_IO (open or read
 * failed, errno's text), WSP_E_PCAP_EMPTY, WSP_E_PCAP_BAD_MAGIC, ... (see
 * cap_next), WSP_E_NOMEM.  capf_close must be called either way.  mem may
 * be NULL (the C library).
 */
int capf_open(struct capf *f, const char *path, const struct wsp_mem *mem);

/*
 * The next packet.  Returns 1 and fills *pkt (pkt->data points into f's
 * buffer, writable, valid until the next call); 0 at the clean end of the
 * file; or a negative code with f->err set (the file is damaged or cut
 * short: WSP_E_PCAP_CUT_SHORT and the cap_next codes, or WSP_E_PCAP_IO).
 * After an error every call returns it again.
 */
int capf_next(struct capf *f, struct cap_pkt *pkt);

void capf_close(struct capf *f);

#endif
