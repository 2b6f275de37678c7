/*
 * net.c: TCP connections and listeners with deadlines (see net.h for the
 * design); the TLS layer is in net_tls.c.
 *
 * Every socket is created non-blocking (SOCK_NONBLOCK, or fcntl after
 * accept), so no system call here can block: a call that would block
 * returns EAGAIN / EINPROGRESS, and the wait happens in net__wait, a poll()
 * bounded by the caller's deadline.  Sends use MSG_NOSIGNAL so a peer that
 * has gone away yields EPIPE, never SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "net_int.h"
#include "wsp_err.h"

/* --- shared helpers ------------------------------------------------------ */

void net__errf(char *msg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, NET_ERRMSG_MAX, fmt, ap);
	va_end(ap);
}

/* strerror_r in its XSI form (this file does not define _GNU_SOURCE). */
static const char *errtext(int err, char *buf, size_t cap)
{
	if (strerror_r(err, buf, cap) != 0)
		snprintf(buf, cap, "errno %d", err);
	return buf;
}

int net__wait(int fd, short events, struct clk_deadline dl)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events, .revents = 0};
		int rc = poll(&p, 1, clk_remaining_ms(dl));
		if (rc > 0) {
			if (p.revents & POLLNVAL) {
				errno = EBADF;
				return WSP_E_NET_IO;
			}
			return 0;
		}
		if (rc == 0) {
			/* poll may wake a little early on some kernels; only
			 * the monotonic clock decides. */
			if (clk_expired(dl))
				return WSP_E_NET_TIMEOUT;
			continue;
		}
		if (errno != EINTR)
			return WSP_E_NET_IO;
	}
}

int net__sock_error(struct net_conn *c, int err, const char *what)
{
	char eb[128];
	c->last_errno = err;
	net__errf(c->errmsg, "%s %s: %s", what, c->peer,
		  errtext(err, eb, sizeof(eb)));
	switch (err) {
	case ECONNRESET:
		c->end = NET_END_RESET;
		return WSP_E_NET_RESET;
	case EPIPE:
		return WSP_E_NET_PIPE;
	default:
		return WSP_E_NET_IO;
	}
}

static void format_addr(const struct sockaddr *sa, socklen_t len, char *out,
			size_t cap)
{
	/* Numeric forms only, so these sizes bound the output (and let the
	 * compiler see that it fits in NET_ADDR_MAX). */
	char host[INET6_ADDRSTRLEN], serv[8];
	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, cap, "?");
		return;
	}
	if (sa->sa_family == AF_INET6)
		snprintf(out, cap, "[%s]:%s", host, serv);
	else
		snprintf(out, cap, "%s:%s", host, serv);
}

static void set_nodelay(int fd)
{
	int one = 1;
	/* Frames must leave when written; a failure only costs latency. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

const char *net_end_name(enum net_end e)
{
	switch (e) {
	case NET_END_OPEN:
		return "open";
	case NET_END_FIN:
		return "FIN";
	case NET_END_RESET:
		return "RST";
	case NET_END_TLS_CLOSE_NOTIFY:
		return "close_notify";
	case NET_END_TLS_EOF:
		return "EOF without close_notify";
	case NET_END_TLS_ERROR:
		return "TLS error";
	}
	return "?";
}

/* --- connections --------------------------------------------------------- */

void net_conn_init(struct net_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->ssl = NULL;
	c->role = WSP_ROLE_ANY;
	c->end = NET_END_OPEN;
}

/* How bad a connect failure is, so that the most telling one is reported
 * when every address fails: "refused" proves the host is there. */
static int connect_rank(int code)
{
	switch (code) {
	case WSP_E_NET_REFUSED:
		return 3;
	case WSP_E_NET_UNREACHABLE:
		return 2;
	default:
		return 1;
	}
}

static int connect_errno_code(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return WSP_E_NET_REFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EADDRNOTAVAIL:
	case EAFNOSUPPORT:
	case ENETDOWN:
	case EHOSTDOWN:
		return WSP_E_NET_UNREACHABLE;
	case ETIMEDOUT:
		return WSP_E_NET_CONNECT_TIMEOUT;
	default:
		return WSP_E_NET_IO;
	}
}

/* One address: socket, non-blocking connect, poll, SO_ERROR.  On success
 * c->fd is set. */
static int connect_one(struct net_conn *c, const struct addrinfo *ai,
		       struct clk_deadline dl)
{
	char eb[128];
	format_addr(ai->ai_addr, ai->ai_addrlen, c->peer, sizeof(c->peer));
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
					       SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd < 0) {
		int err = errno;
		c->last_errno = err;
		net__errf(c->errmsg, "socket for %s: %s", c->peer,
			  errtext(err, eb, sizeof(eb)));
		return connect_errno_code(err);
	}
	int err = 0;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		err = errno;
		/* EINTR: the connect goes on in the background, as with
		 * EINPROGRESS. */
		if (err == EINPROGRESS || err == EINTR) {
			int rc = net__wait(fd, POLLOUT, dl);
			if (rc == WSP_E_NET_TIMEOUT) {
				close(fd);
				c->last_errno = 0;
				net__errf(c->errmsg,
					  "connect to %s: timed out", c->peer);
				return WSP_E_NET_CONNECT_TIMEOUT;
			}
			if (rc < 0) {
				err = errno;
			} else {
				socklen_t len = sizeof(err);
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
					       &len) != 0)
					err = errno;
			}
		}
	}
	if (err != 0) {
		close(fd);
		c->last_errno = err;
		net__errf(c->errmsg, "connect to %s: %s", c->peer,
			  errtext(err, eb, sizeof(eb)));
		return connect_errno_code(err);
	}
	set_nodelay(fd);
	c->fd = fd;
	return 0;
}

int net_connect(struct net_conn *c, const char *host, uint16_t port,
		enum net_family family, struct clk_deadline dl)
{
	if (c == NULL)
		return WSP_E_INVAL;
	net_conn_init(c);
	if (host == NULL || port == 0)
		return WSP_E_INVAL;

	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/* No AI_ADDRCONFIG: it hides ::1 on hosts without a global IPv6
	 * address, and loopback is exactly what tests use. */
	hints.ai_flags = AI_NUMERICSERV;
	hints.ai_family = family == NET_FAMILY_V4   ? AF_INET
			  : family == NET_FAMILY_V6 ? AF_INET6
						    : AF_UNSPEC;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	int g = getaddrinfo(host, portstr, &hints, &res);
	if (g != 0) {
		net__errf(c->errmsg, "resolve '%s'%s: %s", host,
			  family == NET_FAMILY_V4   ? " (IPv4)"
			  : family == NET_FAMILY_V6 ? " (IPv6)"
						    : "",
			  gai_strerror(g));
		return WSP_E_NET_RESOLVE;
	}

	int best = WSP_E_NET_RESOLVE;
	char best_msg[NET_ERRMSG_MAX] = "";
	int best_errno = 0;
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		int rc = connect_one(c, ai, dl);
		if (rc == 0) {
			c->role = WSP_ROLE_CLIENT;
			c->errmsg[0] = '\0';
			c->last_errno = 0;
			freeaddrinfo(res);
			return 0;
		}
		if (best == WSP_E_NET_RESOLVE ||
		    connect_rank(rc) > connect_rank(best) ||
		    rc == WSP_E_NET_CONNECT_TIMEOUT) {
			best = rc;
			memcpy(best_msg, c->errmsg, sizeof(best_msg));
			best_errno = c->last_errno;
		}
		if (rc == WSP_E_NET_CONNECT_TIMEOUT || clk_expired(dl))
			break;
	}
	freeaddrinfo(res);
	memcpy(c->errmsg, best_msg, sizeof(c->errmsg));
	c->last_errno = best_errno;
	return best;
}

/* Read and write state checks shared by the TCP and TLS paths: what a
 * connection whose peer has already ended it answers without I/O. */
static int ended_read_result(const struct net_conn *c)
{
	switch (c->end) {
	case NET_END_FIN:
	case NET_END_TLS_CLOSE_NOTIFY:
	case NET_END_TLS_EOF:
		return 0;
	case NET_END_RESET:
		return WSP_E_NET_RESET;
	case NET_END_TLS_ERROR:
		return WSP_E_NET_TLS;
	case NET_END_OPEN:
		break;
	}
	return 1;
}

int net_read(struct net_conn *c, void *buf, size_t cap,
	     struct clk_deadline dl)
{
	if (c == NULL || buf == NULL || cap == 0)
		return WSP_E_INVAL;
	if (c->fd < 0)
		return WSP_E_NET_CLOSED;
	if (cap > INT32_MAX)
		cap = INT32_MAX;
	if (c->unread_after_reset && c->ssl == NULL) {
		/* The kernel keeps what arrived before the RST readable
		 * after a send() reported it (an echo, the peer's Close, the
		 * frame it reset in the middle of); a read only hears of the
		 * reset once that is gone.  Nothing more can come. */
		ssize_t n;
		do
			n = recv(c->fd, buf, cap, MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n > 0)
			return (int)n;
		c->unread_after_reset = 0;
		return WSP_E_NET_RESET;
	}
	int ended = ended_read_result(c);
	if (ended <= 0)
		return ended;
	if (c->ssl != NULL)
		return net__tls_read(c, buf, cap, dl);
	for (;;) {
		ssize_t n = recv(c->fd, buf, cap, 0);
		if (n > 0)
			return (int)n;
		if (n == 0) {
			c->end = NET_END_FIN;
			return 0;
		}
		int err = errno;
		if (err == EINTR)
			continue;
		if (err == EAGAIN || err == EWOULDBLOCK) {
			int rc = net__wait(c->fd, POLLIN, dl);
			if (rc == WSP_E_NET_TIMEOUT) {
				net__errf(c->errmsg,
					  "read from %s: timed out", c->peer);
				return rc;
			}
			if (rc < 0)
				return net__sock_error(c, errno, "poll");
			continue;
		}
		return net__sock_error(c, err, "read from");
	}
}

int net_write(struct net_conn *c, const void *buf, size_t len, size_t *sent,
	      struct clk_deadline dl)
{
	if (sent != NULL)
		*sent = 0;
	if (c == NULL || (buf == NULL && len > 0))
		return WSP_E_INVAL;
	if (c->fd < 0 || c->wr_closed)
		return WSP_E_NET_CLOSED;
	if (len == 0)
		return 0;
	if (c->end == NET_END_RESET)
		return WSP_E_NET_RESET;
	if (c->ssl != NULL)
		return net__tls_write(c, buf, len, sent, dl);
	const unsigned char *p = buf;
	size_t done = 0;
	int rc = 0;
	while (done < len) {
		ssize_t n = send(c->fd, p + done, len - done, MSG_NOSIGNAL);
		if (n >= 0) {
			done += (size_t)n;
			continue;
		}
		int err = errno;
		if (err == EINTR)
			continue;
		if (err == EAGAIN || err == EWOULDBLOCK) {
			rc = net__wait(c->fd, POLLOUT, dl);
			if (rc == WSP_E_NET_TIMEOUT) {
				net__errf(c->errmsg,
					  "write to %s: timed out after %zu of "
					  "%zu bytes",
					  c->peer, done, len);
				break;
			}
			if (rc < 0) {
				rc = net__sock_error(c, errno, "poll");
				break;
			}
			continue;
		}
		rc = net__sock_error(c, err, "write to");
		if (rc == WSP_E_NET_RESET)
			c->unread_after_reset = 1;
		break;
	}
	if (sent != NULL)
		*sent = done;
	return rc;
}

int net_write_all(struct net_conn *c, const void *buf, size_t len,
		  struct clk_deadline dl)
{
	return net_write(c, buf, len, NULL, dl);
}

int net_wait_readable(struct net_conn *c, struct clk_deadline dl)
{
	if (c == NULL)
		return WSP_E_INVAL;
	if (c->fd < 0)
		return WSP_E_NET_CLOSED;
	/* An ended connection answers a read at once. */
	if (c->end != NET_END_OPEN)
		return 0;
	/* Bytes OpenSSL has already taken off the socket do not make the
	 * socket readable: check them first or we would wait for nothing. */
	if (c->ssl != NULL && net__tls_buffered(c))
		return 0;
	int rc = net__wait(c->fd, POLLIN, dl);
	if (rc == WSP_E_NET_TIMEOUT)
		net__errf(c->errmsg, "wait for data from %s: timed out",
			  c->peer);
	else if (rc < 0)
		rc = net__sock_error(c, errno, "poll");
	return rc;
}

int net_shutdown_write(struct net_conn *c, struct clk_deadline dl)
{
	if (c == NULL)
		return WSP_E_INVAL;
	if (c->fd < 0 || c->wr_closed)
		return WSP_E_NET_CLOSED;
	if (c->ssl != NULL) {
		int rc = net__tls_shutdown(c, dl);
		if (rc == 0)
			c->wr_closed = 1;
		return rc;
	}
	if (shutdown(c->fd, SHUT_WR) != 0)
		return net__sock_error(c, errno, "shutdown to");
	c->wr_closed = 1;
	return 0;
}

void net_close(struct net_conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL)
		net__tls_free(c, 1);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void net_abort(struct net_conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL)
		net__tls_free(c, 0);
	if (c->fd >= 0) {
		/* A zero linger time makes close() discard the send queue
		 * and send RST. */
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg,
				 sizeof(lg));
		close(c->fd);
	}
	c->fd = -1;
}

/* --- listeners ----------------------------------------------------------- */

static int listen_one(struct net_listener *l, const struct addrinfo *ai,
		      int backlog)
{
	char eb[128], addr[NET_ADDR_MAX];
	format_addr(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr));
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
					       SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd < 0) {
		net__errf(l->errmsg, "socket for %s: %s", addr,
			  errtext(errno, eb, sizeof(eb)));
		return WSP_E_NET_LISTEN;
	}
	int one = 1, zero = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* The wildcard IPv6 address also takes IPv4 clients where the
	 * system allows it. */
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				 sizeof(zero));
	const char *step = "bind";
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		step = "listen on";
		if (listen(fd, backlog) == 0) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			step = "getsockname for";
			if (getsockname(fd, (struct sockaddr *)&ss, &sl) ==
			    0) {
				l->fd = fd;
				l->family = ss.ss_family;
				l->port = ntohs(
					ss.ss_family == AF_INET6
						? ((struct sockaddr_in6 *)&ss)
							  ->sin6_port
						: ((struct sockaddr_in *)&ss)
							  ->sin_port);
				return 0;
			}
		}
	}
	net__errf(l->errmsg, "%s %s: %s", step, addr,
		  errtext(errno, eb, sizeof(eb)));
	close(fd);
	return WSP_E_NET_LISTEN;
}

int net_listen(struct net_listener *l, const char *host, uint16_t port,
	       int backlog)
{
	if (l == NULL)
		return WSP_E_INVAL;
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (backlog < 0)
		return WSP_E_INVAL;

	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	/* For "any address", IPv6 first: one dual-stack socket serves
	 * both families. */
	hints.ai_family = host == NULL ? AF_INET6 : AF_UNSPEC;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	int g = getaddrinfo(host, portstr, &hints, &res);
	if (g != 0 && host == NULL) {
		hints.ai_family = AF_INET;
		g = getaddrinfo(host, portstr, &hints, &res);
	}
	if (g != 0) {
		net__errf(l->errmsg, "resolve '%s': %s",
			  host != NULL ? host : "*", gai_strerror(g));
		return WSP_E_NET_RESOLVE;
	}
	int rc = WSP_E_NET_LISTEN;
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		rc = listen_one(l, ai, backlog);
		if (rc == 0)
			break;
	}
	freeaddrinfo(res);
	if (rc != 0 && host == NULL) {
		/* No IPv6 on this system: fall back to 0.0.0.0. */
		hints.ai_family = AF_INET;
		if (getaddrinfo(NULL, portstr, &hints, &res) == 0) {
			rc = listen_one(l, res, backlog);
			freeaddrinfo(res);
		}
	}
	if (rc == 0)
		l->errmsg[0] = '\0';
	return rc;
}

uint16_t net_listener_port(const struct net_listener *l)
{
	return l->port;
}

int net_accept(struct net_listener *l, struct net_conn *c,
	       struct clk_deadline dl)
{
	char eb[128];
	if (c != NULL)
		net_conn_init(c);
	if (l == NULL || c == NULL || l->fd < 0)
		return WSP_E_INVAL;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept(l->fd, (struct sockaddr *)&ss, &sl);
		if (fd >= 0) {
			int fl = fcntl(fd, F_GETFL);
			if (fl < 0 ||
			    fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
			    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
				net__errf(l->errmsg, "accept: fcntl: %s",
					  errtext(errno, eb, sizeof(eb)));
				close(fd);
				return WSP_E_NET_IO;
			}
			set_nodelay(fd);
			c->fd = fd;
			c->role = WSP_ROLE_SERVER;
			format_addr((struct sockaddr *)&ss, sl, c->peer,
				    sizeof(c->peer));
			return 0;
		}
		int err = errno;
		switch (err) {
		case EINTR:
		/* The client gave up between SYN and accept: wait for the
		 * next one. */
		case ECONNABORTED:
		case EPROTO:
			continue;
		case EAGAIN:
#if EAGAIN != EWOULDBLOCK
		case EWOULDBLOCK:
#endif
		{
			int rc = net__wait(l->fd, POLLIN, dl);
			if (rc == WSP_E_NET_TIMEOUT) {
				net__errf(l->errmsg,
					  "accept on port %u: timed out",
					  (unsigned)l->port);
				return rc;
			}
			if (rc < 0) {
				net__errf(l->errmsg, "accept: poll: %s",
					  errtext(errno, eb, sizeof(eb)));
				return WSP_E_NET_IO;
			}
			continue;
		}
		default:
			net__errf(l->errmsg, "accept on port %u: %s",
				  (unsigned)l->port,
				  errtext(err, eb, sizeof(eb)));
			return WSP_E_NET_IO;
		}
	}
}

void net_listener_close(struct net_listener *l)
{
	if (l == NULL)
		return;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}
