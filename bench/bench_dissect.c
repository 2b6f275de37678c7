/*
 * bench_dissect.c: `wsprobe dissect` against tshark on the same capture
 * (issue 6 item 6).
 *
 * The capture (at least 200 MB, WSPROBE_BENCH_DISSECT_MB to change it) is
 * written to a temporary file by pcap/capgen: 64 WebSocket streams
 * interleaved packet by packet, half of them with permessage-deflate;
 * mostly small text frames (JSON-like, 60-300 bytes), some of 1-4 KiB,
 * a few of 64 KiB and 256 KiB, binary frames, pings and pongs, and a
 * compressed message in every tenth on the deflate streams.  Both tools
 * write the frame table to /dev/null:
 *
 *   ours:   wsprobe dissect FILE (in process, through cli_dissect_io)
 *   tshark: tshark -r FILE -Y websocket -T fields -e frame.number
 *           -e tcp.stream -e websocket.opcode -e websocket.payload_length
 *           -e websocket.payload
 *
 * Throughput is capture bytes per second.  Ours is the best of three
 * runs; tshark runs once (it takes tens of seconds).  Target: 20x.  The
 * peak resident size of the process after our runs is printed too: it is
 * bounded by the open streams and the reassembly caps, not the file.
 * Without tshark the row says so and has no ratio.
 * WSPROBE_BENCH_DISSECT_KEEP=1 keeps the capture file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "capgen.h"
#include "cli.h"
#include "pmd.h"
#include "wsp.h"

void bench_dissect(void);

#define STREAMS 64

static void die(const char *what)
{
	fprintf(stderr, "wsprobe-bench: dissect: %s\n", what);
	exit(1);
}

/* A JSON-like text of n bytes. */
static void fill_text(uint8_t *p, size_t n, uint64_t *rng)
{
	static const char words[] =
		"{\"type\":\"trade\",\"symbol\":\"BTC-EUR\",\"price\":\"61234.5\","
		"\"size\":\"0.0123\",\"side\":\"buy\",\"time\":\"2024-05-01T12:00:00Z\"}";
	size_t w = sizeof(words) - 1;
	size_t off = (size_t)(*rng % w);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)words[(off + i) % w];
	*rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
}

static uint64_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* Writes the capture to fd; returns its size. */
static uint64_t build_capture(int fd, uint64_t target)
{
	struct capw_buf b;
	capw_buf_init(&b, NULL);
	capw_pcap_header(&b, 1, 262144, 0);
	struct capgen *g = calloc(STREAMS, sizeof(*g));
	struct pmd_deflater *z[STREAMS][2] = {{0}};
	uint8_t *pl = malloc(256 * 1024);
	uint8_t *cz = malloc(300 * 1024);
	if (g == NULL || pl == NULL || cz == NULL)
		die("out of memory");
	uint64_t written = 0, rng = 12345;
	for (int i = 0; i < STREAMS; i++) {
		capgen_init(&g[i], &b, 1, 4, (uint16_t)(30000 + i), 80,
			    (uint64_t)i + 1, 0);
		g[i].step_ns = 1000;
		capgen_open(&g[i]);
		int pmd = i % 2 == 0;
		capgen_upgrade(&g[i], pmd ? "permessage-deflate" : NULL,
			       pmd ? "permessage-deflate" : NULL);
		if (pmd) {
			struct pmd_deflate_cfg dc;
			pmd_deflate_cfg_init(&dc);
			/* One compressor per direction: each side keeps its
			 * own window (context takeover). */
			if (pmd_deflater_new(&z[i][0], &dc, NULL) != 0 ||
			    pmd_deflater_new(&z[i][1], &dc, NULL) != 0)
				die("deflater");
		}
	}
	for (uint64_t round = 0; written + b.len < target; round++) {
		for (int i = 0; i < STREAMS; i++) {
			int dir = (int)(rnd(&rng) & 1);
			uint64_t k = rnd(&rng) % 1000;
			size_t n;
			if (k < 850)
				n = 60 + (size_t)(rnd(&rng) % 240);
			else if (k < 990)
				n = 1024 + (size_t)(rnd(&rng) % 3072);
			else if (k < 998)
				n = 65536;
			else
				n = 256 * 1024;
			fill_text(pl, n, &rng);
			if (z[i][dir] != NULL && round % 10 == 0) {
				ssize_t c = capgen_deflate(z[i][dir], pl, n, cz,
							   300 * 1024);
				if (c < 0)
					die("deflate");
				capgen_frame(&g[i], dir, 1, WSP_RSV1, WSP_OP_TEXT,
					     cz, (size_t)c);
			} else if (k % 7 == 0) {
				capgen_frame(&g[i], dir, 1, 0, WSP_OP_BINARY,
					     pl, n);
			} else if (k == 3) {
				capgen_frame(&g[i], 1, 1, 0, WSP_OP_PING, "hb", 2);
				capgen_frame(&g[i], 0, 1, 0, WSP_OP_PONG, "hb", 2);
			} else {
				capgen_frame(&g[i], dir, 1, 0, WSP_OP_TEXT, pl,
					     n);
			}
		}
		if (b.len > (8u << 20)) {
			if (write(fd, b.p, b.len) != (ssize_t)b.len)
				die("cannot write the capture");
			written += b.len;
			b.len = 0;
		}
	}
	for (int i = 0; i < STREAMS; i++) {
		capgen_frame(&g[i], 0, 1, 0, WSP_OP_CLOSE, "\x03\xe8", 2);
		capgen_frame(&g[i], 1, 1, 0, WSP_OP_CLOSE, "\x03\xe8", 2);
		capgen_close(&g[i], 1);
		pmd_deflater_free(z[i][0]);
		pmd_deflater_free(z[i][1]);
	}
	if (b.err != 0 || write(fd, b.p, b.len) != (ssize_t)b.len)
		die("cannot write the capture");
	written += b.len;
	capw_buf_free(&b);
	free(g);
	free(pl);
	free(cz);
	return written;
}

/* tshark writing the same columns to /dev/null; seconds, or -1. */
static double run_tshark(const char *path)
{
	if (system("command -v tshark >/dev/null 2>&1") != 0)
		return -1;
	double t0 = bench_now();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		if (nul >= 0) {
			dup2(nul, 1);
			dup2(nul, 2);
		}
		execlp("tshark", "tshark", "-r", path, "-Y", "websocket", "-T",
		       "fields", "-e", "frame.number", "-e", "tcp.stream", "-e",
		       "websocket.opcode", "-e", "websocket.payload_length",
		       "-e", "websocket.payload", (char *)NULL);
		_exit(127);
	}
	int st = 0;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		return -1;
	return bench_now() - t0;
}

void bench_dissect(void)
{
	uint64_t mb = 200;
	const char *env = getenv("WSPROBE_BENCH_DISSECT_MB");
	if (env != NULL && strtoull(env, NULL, 10) > 0)
		mb = strtoull(env, NULL, 10);
	const char *dir = getenv("TMPDIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/wsprobe-bench-XXXXXX.pcap",
		 dir != NULL ? dir : "/tmp");
	int fd = mkstemps(path, 5);
	if (fd < 0)
		die("cannot create the capture file");
	uint64_t size = build_capture(fd, mb << 20);
	close(fd);

	FILE *nul = fopen("/dev/null", "w");
	if (nul == NULL)
		die("/dev/null");
	double ours[3];
	for (int i = 0; i < 3; i++) {
		char *argv[] = {"dissect", path, NULL};
		double t0 = bench_now();
		if (cli_dissect_io(2, argv, nul, stderr) != 0)
			die("wsprobe dissect failed");
		ours[i] = bench_now() - t0;
	}
	fclose(nul);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double t_ours = bench_best(ours, 3);
	double t_tshark = run_tshark(path);
	/* WSPROBE_BENCH_DISSECT_KEEP=1 leaves the capture for inspection. */
	if (getenv("WSPROBE_BENCH_DISSECT_KEEP") != NULL)
		printf("  capture kept: %s\n", path);
	else
		unlink(path);

	double mbs = (double)size / 1e6;
	static char label[64];
	snprintf(label, sizeof(label), "dissect %.0f MB capture (frame table)",
		 mbs);
	struct bench_row r = {label,
			      mbs / t_ours,
			      t_tshark > 0 ? "tshark -T fields" : "tshark (not run)",
			      t_tshark > 0 ? mbs / t_tshark : 0, "MB/s",
			      t_tshark > 0 ? 20.0 : 0};
	bench_print(&r);
	printf("  dissect: %.1f MB in %.2f s (tshark %.1f s); peak RSS %ld MiB\n",
	       mbs, t_ours, t_tshark, ru.ru_maxrss / 1024);
}
