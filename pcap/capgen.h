/*
 * capgen.h: synthetic WebSocket sessions written as captures, for the
 * golden tests, the fuzz seeds and the dissection benchmark.
 *
 * A struct capgen drives one TCP conversation (capw_conv) between a client
 * and a server and writes its packets as pcap records: the TCP handshake,
 * an HTTP upgrade with a correct Sec-WebSocket-Accept (hs_build_*), frames
 * (wsf_encode; client frames masked with keys from a seeded generator,
 * server frames not, unless asked), and the TCP close.  Every packet gets
 * the next timestamp (step_ns apart).  Segments can also be written in any
 * order, duplicated or left out (capgen_send_cuts), so reassembly tests
 * control exactly what the capture holds.  Pure: bytes out into a
 * capw_buf; randomness only from the seed.
 */
#ifndef PCAP_CAPGEN_H
#define PCAP_CAPGEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "capw.h"
#include "pmd.h"

struct capgen {
	struct capw_conv cv;
	struct cap_time t;
	uint32_t step_ns;   /* time between packets (default 100 us) */
	uint64_t rng;       /* mask keys */
	int mask_server;    /* server frames masked too (a violation) */
	int unmask_client;  /* client frames unmasked (a violation) */
};

/* Starts a conversation written into out: client 10.0.0.1 (or fd00::1
 * with family 6) port cport, server 10.0.0.2 (fd00::2) port sport, link
 * type lt (cap.h, or CAPW_LT_*), segments of at most mss bytes (0:
 * 1460), time from 1700000000 s.  Writes nothing: the caller writes the
 * file header (capw_pcap_header(out, capw_file_linktype(lt), ...)). */
void capgen_init(struct capgen *g, struct capw_buf *out, uint32_t lt,
		 int family, uint16_t cport, uint16_t sport, uint64_t seed,
		 size_t mss);

/* The TCP three-way handshake. */
int capgen_open(struct capgen *g);

/* The HTTP upgrade: a request (offering ext when not NULL) and a 101
 * response (answering resp_ext when not NULL) with the right accept. */
int capgen_upgrade(struct capgen *g, const char *ext, const char *resp_ext);

/* Raw bytes from side dir (0 client, 1 server), in mss segments, then a
 * pure ACK from the peer. */
int capgen_bytes(struct capgen *g, int dir, const void *p, size_t n);

/* Encodes a frame as side dir would send it into out[0..cap): masked
 * for the client (unless unmask_client), unmasked for the server (unless
 * mask_server).  Returns its size or a negative code. */
ssize_t capgen_encode(struct capgen *g, int dir, int fin, int rsv,
		      int opcode, const void *payload, size_t n, uint8_t *out,
		      size_t cap);

/* Encodes and sends one frame (its own write). */
int capgen_frame(struct capgen *g, int dir, int fin, int rsv, int opcode,
		 const void *payload, size_t n);

/*
 * Sends p[0..n) from side dir as the segments cut at bounds[0..nb) (each
 * an offset in (0, n), increasing), written in the order order[0..no)
 * (segment indexes; repeat one to retransmit it, leave one out to lose
 * it), then a pure ACK from the peer covering all n bytes.  No order
 * (NULL) means in order.
 */
int capgen_send_cuts(struct capgen *g, int dir, const uint8_t *p, size_t n,
		     const size_t *bounds, size_t nb, const int *order,
		     size_t no);

/* FIN from side first, FIN from the other, last ACK. */
int capgen_close(struct capgen *g, int first);

/* A RST from side dir. */
int capgen_reset(struct capgen *g, int dir);

/* Compresses one whole message with c (pmd_deflate) into out[0..cap);
 * returns its size or a negative code. */
ssize_t capgen_deflate(struct pmd_deflater *c, const void *in, size_t n,
		       uint8_t *out, size_t cap);

#endif
