/*
 * net.h: the harness transport: TCP and TLS connections where every step
 * has a deadline.
 *
 * The peers wsprobe talks to are under test, so hostile behaviour is the
 * normal case: peers that never answer, reset in the middle of a frame,
 * send garbage or trickle bytes.  Hence:
 *   - Every socket is non-blocking, and every wait is a poll() bounded by a
 *     struct clk_deadline on the monotonic clock (clock.h); EINTR restarts
 *     the wait with the time that is left.
 *   - No write can raise SIGPIPE, whatever the process's signal setup:
 *     plain TCP sends use MSG_NOSIGNAL, and TLS connections go through our
 *     own OpenSSL BIO whose write side is send(MSG_NOSIGNAL) as well (the
 *     stock socket BIO uses write(), which raises SIGPIPE).  The CLI ignores
 *     SIGPIPE too, as a second line of defence; the tests do not.
 *   - How the peer ended the connection is recorded (enum net_end), since
 *     that is often the verdict: clean FIN, RST, TLS close_notify, TCP FIN
 *     without close_notify, or a TLS error.
 *   - Each failure returns a distinct WSP_E_NET_* code (proto/err/net.def)
 *     and leaves a one-line explanation with the details (address, errno
 *     text, OpenSSL's verify reason) in the object's errmsg buffer.
 *
 * Objects are caller-owned structs (libuv style): struct net_conn for one
 * connection, struct net_listener for a listening socket, struct net_tls for
 * a TLS configuration (an SSL_CTX) shared by many connections.  A
 * connection must not be copied or moved while open; one connection must
 * not be used from two threads at once (different connections may).
 *
 * Name resolution (getaddrinfo) is the one step not bounded by the
 * deadline: numeric hosts never touch DNS, and for names the resolver's own
 * timeouts (resolv.conf) apply.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "wsp.h"

/* OpenSSL's types, declared so this header does not pull in OpenSSL headers. */
struct ssl_st;
struct ssl_ctx_st;

#define NET_ERRMSG_MAX 256
#define NET_ADDR_MAX 64 /* "[ffff:...:ffff]:65535" fits */

/* How the peer ended the connection, as far as we have seen. */
enum net_end {
	NET_END_OPEN = 0,     /* nothing seen yet: still open */
	NET_END_FIN = 1,      /* plain TCP: read returned end of stream */
	NET_END_RESET = 2,    /* ECONNRESET (RST) on TCP or under TLS */
	NET_END_TLS_CLOSE_NOTIFY = 3, /* TLS close_notify received */
	NET_END_TLS_EOF = 4,  /* TLS: TCP FIN without close_notify */
	NET_END_TLS_ERROR = 5 /* TLS alert or protocol error */
};

/* Short name of an end state ("FIN", "RST", "close_notify", "EOF without
 * close_notify", "TLS error", "open"); static storage. */
const char *net_end_name(enum net_end e);

enum net_family {
	NET_FAMILY_ANY = 0, /* whatever getaddrinfo returns, in its order */
	NET_FAMILY_V4 = 4,
	NET_FAMILY_V6 = 6
};

struct net_conn {
	int fd;                 /* -1 when not open */
	struct ssl_st *ssl;     /* NULL for plain TCP (or before TLS starts) */
	enum wsp_role role;     /* our side: CLIENT connected, SERVER accepted */
	enum net_end end;       /* how the peer ended it */
	int wr_closed;          /* we shut our sending side down */
	int last_errno;         /* errno of the last socket failure, or 0 */
	int tls_fatal;          /* private: OpenSSL failed; no more SSL calls */
	int unread_after_reset; /* private: a write met the peer's RST; what
				 * had arrived before it is still to read */
	char peer[NET_ADDR_MAX];        /* "127.0.0.1:8080", "[::1]:8080" */
	char errmsg[NET_ERRMSG_MAX];    /* last failure, one line, or "" */
};

struct net_listener {
	int fd;         /* -1 when not open */
	uint16_t port;  /* the bound port (useful after binding port 0) */
	int family;     /* AF_INET or AF_INET6 */
	char errmsg[NET_ERRMSG_MAX];
};

/* A TLS configuration: one SSL_CTX, client or server. */
struct net_tls {
	struct ssl_ctx_st *ctx;
	enum wsp_role role;
	int insecure;   /* client: certificate not verified */
};

/* --- connections -------------------------------------------------------- */

/* Makes *c a closed connection (fd -1, no SSL, empty strings).  net_connect
 * and net_accept do this themselves; it is for structs that may be passed to
 * net_close before ever being opened. */
void net_conn_init(struct net_conn *c);

/* Connects to host:port over TCP.  host is a DNS name or a numeric IPv4 or
 * IPv6 address (without brackets); family restricts the addresses tried.
 * Each address is tried in turn with a non-blocking connect and a poll until
 * the deadline (one deadline for all of them).  On success the socket is
 * non-blocking, TCP_NODELAY is set, c->role is WSP_ROLE_CLIENT, c->peer
 * names the address reached, and 0 is returned.  Errors (c->errmsg says
 * which address and why; c is left closed):
 *   WSP_E_INVAL             NULL argument or port 0
 *   WSP_E_NET_RESOLVE       no address (of the wanted family) for host
 *   WSP_E_NET_REFUSED       some address refused (nothing listens there)
 *   WSP_E_NET_UNREACHABLE   no route, address not available
 *   WSP_E_NET_CONNECT_TIMEOUT the deadline passed
 *   WSP_E_NET_IO            any other socket error */
int net_connect(struct net_conn *c, const char *host, uint16_t port,
		enum net_family family, struct clk_deadline dl);

/* Reads up to cap bytes (cap > 0; at most INT_MAX are read), waiting until
 * the deadline for at least one.  Bytes that are already there are returned
 * even when the deadline has passed.  Returns:
 *   > 0                     the number of bytes read
 *   0                       the peer closed its sending side: c->end is
 *                           NET_END_FIN (TCP), NET_END_TLS_CLOSE_NOTIFY,
 *                           or NET_END_TLS_EOF (TCP FIN without
 *                           close_notify: the caller decides whether that
 *                           truncation matters); later reads return 0 too
 *   WSP_E_NET_TIMEOUT       nothing arrived before the deadline (the
 *                           connection stays usable)
 *   WSP_E_NET_RESET         RST from the peer (c->end NET_END_RESET).
 *                           Over plain TCP, when a write met the RST
 *                           first, the bytes that had arrived before it
 *                           are still returned (without waiting) before
 *                           the reset is
 *   WSP_E_NET_TLS           TLS error (c->end NET_END_TLS_ERROR)
 *   WSP_E_NET_IO            other socket error
 *   WSP_E_NET_CLOSED, WSP_E_INVAL  c not open, bad arguments */
int net_read(struct net_conn *c, void *buf, size_t cap,
	     struct clk_deadline dl);

/* Writes buf[0..len), waiting for socket space until the deadline; partial
 * writes are continued.  *sent (if not NULL) receives the number of bytes
 * handed to the kernel (TCP) or accepted by the TLS layer, also when an
 * error ends the write early.  Returns 0 when all len bytes went out, or:
 *   WSP_E_NET_TIMEOUT       the deadline passed first (*sent tells how far
 *                           it got; the connection stays usable)
 *   WSP_E_NET_RESET         RST from the peer (c->end NET_END_RESET)
 *   WSP_E_NET_PIPE          the peer has closed (EPIPE); never SIGPIPE
 *   WSP_E_NET_TLS           TLS error
 *   WSP_E_NET_IO            other socket error
 *   WSP_E_NET_CLOSED        c not open or already shut down for writing
 *   WSP_E_INVAL             bad arguments
 * len 0 returns 0 without touching the socket. */
int net_write(struct net_conn *c, const void *buf, size_t len, size_t *sent,
	      struct clk_deadline dl);

/* net_write without the byte count. */
int net_write_all(struct net_conn *c, const void *buf, size_t len,
		  struct clk_deadline dl);

/* Returns 0 as soon as a net_read would not wait: bytes are buffered inside
 * OpenSSL (SSL_pending / SSL_has_pending), or the socket is readable, at
 * end of stream or in error (the read then reports which).  For TLS a
 * readable socket may carry only a handshake record, so the following
 * net_read can still time out.  WSP_E_NET_TIMEOUT when the deadline passes
 * first, WSP_E_NET_CLOSED when c is not open, WSP_E_NET_IO on poll
 * failure. */
int net_wait_readable(struct net_conn *c, struct clk_deadline dl);

/* Half-close: we send no more, but can still read.  TCP: shutdown(SHUT_WR)
 * (the peer reads end of stream).  TLS: sends close_notify, waiting for
 * socket space until the deadline; the TCP stream stays open in both
 * directions so the peer can still answer.  Returns 0, WSP_E_NET_TIMEOUT,
 * WSP_E_NET_RESET, WSP_E_NET_PIPE, WSP_E_NET_TLS, WSP_E_NET_IO,
 * WSP_E_NET_CLOSED (not open, or already shut down). */
int net_shutdown_write(struct net_conn *c, struct clk_deadline dl);

/* Closes c and frees its SSL.  For TLS, a close_notify is attempted once
 * without waiting if none was sent yet.  The kernel sends FIN, unless
 * unread bytes were still queued (Linux then sends RST).  Safe on a closed
 * or net_conn_init'ed connection; c is left closed. */
void net_close(struct net_conn *c);

/* Abortive close: SO_LINGER with a zero timeout, then close, so the kernel
 * sends RST instead of FIN (how tests simulate a peer that resets).  No
 * close_notify.  Safe on a closed connection. */
void net_abort(struct net_conn *c);

/* --- listeners ---------------------------------------------------------- */

/* Binds host:port and listens with the given backlog.  host is a numeric
 * address or a name (the first address that binds is used); NULL means any
 * address (IPv4 and IPv6 where the system allows).  port 0 picks a free
 * port: net_listener_port tells which.  SO_REUSEADDR is set.  Returns 0, or
 * WSP_E_INVAL, WSP_E_NET_RESOLVE, WSP_E_NET_LISTEN (l->errmsg says why). */
int net_listen(struct net_listener *l, const char *host, uint16_t port,
	       int backlog);

/* The port l is bound to. */
uint16_t net_listener_port(const struct net_listener *l);

/* Waits until the deadline for a connection and accepts it into *c
 * (non-blocking, TCP_NODELAY, role WSP_ROLE_SERVER, peer filled in).
 * Returns 0, WSP_E_NET_TIMEOUT, WSP_E_NET_IO (l->errmsg says why) or
 * WSP_E_INVAL. */
int net_accept(struct net_listener *l, struct net_conn *c,
	       struct clk_deadline dl);

/* Closes the listening socket; safe to call twice. */
void net_listener_close(struct net_listener *l);

/* --- TLS ---------------------------------------------------------------- */

/* A client configuration.  cacert (a PEM file of trusted certificates) is
 * used for verification when not NULL; otherwise the system's default trust
 * store is.  insecure != 0 skips verification altogether.  TLS 1.2 or
 * later.  Returns 0, or WSP_E_NET_TLS_CONFIG with a one-line reason in
 * err[0..errcap) (may be NULL). */
int net_tls_client_init(struct net_tls *t, const char *cacert, int insecure,
			char *err, size_t errcap);

/* A server configuration from a PEM certificate chain file and a PEM
 * private key file.  Returns 0 or WSP_E_NET_TLS_CONFIG (err as above). */
int net_tls_server_init(struct net_tls *t, const char *cert_file,
			const char *key_file, char *err, size_t errcap);

/* (case 22.3.5, R6455-4.1-15) A server configuration whose certificate
 * no client can verify: self-signed, made now with a fresh P-256 key, for
 * the subject and subjectAltName of like's certificate, so that only the
 * trust is wrong, not the names.  like must come from net_tls_server_init.
 * Returns 0 or WSP_E_NET_TLS_CONFIG (err as above). */
int net_tls_server_init_untrusted(struct net_tls *t,
				  const struct net_tls *like, char *err,
				  size_t errcap);

/* Frees the SSL_CTX.  Connections that started TLS with t keep their own
 * reference and stay usable.  Safe to call twice. */
void net_tls_free(struct net_tls *t);

/* Runs the TLS handshake over the open TCP connection c, in c's role (which
 * must match t's), until the deadline.  For a client, host is the name the
 * certificate must match and, when it is a DNS name rather than an IP
 * literal, the SNI sent; NULL sends no SNI and checks no name.  For a
 * server host is ignored.  On success c->ssl is set and net_read/net_write
 * use TLS.  Returns 0 or (c->errmsg has the details, including OpenSSL's
 * verify reason for certificate failures; c stays open for the caller to
 * close or abort):
 *   WSP_E_NET_TLS_VERIFY    the peer's certificate was rejected
 *   WSP_E_NET_TLS_TIMEOUT   the deadline passed
 *   WSP_E_NET_TLS_HANDSHAKE any other handshake failure (alert, garbage,
 *                           peer closed: c->end records the latter two)
 *   WSP_E_NET_RESET         RST during the handshake
 *   WSP_E_NET_CLOSED, WSP_E_INVAL, WSP_E_NOMEM */
int net_tls_handshake(struct net_conn *c, struct net_tls *t,
		      const char *host, struct clk_deadline dl);

/* The protocol version negotiated ("TLSv1.3"), or "" without TLS. */
const char *net_tls_version(const struct net_conn *c);

/* Server side: the host name the client sent in the TLS Server Name
 * Indication extension (R6455-4.1-17), or NULL when it sent none or c is
 * not a TLS server connection.  Valid while c is open. */
const char *net_tls_sni(const struct net_conn *c);

#endif
