/*
 * msg.c: the message layer of msg.h.  It turns wsf_decode's per-frame events
 * into message events and judges the rules that span frames.
 *
 * State: at most one data message is open (in_msg); a control frame may sit
 * inside it (R6455-5.4-08) and is buffered in ctl[125] until it ends.  The
 * header of each frame is judged as soon as it completes, so limits are
 * checked against announced lengths before any payload is looked at.
 *
 * Every violation goes through violation(): it reports the event and, in
 * strict mode, records the code and returns it, and every caller returns at
 * once when it gets a non-zero value.  That single path is what makes
 * "strict stops at the first violation, lenient goes on" hold everywhere.
 */
#include <string.h>

#include "msg.h"
#include "wsp_err.h"

#define MSG_CB void (*cb)(const struct msg_event *ev, void *user)

static void event_init(const struct msg_decoder *m, struct msg_event *e,
		       enum msg_event_type type)
{
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->frame = m->nframes > 0 ? m->nframes - 1 : 0;
	e->frame_pos = m->frame_pos;
	e->hdr = &m->hdr;
	if (type == MSG_EV_DATA || type == MSG_EV_END) {
		e->message = m->msg_index;
		e->opcode = m->msg_opcode;
		e->compressed = m->msg_compressed;
	} else {
		e->opcode = m->hdr.opcode;
	}
}

/* Reports violation code (offset: its place in the message, for UTF-8).
 * Returns the code when the decoder must stop (strict), else 0. */
static int violation(struct msg_decoder *m, int code, uint64_t offset,
		     MSG_CB, void *user)
{
	struct msg_event e;
	event_init(m, &e, MSG_EV_VIOLATION);
	e.code = code;
	e.req = wsp_errreq(code);
	e.offset = offset;
	cb(&e, user);
	if (m->cfg.strict) {
		m->failed = code;
		return code;
	}
	return 0;
}

/* --------------------------------------------------------------------------
 * Reassembly
 */

/* Appends p[0..n) to the message being reassembled.  Returns 0, or
 * WSP_E_NOMEM when growing the buffer failed. */
static int reasm_append(struct msg_decoder *m, const uint8_t *p, size_t n)
{
	if (m->cfg.reasm_max == 0 || m->roverflow || n == 0)
		return 0;
	if (n > m->cfg.reasm_max - m->rlen) {
		m->roverflow = 1; /* over the ceiling: slices only */
		return 0;
	}
	if (n > m->rcap - m->rlen) {
		/* Only the allocating variant can get here: a caller buffer
		 * has rcap == reasm_max.  Grow geometrically, capped. */
		size_t want = m->rlen + n;
		size_t cap = m->rcap < 256 ? 256 : m->rcap;
		while (cap < want && cap <= m->cfg.reasm_max / 2)
			cap *= 2;
		if (cap < want || cap > m->cfg.reasm_max)
			cap = m->cfg.reasm_max;
		uint8_t *nb = wsp_realloc(m->cfg.mem, m->rbuf, cap);
		if (nb == NULL) {
			m->failed = WSP_E_NOMEM;
			return WSP_E_NOMEM;
		}
		m->rbuf = nb;
		m->rcap = cap;
		m->rowned = 1;
	}
	memcpy(m->rbuf + m->rlen, p, n);
	m->rlen += n;
	return 0;
}

/* --------------------------------------------------------------------------
 * Messages
 */

static void message_start(struct msg_decoder *m, uint8_t opcode,
			  uint8_t compressed)
{
	m->in_msg = 1;
	m->msg_index = m->nmessages++;
	m->msg_opcode = opcode;
	m->msg_compressed = compressed;
	/* R6455-5.6-01: uncompressed text is checked here; compressed text
	 * after inflation, by the caller (R7692-6.1-08). */
	m->msg_check_u8 = opcode == WSP_OP_TEXT && !compressed;
	m->msg_started = 0;
	m->msg_too_big = 0;
	m->msg_too_many = 0;
	m->msg_size = 0;
	m->msg_announced = 0;
	m->msg_frames = 0;
	m->rlen = 0;
	m->roverflow = 0;
	u8_init(&m->u8);
}

static void message_end(struct msg_decoder *m, int aborted, MSG_CB,
			void *user)
{
	struct msg_event e;
	event_init(m, &e, MSG_EV_END);
	e.aborted = (uint8_t)aborted;
	e.size = m->msg_size;
	if (m->cfg.reasm_max > 0) {
		if (m->roverflow || aborted) {
			e.truncated = m->roverflow;
		} else {
			e.data = m->rbuf;
			e.len = m->rlen;
		}
	}
	m->in_msg = 0;
	cb(&e, user);
}

/* Reports p[0..n) as DATA (a zero-length slice only when it is the last)
 * and reassembles it. */
static int data_slice(struct msg_decoder *m, const uint8_t *p, size_t n,
		      int last, MSG_CB, void *user)
{
	if (n == 0 && !last)
		return 0;
	struct msg_event e;
	event_init(m, &e, MSG_EV_DATA);
	e.first = !m->msg_started;
	e.last = (uint8_t)last;
	e.data = p;
	e.len = n;
	e.offset = m->msg_size;
	m->msg_started = 1;
	m->msg_size += n;
	int rc = reasm_append(m, p, n);
	if (rc != 0)
		return rc;
	cb(&e, user);
	return 0;
}

/* --------------------------------------------------------------------------
 * Frames
 */

/* A frame header is complete: judge it.  Returns 0 or the code to stop
 * with. */
static int on_header(struct msg_decoder *m, const struct wsf_event *ev,
		     MSG_CB, void *user)
{
	const struct wsf_header *h = ev->hdr;
	int rc;
	m->hdr = *h;
	m->nframes++;
	m->in_frame = 1;
	m->frame_ctl = WSP_IS_CONTROL(h->opcode);
	m->ctl_len = 0;

	struct msg_event e;
	event_init(m, &e, MSG_EV_FRAME);
	cb(&e, user);

	/* What the header alone shows, from the frame layer. */
	for (size_t i = 0; i < ev->nviol && i < WSF_MAX_VIOL; i++)
		if ((rc = violation(m, ev->viol[i], 0, cb, user)) != 0)
			return rc;

	int pmd = (m->cfg.policy.rsv_allowed & WSP_RSV1) != 0;
	int rsv1 = (h->rsv & WSP_RSV1) != 0;

	if (m->closed) {
		/* Nothing may follow a Close: no data (R6455-5.5.1-06), and
		 * the connection is closing for control frames too
		 * (R6455-5.5.2-04). */
		rc = violation(m,
			       m->frame_ctl ? WSP_E_MSG_CTRL_AFTER_CLOSE
					    : WSP_E_MSG_DATA_AFTER_CLOSE,
			       0, cb, user);
		if (rc != 0)
			return rc;
	}

	if (m->frame_ctl) {
		/* Control frames may sit inside a fragmented message
		 * (R6455-5.4-08); with permessage-deflate RSV1 still may not
		 * be set on them (R7692-6.1-05). */
		if (pmd && rsv1 &&
		    (rc = violation(m, WSP_E_MSG_RSV1_CONTROL, 0, cb, user)) != 0)
			return rc;
		return 0;
	}

	if (h->opcode == WSP_OP_CONT) {
		if (!m->in_msg) {
			/* R6455-5.4-03: a continuation needs a message to
			 * continue.  Lenient: decode it as an orphan. */
			if ((rc = violation(m, WSP_E_MSG_CONT_NO_MESSAGE, 0, cb,
					    user)) != 0)
				return rc;
			message_start(m, WSP_OP_CONT, 0);
		}
		/* R7692-6.1-05: RSV1 only on the first frame. */
		if (pmd && rsv1 &&
		    (rc = violation(m, WSP_E_MSG_RSV1_CONT, 0, cb, user)) != 0)
			return rc;
	} else {
		if (m->in_msg) {
			/* R6455-5.4-07: messages are not interleaved.
			 * Lenient: the old message ends unfinished. */
			if ((rc = violation(m, WSP_E_MSG_DATA_IN_FRAGMENTED, 0,
					    cb, user)) != 0)
				return rc;
			message_end(m, 1, cb, user);
		}
		message_start(m, h->opcode, (uint8_t)(pmd && rsv1));
	}

	/* R6455-10.4-01: limits on what the headers announce, judged before
	 * any payload, reported once per message. */
	m->msg_frames++;
	if (m->cfg.max_fragments != 0 && !m->msg_too_many &&
	    m->msg_frames > m->cfg.max_fragments) {
		m->msg_too_many = 1;
		if ((rc = violation(m, WSP_E_MSG_TOO_MANY_FRAGMENTS, 0, cb,
				    user)) != 0)
			return rc;
	}
	uint64_t max = m->cfg.max_message;
	if (max != 0 && !m->msg_too_big &&
	    (m->msg_announced > max || h->payload_len > max - m->msg_announced)) {
		m->msg_too_big = 1;
		if ((rc = violation(m, WSP_E_MSG_TOO_BIG, 0, cb, user)) != 0)
			return rc;
	}
	if (h->payload_len > UINT64_MAX - m->msg_announced)
		m->msg_announced = UINT64_MAX;
	else
		m->msg_announced += h->payload_len;
	return 0;
}

/* A complete control frame. */
static int on_control_end(struct msg_decoder *m, MSG_CB, void *user)
{
	struct msg_event e;
	event_init(m, &e, MSG_EV_CONTROL);
	e.data = m->ctl;
	e.len = m->ctl_len;
	e.size = m->hdr.payload_len;
	e.truncated = m->hdr.payload_len > MSG_CTRL_MAX;
	int bad = 0;
	if (m->hdr.opcode == WSP_OP_CLOSE) {
		e.code = wsc_parse(m->ctl, m->ctl_len, &e.close);
		if (e.truncated) {
			/* The frame layer has reported the length
			 * (R6455-5.5-01); do not report it twice. */
			e.code = WSP_E_WSC_TOO_LONG;
		} else {
			bad = e.code;
		}
		m->closed = 1;
	}
	cb(&e, user);
	if (bad != 0)
		return violation(m, bad, 0, cb, user);
	return 0;
}

/* Payload bytes of a data frame, and its end.  *used counts the bytes of
 * p[0..n) taken before a stop. */
static int on_data(struct msg_decoder *m, const uint8_t *p, size_t n,
		   int end, size_t *used, MSG_CB, void *user)
{
	int rc;
	int last = end && m->hdr.fin;
	*used = n;
	if (m->msg_check_u8 && n > 0 && m->u8.error == 0 &&
	    u8_feed(&m->u8, p, n) != 0) {
		/* R6455-5.6-01, R6455-8.1-01: report what precedes the bad
		 * byte, then the violation at its message offset. */
		size_t k = (size_t)(m->u8.error_offset - m->msg_size);
		if ((rc = data_slice(m, p, k, 0, cb, user)) != 0)
			return rc;
		if ((rc = violation(m, m->u8.error, m->u8.error_offset, cb,
				    user)) != 0) {
			*used = k + 1;
			return rc;
		}
		p += k;
		n -= k;
	}
	if ((rc = data_slice(m, p, n, last, cb, user)) != 0)
		return rc;
	if (!last)
		return 0;
	if (m->msg_check_u8 && m->u8.error == 0 &&
	    (rc = u8_finish(&m->u8)) != 0 &&
	    (rc = violation(m, rc, m->u8.error_offset, cb, user)) != 0)
		return rc;
	message_end(m, 0, cb, user);
	return 0;
}

/* Handles one wsf event; *used counts the payload bytes of it taken when it
 * returns non-zero (0 when the stop came from the header). */
static int step(struct msg_decoder *m, const struct wsf_event *ev,
		size_t *used, MSG_CB, void *user)
{
	int rc;
	*used = 0;
	if ((ev->flags & WSF_EV_HEADER) &&
	    (rc = on_header(m, ev, cb, user)) != 0)
		return rc;
	if (!m->in_frame)
		return 0; /* payload without a header: not from wsf_decode */
	int end = (ev->flags & WSF_EV_END) != 0;
	if (m->frame_ctl) {
		size_t room = MSG_CTRL_MAX - m->ctl_len;
		size_t take = ev->len < room ? ev->len : room;
		if (take > 0) {
			memcpy(m->ctl + m->ctl_len, ev->data, take);
			m->ctl_len += take;
		}
		*used = ev->len;
		if (end) {
			m->in_frame = 0;
			return on_control_end(m, cb, user);
		}
		return 0;
	}
	if (end)
		m->in_frame = 0;
	return on_data(m, ev->data, ev->len, end, used, cb, user);
}

/* --------------------------------------------------------------------------
 * Public functions
 */

int msg_init(struct msg_decoder *m, const struct msg_config *cfg)
{
	memset(m, 0, sizeof(*m));
	if (cfg != NULL)
		m->cfg = *cfg;
	if (m->cfg.reasm_buf != NULL && m->cfg.reasm_max == 0)
		return WSP_E_INVAL;
	if (m->cfg.reasm_buf != NULL) {
		m->rbuf = m->cfg.reasm_buf;
		m->rcap = m->cfg.reasm_max;
	}
	wsf_decoder_init(&m->dec, &m->cfg.policy);
	return 0;
}

void msg_free(struct msg_decoder *m)
{
	if (m->rowned)
		wsp_free(m->cfg.mem, m->rbuf);
	m->rbuf = NULL;
	m->rcap = 0;
	m->rowned = 0;
}

int msg_frame(struct msg_decoder *m, const struct wsf_event *ev, MSG_CB,
	      void *user)
{
	if (m->failed != 0)
		return m->failed;
	size_t used;
	m->frame_pos = 0;
	return step(m, ev, &used, cb, user);
}

int msg_feed(struct msg_decoder *m, uint8_t *buf, size_t len,
	     size_t *consumed, MSG_CB, void *user)
{
	*consumed = 0;
	if (m->failed != 0)
		return m->failed;
	size_t off = 0;
	while (off < len) {
		struct wsf_event ev;
		ssize_t c = wsf_decode(&m->dec, buf + off, len - off, &ev);
		if (c <= 0 && ev.flags == 0)
			break; /* cannot happen with bytes left; never spin */
		/* The payload slice is the tail of what was consumed; the
		 * header bytes of this call come before it. */
		size_t hdr_bytes = (size_t)c - ev.len;
		if (ev.flags & WSF_EV_HEADER)
			m->frame_pos = m->pos + off + hdr_bytes -
				       ev.hdr->header_len;
		size_t used;
		int rc = step(m, &ev, &used, cb, user);
		if (rc != 0) {
			*consumed = off + hdr_bytes + used;
			m->pos += *consumed;
			return rc;
		}
		off += (size_t)c;
	}
	*consumed = off;
	m->pos += off;
	return 0;
}

int msg_finish(struct msg_decoder *m, MSG_CB, void *user)
{
	if (m->failed != 0)
		return m->failed;
	int rc = 0;
	if (m->in_frame || !wsf_decoder_idle(&m->dec))
		rc = WSP_E_INCOMPLETE;
	if (m->in_msg) {
		message_end(m, 1, cb, user);
		rc = WSP_E_INCOMPLETE;
	}
	return rc;
}

int msg_close_received(const struct msg_decoder *m)
{
	return m->closed;
}

const char *msg_event_name(enum msg_event_type t)
{
	switch (t) {
	case MSG_EV_FRAME:
		return "frame";
	case MSG_EV_DATA:
		return "data";
	case MSG_EV_END:
		return "end";
	case MSG_EV_CONTROL:
		return "control";
	case MSG_EV_VIOLATION:
		return "violation";
	}
	return "unknown";
}
