/*
 * net_tls.c: TLS for net_conn through OpenSSL 3, with deadlines and without
 * SIGPIPE.
 *
 * The SSL object talks to the socket through our own small BIO (below)
 * rather than OpenSSL's socket BIO, for two reasons: the socket BIO writes
 * with write(), which raises SIGPIPE when the peer has gone, whereas ours
 * sends with MSG_NOSIGNAL; and ours keeps the errno of the last failed
 * read or write and whether end of stream was seen, which is how a reset
 * (ECONNRESET) is told apart from a TCP FIN without close_notify.
 *
 * The socket stays non-blocking: when OpenSSL answers SSL_ERROR_WANT_READ
 * or _WANT_WRITE we poll() for that direction until the deadline and call
 * again with the same arguments.  Writes use SSL_MODE_ENABLE_PARTIAL_WRITE
 * and SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER so that a timed-out write can be
 * resumed with buf + *sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net.h"
#include "net_int.h"
#include "wsp_err.h"

/* --- the no-SIGPIPE socket BIO ------------------------------------------- */

struct net_bio {
	int fd;
	int eof; /* recv returned 0 */
	int err; /* errno of the last failed send or recv, or 0 */
};

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static int bio_write(BIO *b, const char *buf, int len)
{
	struct net_bio *st = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	ssize_t n;
	do
		n = send(st->fd, buf, (size_t)len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		st->err = errno;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			BIO_set_retry_write(b);
		return -1;
	}
	return (int)n;
}

static int bio_read(BIO *b, char *buf, int len)
{
	struct net_bio *st = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	if (buf == NULL || len <= 0)
		return 0;
	ssize_t n;
	do
		n = recv(st->fd, buf, (size_t)len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		st->err = errno;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			BIO_set_retry_read(b);
		return -1;
	}
	if (n == 0)
		st->eof = 1;
	return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	(void)ptr;
	struct net_bio *st = BIO_get_data(b);
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1; /* nothing is buffered here */
	case BIO_CTRL_EOF:
		/* OpenSSL asks this to tell a truncated stream (no
		 * close_notify) from a plain I/O error. */
		return st != NULL && st->eof;
	default:
		return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_data(b, NULL);
	BIO_set_init(b, 0);
	return 1;
}

static int bio_destroy(BIO *b)
{
	/* The descriptor belongs to the net_conn, not to the BIO. */
	free(BIO_get_data(b));
	BIO_set_data(b, NULL);
	BIO_set_init(b, 0);
	return 1;
}

static void bio_method_init(void)
{
	int idx = BIO_get_new_index();
	if (idx < 0)
		return;
	BIO_METHOD *m =
		BIO_meth_new(idx | BIO_TYPE_SOURCE_SINK, "wsprobe socket");
	if (m == NULL)
		return;
	if (!BIO_meth_set_write(m, bio_write) ||
	    !BIO_meth_set_read(m, bio_read) ||
	    !BIO_meth_set_ctrl(m, bio_ctrl) ||
	    !BIO_meth_set_create(m, bio_create) ||
	    !BIO_meth_set_destroy(m, bio_destroy)) {
		BIO_meth_free(m);
		return;
	}
	bio_method = m;
}

static struct net_bio *conn_bio(const struct net_conn *c)
{
	return BIO_get_data(SSL_get_rbio(c->ssl));
}

/* --- error reporting ----------------------------------------------------- */

/* OpenSSL's reason for the last error in this thread's queue, or a
 * fallback; copies into buf. */
static const char *ssl_reason(char *buf, size_t cap, const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	if (e == 0) {
		snprintf(buf, cap, "%s", fallback);
		return buf;
	}
	const char *r = ERR_reason_error_string(e);
	if (r != NULL)
		snprintf(buf, cap, "%s", r);
	else
		ERR_error_string_n(e, buf, cap);
	return buf;
}

static int ssl_last_reason_is_eof(void)
{
	unsigned long e = ERR_peek_last_error();
	return e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
	       ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

static void config_err(char *err, size_t errcap, const char *what,
		       const char *file)
{
	char r[160];
	ssl_reason(r, sizeof(r), "unknown error");
	if (err != NULL && errcap > 0)
		snprintf(err, errcap, "TLS: %s%s%s%s: %s", what,
			 file ? " '" : "", file ? file : "", file ? "'" : "",
			 r);
	ERR_clear_error();
}

/* Classifies a failed SSL call (not WANT_*): records c->end, writes
 * c->errmsg as "<what> <peer>: <reason>" and returns the code.
 * tls_code is the code for a plain TLS failure. */
static int tls_failure(struct net_conn *c, int sslerr, const char *what,
		       int tls_code)
{
	struct net_bio *st = conn_bio(c);
	char r[160];
	c->tls_fatal = 1;
	if (sslerr == SSL_ERROR_SYSCALL || sslerr == SSL_ERROR_SSL) {
		if (st->err == ECONNRESET || st->err == EPIPE) {
			int rc = net__sock_error(c, st->err, what);
			ERR_clear_error();
			return rc;
		}
		if (st->eof && (sslerr == SSL_ERROR_SYSCALL ||
				ssl_last_reason_is_eof())) {
			c->end = NET_END_TLS_EOF;
			net__errf(c->errmsg,
				  "%s %s: peer closed the TCP connection "
				  "without close_notify",
				  what, c->peer);
			ERR_clear_error();
			return 0; /* the caller decides what EOF means */
		}
		if (sslerr == SSL_ERROR_SYSCALL && st->err != 0) {
			int rc = net__sock_error(c, st->err, what);
			ERR_clear_error();
			return rc;
		}
	}
	c->end = NET_END_TLS_ERROR;
	net__errf(c->errmsg, "%s %s: %s", what, c->peer,
		  ssl_reason(r, sizeof(r), "TLS error"));
	ERR_clear_error();
	return tls_code;
}

/* The wait an SSL_ERROR_WANT_* asks for; 1 when sslerr is not one. */
static int tls_wait(struct net_conn *c, int sslerr, struct clk_deadline dl)
{
	short ev;
	if (sslerr == SSL_ERROR_WANT_READ)
		ev = POLLIN;
	else if (sslerr == SSL_ERROR_WANT_WRITE)
		ev = POLLOUT;
	else
		return 1;
	int rc = net__wait(c->fd, ev, dl);
	if (rc == WSP_E_NET_IO)
		rc = net__sock_error(c, errno, "poll");
	return rc;
}

/* --- configurations ------------------------------------------------------ */

static int ctx_new(struct net_tls *t, enum wsp_role role, char *err,
		   size_t errcap)
{
	memset(t, 0, sizeof(*t));
	if (pthread_once(&bio_once, bio_method_init) != 0 ||
	    bio_method == NULL) {
		config_err(err, errcap, "cannot create the socket BIO", NULL);
		return WSP_E_NET_TLS_CONFIG;
	}
	SSL_CTX *ctx = SSL_CTX_new(role == WSP_ROLE_CLIENT
					   ? TLS_client_method()
					   : TLS_server_method());
	if (ctx == NULL) {
		config_err(err, errcap, "cannot create a context", NULL);
		return WSP_E_NET_TLS_CONFIG;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		SSL_CTX_free(ctx);
		config_err(err, errcap, "cannot require TLS 1.2", NULL);
		return WSP_E_NET_TLS_CONFIG;
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	t->ctx = ctx;
	t->role = role;
	return 0;
}

int net_tls_client_init(struct net_tls *t, const char *cacert, int insecure,
			char *err, size_t errcap)
{
	if (t == NULL)
		return WSP_E_INVAL;
	if (err != NULL && errcap > 0)
		err[0] = '\0';
	int rc = ctx_new(t, WSP_ROLE_CLIENT, err, errcap);
	if (rc < 0)
		return rc;
	t->insecure = insecure != 0;
	if (t->insecure) {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	int ok = cacert != NULL
			 ? SSL_CTX_load_verify_locations(t->ctx, cacert, NULL)
			 : SSL_CTX_set_default_verify_paths(t->ctx);
	if (!ok) {
		config_err(err, errcap,
			   cacert != NULL ? "cannot load CA file"
					  : "cannot load the system CA store",
			   cacert);
		net_tls_free(t);
		return WSP_E_NET_TLS_CONFIG;
	}
	return 0;
}

int net_tls_server_init(struct net_tls *t, const char *cert_file,
			const char *key_file, char *err, size_t errcap)
{
	if (t == NULL || cert_file == NULL || key_file == NULL)
		return WSP_E_INVAL;
	if (err != NULL && errcap > 0)
		err[0] = '\0';
	int rc = ctx_new(t, WSP_ROLE_SERVER, err, errcap);
	if (rc < 0)
		return rc;
	if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1) {
		config_err(err, errcap, "cannot load certificate", cert_file);
		net_tls_free(t);
		return WSP_E_NET_TLS_CONFIG;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) !=
	    1) {
		config_err(err, errcap, "cannot load private key", key_file);
		net_tls_free(t);
		return WSP_E_NET_TLS_CONFIG;
	}
	if (SSL_CTX_check_private_key(t->ctx) != 1) {
		config_err(err, errcap, "key does not match certificate",
			   key_file);
		net_tls_free(t);
		return WSP_E_NET_TLS_CONFIG;
	}
	return 0;
}

int net_tls_server_init_untrusted(struct net_tls *t,
				  const struct net_tls *like, char *err,
				  size_t errcap)
{
	if (t == NULL || like == NULL || like->ctx == NULL)
		return WSP_E_INVAL;
	if (err != NULL && errcap > 0)
		err[0] = '\0';
	X509 *leaf = SSL_CTX_get0_certificate(like->ctx);
	if (leaf == NULL) {
		config_err(err, errcap, "no certificate to copy names from",
			   NULL);
		return WSP_E_NET_TLS_CONFIG;
	}
	int rc = ctx_new(t, WSP_ROLE_SERVER, err, errcap);
	if (rc < 0)
		return rc;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIGNUM *serial = BN_new();
	/* Issuer = subject: a self-signed certificate that claims the
	 * names of the real one.  A client that trusts the real one (or
	 * its CA) finds no valid signature for this one. */
	int ok = key != NULL && x != NULL && serial != NULL &&
		 X509_set_version(x, 2) == 1 &&
		 BN_rand(serial, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
		 BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) != NULL &&
		 X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
		 X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) != NULL &&
		 X509_set_subject_name(x, X509_get_subject_name(leaf)) == 1 &&
		 X509_set_issuer_name(x, X509_get_subject_name(leaf)) == 1 &&
		 X509_set_pubkey(x, key) == 1;
	int san = ok ? X509_get_ext_by_NID(leaf, NID_subject_alt_name, -1)
		     : -1;
	if (ok && san >= 0)
		ok = X509_add_ext(x, X509_get_ext(leaf, san), -1) == 1;
	ok = ok && X509_sign(x, key, EVP_sha256()) > 0 &&
	     SSL_CTX_use_certificate(t->ctx, x) == 1 &&
	     SSL_CTX_use_PrivateKey(t->ctx, key) == 1;
	BN_free(serial);
	X509_free(x);
	EVP_PKEY_free(key);
	if (!ok) {
		config_err(err, errcap, "cannot make the untrusted certificate",
			   NULL);
		net_tls_free(t);
		return WSP_E_NET_TLS_CONFIG;
	}
	return 0;
}

void net_tls_free(struct net_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx); /* NULL is fine */
	t->ctx = NULL;
}

/* --- handshake ----------------------------------------------------------- */

static int is_ip_literal(const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, host, a) == 1 ||
	       inet_pton(AF_INET6, host, a) == 1;
}

/* Sets the name to verify and the SNI on a client SSL. */
static int client_names(struct net_conn *c, const struct net_tls *t,
			const char *host)
{
	if (host == NULL)
		return 0;
	if (is_ip_literal(host)) {
		/* RFC 6066 section 3: no SNI for an IP address.  The
		 * certificate must then carry it as an iPAddress SAN. */
		if (!t->insecure &&
		    !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
						   host))
			return -1;
		return 0;
	}
	if (!SSL_set_tlsext_host_name(c->ssl, host))
		return -1;
	if (!t->insecure && !SSL_set1_host(c->ssl, host))
		return -1;
	return 0;
}

static int verify_failure(struct net_conn *c, long vr, const char *host)
{
	c->tls_fatal = 1;
	c->end = NET_END_TLS_ERROR;
	if (vr == X509_V_ERR_HOSTNAME_MISMATCH ||
	    vr == X509_V_ERR_IP_ADDRESS_MISMATCH)
		net__errf(c->errmsg,
			  "TLS certificate of %s rejected: %s (expected "
			  "'%s'; verify error %ld)",
			  c->peer, X509_verify_cert_error_string(vr),
			  host != NULL ? host : "", vr);
	else
		net__errf(c->errmsg,
			  "TLS certificate of %s rejected: %s (verify error "
			  "%ld)",
			  c->peer, X509_verify_cert_error_string(vr), vr);
	ERR_clear_error();
	return WSP_E_NET_TLS_VERIFY;
}

int net_tls_handshake(struct net_conn *c, struct net_tls *t,
		      const char *host, struct clk_deadline dl)
{
	if (c == NULL || t == NULL || t->ctx == NULL || c->ssl != NULL ||
	    (c->role != WSP_ROLE_CLIENT && c->role != WSP_ROLE_SERVER) ||
	    c->role != t->role)
		return WSP_E_INVAL;
	if (c->fd < 0)
		return WSP_E_NET_CLOSED;

	SSL *ssl = SSL_new(t->ctx);
	BIO *bio = ssl != NULL ? BIO_new(bio_method) : NULL;
	struct net_bio *st = bio != NULL ? calloc(1, sizeof(*st)) : NULL;
	if (st == NULL) {
		BIO_free(bio);
		SSL_free(ssl);
		ERR_clear_error();
		return WSP_E_NOMEM;
	}
	st->fd = c->fd;
	BIO_set_data(bio, st);
	BIO_set_init(bio, 1);
	SSL_set_bio(ssl, bio, bio); /* ssl owns bio, bio owns st */
	c->ssl = ssl;
	c->tls_fatal = 0;

	if (c->role == WSP_ROLE_CLIENT) {
		if (client_names(c, t, host) != 0) {
			c->tls_fatal = 1;
			net__errf(c->errmsg, "TLS: cannot set name '%s'",
				  host);
			ERR_clear_error();
			return WSP_E_INVAL;
		}
		SSL_set_connect_state(ssl);
	} else {
		SSL_set_accept_state(ssl);
	}

	for (;;) {
		ERR_clear_error();
		st->err = 0;
		int r = SSL_do_handshake(ssl);
		if (r == 1) {
			c->errmsg[0] = '\0';
			return 0;
		}
		int e = SSL_get_error(ssl, r);
		int rc = tls_wait(c, e, dl);
		if (rc == 0)
			continue;
		if (rc == WSP_E_NET_TIMEOUT) {
			c->tls_fatal = 1;
			net__errf(c->errmsg,
				  "TLS handshake with %s: timed out", c->peer);
			return WSP_E_NET_TLS_TIMEOUT;
		}
		if (rc < 0) {
			c->tls_fatal = 1;
			return rc;
		}
		if (c->role == WSP_ROLE_CLIENT && !t->insecure) {
			long vr = SSL_get_verify_result(ssl);
			if (vr != X509_V_OK)
				return verify_failure(c, vr, host);
		}
		rc = tls_failure(c, e, "TLS handshake with",
				 WSP_E_NET_TLS_HANDSHAKE);
		if (rc == 0) {
			/* End of stream in the middle of the handshake. */
			return WSP_E_NET_TLS_HANDSHAKE;
		}
		if (rc == WSP_E_NET_TLS)
			rc = WSP_E_NET_TLS_HANDSHAKE;
		return rc;
	}
}

const char *net_tls_version(const struct net_conn *c)
{
	if (c == NULL || c->ssl == NULL)
		return "";
	return SSL_get_version(c->ssl);
}

/* (coverage helper, issue 4) On the server side OpenSSL keeps the
 * server_name the client's ClientHello carried; no callback is needed. */
const char *net_tls_sni(const struct net_conn *c)
{
	if (c == NULL || c->ssl == NULL || c->role != WSP_ROLE_SERVER)
		return NULL;
	return SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
}

/* --- data ---------------------------------------------------------------- */

int net__tls_read(struct net_conn *c, void *buf, size_t cap,
		  struct clk_deadline dl)
{
	struct net_bio *st = conn_bio(c);
	if (c->tls_fatal)
		return WSP_E_NET_TLS;
	for (;;) {
		size_t got = 0;
		ERR_clear_error();
		st->err = 0;
		int r = SSL_read_ex(c->ssl, buf, cap, &got);
		if (r == 1)
			return (int)got;
		int e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN) {
			c->end = NET_END_TLS_CLOSE_NOTIFY;
			return 0;
		}
		int rc = tls_wait(c, e, dl);
		if (rc == 0)
			continue;
		if (rc == WSP_E_NET_TIMEOUT) {
			net__errf(c->errmsg, "read from %s: timed out",
				  c->peer);
			return rc;
		}
		if (rc < 0)
			return rc;
		return tls_failure(c, e, "TLS read from", WSP_E_NET_TLS);
	}
}

int net__tls_write(struct net_conn *c, const void *buf, size_t len,
		   size_t *sent, struct clk_deadline dl)
{
	struct net_bio *st = conn_bio(c);
	const unsigned char *p = buf;
	size_t done = 0;
	int rc = 0;
	if (c->tls_fatal)
		return WSP_E_NET_TLS;
	while (done < len) {
		size_t w = 0;
		ERR_clear_error();
		st->err = 0;
		int r = SSL_write_ex(c->ssl, p + done, len - done, &w);
		if (r == 1) {
			done += w;
			continue;
		}
		int e = SSL_get_error(c->ssl, r);
		rc = tls_wait(c, e, dl);
		if (rc == 0)
			continue;
		if (rc == WSP_E_NET_TIMEOUT) {
			net__errf(c->errmsg,
				  "write to %s: timed out after %zu of %zu "
				  "bytes",
				  c->peer, done, len);
			break;
		}
		if (rc < 0)
			break;
		rc = tls_failure(c, e, "TLS write to", WSP_E_NET_TLS);
		if (rc == 0) /* EOF seen while writing: the peer is gone */
			rc = WSP_E_NET_PIPE;
		break;
	}
	if (sent != NULL)
		*sent = done;
	return rc;
}

int net__tls_shutdown(struct net_conn *c, struct clk_deadline dl)
{
	struct net_bio *st = conn_bio(c);
	if (c->tls_fatal)
		return WSP_E_NET_TLS;
	for (;;) {
		ERR_clear_error();
		st->err = 0;
		/* 0: our close_notify is out; 1: the peer's was in too. */
		int r = SSL_shutdown(c->ssl);
		if (r >= 0)
			return 0;
		int e = SSL_get_error(c->ssl, r);
		int rc = tls_wait(c, e, dl);
		if (rc == 0)
			continue;
		if (rc == WSP_E_NET_TIMEOUT) {
			net__errf(c->errmsg,
				  "close_notify to %s: timed out", c->peer);
			return rc;
		}
		if (rc < 0)
			return rc;
		rc = tls_failure(c, e, "close_notify to", WSP_E_NET_TLS);
		return rc == 0 ? WSP_E_NET_PIPE : rc;
	}
}

void net__tls_free(struct net_conn *c, int graceful)
{
	if (graceful && !c->tls_fatal && !c->wr_closed &&
	    SSL_is_init_finished(c->ssl)) {
		/* One attempt, no waiting: a peer that does not read gets
		 * no close_notify, which is its problem. */
		(void)SSL_shutdown(c->ssl);
	}
	ERR_clear_error();
	SSL_free(c->ssl);
	c->ssl = NULL;
}

int net__tls_buffered(const struct net_conn *c)
{
	return SSL_pending(c->ssl) > 0 || SSL_has_pending(c->ssl);
}
