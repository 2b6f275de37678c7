#!/usr/bin/python3
"""tshark_compare.py: do `wsprobe dissect` and tshark decode a capture alike?

Usage: tshark_compare.py [--cache] WSPROBE FILE
(--cache: keep tshark's output in FILE.tshark.json and reuse it.)
Exit 0 when they agree, 1 on the first difference (printed with both
sides), 2 when a tool fails.  Prints "agreement: ..." with the numbers.

Frames: every WebSocket frame tshark shows, in order, must be a frame
`wsprobe dissect --json` reports, and the reverse: same packet (frame
number), TCP stream, opcode, FIN, RSV, MASK and payload length (the 7-,
16- or 64-bit field).

Payloads: wsprobe prints the CRC-32 of every frame's whole unmasked
payload, and of what it inflated to (--digest), and its first 4096 bytes
(-x --hex-bytes 4096).  tshark prints a frame's payload in a field that
depends on the frame (websocket.payload.text, data.data for binary,
.continue, .ping, .pong, .close.*), inflated when compressed.  Each tshark
payload must be one of:
  full         the same bytes as ours (CRC-32 and length), the inflated
               bytes for a compressed frame;
  wire         a compressed frame shown as its compressed bytes (tshark
               does that for continuation frames and for empty messages):
               the same bytes as our wire payload;
  reassembled  the last frame of a fragmented message, where tshark shows
               the whole message: cut at our frame lengths, every piece
               has the CRC-32 of our frame (the first frame, for which
               tshark shows nothing, is counted here too);
  prefix       a masked frame over 256 KiB: tshark 4.0 unmasks only the
               first 262144 bytes, so what it shows (and inflates from it)
               is a prefix of ours: the first 4096 bytes agree and it is
               no longer than ours (exactly 262144 bytes when not
               compressed).
Anything else is a difference, except what tshark demonstrably cannot
decode, which is counted and listed ("not comparable"), never passed
silently: the first frame of a fragmented message whose reassembly tshark
gets wrong (it shows nothing until the last frame), the last frame of a
fragmented message after one that ended with an empty frame (tshark then
mixes fragments of several messages), a fragmented compressed message's
last frame and everything compressed after it in that direction (tshark
loses the inflate context there), and compressed frames it shows no
payload or wrong bytes for.  For those our inflated bytes are still
vouched for when the same message (opcode, length, CRC-32) appears in the
other direction: the peers echo every client message and check the echo.
"""
import json
import subprocess
import sys
import zlib
from collections import Counter

TSHARK_UNMASK_MAX = 262144
FIRST = ("first frame of a fragmented message (tshark shows the message "
         "at its last frame)")
FIELDS = [
    "frame.number", "tcp.stream", "websocket.opcode", "websocket.fin",
    "websocket.rsv", "websocket.mask", "websocket.payload_length",
    "websocket.payload_length_ext_16", "websocket.payload_length_ext_64",
    "websocket.payload.text", "websocket.payload.continue",
    "websocket.payload.ping", "websocket.payload.pong",
    "websocket.payload.close.status_code",
    "websocket.payload.close.reason", "data.data",
]


def crc(b):
    return "%08x" % (zlib.crc32(b) & 0xffffffff)


def ours(wsprobe, path):
    out = subprocess.run(
        [wsprobe, "dissect", "--json", "--digest", "-x", "--hex-bytes",
         "4096", path], stdout=subprocess.PIPE, check=False)
    if out.returncode != 0:
        sys.exit("wsprobe dissect exit %d" % out.returncode)
    frames = []
    for line in out.stdout.decode().splitlines():
        o = json.loads(line)
        if o["type"] == "frame":
            frames.append(o)
    return frames


def theirs(path, cache):
    """tshark's packets; with cache, kept in FILE.tshark.json and read
    from there when it exists (the negative controls reuse it)."""
    if cache:
        try:
            with open(path + ".tshark.json") as f:
                return json.load(f)
        except FileNotFoundError:
            pass
    cmd = ["tshark", "-r", path, "-o", "tcp.reassemble_out_of_order:TRUE",
           "-Y", "websocket", "-T", "json"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=False)
    if out.returncode != 0:
        sys.exit("tshark exit %d" % out.returncode)
    layers = [p["_source"]["layers"] for p in json.loads(out.stdout)]
    if cache:
        with open(path + ".tshark.json", "w") as f:
            json.dump(layers, f)
    return layers


def field_of(fr, msg_op):
    """The tshark field that carries this frame's payload (None: none)."""
    op, fin = fr["opcode"], fr["fin"]
    if op == 9:
        return "websocket.payload.ping"
    if op == 10:
        return "websocket.payload.pong"
    if op == 8:
        return "close"
    if op in (1, 2) and not fin:
        return None
    if op == 0 and not fin:
        return "websocket.payload.continue"
    kind = op if op in (1, 2) else msg_op
    return "websocket.payload.text" if kind == 1 else "data.data"


def payload_bytes(field, value):
    if field == "websocket.payload.text":
        return value.encode("utf-8", "surrogateescape")
    return bytes.fromhex(value)


def main():
    args = sys.argv[1:]
    cache = args[:1] == ["--cache"]
    if cache:
        args = args[1:]
    if len(args) != 2:
        sys.exit("usage: tshark_compare.py [--cache] WSPROBE FILE")
    ws = ours(args[0], args[1])
    ts = theirs(args[1], cache)

    # tshark's frames, one entry per WebSocket frame of each packet.
    tframes = []
    for pkt in ts:
        n = len(pkt.get("websocket.opcode", []))
        ext16 = list(pkt.get("websocket.payload_length_ext_16", []))
        ext64 = list(pkt.get("websocket.payload_length_ext_64", []))
        for i in range(n):
            pl = int(pkt["websocket.payload_length"][i])
            if pl == 126:
                pl = int(ext16.pop(0))
            elif pl == 127:
                pl = int(ext64.pop(0))
            tframes.append({
                "packet": int(pkt["frame.number"][0]),
                "stream": int(pkt["tcp.stream"][0]),
                "opcode": int(pkt["websocket.opcode"][i]),
                "fin": int(pkt["websocket.fin"][i]) == 1,
                "rsv": int(pkt["websocket.rsv"][i], 0),
                "masked": int(pkt["websocket.mask"][i]) == 1,
                "length": pl,
                "layers": pkt,
            })

    def show(f):
        return ("packet %d stream %d opcode %d fin %d rsv %d mask %d "
                "length %d" % (f["packet"], f["stream"], f["opcode"],
                               f["fin"], f["rsv"], f["masked"],
                               f["length"]))

    for i in range(max(len(ws), len(tframes))):
        a = ws[i] if i < len(ws) else None
        b = tframes[i] if i < len(tframes) else None
        if a is None or b is None or show(a) != show(b):
            print("frame %d differs:\n  wsprobe: %s\n  tshark:  %s" % (
                i, show(a) if a else "(no more frames)",
                show(b) if b else "(no more frames)"))
            return 1

    # Payloads.  Frames are matched to tshark's payload fields packet by
    # packet: each field's values go, in order, to the frames that carry
    # that field.
    classes = Counter()
    skipped = Counter()
    msg_op = {}         # (stream, dir) -> opcode of the open message
    msg_frames = {}     # (stream, dir) -> our frames of the open message
    lost = set()        # (stream, dir): tshark lost the inflate context
    by_packet = {}
    for idx, fr in enumerate(ws):
        by_packet.setdefault(fr["packet"], []).append(idx)
    for pktno, idxs in by_packet.items():
        layers = tframes[idxs[0]]["layers"]
        want = {}
        for idx in idxs:
            fr = ws[idx]
            key = (fr["stream"], fr["dir"])
            if fr["opcode"] in (1, 2):
                msg_op[key] = fr["opcode"]
                msg_frames[key] = []
            fr["_msg_op"] = msg_op.get(key, 0)
            if fr["opcode"] in (0, 1, 2):
                msg_frames.setdefault(key, []).append(fr)
                fr["_msg"] = list(msg_frames[key])
            f = field_of(fr, fr["_msg_op"])
            fr["_field"] = f
            if f is not None and f != "close":
                want.setdefault(f, []).append(fr)
        for f, frs in want.items():
            vals = list(layers.get(f, []))
            if len(vals) < len(frs):
                # tshark omits empty payloads: give the values to the
                # frames with bytes when that makes the counts agree.
                nonempty = [x for x in frs if x["length"] > 0]
                if len(nonempty) == len(vals):
                    for x in frs:
                        if x["length"] == 0:
                            x["_value"] = b""
                    frs = nonempty
            if len(vals) != len(frs):
                for x in frs:
                    x["_value"] = None
                continue
            for x, v in zip(frs, vals):
                x["_value"] = payload_bytes(f, v)
        for idx in idxs:
            fr = ws[idx]
            if fr["_field"] == "close":
                codes = layers.get("websocket.payload.close.status_code", [])
                reasons = layers.get("websocket.payload.close.reason", [""])
                if fr["length"] == 0 and not codes:
                    fr["_value"] = b""
                elif len(codes) == 1 and fr["length"] >= 2:
                    fr["_value"] = (int(codes[0]).to_bytes(2, "big") +
                                    reasons[0].encode("utf-8"))
                else:
                    fr["_value"] = None

    # Our single-frame messages, by direction: (opcode, length, CRC-32) of
    # what they carry (inflated when compressed).  The server echoes what
    # the client sends and the peers check every echo, so a message found
    # in the other direction too is decoded right by that evidence alone:
    # it vouches for our inflation where tshark's fails.
    def digest(fr):
        if fr.get("compressed"):
            return (fr["opcode"], fr.get("inflated_length"),
                    fr.get("inflated_crc32"))
        return (fr["opcode"], fr["length"], fr["payload_crc32"])
    whole = {}
    for fr in ws:
        if fr["opcode"] in (1, 2) and fr["fin"]:
            whole.setdefault((fr["stream"], fr["dir"]), set()).add(
                digest(fr))

    def echoed(fr):
        other = "s2c" if fr["dir"] == "c2s" else "c2s"
        return (fr["opcode"] in (1, 2) and fr["fin"] and
                digest(fr) in whole.get((fr["stream"], other), set()))

    def vouch(label, fr):
        return label + (" (ours matches the echo)" if echoed(fr) else "")

    compared = 0
    first_open = {}     # (stream, dir): a skipped first fragment
    empty_end = set()   # streams where a message ended with an empty frame
    for i, fr in enumerate(ws):
        key = (fr["stream"], fr["dir"])
        comp = fr.get("compressed", False)
        v = fr.get("_value")
        field = fr["_field"]
        wire_crc = fr["payload_crc32"]
        full_crc = fr.get("inflated_crc32", wire_crc) if comp else wire_crc
        full_len = fr.get("inflated_length", fr["length"]) if comp \
            else fr["length"]
        prefix = bytes.fromhex(fr.get("payload_hex", ""))
        if field is None:
            skipped[FIRST] += 1
            first_open[key] = not comp
            continue
        if v is None and fr["length"] == 0 and not comp:
            v = b""
        if v is None:
            if comp and key in lost:
                skipped[vouch("compressed, after tshark lost the inflate "
                              "context", fr)] += 1
                continue
            if comp:
                skipped[vouch("compressed, tshark shows no payload",
                              fr)] += 1
                continue
            print("frame %d (packet %d): tshark shows no payload for %s" % (
                i, fr["packet"], field))
            return 1
        if len(v) == full_len and crc(v) == full_crc:
            classes["full"] += 1
        elif comp and len(v) == fr["length"] and crc(v) == wire_crc:
            classes["wire"] += 1
        elif (fr["opcode"] == 0 and fr["fin"] and not comp and
              len(fr["_msg"]) > 1 and
              len(v) == sum(x["length"] for x in fr["_msg"]) and
              all(crc(v[s:s + x["length"]]) == x["payload_crc32"]
                  for s, x in zip(
                      [sum(y["length"] for y in fr["_msg"][:k])
                       for k in range(len(fr["_msg"]))], fr["_msg"]))):
            classes["reassembled"] += 1
            if first_open.pop(key, False):
                # The whole message was checked: its first frame too.
                skipped[FIRST] -= 1
                classes["reassembled"] += 1
                compared += 1
        elif (fr["masked"] and fr["length"] > TSHARK_UNMASK_MAX and
              len(v) <= full_len and
              v[:len(prefix)] == prefix[:len(v)] and
              (comp or len(v) == TSHARK_UNMASK_MAX)):
            classes["prefix"] += 1
        elif (fr["opcode"] == 0 and fr["fin"] and len(fr["_msg"]) > 1 and
              fr["stream"] in empty_end):
            # python3-websockets ends a fragmented message with an empty
            # frame; tshark 4.0 then mixes the fragments of later
            # messages (both directions) into what it reassembles.
            skipped["last frame of a fragmented message after one ended "
                    "by an empty frame (tshark's reassembly mixes "
                    "messages)"] += 1
            continue
        elif comp and key in lost:
            skipped[vouch("compressed, after tshark lost the inflate "
                          "context", fr)] += 1
            continue
        elif comp and echoed(fr):
            skipped[vouch("compressed, tshark's inflation fails", fr)] += 1
            continue
        elif comp and fr["opcode"] == 0 and fr["fin"]:
            skipped["last frame of a fragmented compressed message "
                    "(tshark does not inflate it)"] += 1
            lost.add(key)
            continue
        else:
            print("frame %d differs in its payload (%s):\n"
                  "  wsprobe: packet %d length %d crc %s%s first bytes %s\n"
                  "  tshark:  %d bytes crc %s first bytes %s" % (
                      i, field, fr["packet"], fr["length"], wire_crc,
                      (" inflated %d crc %s" % (full_len, full_crc))
                      if comp else "", prefix[:16].hex(), len(v), crc(v),
                      v[:16].hex()))
            return 1
        compared += 1
        if fr["opcode"] == 0 and fr["fin"] and fr["length"] == 0:
            empty_end.add(fr["stream"])

    print("agreement: %d frames (packet, stream, opcode, FIN, RSV, MASK, "
          "length); %d payloads: %s" % (
              len(ws), compared,
              ", ".join("%d %s" % (n, k) for k, n in sorted(classes.items()))))
    for k, n in sorted(skipped.items()):
        if n == 0:
            continue
        print("  not comparable: %d %s" % (n, k))
    return 0


if __name__ == "__main__":
    sys.exit(main())
