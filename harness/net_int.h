/*
 * net_int.h: what net.c (TCP, listeners) and net_tls.c (OpenSSL) share.
 * Not part of the public API: the double underscore marks these names as
 * internal to the net module.
 */
#ifndef NET_INT_H
#define NET_INT_H

#include <stddef.h>

#include "net.h"

/* Formats one line into a NET_ERRMSG_MAX buffer (truncating). */
void net__errf(char *msg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* poll() for events on fd until dl, restarting on EINTR.  Returns 0 when
 * ready (including POLLERR/POLLHUP: the next call reports what happened),
 * WSP_E_NET_TIMEOUT, or WSP_E_NET_IO (errno set). */
int net__wait(int fd, short events, struct clk_deadline dl);

/* Maps a socket errno from a read or write on c to a code, records RST in
 * c->end, and writes "<what> <peer>: <strerror>" into c->errmsg. */
int net__sock_error(struct net_conn *c, int err, const char *what);

/* The TLS halves of net_read, net_write, net_shutdown_write, net_close and
 * net_wait_readable (c->ssl is set; arguments already checked). */
int net__tls_read(struct net_conn *c, void *buf, size_t cap,
		  struct clk_deadline dl);
int net__tls_write(struct net_conn *c, const void *buf, size_t len,
		   size_t *sent, struct clk_deadline dl);
int net__tls_shutdown(struct net_conn *c, struct clk_deadline dl);
/* Frees c->ssl; sends close_notify first, once and without waiting, when
 * graceful and the connection is still healthy. */
void net__tls_free(struct net_conn *c, int graceful);
/* Non-zero when OpenSSL holds bytes a read could return without I/O. */
int net__tls_buffered(const struct net_conn *c);

#endif
