/*
 * tcpr.c: TCP stream reassembly (tcpr.h).
 *
 * Connections live in a hash table keyed by the unordered 4-tuple (the hash
 * is symmetric, so both directions find the same entry); a new connection
 * on a reused tuple goes to the head of its chain, so lookups find the
 * newest.  Open connections sit in an LRU list (the least recently active
 * one is closed when there are too many), closed ones in a FIFO list (the
 * oldest is forgotten when there are too many).
 *
 * Each direction keeps `next`, the stream offset of the next byte to
 * deliver, and a sorted list of held chunks that never overlap.  A new
 * segment is cut into the pieces no held chunk covers (the first copy of a
 * byte wins); a piece that starts at `next` is delivered straight from the
 * packet, the others are copied into new chunks; then held chunks that have
 * become contiguous are delivered.  A chunk may end in `lost` bytes: bytes
 * the IP length says were sent but the snaplen cut, reported as a gap when
 * the chunk is delivered.
 */
#include <string.h>

#include "tcpr.h"
#include "wsp_err.h"

struct tcpr_chunk {
	struct tcpr_chunk *next;
	uint64_t off;   /* stream offset of data[0] */
	uint32_t len;   /* captured bytes at data */
	uint32_t lost;  /* bytes after them that were not captured */
	uint8_t data[];
};

struct emitter {
	struct tcpr *t;
	void (*cb)(const struct tcpr_event *ev, void *user);
	void *user;
};

static uint64_t chunk_end(const struct tcpr_chunk *ch)
{
	return ch->off + ch->len + ch->lost;
}

static void emit(struct emitter *e, enum tcpr_ev_type type,
		 struct tcpr_conn *c, int dir, uint8_t *data, size_t len,
		 uint64_t off, uint64_t gap, int reason)
{
	struct tcpr_event ev;
	ev.type = type;
	ev.conn = c;
	ev.dir = dir;
	ev.data = data;
	ev.len = len;
	ev.offset = off;
	ev.gap = gap;
	ev.reason = reason;
	e->cb(&ev, e->user);
}

/* ------------------------------------------------------------------------
 * Lists and the hash table
 */

static void list_remove(struct tcpr_list *l, struct tcpr_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
	l->n--;
}

static void list_push(struct tcpr_list *l, struct tcpr_conn *c)
{
	c->prev = NULL;
	c->next = l->head;
	if (l->head != NULL)
		l->head->prev = c;
	else
		l->tail = c;
	l->head = c;
	l->n++;
}

static size_t addr_len(uint8_t family)
{
	return family == 6 ? 16 : 4;
}

static uint32_t ep_hash(uint8_t family, const uint8_t *a, uint16_t port)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < addr_len(family); i++)
		h = (h ^ a[i]) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	h = (h ^ (port & 0xFF)) * 16777619u;
	return h;
}

/* Symmetric in the two endpoints: only commutative operations mix them. */
static uint32_t tuple_hash(const struct pkt_tcp *s)
{
	uint32_t x = ep_hash(s->family, s->src, s->sport);
	uint32_t y = ep_hash(s->family, s->dst, s->dport);
	uint32_t h = (x + y) * 0x9E3779B1u ^ (x ^ y);
	return h ^ (h >> 15) ^ s->family;
}

static int ep_eq(const struct tcpr_conn *c, int d, const uint8_t *a,
		 uint16_t port)
{
	return c->port[d] == port &&
	       memcmp(c->addr[d], a, addr_len(c->family)) == 0;
}

static struct tcpr_conn *lookup(struct tcpr *t, const struct pkt_tcp *s,
				uint32_t h, int *dir)
{
	for (struct tcpr_conn *c = t->buckets[h & (t->nbuckets - 1)];
	     c != NULL; c = c->hnext) {
		if (c->hash != h || c->family != s->family)
			continue;
		if (ep_eq(c, 0, s->src, s->sport) &&
		    ep_eq(c, 1, s->dst, s->dport)) {
			*dir = 0;
			return c;
		}
		if (ep_eq(c, 1, s->src, s->sport) &&
		    ep_eq(c, 0, s->dst, s->dport)) {
			*dir = 1;
			return c;
		}
	}
	return NULL;
}

static void unhash(struct tcpr *t, struct tcpr_conn *c)
{
	struct tcpr_conn **pp = &t->buckets[c->hash & (t->nbuckets - 1)];
	while (*pp != NULL && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp == c)
		*pp = c->hnext;
	c->hnext = NULL;
}

/* Doubles the table when it holds more connections than buckets. */
static void maybe_grow(struct tcpr *t)
{
	if (t->open.n + t->closed.n <= t->nbuckets)
		return;
	size_t n = t->nbuckets * 2;
	struct tcpr_conn **nb = wsp_malloc(t->cfg.mem, n * sizeof(*nb));
	if (nb == NULL)
		return; /* longer chains; still correct */
	for (size_t i = 0; i < n; i++)
		nb[i] = NULL;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct tcpr_conn *c = t->buckets[i];
		/* Reverse each chain twice over (pop in order, push to the
		 * tail of the new chain) so newer entries stay first. */
		while (c != NULL) {
			struct tcpr_conn *nx = c->hnext;
			struct tcpr_conn **pp = &nb[c->hash & (n - 1)];
			while (*pp != NULL)
				pp = &(*pp)->hnext;
			c->hnext = NULL;
			*pp = c;
			c = nx;
		}
	}
	wsp_free(t->cfg.mem, t->buckets);
	t->buckets = nb;
	t->nbuckets = n;
}

/* ------------------------------------------------------------------------
 * Delivery
 */

/* The stream offset of sequence number seq in h: relative to the next
 * expected byte, within +-2^31 (RFC 9293 sequence arithmetic). */
static int64_t rel(const struct tcpr_half *h, uint32_t seq)
{
	uint32_t nseq = h->base + (uint32_t)h->next;
	int64_t d = (int64_t)(uint32_t)(seq - nseq);
	if (d >= (int64_t)1 << 31)
		d -= (int64_t)1 << 32;
	return (int64_t)h->next + d;
}

static void deliver(struct emitter *e, struct tcpr_conn *c, int dir,
		    uint8_t *p, size_t n)
{
	struct tcpr_half *h = &c->h[dir];
	if (n == 0)
		return;
	uint64_t off = h->next;
	h->next += n;
	emit(e, TCPR_EV_DATA, c, dir, p, n, off, 0, 0);
}

static void gap(struct emitter *e, struct tcpr_conn *c, int dir, uint64_t n,
		int reason)
{
	struct tcpr_half *h = &c->h[dir];
	if (n == 0)
		return;
	uint64_t off = h->next;
	h->next += n;
	emit(e, TCPR_EV_GAP, c, dir, NULL, 0, off, n, reason);
}

static void chunk_free(struct emitter *e, struct tcpr_half *h,
		       struct tcpr_chunk *ch)
{
	h->buffered -= ch->len;
	e->t->total -= ch->len;
	wsp_free(e->t->cfg.mem, ch);
}

/* Delivers held chunks that start at or before next. */
static void drain(struct emitter *e, struct tcpr_conn *c, int dir)
{
	struct tcpr_half *h = &c->h[dir];
	struct tcpr_chunk *ch;
	while ((ch = h->head) != NULL && ch->off <= h->next) {
		h->head = ch->next;
		uint64_t end = chunk_end(ch);
		if (end > h->next) {
			uint64_t skip = h->next - ch->off;
			if (skip < ch->len)
				deliver(e, c, dir, ch->data + skip,
					(size_t)(ch->len - skip));
			if (end > h->next)
				gap(e, c, dir, end - h->next, TCPR_GAP_SNAPLEN);
		}
		chunk_free(e, h, ch);
	}
}

static void check_fin(struct emitter *e, struct tcpr_conn *c, int dir)
{
	struct tcpr_half *h = &c->h[dir];
	if (h->fin && !h->done && h->head == NULL && h->next >= h->fin_off) {
		h->done = 1;
		emit(e, TCPR_EV_FIN, c, dir, NULL, 0, h->next, 0, 0);
	}
}

/* Releases every held chunk of dir, holes before them as gaps. */
static void flush(struct emitter *e, struct tcpr_conn *c, int dir, int reason)
{
	struct tcpr_half *h = &c->h[dir];
	while (h->head != NULL) {
		if (h->head->off > h->next)
			gap(e, c, dir, h->head->off - h->next, reason);
		drain(e, c, dir);
	}
	check_fin(e, c, dir);
}

/* A piece [off, off + n + lost) of a segment that no held chunk covers:
 * delivered if it starts at next, else copied into a chunk linked at *pp.
 * Returns the link after it, or NULL when allocation failed. */
static struct tcpr_chunk **piece(struct emitter *e, struct tcpr_conn *c,
				 int dir, struct tcpr_chunk **pp, uint64_t off,
				 uint8_t *p, size_t n, uint64_t lost)
{
	struct tcpr_half *h = &c->h[dir];
	if (off == h->next) {
		deliver(e, c, dir, p, n);
		gap(e, c, dir, lost, TCPR_GAP_SNAPLEN);
		return pp;
	}
	struct tcpr_chunk *ch =
		wsp_malloc(e->t->cfg.mem, sizeof(*ch) + n);
	if (ch == NULL)
		return NULL;
	ch->off = off;
	ch->len = (uint32_t)n;
	ch->lost = (uint32_t)lost;
	if (n > 0)
		memcpy(ch->data, p, n);
	ch->next = *pp;
	*pp = ch;
	h->buffered += n;
	e->t->total += n;
	return &ch->next;
}

/* The caps were reached: release what is held, report the hole up to the
 * segment at off as a gap and deliver the segment itself. */
static void overflow(struct emitter *e, struct tcpr_conn *c, int dir,
		     uint64_t off, uint8_t *p, size_t n, uint64_t lost)
{
	struct tcpr_half *h = &c->h[dir];
	e->t->overflows++;
	emit(e, TCPR_EV_OVERFLOW, c, dir, NULL, 0, h->next, 0, 0);
	flush(e, c, dir, TCPR_GAP_BUFFER);
	if (off + n + lost <= h->next)
		return;
	if (off < h->next) {
		uint64_t k = h->next - off;
		if (k < n) {
			p += k;
			n -= (size_t)k;
		} else {
			lost -= k - n;
			n = 0;
		}
		off = h->next;
	}
	gap(e, c, dir, off - h->next, TCPR_GAP_BUFFER);
	deliver(e, c, dir, p, n);
	gap(e, c, dir, lost, TCPR_GAP_SNAPLEN);
}

/* Adds the segment [off, off + n + lost) (n captured bytes at p) to dir. */
static void add_segment(struct emitter *e, struct tcpr_conn *c, int dir,
			int64_t soff, uint8_t *p, size_t n, uint64_t lost)
{
	struct tcpr_half *h = &c->h[dir];
	int64_t send = soff + (int64_t)n + (int64_t)lost;
	if (send <= (int64_t)h->next) {
		e->t->retrans_bytes += n + lost;
		return;
	}
	/* Drop what was delivered already (first copy wins). */
	if (soff < (int64_t)h->next) {
		uint64_t k = (uint64_t)((int64_t)h->next - soff);
		e->t->retrans_bytes += k;
		if (k < n) {
			p += k;
			n -= (size_t)k;
		} else {
			lost -= k - n;
			n = 0;
		}
		soff = (int64_t)h->next;
	}
	uint64_t off = (uint64_t)soff;
	uint64_t end = off + n + lost;
	uint64_t cap_end = off + n;

	/* Would it have to be held beyond a cap? */
	if ((off > h->next || h->head != NULL) &&
	    (n > e->t->cfg.max_buffer - h->buffered ||
	     n > e->t->cfg.max_total - e->t->total)) {
		overflow(e, c, dir, off, p, n, lost);
		return;
	}

	/* Walk the held chunks, making pieces of what they do not cover. */
	struct tcpr_chunk **pp = &h->head;
	uint64_t pos = off;
	int conflict = 0, nomem = 0;
	while (pos < end) {
		struct tcpr_chunk *ch = *pp;
		if (ch != NULL && chunk_end(ch) <= pos) {
			pp = &ch->next;
			continue;
		}
		uint64_t stop = ch != NULL && ch->off < end ? ch->off : end;
		if (stop > pos) {
			/* [pos, stop): captured up to cap_end. */
			size_t pn = 0;
			if (pos < cap_end)
				pn = (size_t)((stop < cap_end ? stop : cap_end) -
					      pos);
			uint64_t plost = (stop - pos) - pn;
			struct tcpr_chunk **np =
				piece(e, c, dir, pp, pos,
				      pn > 0 ? p + (pos - off) : NULL, pn,
				      plost);
			if (np == NULL)
				nomem = 1;
			else
				pp = np;
			pos = stop;
			continue;
		}
		if (ch == NULL)
			break;
		/* Overlap with ch: compare the bytes both captured. */
		uint64_t ov_end = chunk_end(ch) < end ? chunk_end(ch) : end;
		uint64_t a = pos;
		uint64_t b = ov_end;
		if (b > cap_end)
			b = cap_end;
		if (b > ch->off + ch->len)
			b = ch->off + ch->len;
		if (a < b && !conflict &&
		    memcmp(p + (a - off), ch->data + (a - ch->off),
			   (size_t)(b - a)) != 0) {
			conflict = 1;
			e->t->conflicts++;
			emit(e, TCPR_EV_CONFLICT, c, dir, NULL, 0, a, 0, 0);
		}
		pos = ov_end;
		pp = &ch->next;
	}
	drain(e, c, dir);
	if (nomem)
		overflow(e, c, dir, h->next, NULL, 0, 0);
}

/* ------------------------------------------------------------------------
 * Connections
 */

static void conn_close(struct emitter *e, struct tcpr_conn *c, int reason)
{
	struct tcpr *t = e->t;
	flush(e, c, 0, TCPR_GAP_END);
	flush(e, c, 1, TCPR_GAP_END);
	emit(e, TCPR_EV_CLOSE, c, -1, NULL, 0, 0, 0, reason);
	list_remove(&t->open, c);
	c->closed = 1;
	list_push(&t->closed, c);
	while (t->closed.n > t->cfg.max_closed) {
		struct tcpr_conn *old = t->closed.tail;
		list_remove(&t->closed, old);
		unhash(t, old);
		wsp_free(t->cfg.mem, old);
	}
}

static struct tcpr_conn *conn_new(struct emitter *e, const struct pkt_tcp *s,
				  uint32_t hash)
{
	struct tcpr *t = e->t;
	struct tcpr_conn *c = wsp_malloc(t->cfg.mem, sizeof(*c));
	if (c == NULL)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->family = s->family;
	memcpy(c->addr[0], s->src, 16);
	memcpy(c->addr[1], s->dst, 16);
	c->port[0] = s->sport;
	c->port[1] = s->dport;
	c->client = -1;
	if (s->flags & PKT_SYN)
		c->client = (s->flags & PKT_ACK) ? 1 : 0;
	c->hash = hash;
	c->stream = t->streams++;
	struct tcpr_conn **b = &t->buckets[hash & (t->nbuckets - 1)];
	c->hnext = *b;
	*b = c;
	list_push(&t->open, c);
	emit(e, TCPR_EV_OPEN, c, 0, NULL, 0, 0, 0, 0);
	while (t->open.n > t->cfg.max_open && t->open.tail != c) {
		t->evicted++;
		conn_close(e, t->open.tail, TCPR_CLOSE_EVICT);
	}
	maybe_grow(t);
	return c;
}

int tcpr_init(struct tcpr *t, const struct tcpr_config *cfg)
{
	memset(t, 0, sizeof(*t));
	if (cfg != NULL)
		t->cfg = *cfg;
	if (t->cfg.max_buffer == 0)
		t->cfg.max_buffer = 4u * 1024 * 1024;
	if (t->cfg.max_total == 0)
		t->cfg.max_total = 256u * 1024 * 1024;
	if (t->cfg.max_open == 0)
		t->cfg.max_open = 100000;
	if (t->cfg.max_closed == 0)
		t->cfg.max_closed = 65536;
	t->nbuckets = 1024;
	t->buckets = wsp_malloc(t->cfg.mem, t->nbuckets * sizeof(*t->buckets));
	if (t->buckets == NULL)
		return WSP_E_NOMEM;
	for (size_t i = 0; i < t->nbuckets; i++)
		t->buckets[i] = NULL;
	return 0;
}

int tcpr_packet(struct tcpr *t, const struct pkt_tcp *s,
		void (*cb)(const struct tcpr_event *ev, void *user),
		void *user)
{
	struct emitter e = {t, cb, user};
	uint32_t hash = tuple_hash(s);
	int d = 0;
	struct tcpr_conn *c = lookup(t, s, hash, &d);
	int syn = (s->flags & PKT_SYN) != 0;

	if (c != NULL && syn) {
		/* A SYN with a new ISN on a tuple that closed or carried
		 * data already: port reuse, a new stream. */
		const struct tcpr_half *h = &c->h[d];
		int reuse = h->syn ? s->seq != h->isn
				   : (c->closed || h->next > 0 ||
				      h->head != NULL);
		if (reuse) {
			if (!c->closed)
				conn_close(&e, c, TCPR_CLOSE_REUSED);
			c = NULL;
		}
	}
	if (c != NULL && c->closed)
		return 0; /* a late packet of a finished connection */
	if (c == NULL) {
		c = conn_new(&e, s, hash);
		if (c == NULL)
			return WSP_E_NOMEM;
		d = 0;
	} else if (t->open.head != c) {
		list_remove(&t->open, c);
		list_push(&t->open, c);
	}

	struct tcpr_half *h = &c->h[d];
	struct tcpr_half *o = &c->h[1 - d];
	uint32_t seq = s->seq;
	if (syn) {
		if (!(s->flags & PKT_ACK))
			c->client = (int8_t)d;
		else if (c->client < 0)
			c->client = (int8_t)(1 - d);
		if (!h->syn && h->next == 0 && h->head == NULL) {
			h->syn = 1;
			h->isn = s->seq;
			h->base = s->seq + 1;
			h->have_base = 1;
		}
		seq += 1; /* the SYN takes one sequence number */
	}

	if (s->flags & PKT_RST) {
		emit(&e, TCPR_EV_RST, c, d, NULL, 0, h->next, 0, 0);
		conn_close(&e, c, TCPR_CLOSE_RST);
		return 0;
	}

	int fin = (s->flags & PKT_FIN) != 0;
	uint64_t lost = s->len > s->caplen ? s->len - s->caplen : 0;
	if (s->len > 0 || fin) {
		if (!h->have_base) {
			h->base = seq;
			h->have_base = 1;
		}
		int64_t off = rel(h, seq);
		if (fin && !h->fin) {
			int64_t fo = off + (int64_t)s->len;
			h->fin = 1;
			h->fin_off = fo > 0 ? (uint64_t)fo : 0;
		}
		if (s->len > 0)
			add_segment(&e, c, d, off, s->payload, s->caplen, lost);
		check_fin(&e, c, d);
	}

	/* The peer's view: an ACK names the next byte it expects of o. */
	if (s->flags & PKT_ACK) {
		if (!o->have_base && !o->syn) {
			o->base = s->ack;
			o->have_base = 1;
		} else if (o->have_base && o->head != NULL) {
			int64_t a = rel(o, s->ack);
			if (a > (int64_t)o->next) {
				uint64_t stop = (uint64_t)a < o->head->off
							? (uint64_t)a
							: o->head->off;
				gap(&e, c, 1 - d, stop - o->next,
				    TCPR_GAP_ACKED);
				drain(&e, c, 1 - d);
				check_fin(&e, c, 1 - d);
			}
		}
	}
	if (!c->closed && c->h[0].done && c->h[1].done)
		conn_close(&e, c, TCPR_CLOSE_FIN);
	return 0;
}

void tcpr_finish(struct tcpr *t,
		 void (*cb)(const struct tcpr_event *ev, void *user),
		 void *user)
{
	struct emitter e = {t, cb, user};
	/* Oldest first, so the order of CLOSE events is stable. */
	while (t->open.tail != NULL)
		conn_close(&e, t->open.tail, TCPR_CLOSE_END);
}

static void free_list(struct tcpr *t, struct tcpr_list *l)
{
	struct tcpr_conn *c = l->head;
	while (c != NULL) {
		struct tcpr_conn *nx = c->next;
		for (int d = 0; d < 2; d++) {
			struct tcpr_chunk *ch = c->h[d].head;
			while (ch != NULL) {
				struct tcpr_chunk *n = ch->next;
				wsp_free(t->cfg.mem, ch);
				ch = n;
			}
		}
		wsp_free(t->cfg.mem, c);
		c = nx;
	}
	l->head = l->tail = NULL;
	l->n = 0;
}

void tcpr_free(struct tcpr *t)
{
	free_list(t, &t->open);
	free_list(t, &t->closed);
	wsp_free(t->cfg.mem, t->buckets);
	t->buckets = NULL;
	t->total = 0;
}

size_t tcpr_held(const struct tcpr_conn *c, int dir)
{
	return c->h[dir].buffered;
}
