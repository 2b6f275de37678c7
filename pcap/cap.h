/*
 * cap.h: capture files as a pure parser: classic pcap (microsecond and
 * nanosecond, either byte order) and pcapng (sections, interfaces with
 * their own link type, snaplen, timestamp resolution and offset; enhanced,
 * simple and obsolete packet blocks; every other block skipped).
 *
 * Why our own reader instead of libpcap's pcap_open_offline (documented
 * choice, docs/dissect.md): libpcap refuses a pcapng file whose interfaces
 * have different link types or snaplens (what dumpcap writes when it
 * captures several interfaces at once), and it reads from a FILE, so a fuzz
 * target would have to go through fmemopen.  This parser works on bytes
 * the caller hands over: no I/O, no allocation, no global state, one record
 * per call.  capf.h does the file reading around it; check_pcap compares
 * the two readers on files libpcap accepts.
 *
 * Every field is read through the bounds-checked cursor of rd.h, and no
 * record may be larger than CAP_MAX_RECORD, so a hostile length costs at
 * most that much buffer.
 */
#ifndef PCAP_CAP_H
#define PCAP_CAP_H

#include <stddef.h>
#include <stdint.h>

/* The largest record (pcap packet record or pcapng block) accepted: far
 * above libpcap's 262144-byte snaplen, and the most a reader ever buffers. */
#define CAP_MAX_RECORD (16u * 1024u * 1024u)

/* Interfaces tracked per pcapng section. */
#define CAP_MAX_IFACES 256

/* Link types (LINKTYPE_* values as stored in files). */
#define CAP_LT_NULL 0u      /* BSD loopback, AF in host byte order */
#define CAP_LT_EN10MB 1u    /* Ethernet, 802.1Q/802.1ad tags allowed */
#define CAP_LT_RAW 101u     /* raw IPv4 or IPv6 */
#define CAP_LT_LOOP 108u    /* OpenBSD loopback, AF in network order */
#define CAP_LT_LINUX_SLL 113u
#define CAP_LT_IPV4 228u
#define CAP_LT_IPV6 229u
#define CAP_LT_NFLOG 239u
#define CAP_LT_LINUX_SLL2 276u

enum cap_format {
	CAP_FMT_NONE = 0, /* no file header read yet */
	CAP_FMT_PCAP = 1,
	CAP_FMT_PCAPNG = 2
};

/* A timestamp: seconds since the epoch and nanoseconds (0..999999999). */
struct cap_time {
	int64_t sec;
	uint32_t nsec;
};

/* One packet.  data points into the caller's buffer (the one handed to
 * cap_next) and is writable, because the dissector unmasks in place. */
struct cap_pkt {
	uint64_t number;    /* 1 for the first packet of the file */
	struct cap_time ts;
	uint32_t linktype;
	uint32_t iface;     /* pcapng interface id (0 for classic pcap) */
	uint8_t *data;      /* NULL when the record was not a packet */
	uint32_t caplen;    /* bytes at data */
	uint32_t origlen;   /* bytes on the wire (>= caplen) */
};

struct cap_iface {
	uint32_t linktype;
	uint32_t snaplen;
	uint8_t tsresol;    /* if_tsresol as stored (6 = microseconds) */
	int64_t tsoffset;   /* if_tsoffset, seconds */
};

/* The reader.  Initialise with cap_reader_init; the fields are readable
 * (format, link type of a classic file) but only cap_next changes them. */
struct cap_reader {
	uint8_t format;     /* enum cap_format */
	uint8_t be;         /* fields are big-endian */
	uint8_t nsec;       /* classic pcap with nanosecond timestamps */
	uint16_t major, minor;
	uint32_t linktype;  /* classic pcap */
	uint32_t snaplen;   /* classic pcap */
	uint32_t nifaces;   /* pcapng: interfaces of the current section */
	struct cap_iface ifaces[CAP_MAX_IFACES];
	uint64_t offset;    /* file offset of the next record */
	uint64_t packets;   /* packets returned so far */
};

void cap_reader_init(struct cap_reader *r);

/*
 * Parses the next record from buf[0..len), which holds the file's bytes
 * from offset r->offset on.  Returns:
 *   > 0  the record's size: the caller drops that many bytes.  When the
 *        record was a packet, pkt is filled and pkt->data points into buf;
 *        otherwise (file header, section or interface description, any
 *        other pcapng block) pkt->data is NULL.
 *   WSP_E_INCOMPLETE  buf holds only part of the record; *need is the
 *        number of bytes (from buf) the next call needs, at most
 *        CAP_MAX_RECORD.  Call again with more.
 *   WSP_E_PCAP_BAD_MAGIC, _BAD_VERSION, _BAD_BLOCK, _RECORD_TOO_BIG,
 *   _NO_SECTION, _BAD_IFACE, _TOO_MANY_IFACES, _BAD_TSRESOL: the bytes
 *        at r->offset are not a capture or are damaged; stop reading.
 * The result is a function of the bytes alone: any split of the file into
 * calls (growing buf as asked) yields the same records.  buf must be
 * writable only because pkt->data hands it on as such.
 */
int cap_next(struct cap_reader *r, uint8_t *buf, size_t len,
	     struct cap_pkt *pkt, size_t *need);

/*
 * The input ended with leftover bytes not parsed.  Returns 0 when the file
 * was complete, WSP_E_PCAP_EMPTY when it held nothing, WSP_E_PCAP_CUT_SHORT
 * when a record (or the file header) was cut, WSP_E_PCAP_BAD_MAGIC when the
 * few bytes there are cannot start a capture.
 */
int cap_end(const struct cap_reader *r, const uint8_t *buf, size_t leftover);

/* A short name for a link type ("EN10MB", "LINUX_SLL2", ...) or NULL. */
const char *cap_linktype_name(uint32_t linktype);

#endif
