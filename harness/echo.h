/*
 * echo.h: the built-in reference server (`wsprobe echo`): a strict
 * RFC 6455 + RFC 7692 echo server on proto/, the default target of the
 * main job and the peer every case must pass against.
 *
 * Each connection runs in its own thread (at most ECHO_MAX_CONN at once).
 * The opening handshake is judged by hs_check_request (400 or 426 on a bad
 * request), permessage-deflate is accepted as RFC 7692 allows, every
 * message is echoed with its type (compressed when agreed), and every rule
 * the client breaks fails the connection with the right close code: 1002
 * for protocol errors, 1007 for invalid UTF-8 (as soon as the offending
 * byte arrives), 1009 for a message over --max-message.
 */
#ifndef ECHO_H
#define ECHO_H

#include <stdint.h>

#define ECHO_MAX_CONN 256

struct echo_opts {
	const char *host;       /* listen address */
	uint16_t port;          /* 0: any free port */
	const char *tls_cert;   /* both or neither */
	const char *tls_key;
	uint64_t max_message;   /* 0: 64 MiB */
	int compressor;         /* sess_cfg.compressor */
	int64_t idle_timeout_ms; /* an idle client is closed (0: 60 s) */
	/* Called once listening, with the bound port (may be NULL). */
	void (*ready)(uint16_t port, void *user);
	void *user;
	volatile int *stop;     /* set to stop accepting */
};

/* Serves until *stop is set.  Returns 0, or a negative code with a one-line
 * reason in err when it cannot listen or load the TLS files. */
int echo_serve(const struct echo_opts *o, char *err, size_t errlen);

#endif
