#!/bin/sh
# gen-corpus.sh: seed corpora for the fuzz targets, generated from the case
# library.  Runs the cases (wsprobe as the client) against `wsprobe echo` on
# loopback, takes every byte the cases sent and received from the wire logs
# of results.json (docs/report-format.md, "The wire log"), cuts them into
# the inputs of each target (read from each target's header comment), and
# merges them with libFuzzer's -merge=1 into fuzz/corpus/TARGET/: existing
# seeds stay, a generated input is added only when it reaches coverage the
# corpus did not (libFuzzer names the files it adds by the SHA-1 of their
# content).
#
#   frame streams, each direction       fuzz_wsf fuzz_wsf_mut fuzz_wsf_chunks
#                                       fuzz_msg
#   text messages and close reasons     fuzz_u8_diff
#   close payloads                      fuzz_wsc
#   compressed messages (RSV1)          fuzz_inflate
#   HTTP request / response heads       fuzz_hs_request / fuzz_hs_response
#   Sec-WebSocket-Extensions values     fuzz_ext, fuzz_pmd_params (offer and
#                                       answer)
#   the wire log's records              fuzz_rw_scan
#
# The profile is the default one minus the bulk (9.*, 12.*, 13.*: messages
# of up to 16 MiB, 1000 compressed round trips per case) plus a few small
# cases of those categories (GEN_EXTRA).  Every input is cut to at most
# GEN_MAX_LEN bytes (default 16384, the max_len of the OSS-Fuzz options).
#
# Usage: sh scripts/gen-corpus.sh [--keep DIR] [TARGET...]
#   (from the top of the tree; builds ./wsprobe and the targets first)
#   --keep DIR   leave the report and the generated inputs in DIR
#   TARGET...    merge only into these (default: all of the above)
# Prints, per target, the corpus file count before and after the merge,
# and the size of fuzz/corpus; warns when it passes 4 MB.  Needs clang
# (libFuzzer) and python3.  Exit 0 on success, 1 on any failure.
set -eu

fail() {
	echo "gen-corpus: $*" >&2
	exit 1
}

[ -f fuzz/fuzz.h ] || fail "run from the top of the tree"
keep=""
if [ "${1:-}" = "--keep" ]; then
	[ $# -ge 2 ] || fail "--keep needs a directory"
	keep=$2
	shift 2
fi
all="fuzz_wsf fuzz_wsf_mut fuzz_wsf_chunks fuzz_msg fuzz_u8_diff fuzz_wsc \
fuzz_inflate fuzz_hs_request fuzz_hs_response fuzz_ext fuzz_pmd_params \
fuzz_rw_scan"
targets=${*:-$all}
for t in $targets; do
	case " $all " in
	*" $t "*) ;;
	*) fail "$t: not a target this script feeds ($all)" ;;
	esac
done
command -v python3 >/dev/null 2>&1 || fail "python3 not found"

extra=${GEN_EXTRA:-9.1.1,9.2.1,9.7.1,12.1.1,12.2.1,12.3.1,13.1.1,13.2.1,13.3.1,13.5.1,13.7.1}
max_len=${GEN_MAX_LEN:-16384}

if [ -n "$keep" ]; then
	work=$keep
	rm -rf "$work"
	mkdir -p "$work"
else
	work=$(mktemp -d /tmp/wsprobe-gencorpus.XXXXXX)
fi
echo_pid=""
cleanup() {
	if [ -n "$echo_pid" ]; then
		kill "$echo_pid" 2>/dev/null || true
		wait "$echo_pid" 2>/dev/null || true
	fi
	[ -n "$keep" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "gen-corpus: building wsprobe and the fuzz targets"
make -s wsprobe >/dev/null || fail "make wsprobe failed"
bins=""
for t in $targets; do
	bins="$bins build/fuzz/bin/$t"
done
make -s $bins >/dev/null || fail "make $bins failed"

# The echo server on a free loopback port.
./wsprobe echo --listen 127.0.0.1:0 --port-file "$work/port" \
	>"$work/echo.log" 2>&1 &
echo_pid=$!
i=0
while [ ! -s "$work/port" ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "wsprobe echo did not start ($work/echo.log)"
	sleep 0.1
done
url="ws://127.0.0.1:$(cat "$work/port")/"

# Verdicts do not matter here (echo passes them all anyway): only the
# wire logs do.  The seed fixes mask keys, so reruns give the same bytes.
echo "gen-corpus: running the cases against $url"
./wsprobe client -q --seed 1 -j 2 -x '9.*,12.*,13.*' -o "$work/rep-main" \
	"$url" >"$work/client-main.log" 2>&1 ||
	[ -f "$work/rep-main/results.json" ] ||
	fail "client run failed ($work/client-main.log)"
./wsprobe client -q --seed 1 -j 2 -c "$extra" -o "$work/rep-extra" \
	"$url" >"$work/client-extra.log" 2>&1 ||
	[ -f "$work/rep-extra/results.json" ] ||
	fail "client run failed ($work/client-extra.log)"
kill "$echo_pid" 2>/dev/null || true
wait "$echo_pid" 2>/dev/null || true
echo_pid=""

echo "gen-corpus: cutting the wire logs into target inputs"
python3 - "$work/gen" "$max_len" "$work/rep-main/results.json" \
	"$work/rep-extra/results.json" <<'EOF'
import base64
import hashlib
import json
import os
import sys

out_dir, max_len = sys.argv[1], int(sys.argv[2])
counts = {}


def put(target, data):
    """Writes one input for target, named by its SHA-256, cut to max_len."""
    data = bytes(data[:max_len])
    d = os.path.join(out_dir, target)
    os.makedirs(d, exist_ok=True)
    name = os.path.join(d, hashlib.sha256(data).hexdigest())
    if not os.path.exists(name):
        with open(name, "wb") as f:
            f.write(data)
        counts[target] = counts.get(target, 0) + 1


def split_head(b):
    """The HTTP head (through the blank line) and what follows."""
    i = b.find(b"\r\n\r\n")
    if i < 0:
        return b, b""
    return b[: i + 4], b[i + 4 :]


def frames(b):
    """Whole frames at the start of b: (fin, rsv, opcode, payload, end)."""
    out, p = [], 0
    while len(b) - p >= 2:
        b0, b1 = b[p], b[p + 1]
        n, q = b1 & 0x7F, p + 2
        if n == 126:
            if len(b) - q < 2:
                break
            n, q = int.from_bytes(b[q : q + 2], "big"), q + 2
        elif n == 127:
            if len(b) - q < 8:
                break
            n, q = int.from_bytes(b[q : q + 8], "big"), q + 8
        key = None
        if b1 & 0x80:
            if len(b) - q < 4:
                break
            key, q = b[q : q + 4], q + 4
        if n > len(b) - q:
            break
        pl = b[q : q + n]
        if key is not None:
            pl = bytes(c ^ key[i & 3] for i, c in enumerate(pl))
        out.append((b0 >> 7, (b0 >> 4) & 7, b0 & 15, pl, q + n))
        p = q + n
    return out


def header(head, name):
    """Every value of header name in an HTTP head."""
    vals = []
    for line in head.split(b"\r\n")[1:]:
        k, sep, v = line.partition(b":")
        if sep and k.strip().lower() == name:
            vals.append(v.strip())
    return vals


def params(ext_value):
    """permessage-deflate parameters of the first offer/answer, as a dict."""
    for elem in ext_value.split(b","):
        parts = [p.strip() for p in elem.split(b";")]
        if parts and parts[0].lower() == b"permessage-deflate":
            d = {}
            for p in parts[1:]:
                k, _, v = p.partition(b"=")
                d[k.strip().lower()] = v.strip().strip(b'"')
            return d
    return None


def stream_prefix(stream, fr):
    """At most max_len bytes of stream, cut after a whole frame if any."""
    if len(stream) <= max_len:
        return stream
    end = 0
    for f in fr:
        if f[4] > max_len:
            break
        end = f[4]
    return stream[: end or max_len]


def messages(fr):
    """Reassembled data messages: (opcode, rsv1, payload)."""
    msgs, cur = [], None
    for fin, rsv, op, pl, _ in fr:
        if op >= 8:
            continue
        if op != 0:
            cur = [op, rsv & 4, bytearray(pl)]
        elif cur is not None:
            cur[2] += pl
        if fin and cur is not None:
            msgs.append((cur[0], cur[1], bytes(cur[2])))
            cur = None
    return msgs


def one_case(case, seed):
    wl = case.get("wirelog") or {}
    data = base64.b64decode(wl.get("data") or "")
    sent, recv, pos = bytearray(), bytearray(), 0
    for _, direction, n in wl.get("records") or []:
        (sent if direction == 0 else recv).extend(data[pos : pos + n])
        pos += n
    req, cs = split_head(bytes(sent))
    resp, ss = split_head(bytes(recv))
    if req:
        put("fuzz_hs_request", req)
    if resp:
        put("fuzz_hs_response", resp)
    offers = header(req, b"sec-websocket-extensions")
    answers = header(resp, b"sec-websocket-extensions")
    for v in offers + answers:
        put("fuzz_ext", v)
    if offers:
        # Server configuration 0 (window 15, smallest 8, nothing refused),
        # client window 15, smallest 8: then the offer and the answer.
        put("fuzz_pmd_params",
            b"\x00\x07" + b", ".join(offers) + b"\n" + b", ".join(answers))
    agreed = params(b", ".join(answers)) if resp.startswith(b"HTTP/1.1 101") else None
    # fuzz_rw_scan: the records themselves (wsprobe was the client), a
    # record longer than 127 bytes as several; RSV1 when deflate was
    # agreed; the kept-bytes choice from the case.
    rw, pos = bytearray([1 | (2 if agreed is not None else 0)
                         | ((seed & 3) << 2)]), 0
    for _, direction, n in wl.get("records") or []:
        chunk = data[pos : pos + n]
        pos += n
        for k in range(0, max(len(chunk), 1), 127):
            piece = chunk[k : k + 127]
            rw.append((direction << 7) | len(piece))
            rw.extend(piece)
        if len(rw) >= 4096:
            break
    put("fuzz_rw_scan", rw[:4096])  # its max_len (fuzz/oss-fuzz/build.sh)
    for stream, sender in ((cs, 1), (ss, 2)):
        if not stream:
            continue
        fr = frames(stream)
        s = stream_prefix(stream, fr)
        put("fuzz_wsf", s)
        put("fuzz_wsf_mut", s)
        # fuzz_wsf_chunks: policy 1 (client sender) or 2 (server sender,
        # RSV1 allowed); two schedule bytes drawn from the case.
        put("fuzz_wsf_chunks",
            bytes([sender | (1 << 2), seed & 0xFF, (seed >> 8) & 0xFF]) + s)
        # fuzz_msg: RSV1 allowed when deflate was agreed, the sender's
        # role, the chunk schedule from the case.
        flags = (1 if agreed is not None else 0) | (sender << 1)
        put("fuzz_msg", bytes([flags, (seed >> 16) & 0xFF]) + s)
        compressed = []
        for op, rsv1, pl in messages(fr):
            if rsv1:
                compressed.append(pl)
            elif op == 1 and pl:
                put("fuzz_u8_diff", bytes([seed & 0xFF]) + pl)
        for fin, rsv, op, pl, _ in fr:
            if op == 8:
                put("fuzz_wsc", pl)
                if len(pl) > 2:
                    put("fuzz_u8_diff", bytes([seed & 0xFF]) + pl[2:])
        if compressed and agreed is not None:
            side = b"client_" if sender == 1 else b"server_"
            wb = agreed.get(side + b"max_window_bits") or b"15"
            wb = int(wb) if wb.isdigit() and 8 <= int(wb) <= 15 else 15
            nct = 1 if side + b"no_context_takeover" in agreed else 0
            # window, 1 MiB limit, the sender's role; one message alone
            # and the first four together.
            cfg = nct | ((wb - 8) << 1) | (3 << 4) | (sender << 6)
            put("fuzz_inflate", bytes([cfg, seed & 0xFF, 0]) + compressed[0])
            if len(compressed) > 1:
                put("fuzz_inflate", bytes([cfg, seed & 0xFF, (seed >> 8) & 0xFF])
                    + b"".join(compressed[:4]))


ncases = 0
for path in sys.argv[3:]:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    for agent in doc.get("agents", []):
        for case in agent.get("cases", []):
            seed = int.from_bytes(
                hashlib.sha256(case["id"].encode()).digest()[:4], "big")
            one_case(case, seed)
            ncases += 1
print("gen-corpus: %d cases; generated %s" % (ncases, ", ".join(
    "%s %d" % kv for kv in sorted(counts.items()))))
EOF

echo "gen-corpus: merging (libFuzzer -merge=1; new files named by SHA-1)"
printf '%-18s %7s %7s %9s\n' target before after generated
for t in $targets; do
	mkdir -p "fuzz/corpus/$t" "$work/gen/$t"
	before=$(ls "fuzz/corpus/$t" | wc -l)
	gen=$(ls "$work/gen/$t" | wc -l)
	if ! "./build/fuzz/bin/$t" -merge=1 -max_len="$max_len" -timeout=10 \
		-rss_limit_mb=2048 "fuzz/corpus/$t" "$work/gen/$t" \
		>"$work/merge-$t.log" 2>&1; then
		tail -20 "$work/merge-$t.log" >&2
		fail "$t: merge failed"
	fi
	after=$(ls "fuzz/corpus/$t" | wc -l)
	printf '%-18s %7d %7d %9d\n' "$t" "$before" "$after" "$gen"
done
# The bytes of the files (what a commit carries), not the disk blocks.
size=$(du -sk --apparent-size fuzz/corpus 2>/dev/null || du -sk fuzz/corpus)
size=$(echo "$size" | cut -f1)
echo "gen-corpus: fuzz/corpus is now ${size} KiB ($(find fuzz/corpus -type f | wc -l) files)"
[ "$size" -le 4096 ] || echo "gen-corpus: WARNING: fuzz/corpus is over 4 MB" >&2
exit 0
