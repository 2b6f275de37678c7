/*
 * fuzzlive.h: the live-target fuzzer behind `wsprobe fuzz` (issue 7, item
 * 4).  It plays a WebSocket peer against a running implementation, one
 * connection per iteration, and sends it frame sequences made by the
 * structure-aware mutator of fuzz/wsmut.h (or, with the handshake option,
 * mutated opening handshakes).  After each input it sends a Ping and
 * judges what came back:
 *
 *   crash      the connection ended without a Close and a fresh connection
 *              is then refused (client role; in the server role: no new
 *              connection arrives): the target process is gone;
 *   hang       no Pong, no Close and the connection still open when the
 *              deadline passes;
 *   violation  what the target sent breaks a proto/ rule (masked server
 *              frame, invalid UTF-8, close code 1005, a bad 101 ...); the
 *              finding carries the requirement id (wsp_errreq).
 *
 * A correct rejection (a Close, whatever its code, or a plain TCP close by
 * a target that still accepts connections) is not a finding.  Findings
 * are de-duplicated by class and error code, minimised by delta debugging
 * (fzl_ddmin: over frames, then over payload bytes with the headers
 * re-encoded so announced lengths stay true) against the live target, and
 * saved under DIR/findings/NNN-CLASS/ as input.bin, a replayable case.lua
 * and capture.pcap, with one line in DIR/findings.txt.
 *
 * Everything random (inputs, mask keys, handshake nonces) follows from the
 * seed; what the target answers and how fast is the only other input.
 */
#ifndef FUZZLIVE_H
#define FUZZLIVE_H

#include <stddef.h>
#include <stdint.h>

/* Finding classes. */
enum fzl_class {
	FZL_NONE = 0,
	FZL_CRASH = 1,
	FZL_HANG = 2,
	FZL_VIOLATION = 3
};

#define FZL_NCLASS 4

/* "none", "crash", "hang", "violation" (static storage). */
const char *fzl_class_name(enum fzl_class c);

struct fzl_opts {
	/* Client role (we connect): the ws:// or wss:// target.  NULL with
	 * listen set: the server role. */
	const char *url;
	/* Server role: the address accepted connections arrive on; each
	 * connection is one iteration. */
	int listen;
	const char *listen_host;  /* NULL: any address */
	uint16_t listen_port;
	uint64_t seed;
	uint64_t iterations;      /* bound (0: none, unless time_s is 0 too:
				   * then 1000) */
	double time_s;            /* bound in seconds (0: none) */
	int handshake;            /* mutate the opening handshake instead of
				   * frames (client role only) */
	int deflate;              /* client: offer permessage-deflate */
	const char *outdir;       /* findings folder (NULL: nothing saved) */
	int64_t timeout_ms;       /* per answer (0: 1000) */
	const char *restart_cmd;  /* shell command bringing the target back
				   * (NULL: stop at the first crash) */
	unsigned min_trials;      /* replays per minimisation (0: 300) */
	int insecure;             /* wss: skip certificate verification */
	int progress;             /* a line per second on stderr */
	volatile int *stop;       /* set from a signal handler: stop early */
};

struct fzl_stats {
	uint64_t iterations;
	double seconds;
	size_t findings;
	size_t by_class[FZL_NCLASS];
	/* The iteration (from 1) that first found each class, 0: never. */
	uint64_t first_iter[FZL_NCLASS];
	/* Bytes of the first finding of each class, before and after
	 * minimisation, and the replays minimisation took. */
	size_t orig_size[FZL_NCLASS];
	size_t min_size[FZL_NCLASS];
	unsigned trials[FZL_NCLASS];
	unsigned restarts;
};

/*
 * Runs the fuzzer until a bound is reached, *stop is set, or (without
 * restart_cmd) the target crashed.  Fills *st.  Returns 0 (whatever was
 * found), WSP_E_INVAL (bad options or URL: err says which), a WSP_E_NET_*
 * code when the target cannot be reached or listened for at the start
 * (err says why), or WSP_E_NOMEM.  A findings folder that cannot be
 * written is WSP_E_INVAL too.
 */
int fzl_run(const struct fzl_opts *o, struct fzl_stats *st, char *err,
	    size_t errlen);

/*
 * The predicate of fzl_ddmin: 1 when the candidate made of the units
 * idx[0..n) (a subset of the original units, in their original order)
 * still shows the failure, 0 when it does not.
 */
typedef int (*fzl_pred)(void *ctx, const size_t *idx, size_t n);

/*
 * Delta debugging (Zeller's ddmin): reduces the set idx[0..n) of unit
 * indices, for which pred holds, to a smaller one for which it still
 * holds, 1-minimal when the trial budget allows (removing any single unit
 * makes pred fail).  The empty set is tried first.  pred is called at most
 * max_trials times (0: no limit); *trials (may be NULL) receives the count.
 * idx is rewritten in place; returns the new count.  Allocates a scratch
 * array of n entries; if that fails, idx is left as it is and n returned.
 */
size_t fzl_ddmin(size_t *idx, size_t n, fzl_pred pred, void *ctx,
		 unsigned max_trials, unsigned *trials);

/*
 * Frame boundaries of a frame sequence: stores in off[0..max) the offset
 * of each whole frame of data[0..size) and returns how many there are;
 * *parsed receives the bytes they span (size when the input is nothing but
 * whole frames).
 */
size_t fzl_frames(const uint8_t *data, size_t size, size_t *off, size_t max,
		  size_t *parsed);

#endif
