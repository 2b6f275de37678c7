/*
 * dis.c: the WebSocket dissector of dis.h.
 *
 * Each TCP direction of a stream is in one mode:
 *
 *   NEW     nothing seen yet; the first bytes decide (an HTTP method, a
 *           status line, or, with a port configured, WebSocket frames)
 *   HTTP    collecting an HTTP head (hs_parse_request/_response)
 *   SKIP    skipping an HTTP body of known length
 *   WAIT    client bytes after an upgrade request, held until the
 *           response says what they are
 *   WS      WebSocket frames: wsf_decode, then msg_frame in lenient mode
 *   RESYNC  frames whose boundaries were lost (a gap, or a capture that
 *           starts mid-session): looking for a frame start
 *   IGNORE  not ours
 *
 * A frame is reported when it ends (WSF_EV_END), with the violations msg
 * reported while it was decoded; the message it completes follows it.
 * Inside the payload of a frame whose length is known a gap does not lose
 * the frame boundary: the rest of the payload is taken "by hand" (unmasked
 * with wsf_mask at the right key offset, handed to msg_frame as slices)
 * and decoding resumes with a fresh frame decoder at the frame's end.
 */
#include <string.h>

#include <zlib.h>

#include "dis.h"
#include "ext.h"
#include "hs.h"
#include "msg.h"
#include "pkt.h"
#include "pmd.h"
#include "u8.h"
#include "wsc.h"
#include "wsp_err.h"

#define HEAD_MAX HS_DEFAULT_MAX_HEAD
#define WAIT_MAX 65536u
/* A resynchronisation candidate whose frame is longer than this is taken
 * on its header alone; shorter ones need the next header to be plausible
 * too. */
#define RESYNC_VERIFY 65536u
#define RESYNC_MAX (RESYNC_VERIFY + 4 * WSF_MAX_HEADER)
#define MAX_HEADERS 64
#define SCRATCH 65536u
/* Compressed bytes are handed to pmd in slices of this size, cut at the
 * same places whatever the TCP segmentation (see inflate_slice). */
#define ZSTAGE 4096u

enum mode { M_NEW, M_HTTP, M_SKIP, M_WAIT, M_WS, M_RESYNC, M_IGNORE };

enum kind { K_UNDECIDED, K_REQ, K_RESP, K_NOT };

struct dis_dir {
	uint8_t mode;
	uint8_t after_skip;  /* mode after SKIP */
	uint8_t is_req;      /* HTTP: this side sends requests */
	uint8_t role;        /* enum wsp_role of the sender */
	uint8_t ws_dir;      /* DIS_C2S or DIS_S2C */
	uint64_t skip;

	/* HTTP head being collected; the parser has seen hparsed bytes
	 * of it (its last_len). */
	uint8_t *hbuf;
	size_t hlen, hcap, hparsed;
	/* WAIT: held client bytes. */
	uint8_t *wbuf;
	size_t wlen;
	uint8_t woverflow;
	uint8_t early;       /* DATA_BEFORE_101 reported */
	/* RESYNC. */
	uint8_t *rbuf;
	size_t rlen;
	uint64_t skipped;

	/* Frames. */
	struct wsf_policy policy;
	struct wsf_decoder wsf;
	struct msg_decoder msg;
	uint8_t msg_ok;
	uint64_t nframes;
	uint8_t in_frame;
	uint8_t manual;      /* taking a frame's payload by hand */
	uint64_t manual_left;
	struct wsf_header hdr;
	uint64_t received, missing;
	uint8_t *keep;       /* raw payload prefix */
	size_t kept;
	uint8_t *ikeep;      /* inflated prefix of this frame */
	size_t ikept;
	uint64_t inflated_frame;
	uint32_t crc, icrc;  /* cfg.digest: of the frame's payload, inflated */
	int viol[DIS_MAX_VIOL];
	uint64_t viol_off[DIS_MAX_VIOL];
	size_t nviol;
	uint8_t frame_uncertain;
	uint8_t after_gap;   /* since a resync, until a message starts */
	uint8_t last_key[4];
	uint8_t have_key;
	uint8_t has_close, close_has_code;
	uint16_t close_code;
	uint8_t close_reason[WSC_MAX_PAYLOAD];
	size_t close_reason_len;

	/* The data message in progress (numbered here, not by msg, so that
	 * the numbers go on across decoder resets). */
	uint64_t nmsgs;
	uint64_t msg_index;
	uint8_t msg_opcode;
	uint64_t msg_size;
	uint8_t msg_open;
	uint8_t skip_next_end; /* an aborted END already reported */
	uint8_t msg_hole;
	uint8_t msg_failed;  /* inflation failed or stopped */
	uint8_t msg_compressed;
	uint8_t msg_text_inflated; /* compressed text: u8 on the output */
	uint64_t msg_frames;
	uint64_t msg_inflated;
	uint8_t *mkeep;
	size_t mkept;
	struct u8_validator u8;
	uint8_t u8_reported;
	/* A message ended with the current frame: reported after it. */
	uint8_t end_pending;
	struct dis_message pending;

	struct pmd_inflater *inf;
	uint8_t *zbuf;       /* ZSTAGE bytes staged for pmd */
	size_t zlen;
	uint8_t inflate_lenient; /* inflate failures are notes, not
				  * violations (context unknown) */
	uint8_t nct;         /* the sender's no_context_takeover */

	/* What the session checks at its end. */
	uint8_t close_sent, close_bad;
	uint64_t close_pkt;
	struct cap_time close_time;
	uint64_t close_frame;
	uint64_t gaps_at_close; /* the peer's gaps when our Close went */
	uint8_t ping_pending, ping_excused, pong_mismatch;
	uint8_t ping[MSG_CTRL_MAX];
	size_t ping_len;
	uint64_t ping_pkt, ping_frame, gaps_at_ping;
	struct cap_time ping_time;
	uint64_t ngaps;
	uint8_t fin;
};

struct dis_http_state {
	struct hs_header req_h[MAX_HEADERS];
	struct hs_header resp_h[MAX_HEADERS];
	struct hs_msg req, resp;
	char *req_buf;
	uint8_t have_req;
};

struct dis_sess {
	struct dis_dir d[2]; /* by TCP direction */
	struct dis_http_state *http;
	int client;          /* TCP direction of the client, -1 unknown */
	uint8_t port_mode;
	uint8_t ws;
	uint8_t pmd, pmd_unknown;
	struct pmd_agreed agreed;
	uint8_t rst;
};

/* What every internal function works on. */
struct ctx {
	struct dis *d;
	struct tcpr_conn *c;
	struct dis_sess *s;
	int t;               /* TCP direction */
};

static void dir_data(struct ctx *x, uint8_t *p, size_t n);
static void ws_data(struct ctx *x, uint8_t *p, size_t n);

const char *dis_dir_name(int dir)
{
	return dir == DIS_C2S ? "c2s" : dir == DIS_S2C ? "s2c" : "-";
}

const char *dis_opcode_name(unsigned op)
{
	static const char *const names[16] = {
		"cont", "text", "binary", "op3", "op4", "op5", "op6", "op7",
		"close", "ping", "pong", "opb", "opc", "opd", "ope", "opf"};
	return names[op & 15u];
}

const char *dis_gap_reason(int reason)
{
	switch (reason) {
	case TCPR_GAP_SNAPLEN:
		return "cut by the snaplen";
	case TCPR_GAP_ACKED:
		return "acknowledged by the peer but not captured";
	case TCPR_GAP_BUFFER:
		return "released at the reassembly buffer cap";
	case TCPR_GAP_END:
		return "never captured before the stream ended";
	}
	return "missing";
}

/* ------------------------------------------------------------------------
 * Events
 */

static int ws_dir_of(const struct dis_sess *s, int t)
{
	if (s == NULL || s->client < 0)
		return -1;
	return t == s->client ? DIS_C2S : DIS_S2C;
}

static void ev_init(struct ctx *x, struct dis_event *e,
		    enum dis_ev_type type)
{
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->packet = x->d->packet;
	e->time = x->d->time;
	e->stream = x->c != NULL ? (int64_t)x->c->stream : -1;
	e->dir = x->t >= 0 ? ws_dir_of(x->s, x->t) : -1;
	e->conn = x->c;
	e->client_dir = x->s != NULL ? x->s->client : -1;
}

static void emit(struct ctx *x, struct dis_event *e)
{
	switch (e->type) {
	case DIS_EV_FRAME:
		x->d->frames++;
		break;
	case DIS_EV_MESSAGE:
		x->d->messages++;
		break;
	case DIS_EV_VIOLATION:
		x->d->violations++;
		break;
	case DIS_EV_SESSION:
		x->d->sessions++;
		break;
	case DIS_EV_GAP:
		x->d->gaps++;
		break;
	case DIS_EV_NOTE:
		x->d->notes++;
		break;
	default:
		break;
	}
	x->d->cb(e, x->d->user);
}

static void note(struct ctx *x, const char *text, uint64_t value)
{
	struct dis_event e;
	ev_init(x, &e, DIS_EV_NOTE);
	e.note = text;
	e.note_value = value;
	emit(x, &e);
}

/* A violation by the sender of TCP direction t; packet and time default
 * to the current packet's (packet 0, tm NULL). */
static void violation_at(struct ctx *x, int t, int code, uint64_t frame,
			 uint64_t offset, uint64_t packet,
			 const struct cap_time *tm)
{
	struct dis_event e;
	int save = x->t;
	x->t = t;
	ev_init(x, &e, DIS_EV_VIOLATION);
	x->t = save;
	if (packet != 0)
		e.packet = packet;
	if (tm != NULL)
		e.time = *tm;
	e.viol.code = code;
	e.viol.req = wsp_errreq(code);
	e.viol.side = e.dir == DIS_C2S ? "client" : "server";
	e.viol.frame = frame;
	e.viol.offset = offset;
	emit(x, &e);
}

/* ------------------------------------------------------------------------
 * Frames and messages
 */

static void add_viol(struct dis_dir *dd, int code, uint64_t off)
{
	if (dd->nviol < DIS_MAX_VIOL) {
		dd->viol[dd->nviol] = code;
		dd->viol_off[dd->nviol] = off;
		dd->nviol++;
	}
}

static void keep_into(uint8_t *buf, size_t *kept, size_t cap,
		      const uint8_t *p, size_t n)
{
	if (*kept >= cap || n == 0)
		return;
	size_t k = cap - *kept < n ? cap - *kept : n;
	memcpy(buf + *kept, p, k);
	*kept += k;
}

static void message_emit(struct ctx *x, const struct dis_message *m)
{
	struct dis_event e;
	ev_init(x, &e, DIS_EV_MESSAGE);
	e.msg = *m;
	emit(x, &e);
}

/* The message state as it stands, for its END. */
static void message_fill(struct dis_dir *dd, struct dis_message *m,
			 const struct msg_event *ev)
{
	memset(m, 0, sizeof(*m));
	m->index = dd->msg_index;
	m->opcode = ev->opcode;
	m->compressed = ev->compressed;
	m->aborted = ev->aborted;
	m->hole = dd->msg_hole;
	m->inflate_failed = dd->msg_failed;
	m->frames = dd->msg_frames;
	m->size = ev->size;
	m->inflated = dd->msg_inflated;
	m->data = dd->mkeep;
	m->len = dd->mkept;
}

static void inflate_frame_end(struct ctx *x, struct dis_dir *dd);

static void frame_emit(struct ctx *x, int incomplete)
{
	struct dis_dir *dd = &x->s->d[x->t];
	struct dis_event e;
	if (!WSP_IS_CONTROL(dd->hdr.opcode) && dd->msg_compressed)
		inflate_frame_end(x, dd);
	ev_init(x, &e, DIS_EV_FRAME);
	struct dis_frame *f = &e.frame;
	f->index = dd->nframes - 1;
	f->message = dd->msg_index;
	f->msg_opcode = WSP_IS_CONTROL(dd->hdr.opcode) ? dd->hdr.opcode
						       : dd->msg_opcode;
	f->hdr = dd->hdr;
	f->received = dd->received;
	f->missing = dd->missing;
	f->incomplete = (uint8_t)incomplete;
	f->compressed = !WSP_IS_CONTROL(dd->hdr.opcode) && dd->msg_compressed;
	f->inflate_failed = f->compressed && (dd->msg_failed || dd->msg_hole);
	f->uncertain = dd->frame_uncertain;
	f->data = dd->keep;
	f->len = dd->kept;
	f->inflated = dd->ikeep;
	f->inflated_len = dd->ikept;
	f->inflated_total = dd->inflated_frame;
	f->crc32 = dd->crc;
	f->inflated_crc32 = dd->icrc;
	f->has_close = dd->has_close;
	f->has_code = dd->close_has_code;
	f->close_code = dd->close_code;
	f->close_reason = dd->close_reason;
	f->close_reason_len = dd->close_reason_len;
	f->viol = dd->viol;
	f->nviol = dd->nviol;
	emit(x, &e);
	for (size_t i = 0; i < dd->nviol; i++)
		violation_at(x, x->t, dd->viol[i], f->index, dd->viol_off[i],
			     0, NULL);
	dd->in_frame = 0;
	if (dd->end_pending) {
		dd->end_pending = 0;
		message_emit(x, &dd->pending);
	}
}

/* Creates the inflater of dd on first use.  Returns 0 or a code. */
static int inflater_ready(struct ctx *x, struct dis_dir *dd)
{
	if (dd->inf != NULL)
		return 0;
	struct pmd_inflate_cfg ic;
	pmd_inflate_cfg_init(&ic, (size_t)x->d->cfg.max_inflate);
	if (x->s->pmd) {
		/* We read what the sender compressed: our role is the
		 * other one. */
		enum wsp_role self = dd->role == WSP_ROLE_CLIENT
					     ? WSP_ROLE_SERVER
					     : WSP_ROLE_CLIENT;
		pmd_agreed_streams(&x->s->agreed, self, NULL, &ic);
	}
	return pmd_inflater_new(&dd->inf, &ic, x->d->cfg.mem);
}

static void inflate_failed(struct ctx *x, struct dis_dir *dd, int code)
{
	dd->msg_failed = 1;
	if (code == WSP_E_PMD_TOO_BIG)
		note(x, "inflated message over the size limit, not inflated further; limit",
		     x->d->cfg.max_inflate);
	else if (dd->inflate_lenient || wsp_errreq(code) == NULL)
		note(x, "compressed message not inflatable (window unknown after a gap or a mid-session start)",
		     0);
	else
		add_viol(dd, code, 0);
	if (dd->inf != NULL) {
		pmd_inflater_reset(dd->inf);
		/* The window the sender kept is gone: later messages may
		 * refer to it. */
		if (!dd->nct)
			dd->inflate_lenient = 1;
	}
}

static void inflated_out(struct ctx *x, struct dis_dir *dd, const uint8_t *p,
			 size_t n)
{
	size_t cap = x->d->cfg.keep;
	dd->msg_inflated += n;
	dd->inflated_frame += n;
	if (x->d->cfg.digest)
		dd->icrc = (uint32_t)crc32_z(dd->icrc, p, n);
	keep_into(dd->ikeep, &dd->ikept, cap, p, n);
	keep_into(dd->mkeep, &dd->mkept, cap, p, n);
	if (dd->msg_text_inflated && !dd->u8_reported &&
	    u8_feed(&dd->u8, p, n) != 0) {
		dd->u8_reported = 1;
		add_viol(dd, dd->u8.error, dd->u8.error_offset);
	}
}

/* Hands p[0..n) of a compressed message to pmd (fin on the last). */
static void inflate_call(struct ctx *x, struct dis_dir *dd,
			 const uint8_t *p, size_t n, int fin)
{
	if (dd->msg_failed || dd->msg_hole)
		return;
	int rc = inflater_ready(x, dd);
	if (rc != 0) {
		inflate_failed(x, dd, rc);
		return;
	}
	size_t off = 0;
	for (;;) {
		size_t used = 0, prod = 0;
		int st = pmd_inflate(dd->inf, off < n ? p + off : NULL,
				     n - off, fin, x->d->scratch, SCRATCH,
				     &used, &prod);
		if (st < 0) {
			inflate_failed(x, dd, st);
			return;
		}
		off += used;
		if (prod > 0)
			inflated_out(x, dd, x->d->scratch, prod);
		if (st == PMD_DONE) {
			if (dd->msg_text_inflated && !dd->u8_reported &&
			    (rc = u8_finish(&dd->u8)) != 0) {
				dd->u8_reported = 1;
				add_viol(dd, rc, dd->u8.error_offset);
			}
			return;
		}
		if (st == PMD_NEED_INPUT)
			return;
	}
}

/* pmd drops the output of a call that fails, so how much a corrupt
 * message inflates to before its error depends on how its bytes were cut.
 * To keep the dissection independent of TCP segmentation, the bytes go to
 * pmd in ZSTAGE slices counted from the message start, and at the end of
 * each frame: places fixed by the WebSocket stream alone. */
static void inflate_slice(struct ctx *x, struct dis_dir *dd,
			  const uint8_t *p, size_t n, int fin)
{
	if (dd->msg_failed || dd->msg_hole)
		return;
	if (dd->zbuf == NULL) {
		dd->zbuf = wsp_malloc(x->d->cfg.mem, ZSTAGE);
		if (dd->zbuf == NULL) {
			inflate_failed(x, dd, WSP_E_NOMEM);
			return;
		}
	}
	while (n > 0) {
		size_t k = ZSTAGE - dd->zlen < n ? ZSTAGE - dd->zlen : n;
		memcpy(dd->zbuf + dd->zlen, p, k);
		dd->zlen += k;
		p += k;
		n -= k;
		if (dd->zlen == ZSTAGE) {
			dd->zlen = 0;
			inflate_call(x, dd, dd->zbuf, ZSTAGE, fin && n == 0);
			if (fin && n == 0)
				return;
		}
	}
	if (fin) {
		size_t k = dd->zlen;
		dd->zlen = 0;
		inflate_call(x, dd, dd->zbuf, k, 1);
	}
}

/* A frame of a compressed message ended: what is staged goes to pmd. */
static void inflate_frame_end(struct ctx *x, struct dis_dir *dd)
{
	if (dd->zlen > 0) {
		size_t k = dd->zlen;
		dd->zlen = 0;
		inflate_call(x, dd, dd->zbuf, k, 0);
	}
}

static int is_u8_code(int code)
{
	return code <= WSP_E_U8_INVALID_BYTE && code >= WSP_E_U8_TRUNCATED;
}

static void on_control(struct ctx *x, struct dis_dir *dd,
		       const struct msg_event *ev)
{
	struct dis_dir *od = &x->s->d[1 - x->t];
	switch (ev->opcode) {
	case WSP_OP_CLOSE:
		dd->has_close = 1;
		dd->close_has_code = (uint8_t)ev->close.has_code;
		dd->close_code = ev->close.code;
		dd->close_reason_len = 0;
		if (ev->close.reason != NULL) {
			size_t k = ev->close.reason_len;
			if (k > sizeof(dd->close_reason))
				k = sizeof(dd->close_reason);
			memcpy(dd->close_reason, ev->close.reason, k);
			dd->close_reason_len = k;
		}
		if (!dd->close_sent) {
			dd->close_sent = 1;
			dd->close_pkt = x->d->packet;
			dd->close_time = x->d->time;
			dd->close_frame = dd->nframes - 1;
			dd->gaps_at_close = od->ngaps;
			dd->close_bad = ev->code != 0;
		}
		break;
	case WSP_OP_PING:
		dd->ping_pending = 1;
		dd->ping_len = ev->len;
		if (ev->len > 0)
			memcpy(dd->ping, ev->data, ev->len);
		dd->ping_pkt = x->d->packet;
		dd->ping_time = x->d->time;
		dd->ping_frame = dd->nframes - 1;
		dd->gaps_at_ping = od->ngaps;
		dd->pong_mismatch = 0;
		/* R6455-5.5.2-02: no Pong is owed once a Close was received;
		 * and a peer that sent its Close already cannot send one. */
		dd->ping_excused = dd->close_sent || od->close_sent ||
				   ev->truncated;
		break;
	case WSP_OP_PONG:
		if (od->ping_pending) {
			if (ev->len == od->ping_len &&
			    (ev->len == 0 ||
			     memcmp(ev->data, od->ping, ev->len) == 0))
				od->ping_pending = 0;
			else
				od->pong_mismatch = 1;
		}
		break;
	default:
		break;
	}
}

static void on_msg(const struct msg_event *ev, void *user)
{
	struct ctx *x = user;
	struct dis_dir *dd = &x->s->d[x->t];
	switch (ev->type) {
	case MSG_EV_VIOLATION:
		if (ev->code == WSP_E_MSG_CONT_NO_MESSAGE && dd->after_gap) {
			/* The message's start was lost in a gap. */
			dd->frame_uncertain = 1;
			return;
		}
		if (is_u8_code(ev->code) && dd->msg_hole)
			return; /* the message has a hole: not judged */
		add_viol(dd, ev->code, ev->offset);
		return;
	case MSG_EV_DATA:
		dd->msg_size += ev->len;
		if (!ev->compressed) {
			keep_into(dd->mkeep, &dd->mkept, x->d->cfg.keep,
				  ev->data, ev->len);
			return;
		}
		inflate_slice(x, dd, ev->data, ev->len, ev->last);
		return;
	case MSG_EV_CONTROL:
		on_control(x, dd, ev);
		return;
	case MSG_EV_END:
		if (dd->skip_next_end && ev->aborted) {
			dd->skip_next_end = 0;
			return;
		}
		if (ev->compressed && (ev->aborted || dd->msg_hole) &&
		    dd->inf != NULL && !dd->msg_failed) {
			/* Inflation stopped mid-message: start clean. */
			pmd_inflater_reset(dd->inf);
			if (!dd->nct)
				dd->inflate_lenient = 1;
		}
		message_fill(dd, &dd->pending, ev);
		dd->msg_open = 0;
		if (dd->in_frame && !ev->aborted) {
			dd->end_pending = 1;
		} else {
			message_emit(x, &dd->pending);
		}
		return;
	case MSG_EV_FRAME:
		return;
	}
}

/* A new message begins with the frame whose header is h (data frames). */
static void message_begin(struct ctx *x, struct dis_dir *dd,
			  const struct wsf_header *h)
{
	if (dd->msg_open && h->opcode != WSP_OP_CONT) {
		/* msg will end the old one as aborted (lenient recovery from
		 * R6455-5.4-07); report it now, before this frame, with its
		 * own state. */
		struct dis_message m;
		memset(&m, 0, sizeof(m));
		m.index = dd->msg_index;
		m.opcode = dd->msg_opcode;
		m.compressed = dd->msg_compressed;
		m.aborted = 1;
		m.hole = dd->msg_hole;
		m.inflate_failed = dd->msg_failed;
		m.frames = dd->msg_frames;
		m.size = dd->msg_size;
		m.inflated = dd->msg_inflated;
		m.data = dd->mkeep;
		m.len = dd->mkept;
		message_emit(x, &m);
		dd->skip_next_end = 1;
		if (dd->msg_compressed && dd->inf != NULL && !dd->msg_failed) {
			pmd_inflater_reset(dd->inf);
			if (!dd->nct)
				dd->inflate_lenient = 1;
		}
		dd->msg_open = 0;
	}
	if (dd->msg_open) {
		dd->msg_frames++;
		return;
	}
	dd->msg_open = 1;
	dd->zlen = 0;
	dd->msg_index = dd->nmsgs++;
	dd->msg_opcode = h->opcode;
	dd->msg_size = 0;
	dd->msg_frames = 1;
	dd->msg_hole = 0;
	dd->msg_failed = 0;
	dd->msg_inflated = 0;
	dd->mkept = 0;
	dd->u8_reported = 0;
	dd->msg_compressed = (dd->policy.rsv_allowed & WSP_RSV1) &&
			     (h->rsv & WSP_RSV1) && h->opcode != WSP_OP_CONT;
	dd->msg_text_inflated = dd->msg_compressed &&
				h->opcode == WSP_OP_TEXT;
	u8_init(&dd->u8);
	if (h->opcode == WSP_OP_TEXT || h->opcode == WSP_OP_BINARY)
		dd->after_gap = 0;
}

static void frame_begin(struct ctx *x, struct dis_dir *dd,
			const struct wsf_header *h)
{
	dd->in_frame = 1;
	dd->nframes++;
	dd->hdr = *h;
	dd->received = 0;
	dd->missing = 0;
	dd->kept = 0;
	dd->ikept = 0;
	dd->inflated_frame = 0;
	dd->crc = 0;
	dd->icrc = 0;
	dd->nviol = 0;
	dd->has_close = 0;
	dd->close_has_code = 0;
	dd->close_reason_len = 0;
	dd->frame_uncertain = dd->after_gap && h->opcode == WSP_OP_CONT;
	if (!WSP_IS_CONTROL(h->opcode))
		message_begin(x, dd, h);
	/* R6455-5.3-02: a fresh key for every frame.  Two frames in a row
	 * with the same key is what a capture can show of it. */
	if (dd->role == WSP_ROLE_CLIENT && h->masked) {
		if (dd->have_key && memcmp(dd->last_key, h->mask_key, 4) == 0)
			add_viol(dd, WSP_E_PCAP_MASK_REPEATED, 0);
		memcpy(dd->last_key, h->mask_key, 4);
		dd->have_key = 1;
	}
}

/* Payload of the current frame taken by hand after a gap in it. */
static size_t manual_payload(struct ctx *x, struct dis_dir *dd, uint8_t *p,
			     size_t n)
{
	size_t take = n < dd->manual_left ? n : (size_t)dd->manual_left;
	uint64_t pos = dd->received + dd->missing;
	if (dd->hdr.masked)
		wsf_mask(p, take, dd->hdr.mask_key, pos);
	struct wsf_event ev;
	memset(&ev, 0, sizeof(ev));
	dd->manual_left -= take;
	ev.flags = dd->manual_left == 0 ? WSF_EV_END : 0;
	ev.hdr = &dd->hdr;
	ev.data = p;
	ev.len = take;
	ev.offset = pos;
	keep_into(dd->keep, &dd->kept, x->d->cfg.keep, p, take);
	if (x->d->cfg.digest)
		dd->crc = (uint32_t)crc32_z(dd->crc, p, take);
	dd->received += take;
	msg_frame(&dd->msg, &ev, on_msg, x);
	if (dd->manual_left == 0) {
		dd->manual = 0;
		frame_emit(x, 0);
		wsf_decoder_init(&dd->wsf, &dd->policy);
	}
	return take;
}

static void ws_data(struct ctx *x, uint8_t *p, size_t n)
{
	struct dis_dir *dd = &x->s->d[x->t];
	while (n > 0 && dd->mode == M_WS) {
		if (dd->manual) {
			size_t k = manual_payload(x, dd, p, n);
			p += k;
			n -= k;
			continue;
		}
		struct wsf_event ev;
		ssize_t c = wsf_decode(&dd->wsf, p, n, &ev);
		if (ev.flags & WSF_EV_HEADER)
			frame_begin(x, dd, ev.hdr);
		if (ev.len > 0) {
			keep_into(dd->keep, &dd->kept, x->d->cfg.keep, ev.data,
				  ev.len);
			if (x->d->cfg.digest)
				dd->crc = (uint32_t)crc32_z(dd->crc, ev.data,
							    ev.len);
			dd->received += ev.len;
		}
		if (ev.flags != 0 || ev.len > 0)
			msg_frame(&dd->msg, &ev, on_msg, x);
		if (ev.flags & WSF_EV_END)
			frame_emit(x, 0);
		if (c <= 0)
			break; /* cannot happen with bytes left; never spin */
		p += c;
		n -= (size_t)c;
	}
}

/* ------------------------------------------------------------------------
 * Sessions: starting, losing sync, resynchronising
 */

static int dir_alloc_ws(struct ctx *x, struct dis_dir *dd)
{
	size_t k = x->d->cfg.keep;
	if (dd->keep == NULL) {
		dd->keep = wsp_malloc(x->d->cfg.mem, 3 * k);
		if (dd->keep == NULL)
			return WSP_E_NOMEM;
		dd->ikeep = dd->keep + k;
		dd->mkeep = dd->keep + 2 * k;
	}
	return 0;
}

/* Fresh frame and message decoders for dd. */
static void decoders_reset(struct dis_sess *s, struct dis_dir *dd)
{
	if (dd->msg_ok)
		msg_free(&dd->msg);
	struct msg_config mc;
	memset(&mc, 0, sizeof(mc));
	dd->policy.sender = (enum wsp_role)dd->role;
	dd->policy.rsv_allowed = s->pmd ? WSP_RSV1 : 0;
	mc.policy = dd->policy;
	mc.strict = 0;
	msg_init(&dd->msg, &mc);
	dd->msg_ok = 1;
	wsf_decoder_init(&dd->wsf, &dd->policy);
	dd->in_frame = 0;
	dd->manual = 0;
	dd->msg_open = 0;
	dd->skip_next_end = 0;
	dd->end_pending = 0;
}

/* Both directions become WebSocket; the client's held bytes are decoded
 * (or, when some were lost, resynchronised). */
static void session_start(struct ctx *x, int handshake, const char *proto,
			  size_t proto_len)
{
	struct dis_sess *s = x->s;
	s->ws = 1;
	for (int t = 0; t < 2; t++) {
		struct dis_dir *dd = &s->d[t];
		dd->role = t == s->client ? WSP_ROLE_CLIENT : WSP_ROLE_SERVER;
		dd->ws_dir = t == s->client ? DIS_C2S : DIS_S2C;
		dd->nct = s->pmd && !s->pmd_unknown &&
			  (t == s->client ? s->agreed.client_no_context_takeover
					  : s->agreed.server_no_context_takeover);
		dd->inflate_lenient = s->pmd_unknown;
		if (dir_alloc_ws(x, dd) != 0) {
			x->d->failed = WSP_E_NOMEM;
			dd->mode = M_IGNORE;
			continue;
		}
		decoders_reset(s, dd);
	}
	struct dis_event e;
	ev_init(x, &e, DIS_EV_SESSION);
	e.dir = -1;
	e.sess.handshake = (uint8_t)handshake;
	e.sess.pmd = s->pmd;
	e.sess.server_bits = s->agreed.server_max_window_bits;
	e.sess.client_bits = s->agreed.client_max_window_bits;
	e.sess.server_nct = (uint8_t)s->agreed.server_no_context_takeover;
	e.sess.client_nct = (uint8_t)s->agreed.client_no_context_takeover;
	e.sess.protocol = proto;
	e.sess.protocol_len = proto_len;
	emit(x, &e);
}

static void lose_sync(struct ctx *x, struct dis_dir *dd);

/* A frame header at p[0..n) that a resynchronisation could start at:
 * -1 no, 0 need more bytes, 1 yes with *total the frame's size. */
static int plausible(const struct dis_sess *s, const struct dis_dir *dd,
		     const uint8_t *p, size_t n, uint64_t *total)
{
	if (n < 2)
		return 0;
	unsigned op = p[0] & 15u, rsv = (p[0] >> 4) & 7u, fin = p[0] >> 7;
	unsigned masked = p[1] >> 7, len7 = p[1] & 127u;
	if (!(op <= 2 || (op >= 8 && op <= 10)))
		return -1;
	if (rsv != 0 && !(rsv == WSP_RSV1 && s->pmd && (op == 1 || op == 2)))
		return -1;
	if (dd->role != WSP_ROLE_ANY &&
	    masked != (dd->role == WSP_ROLE_CLIENT ? 1u : 0u))
		return -1;
	if (WSP_IS_CONTROL(op) && (!fin || len7 > 125))
		return -1;
	size_t hl = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) +
		    (masked ? 4 : 0);
	if (n < hl)
		return 0;
	uint64_t len = len7;
	if (len7 == 126) {
		len = (uint64_t)p[2] << 8 | p[3];
		if (len < 126)
			return -1;
	} else if (len7 == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | p[2 + i];
		if (len < 65536 || len >= (uint64_t)1 << 40)
			return -1;
	}
	*total = hl + len;
	return 1;
}

/* Looks for a frame start in rbuf; switches to WS there.  at_end: the
 * stream ended, so take the first plausible header. */
static void resync_scan(struct ctx *x, int at_end)
{
	struct dis_dir *dd = &x->s->d[x->t];
	size_t i = 0;
	for (; i < dd->rlen; i++) {
		uint64_t total = 0, t2 = 0;
		size_t left = dd->rlen - i;
		int r = plausible(x->s, dd, dd->rbuf + i, left, &total);
		if (r < 0 || (r == 0 && at_end))
			continue;
		if (r == 0)
			break;
		if (at_end || total > RESYNC_VERIFY)
			goto accept;
		if (total + 2 > left)
			break; /* wait for the next header */
		r = plausible(x->s, dd, dd->rbuf + i + total,
			      left - (size_t)total, &t2);
		if (r < 0)
			continue;
		if (r == 0)
			break;
		goto accept;
	}
	dd->skipped += i;
	memmove(dd->rbuf, dd->rbuf + i, dd->rlen - i);
	dd->rlen -= i;
	if (at_end && dd->rlen > 0) {
		dd->skipped += dd->rlen;
		dd->rlen = 0;
	}
	return;
accept:
	if (i > 0 || dd->skipped > 0)
		note(x, "bytes skipped to find a frame start", dd->skipped + i);
	dd->skipped = 0;
	dd->mode = M_WS;
	{
		size_t n = dd->rlen - i;
		dd->rlen = 0;
		ws_data(x, dd->rbuf + i, n);
	}
}

static void resync_data(struct ctx *x, uint8_t *p, size_t n)
{
	struct dis_dir *dd = &x->s->d[x->t];
	if (dd->rbuf == NULL) {
		dd->rbuf = wsp_malloc(x->d->cfg.mem, RESYNC_MAX);
		if (dd->rbuf == NULL) {
			x->d->failed = WSP_E_NOMEM;
			dd->mode = M_IGNORE;
			return;
		}
	}
	while (n > 0 && dd->mode == M_RESYNC) {
		size_t room = RESYNC_MAX - dd->rlen;
		if (room == 0) {
			/* Cannot happen (a candidate never needs more than
			 * RESYNC_MAX bytes); drop a byte rather than spin. */
			memmove(dd->rbuf, dd->rbuf + 1, --dd->rlen);
			dd->skipped++;
			continue;
		}
		size_t k = n < room ? n : room;
		memcpy(dd->rbuf + dd->rlen, p, k);
		dd->rlen += k;
		p += k;
		n -= k;
		resync_scan(x, 0);
	}
	if (n > 0 && dd->mode == M_WS)
		ws_data(x, p, n);
}

/* The frame boundary is lost: end what is open, resynchronise. */
static void lose_sync(struct ctx *x, struct dis_dir *dd)
{
	if (dd->in_frame) {
		dd->manual = 0;
		frame_emit(x, 1);
	}
	if (dd->msg_ok)
		msg_finish(&dd->msg, on_msg, x);
	if (dd->inf != NULL) {
		/* A message may have been cut: start the window clean; with
		 * context takeover what it held is unknown from now on. */
		pmd_inflater_reset(dd->inf);
		if (!dd->nct)
			dd->inflate_lenient = 1;
	}
	decoders_reset(x->s, dd);
	dd->after_gap = 1;
	dd->have_key = 0;
	dd->mode = M_RESYNC;
	dd->rlen = 0;
}

/* ------------------------------------------------------------------------
 * HTTP
 */

static enum kind head_kind(const uint8_t *p, size_t n)
{
	static const char resp[] = "HTTP/";
	int may_resp = 1;
	for (size_t i = 0; i < n && i < 5; i++)
		if (p[i] != (uint8_t)resp[i])
			may_resp = 0;
	if (may_resp && n >= 5)
		return K_RESP;
	/* A method: 1..20 upper-case letters and a space. */
	size_t i = 0;
	while (i < n && i < 20 && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	if (i < n && p[i] == ' ' && i > 0)
		return K_REQ;
	if (i == n && n < 20)
		return K_UNDECIDED;
	return may_resp ? K_UNDECIDED : K_NOT;
}

/* Content-Length, or -1 when absent or unusable; -2 for a chunked
 * (unknown) length. */
static int64_t body_length(const struct hs_msg *m)
{
	if (hs_find(m, "Transfer-Encoding") != NULL)
		return -2;
	const struct hs_header *h = hs_find(m, "Content-Length");
	if (h == NULL)
		return -1;
	int64_t v = 0;
	if (h->value_len == 0 || h->value_len > 18)
		return -2;
	for (size_t i = 0; i < h->value_len; i++) {
		char ch = h->value[i];
		if (ch < '0' || ch > '9')
			return -2;
		v = v * 10 + (ch - '0');
	}
	return v;
}

static void set_after_body(struct dis_dir *dd, int64_t len, uint8_t next)
{
	if (len > 0) {
		dd->mode = M_SKIP;
		dd->skip = (uint64_t)len;
		dd->after_skip = next;
	} else if (len == -2) {
		dd->mode = M_IGNORE; /* unknown body length: lose the stream */
	} else {
		dd->mode = next;
	}
}

static void http_event(struct ctx *x, const struct hs_msg *m, int request,
		       int upgrade)
{
	struct dis_event e;
	ev_init(x, &e, DIS_EV_HTTP);
	e.http.request = (uint8_t)request;
	e.http.upgrade = (uint8_t)upgrade;
	e.http.status = m->status;
	const char *line = request ? m->method : m->version;
	/* The start line runs from its first field to the line end. */
	size_t len = 0;
	if (line != NULL) {
		while (len < m->head_len && line[len] != '\r' &&
		       line[len] != '\n')
			len++;
	}
	e.http.line = line;
	e.http.line_len = len;
	emit(x, &e);
}

/* Judges the permessage-deflate offers of the request (R7692-7-01 and
 * the parameter rules), as the client side's violations. */
static void check_offers(struct ctx *x, const struct hs_msg *req)
{
	struct ext_elem el[HS_MAX_EXT];
	const struct hs_header *h = NULL;
	while ((h = hs_find_next(req, "Sec-WebSocket-Extensions", h)) !=
	       NULL) {
		int n = ext_parse(h->value, h->value_len, el, HS_MAX_EXT);
		for (int i = 0; i < n && i < HS_MAX_EXT; i++) {
			struct pmd_params pp;
			int rc;
			if (pmd_is_pmd(&el[i]) &&
			    (rc = pmd_parse_offer(&el[i], &pp)) != 0 &&
			    wsp_errreq(rc) != NULL)
				violation_at(x, x->t, rc, UINT64_MAX, 0, 0, NULL);
		}
	}
}

/* Sets s->pmd and s->agreed from the response (and the request when
 * there is one); violations are the server's. */
static void negotiate(struct ctx *x, const struct hs_msg *req,
		      const struct hs_msg *resp)
{
	struct dis_sess *s = x->s;
	struct ext_elem rel[HS_MAX_EXT];
	struct ext_elem oel[HS_MAX_EXT];
	struct pmd_params offers[HS_MAX_EXT];
	size_t noff = 0;
	s->pmd = 0;
	const struct hs_header *rh = hs_find(resp, "Sec-WebSocket-Extensions");
	if (rh == NULL)
		return;
	int nr = ext_parse(rh->value, rh->value_len, rel, HS_MAX_EXT);
	if (nr < 0)
		return; /* reported by hs_check_response */
	if (nr > HS_MAX_EXT)
		nr = HS_MAX_EXT;
	int has_pmd = 0;
	for (int i = 0; i < nr; i++)
		if (pmd_is_pmd(&rel[i]))
			has_pmd = 1;
	if (!has_pmd)
		return;
	/* The server turned it on: frames will carry RSV1. */
	s->pmd = 1;
	s->agreed.server_max_window_bits = 15;
	s->agreed.client_max_window_bits = 15;
	s->agreed.server_no_context_takeover = 0;
	s->agreed.client_no_context_takeover = 0;
	if (req != NULL) {
		const struct hs_header *h = NULL;
		while ((h = hs_find_next(req, "Sec-WebSocket-Extensions", h)) !=
		       NULL) {
			int n = ext_parse(h->value, h->value_len, oel,
					  HS_MAX_EXT);
			for (int i = 0; i < n && i < HS_MAX_EXT &&
					noff < HS_MAX_EXT;
			     i++)
				if (pmd_is_pmd(&oel[i]) &&
				    pmd_parse_offer(&oel[i], &offers[noff]) == 0)
					noff++;
		}
		int rc = pmd_client_check(offers, noff, rel, (size_t)nr, NULL,
					  &s->agreed);
		if (rc == 1)
			return;
		if (rc < 0 && wsp_errreq(rc) != NULL &&
		    rc != WSP_E_PMD_RESP_NOT_OFFERED)
			violation_at(x, x->t, rc, UINT64_MAX, 0, 0, NULL);
	}
	/* No usable agreement: take the response's parameters as written
	 * and inflate leniently. */
	for (int i = 0; i < nr; i++) {
		struct pmd_params pp;
		if (pmd_is_pmd(&rel[i]) && pmd_parse_response(&rel[i], &pp) == 0) {
			s->agreed.server_no_context_takeover =
				pp.server_no_context_takeover;
			s->agreed.client_no_context_takeover =
				pp.client_no_context_takeover;
			if (pp.server_max_window_bits)
				s->agreed.server_max_window_bits =
					pp.server_max_window_bits;
			if (pp.client_max_window_bits)
				s->agreed.client_max_window_bits =
					pp.client_max_window_bits;
			break;
		}
	}
	s->pmd_unknown = req == NULL ? 0 : 1;
}

static void handle_request(struct ctx *x, struct dis_dir *dd, int head_len)
{
	struct dis_http_state *hp = x->s->http;
	struct hs_msg *req = &hp->req;
	int upgrade = hs_has_token(req, "Upgrade", "websocket");
	int64_t body = body_length(req);
	if (!upgrade) {
		set_after_body(dd, body, M_HTTP);
		return;
	}
	http_event(x, req, 1, 1);
	int viol[HS_MAX_VIOL];
	int n = hs_check_request(req, viol, HS_MAX_VIOL);
	for (int i = 0; i < n && i < HS_MAX_VIOL; i++)
		violation_at(x, x->t, viol[i], UINT64_MAX, 0, 0, NULL);
	check_offers(x, req);
	/* Keep the request for judging the response. */
	wsp_free(x->d->cfg.mem, hp->req_buf);
	hp->req_buf = wsp_malloc(x->d->cfg.mem, (size_t)head_len);
	if (hp->req_buf == NULL) {
		x->d->failed = WSP_E_NOMEM;
		dd->mode = M_IGNORE;
		return;
	}
	memcpy(hp->req_buf, dd->hbuf, (size_t)head_len);
	hs_msg_init(req, hp->req_h, MAX_HEADERS);
	hs_parse_request(req, hp->req_buf, (size_t)head_len, 0);
	hp->have_req = 1;
	set_after_body(dd, body, M_WAIT);
}

/* Takes dd's held client bytes (the caller frees them). */
static uint8_t *take_wait(struct dis_dir *dd, size_t *n)
{
	uint8_t *b = dd->wbuf;
	*n = dd->wlen;
	dd->wbuf = NULL;
	dd->wlen = 0;
	return b;
}

static void handle_response(struct ctx *x, struct dis_dir *dd)
{
	struct dis_sess *s = x->s;
	struct dis_http_state *hp = s->http;
	struct hs_msg *resp = &hp->resp;
	int64_t body = body_length(resp);
	int status = resp->status;
	if (!hp->have_req && !(s->port_mode && status == 101)) {
		/* Plain HTTP (or a 101 whose request was not captured, only
		 * taken with a port configured). */
		set_after_body(dd, status / 100 == 1 || status == 204 ||
					   status == 304
				       ? 0
				       : body == -1 ? -2 : body,
			       M_HTTP);
		return;
	}
	http_event(x, resp, 0, 0);
	if (status / 100 == 1 && status != 101) {
		dd->mode = M_HTTP; /* an interim response */
		return;
	}
	int ct = s->client;
	struct ctx cx = *x;
	cx.t = ct;
	if (status == 101) {
		int viol[HS_MAX_VIOL];
		const struct hs_msg *req = hp->have_req ? &hp->req : NULL;
		int n = hs_check_response(resp, req, viol, HS_MAX_VIOL);
		for (int i = 0; i < n && i < HS_MAX_VIOL; i++)
			violation_at(x, x->t, viol[i], UINT64_MAX, 0, 0, NULL);
		negotiate(x, req, resp);
		const struct hs_header *ph =
			hs_find(resp, "Sec-WebSocket-Protocol");
		struct dis_dir *cd = &s->d[ct];
		uint8_t lost = cd->woverflow;
		int was_new = cd->mode == M_NEW;
		session_start(x, 1, ph ? ph->value : NULL,
			      ph ? ph->value_len : 0);
		dd->mode = M_WS;
		if (lost) {
			note(&cx, "client bytes before the response over the hold limit, resynchronising; limit",
			     WAIT_MAX);
			cd->mode = M_RESYNC;
			cd->after_gap = 1;
		} else if (cd->mode != M_IGNORE) {
			cd->mode = was_new || hp->have_req ? M_WS : M_RESYNC;
		}
		size_t wn;
		uint8_t *w = take_wait(cd, &wn);
		if (wn > 0)
			dir_data(&cx, w, wn);
		wsp_free(x->d->cfg.mem, w);
		/* HTTP is over for this stream: its parsing state goes (the
		 * caller, http_data, touches neither after this). */
		for (int t = 0; t < 2; t++) {
			wsp_free(x->d->cfg.mem, s->d[t].hbuf);
			s->d[t].hbuf = NULL;
			s->d[t].hcap = s->d[t].hlen = s->d[t].hparsed = 0;
		}
		wsp_free(x->d->cfg.mem, hp->req_buf);
		wsp_free(x->d->cfg.mem, hp);
		s->http = NULL;
		return;
	}
	/* Refused: both sides go on speaking HTTP. */
	hp->have_req = 0;
	set_after_body(dd, status == 204 || status == 304
				   ? 0
				   : body == -1 ? -2 : body,
		       M_HTTP);
	struct dis_dir *cd = &s->d[ct];
	if (cd->mode == M_WAIT)
		cd->mode = M_HTTP;
	size_t wn;
	uint8_t *w = take_wait(cd, &wn);
	if (wn > 0 && cd->mode == M_HTTP)
		dir_data(&cx, w, wn);
	wsp_free(x->d->cfg.mem, w);
}

/* Bytes no HTTP parser accepts at the start of direction t. */
static void not_http(struct ctx *x, struct dis_dir *dd)
{
	struct dis_sess *s = x->s;
	if (!s->port_mode) {
		dd->mode = M_IGNORE;
		s->d[1 - x->t].mode = M_IGNORE;
		return;
	}
	/* The port says WebSocket: a capture that starts mid-session. */
	if (!s->ws) {
		s->pmd_unknown = 1;
		s->pmd = 1; /* RSV1 may mark compressed messages */
		s->agreed.server_max_window_bits = 15;
		s->agreed.client_max_window_bits = 15;
		s->agreed.server_no_context_takeover = 0;
		s->agreed.client_no_context_takeover = 0;
		session_start(x, 0, NULL, 0);
		for (int t = 0; t < 2; t++) {
			struct dis_dir *od = &s->d[t];
			if (od->mode == M_IGNORE)
				continue;
			/* What the other side holds (part of a head, or
			 * client bytes waiting for a response) is WebSocket
			 * too: it is scanned like the rest, not dropped.
			 * Our own held bytes are the caller's. */
			uint8_t *held = NULL, *own = NULL;
			size_t nheld = 0;
			if (t != x->t &&
			    (od->mode == M_NEW || od->mode == M_HTTP)) {
				held = od->hbuf;
				nheld = od->hlen;
			} else if (t != x->t && od->mode == M_WAIT) {
				held = own = take_wait(od, &nheld);
				if (od->woverflow)
					nheld = 0; /* not contiguous */
			}
			od->hlen = 0;
			od->hparsed = 0;
			od->mode = M_RESYNC;
			od->after_gap = 1;
			if (nheld > 0) {
				struct ctx ox = *x;
				ox.t = t;
				resync_data(&ox, held, nheld);
			}
			wsp_free(x->d->cfg.mem, own);
		}
	}
	dd->mode = M_RESYNC;
	dd->after_gap = 1;
}

/* HTTP head bytes; returns how many of p were used. */
static size_t http_data(struct ctx *x, uint8_t *p, size_t n)
{
	struct dis_sess *s = x->s;
	struct dis_dir *dd = &s->d[x->t];
	if (s->http == NULL) {
		s->http = wsp_malloc(x->d->cfg.mem, sizeof(*s->http));
		if (s->http == NULL) {
			x->d->failed = WSP_E_NOMEM;
			dd->mode = M_IGNORE;
			return n;
		}
		memset(s->http, 0, sizeof(*s->http));
	}
	size_t old = dd->hlen;
	size_t take = HEAD_MAX - old < n ? HEAD_MAX - old : n;
	if (old + take > dd->hcap) {
		size_t cap = dd->hcap < 512 ? 512 : dd->hcap;
		while (cap < old + take)
			cap *= 2;
		if (cap > HEAD_MAX)
			cap = HEAD_MAX;
		uint8_t *nb = wsp_realloc(x->d->cfg.mem, dd->hbuf, cap);
		if (nb == NULL) {
			x->d->failed = WSP_E_NOMEM;
			dd->mode = M_IGNORE;
			return n;
		}
		dd->hbuf = nb;
		dd->hcap = cap;
	}
	memcpy(dd->hbuf + old, p, take);
	dd->hlen += take;

	if (dd->mode == M_NEW) {
		enum kind k = head_kind(dd->hbuf, dd->hlen);
		if (k == K_UNDECIDED && dd->hlen < HEAD_MAX)
			return take;
		int is_client = s->port_mode && s->client == x->t;
		if (k == K_REQ && (s->client < 0 || is_client)) {
			s->client = x->t;
			dd->is_req = 1;
		} else if (k == K_RESP &&
			   (s->client == 1 - x->t ||
			    (s->port_mode && !is_client))) {
			dd->is_req = 0;
		} else {
			/* Not a head this side would send: the held bytes
			 * (and the rest) are frames, or nothing of ours. */
			size_t hl = dd->hlen;
			dd->hlen = 0;
			not_http(x, dd);
			if (dd->mode == M_RESYNC) {
				/* hbuf is only read here; resync copies. */
				uint8_t *h = dd->hbuf;
				resync_data(x, h, hl - take);
				if (dd->mode == M_RESYNC || dd->mode == M_WS)
					return 0; /* p is fed by the loop */
			}
			return n;
		}
		dd->mode = M_HTTP;
	}

	struct hs_msg *m = dd->is_req ? &s->http->req : &s->http->resp;
	if (dd->hparsed == 0)
		hs_msg_init(m, dd->is_req ? s->http->req_h : s->http->resp_h,
			    MAX_HEADERS);
	int rc = dd->is_req ? hs_parse_request(m, (const char *)dd->hbuf,
					       dd->hlen, dd->hparsed)
			    : hs_parse_response(m, (const char *)dd->hbuf,
						dd->hlen, dd->hparsed);
	dd->hparsed = dd->hlen;
	if (rc == WSP_E_INCOMPLETE && dd->hlen < HEAD_MAX)
		return take;
	dd->hparsed = 0;
	if (rc < 0) {
		dd->hlen = 0;
		if (s->ws || s->http->have_req || s->port_mode) {
			/* A head that does not parse where one must be. */
			if (wsp_errreq(rc) != NULL)
				violation_at(x, x->t, rc, UINT64_MAX, 0, 0,
					     NULL);
			else
				note(x, "HTTP head too long or with too many header lines, not parsed; limit",
				     HEAD_MAX);
		}
		if (s->port_mode) {
			/* The port says WebSocket, and a head we reject is
			 * not known to be a head: where it would end is not
			 * known either (its blank line may be missing, or
			 * itself malformed).  So its bytes are treated like
			 * bytes that never looked like HTTP (head_kind K_NOT
			 * above): every byte of the stream from the head's
			 * first one is scanned for a frame start, and the
			 * bytes before the frame found are noted as skipped.
			 * Scanning from where the parser stopped instead
			 * would depend on how the head was cut into
			 * segments (the parser stops at the end of the
			 * segment that shows the error).  hbuf[0..old) is
			 * the head before p, p is fed by the caller's loop;
			 * hbuf is discarded, so decoding may unmask it in
			 * place. */
			not_http(x, dd);
			if (dd->mode == M_RESYNC) {
				resync_data(x, dd->hbuf, old);
				if (dd->mode == M_RESYNC || dd->mode == M_WS)
					return 0;
			}
			return n;
		}
		dd->mode = M_IGNORE;
		return n;
	}
	size_t used = (size_t)rc - old;
	dd->hlen = 0;
	if (dd->is_req)
		handle_request(x, dd, rc);
	else
		handle_response(x, dd);
	/* Between heads HTTP needs nothing kept (plain HTTP streams then
	 * cost little): the head buffer goes, and the parse state too
	 * unless an upgrade awaits its response or the other side is in
	 * the middle of a head. */
	wsp_free(x->d->cfg.mem, dd->hbuf);
	dd->hbuf = NULL;
	dd->hcap = 0;
	if (s->http != NULL && !s->http->have_req && s->d[0].hlen == 0 &&
	    s->d[1].hlen == 0) {
		wsp_free(x->d->cfg.mem, s->http->req_buf);
		wsp_free(x->d->cfg.mem, s->http);
		s->http = NULL;
	}
	return used;
}

static size_t wait_data(struct ctx *x, struct dis_dir *dd, uint8_t *p,
			size_t n)
{
	if (!dd->early) {
		/* R6455-4.1-40: the client waits for the response. */
		dd->early = 1;
		violation_at(x, x->t, WSP_E_PCAP_DATA_BEFORE_101, UINT64_MAX, 0,
			     0, NULL);
	}
	if (dd->woverflow)
		return n;
	if (dd->wbuf == NULL) {
		dd->wbuf = wsp_malloc(x->d->cfg.mem, WAIT_MAX);
		if (dd->wbuf == NULL) {
			dd->woverflow = 1;
			return n;
		}
	}
	if (n > WAIT_MAX - dd->wlen) {
		dd->woverflow = 1;
		return n;
	}
	memcpy(dd->wbuf + dd->wlen, p, n);
	dd->wlen += n;
	return n;
}

static void dir_data(struct ctx *x, uint8_t *p, size_t n)
{
	struct dis_dir *dd = &x->s->d[x->t];
	while (n > 0) {
		size_t used;
		switch (dd->mode) {
		case M_NEW:
		case M_HTTP:
			used = http_data(x, p, n);
			break;
		case M_SKIP:
			used = n < dd->skip ? n : (size_t)dd->skip;
			dd->skip -= used;
			if (dd->skip == 0)
				dd->mode = dd->after_skip;
			break;
		case M_WAIT:
			used = wait_data(x, dd, p, n);
			break;
		case M_WS:
			ws_data(x, p, n);
			used = n;
			break;
		case M_RESYNC:
			resync_data(x, p, n);
			used = n;
			break;
		default:
			return;
		}
		p += used;
		n -= used;
	}
}

/* ------------------------------------------------------------------------
 * TCP events
 */

static void gap_event(struct ctx *x, const struct tcpr_event *tev)
{
	struct dis_sess *s = x->s;
	struct dis_dir *dd = &s->d[x->t];
	dd->ngaps++;
	if (dd->mode == M_IGNORE)
		return;
	struct dis_event e;
	ev_init(x, &e, DIS_EV_GAP);
	e.gap.offset = tev->offset;
	e.gap.len = tev->gap;
	e.gap.reason = tev->reason;
	emit(x, &e);
	switch (dd->mode) {
	case M_NEW:
	case M_HTTP:
		dd->hlen = 0;
		dd->hparsed = 0;
		if (s->port_mode) {
			not_http(x, dd);
		} else {
			dd->mode = M_IGNORE;
			if (!s->ws)
				s->d[1 - x->t].mode = M_IGNORE;
		}
		break;
	case M_SKIP:
		if (tev->gap < dd->skip) {
			dd->skip -= tev->gap;
		} else if (s->port_mode) {
			not_http(x, dd);
		} else {
			dd->mode = M_IGNORE;
		}
		break;
	case M_WAIT:
		dd->woverflow = 1;
		break;
	case M_WS: {
		uint64_t left = dd->hdr.payload_len - dd->received -
				dd->missing;
		if (dd->in_frame && tev->gap <= left) {
			/* The frame's end is still known. */
			dd->missing += tev->gap;
			if (!WSP_IS_CONTROL(dd->hdr.opcode))
				dd->msg_hole = 1;
			dd->manual = 1;
			dd->manual_left = left - tev->gap;
			if (dd->manual_left == 0) {
				uint8_t none = 0;
				manual_payload(x, dd, &none, 0);
			}
		} else {
			lose_sync(x, dd);
		}
		break;
	}
	case M_RESYNC:
		dd->skipped += dd->rlen + tev->gap;
		dd->rlen = 0;
		break;
	default:
		break;
	}
}

/* The end of a direction: resolve a pending resync, cut what is open. */
static void dir_end(struct ctx *x)
{
	struct dis_dir *dd = &x->s->d[x->t];
	if (dd->mode == M_RESYNC && dd->rlen > 0)
		resync_scan(x, 1);
	if (dd->mode != M_WS && dd->mode != M_RESYNC)
		return;
	if (dd->in_frame)
		frame_emit(x, 1);
	if (dd->msg_ok)
		msg_finish(&dd->msg, on_msg, x);
}

/* The checks that need the end of the session (both directions). */
static void session_end(struct ctx *x, int reason)
{
	struct dis_sess *s = x->s;
	int save = x->t;
	for (int t = 0; t < 2; t++) {
		x->t = t;
		dir_end(x);
	}
	x->t = save;
	if (!s->ws || s->rst)
		return;
	for (int t = 0; t < 2; t++) {
		struct dis_dir *dd = &s->d[t];
		struct dis_dir *od = &s->d[1 - t];
		/* The peer ended cleanly (its FIN, or its Close) and we can
		 * see all it sent since: a verdict is possible. */
		int peer_done = od->fin || reason == TCPR_CLOSE_FIN;
		if (dd->ping_pending && !dd->ping_excused &&
		    od->ngaps == dd->gaps_at_ping &&
		    (peer_done ||
		     (od->close_sent && od->close_pkt >= dd->ping_pkt)))
			violation_at(x, 1 - t,
				     dd->pong_mismatch ? WSP_E_PCAP_PONG_MISMATCH
						       : WSP_E_PCAP_PING_UNANSWERED,
				     UINT64_MAX, 0, dd->ping_pkt, &dd->ping_time);
		/* R6455-5.5.1-07: a Close is answered with a Close. */
		if (dd->close_sent && !dd->close_bad && !od->close_sent &&
		    od->fin && od->ngaps == dd->gaps_at_close)
			violation_at(x, 1 - t, WSP_E_PCAP_NO_CLOSE_REPLY,
				     UINT64_MAX, 0, dd->close_pkt,
				     &dd->close_time);
	}
}

static void dir_free(struct dis *d, struct dis_dir *dd)
{
	const struct wsp_mem *mem = d->cfg.mem;
	if (dd->msg_ok)
		msg_free(&dd->msg);
	pmd_inflater_free(dd->inf);
	wsp_free(mem, dd->hbuf);
	wsp_free(mem, dd->wbuf);
	wsp_free(mem, dd->rbuf);
	wsp_free(mem, dd->keep);
	wsp_free(mem, dd->zbuf);
}

static void sess_free(struct dis *d, struct dis_sess *s)
{
	if (s == NULL)
		return;
	dir_free(d, &s->d[0]);
	dir_free(d, &s->d[1]);
	if (s->http != NULL)
		wsp_free(d->cfg.mem, s->http->req_buf);
	wsp_free(d->cfg.mem, s->http);
	wsp_free(d->cfg.mem, s);
}

/* The session of a connection with data, created on first use; NULL when
 * the stream is not ours. */
static struct dis_sess *sess_get(struct dis *d, struct tcpr_conn *c)
{
	if (c->user == &d->ignored)
		return NULL;
	if (c->user != NULL)
		return c->user;
	int port_side = -1;
	if (d->cfg.stream >= 0 && (uint64_t)d->cfg.stream != c->stream) {
		c->user = &d->ignored;
		return NULL;
	}
	if (d->cfg.port != 0) {
		if (c->port[1] == d->cfg.port && c->port[0] != d->cfg.port)
			port_side = 1;
		else if (c->port[0] == d->cfg.port && c->port[1] != d->cfg.port)
			port_side = 0;
		else if (c->port[0] == d->cfg.port)
			port_side = c->client >= 0 ? 1 - c->client : 1;
		if (port_side < 0) {
			c->user = &d->ignored;
			return NULL;
		}
	}
	struct dis_sess *s = wsp_malloc(d->cfg.mem, sizeof(*s));
	if (s == NULL) {
		d->failed = WSP_E_NOMEM;
		c->user = &d->ignored;
		return NULL;
	}
	memset(s, 0, sizeof(*s));
	s->client = -1;
	if (port_side >= 0) {
		s->port_mode = 1;
		s->client = 1 - port_side;
	}
	c->user = s;
	return s;
}

/* A stream neither direction of which is ours any more: its state goes,
 * so that non-WebSocket streams cost only tcpr's connection. */
static void maybe_drop(struct dis *d, struct tcpr_conn *c)
{
	struct dis_sess *s = c->user;
	if (s == NULL || c->user == &d->ignored || s->ws ||
	    s->d[0].mode != M_IGNORE || s->d[1].mode != M_IGNORE)
		return;
	sess_free(d, s);
	c->user = &d->ignored;
}

static void on_tcp(const struct tcpr_event *ev, void *user)
{
	struct dis *d = user;
	struct tcpr_conn *c = ev->conn;
	struct dis_sess *s;
	struct ctx x = {d, c, NULL, ev->dir};
	switch (ev->type) {
	case TCPR_EV_DATA:
		if ((s = sess_get(d, c)) == NULL)
			return;
		x.s = s;
		dir_data(&x, ev->data, ev->len);
		maybe_drop(d, c);
		return;
	case TCPR_EV_GAP:
		if ((s = sess_get(d, c)) == NULL)
			return;
		x.s = s;
		gap_event(&x, ev);
		maybe_drop(d, c);
		return;
	case TCPR_EV_FIN:
		if (c->user != NULL && c->user != &d->ignored)
			((struct dis_sess *)c->user)->d[ev->dir].fin = 1;
		return;
	case TCPR_EV_RST:
		if (c->user != NULL && c->user != &d->ignored)
			((struct dis_sess *)c->user)->rst = 1;
		return;
	case TCPR_EV_CLOSE:
		if (c->user != NULL && c->user != &d->ignored) {
			x.s = c->user;
			x.t = 0;
			session_end(&x, ev->reason);
			sess_free(d, x.s);
		}
		c->user = NULL;
		return;
	case TCPR_EV_CONFLICT:
		if (c->user != NULL && c->user != &d->ignored) {
			x.s = c->user;
			note(&x, "retransmission differs from the first copy (first kept) at stream offset",
			     ev->offset);
		}
		return;
	case TCPR_EV_OVERFLOW:
		if (c->user != NULL && c->user != &d->ignored) {
			x.s = c->user;
			note(&x, "reassembly buffer cap reached, held bytes released; cap",
			     d->tcpr.cfg.max_buffer);
		}
		return;
	case TCPR_EV_OPEN:
		return;
	}
}

/* ------------------------------------------------------------------------
 * Public
 */

int dis_init(struct dis *d, const struct dis_config *cfg)
{
	memset(d, 0, sizeof(*d));
	if (cfg != NULL)
		d->cfg = *cfg;
	if (d->cfg.keep == 0)
		d->cfg.keep = 64;
	if (d->cfg.max_inflate == 0)
		d->cfg.max_inflate = 64u * 1024 * 1024;
	if (d->cfg.tcpr.mem == NULL)
		d->cfg.tcpr.mem = d->cfg.mem;
	d->scratch = wsp_malloc(d->cfg.mem, SCRATCH);
	if (d->scratch == NULL)
		return WSP_E_NOMEM;
	int rc = tcpr_init(&d->tcpr, &d->cfg.tcpr);
	if (rc != 0) {
		wsp_free(d->cfg.mem, d->scratch);
		d->scratch = NULL;
		return rc;
	}
	return 0;
}

int dis_packet(struct dis *d, const struct cap_pkt *pkt,
	       void (*cb)(const struct dis_event *ev, void *user), void *user)
{
	if (d->failed != 0)
		return d->failed;
	d->cb = cb;
	d->user = user;
	d->packet = pkt->number;
	d->time = pkt->ts;
	d->packets++;
	struct pkt_tcp seg;
	int st = pkt_decode(pkt->linktype, pkt->data, pkt->caplen,
			    pkt->origlen, &seg);
	struct ctx x = {d, NULL, NULL, -1};
	switch (st) {
	case PKT_TCP:
		break;
	case PKT_OTHER:
		return 0;
	case PKT_BAD_LINK: {
		for (size_t i = 0; i < d->nbad_links; i++)
			if (d->bad_links[i] == pkt->linktype)
				return 0;
		if (d->nbad_links < sizeof(d->bad_links) / sizeof(d->bad_links[0]))
			d->bad_links[d->nbad_links++] = pkt->linktype;
		if (d->cfg.stream < 0)
			note(&x, "unsupported link type, its packets skipped",
			     pkt->linktype);
		return 0;
	}
	default:
		if (d->cfg.stream < 0)
			note(&x, seg.why, 0);
		return 0;
	}
	d->tcp_packets++;
	int rc = tcpr_packet(&d->tcpr, &seg, on_tcp, d);
	if (rc != 0)
		d->failed = rc;
	return d->failed;
}

void dis_finish(struct dis *d,
		void (*cb)(const struct dis_event *ev, void *user), void *user)
{
	d->cb = cb;
	d->user = user;
	tcpr_finish(&d->tcpr, on_tcp, d);
}

void dis_free(struct dis *d)
{
	/* Sessions still open (dis_finish not called) are freed here. */
	for (struct tcpr_conn *c = d->tcpr.open.head; c != NULL; c = c->next) {
		if (c->user != NULL && c->user != &d->ignored)
			sess_free(d, c->user);
		c->user = NULL;
	}
	tcpr_free(&d->tcpr);
	wsp_free(d->cfg.mem, d->scratch);
	d->scratch = NULL;
}
