/*
 * lib.c: the shared test helpers declared in lib.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib.h"
#include "wsp_err.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t tl_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (*hex != '\0') {
		if (*hex == ' ' || *hex == '\n' || *hex == ':') {
			hex++;
			continue;
		}
		int hi = hexval(hex[0]);
		int lo = hex[1] != '\0' ? hexval(hex[1]) : -1;
		ck_assert_msg(hi >= 0 && lo >= 0, "bad hex literal near \"%s\"",
			      hex);
		ck_assert_msg(n < cap, "hex literal longer than %zu bytes", cap);
		out[n++] = (uint8_t)(hi * 16 + lo);
		hex += 2;
	}
	return n;
}

void tl_guard_init(struct tl_guard *g, const void *src, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (n + page - 1) / page * page;
	g->maplen = body + page;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_msg(g->map != MAP_FAILED, "mmap failed");
	uint8_t *guard = (uint8_t *)g->map + body;
	ck_assert_int_eq(mprotect(guard, page, PROT_NONE), 0);
	g->data = guard - n;
	g->n = n;
	if (n > 0)
		memcpy(g->data, src, n);
}

void tl_guard_free(struct tl_guard *g)
{
	if (g->map != NULL)
		munmap(g->map, g->maplen);
	g->map = NULL;
	g->data = NULL;
}

uint64_t tl_stat_count(const struct res_stats *st, uint64_t key)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].key == key)
			return st->v[i].count;
	return 0;
}

uint64_t tl_rand(uint64_t *state)
{
	/* xorshift64*: deterministic, good enough for test data. */
	uint64_t x = *state != 0 ? *state : 0x9E3779B97F4A7C15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

void tl_chunker_init(struct tl_chunker *c, enum tl_chunk_mode mode,
		     uint64_t seed)
{
	c->mode = mode;
	c->rng = seed;
	c->max_random = 17;
}

size_t tl_chunk_next(struct tl_chunker *c, size_t remaining)
{
	size_t n;
	if (remaining == 0)
		return 0;
	switch (c->mode) {
	case TL_CHUNK_ONE:
		n = 1;
		break;
	case TL_CHUNK_RANDOM:
		n = 1 + (size_t)(tl_rand(&c->rng) % c->max_random);
		break;
	case TL_CHUNK_ALL:
	default:
		n = remaining;
		break;
	}
	return n < remaining ? n : remaining;
}

static void *fail_malloc(size_t size, void *user)
{
	struct tl_failmem *f = user;
	if (f->fail_at >= 0 && f->count++ >= f->fail_at)
		return NULL;
	if (f->fail_at < 0)
		f->count++;
	return malloc(size);
}

static void *fail_realloc(void *ptr, size_t size, void *user)
{
	struct tl_failmem *f = user;
	if (f->fail_at >= 0 && f->count++ >= f->fail_at)
		return NULL;
	if (f->fail_at < 0)
		f->count++;
	return realloc(ptr, size);
}

static void fail_free(void *ptr, void *user)
{
	(void)user;
	free(ptr);
}

void tl_failmem_init(struct tl_failmem *f, long fail_at)
{
	f->mem.malloc = fail_malloc;
	f->mem.realloc = fail_realloc;
	f->mem.free = fail_free;
	f->mem.user = f;
	f->fail_at = fail_at;
	f->count = 0;
}

static void add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

void tl_cert_write(const char *dir, const char *cn, const char *san,
		   char *cert, char *key, size_t cap)
{
	ck_assert_int_lt(snprintf(cert, cap, "%s/cert.pem", dir), (int)cap);
	ck_assert_int_lt(snprintf(key, cap, "%s/key.pem", dir), (int)cap);
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(pk);
	X509 *x = X509_new();
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	ck_assert_int_eq(X509_set_pubkey(x, pk), 1);
	X509_NAME *nm = X509_get_subject_name(x);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
						    (const unsigned char *)cn,
						    -1, -1, 0),
			 1);
	ck_assert_int_eq(X509_set_issuer_name(x, nm), 1);
	add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(x, NID_subject_key_identifier, "hash");
	add_ext(x, NID_subject_alt_name, san);
	ck_assert_int_gt(X509_sign(x, pk, EVP_sha256()), 0);
	FILE *f = fopen(cert, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_X509(f, x), 1);
	ck_assert_int_eq(fclose(f), 0);
	f = fopen(key, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL),
			 1);
	ck_assert_int_eq(fclose(f), 0);
	X509_free(x);
	EVP_PKEY_free(pk);
}

void tl_certdir_make(struct tl_certdir *cd, const char *san)
{
	snprintf(cd->dir, sizeof(cd->dir), "/tmp/wsprobe-cert-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(cd->dir));
	tl_cert_write(cd->dir, "localhost", san, cd->cert, cd->key,
		      sizeof(cd->cert));
}

void tl_certdir_remove(const struct tl_certdir *cd)
{
	unlink(cd->cert);
	unlink(cd->key);
	rmdir(cd->dir);
}

void tl_rm_rf(const char *dir)
{
	char cmd[600];
	ck_assert_int_eq(strncmp(dir, "/tmp/", 5), 0);
	ck_assert_ptr_null(strchr(dir, '\''));
	ck_assert_int_lt(snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir),
			 (int)sizeof(cmd));
	ck_assert_int_eq(system(cmd), 0);
}

static void echo_ready(uint16_t port, void *user)
{
	((struct tl_echo *)user)->port = port;
}

static void *echo_main(void *arg)
{
	struct tl_echo *e = arg;
	echo_serve(&e->o, e->err, sizeof(e->err));
	return NULL;
}

void tl_echo_start(struct tl_echo *e, const char *cert, const char *key)
{
	memset(e, 0, sizeof(*e));
	e->o.host = "127.0.0.1";
	e->o.tls_cert = cert;
	e->o.tls_key = key;
	e->o.ready = echo_ready;
	e->o.user = e;
	e->o.stop = &e->stop;
	ck_assert_int_eq(pthread_create(&e->th, NULL, echo_main, e), 0);
	for (int i = 0; i < 500 && e->port == 0; i++)
		usleep(10000);
	ck_assert_msg(e->port != 0, "echo did not start: %s", e->err);
}

void tl_echo_stop(struct tl_echo *e)
{
	e->stop = 1;
	pthread_join(e->th, NULL);
}

int tl_cap_each(struct cap_reader *rd, uint8_t *buf, size_t len,
		void (*fn)(struct cap_pkt *p, void *user), void *user)
{
	size_t off = 0;
	for (;;) {
		struct cap_pkt p;
		size_t need;
		int rc = cap_next(rd, buf + off, len - off, &p, &need);
		if (rc <= 0)
			return rc == WSP_E_INCOMPLETE
				       ? cap_end(rd, buf + off, len - off)
				       : rc;
		off += (size_t)rc;
		if (p.data != NULL)
			fn(&p, user);
	}
}
