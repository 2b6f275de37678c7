#!/usr/bin/python3
"""defect_server.py: a WebSocket echo server with deliberate defects, the
target of tests/integration/fuzz.sh (wsprobe fuzz must find each one).

Without flags it is a strict RFC 6455 echo server (no extensions): it
echoes text and binary messages, answers Pings, echoes a valid Close and
fails the connection with 1002 (protocol errors), 1007 (invalid UTF-8) or
1009 (messages over 1 MiB) otherwise.  Each flag adds one defect, none of
which the fuzzer's seed inputs trigger as they are:

  --crash      the process exits at once when a Ping arrives with RSV2
               set (instead of failing the connection with 1002);
  --hang       the connection stops being read, for good, when a Ping of
               exactly 125 bytes arrives in the middle of a fragmented
               message (the other connections still work);
  --violation  a Close carrying code 1005 (which must never be sent,
               R6455-7.4.1-03) is answered with a Close echoing 1005,
               instead of failing the connection with 1002.

Usage: defect_server.py [--crash] [--hang] [--violation] [--port N]
                        [--port-file FILE] [--pid-file FILE]
Binds 127.0.0.1 only; port 0 (the default) picks a free port.
"""
import argparse
import asyncio
import base64
import codecs
import hashlib
import os
import struct
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MSG = 1 << 20
HUNG = []
VALID_CODES = set(range(1000, 1004)) | set(range(1007, 1012)) | set(
    range(3000, 5000))


class Fail(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def frame(op, payload, fin=True):
    b0 = (0x80 if fin else 0) | op
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", b0, n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, 126, n)
    else:
        head = struct.pack("!BBQ", b0, 127, n)
    return head + payload


async def handshake(reader, writer):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
    key = hdrs.get("sec-websocket-key")
    if (not lines[0].startswith("GET ") or key is None
            or "websocket" not in hdrs.get("upgrade", "").lower()):
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        return False
    acc = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())
    writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc +
                 b"\r\n\r\n")
    await writer.drain()
    return True


async def read_frame(reader):
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7f
    if n == 126:
        n = struct.unpack("!H", await reader.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", await reader.readexactly(8))[0]
        if n >> 63:
            raise Fail(1002)
    masked = b1 & 0x80
    key = await reader.readexactly(4) if masked else b""
    op = b0 & 0x0f
    if op >= 8 and n > 125:
        raise Fail(1002)
    if n > MAX_MSG:
        raise Fail(1009)
    data = await reader.readexactly(n)
    if masked:
        data = bytes(c ^ key[i % 4] for i, c in enumerate(data))
    return b0 >> 7, (b0 >> 4) & 7, op, bool(masked), data


async def session(reader, writer, args):
    msg_op = None
    parts = []
    dec = None
    while True:
        fin, rsv, op, masked, data = await read_frame(reader)
        if args.crash and op == 9 and rsv & 2:
            os._exit(3)  # defect: the whole process goes down
        if rsv or not masked or op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
            raise Fail(1002)
        if op >= 8:
            if not fin:
                raise Fail(1002)
            if op == 9:
                if args.hang and msg_op is not None and len(data) == 125:
                    # defect: this connection is never read again (the
                    # task is kept, so that it is not collected either)
                    HUNG.append(asyncio.current_task())
                    await asyncio.Event().wait()
                writer.write(frame(10, data))
                await writer.drain()
            elif op == 8:
                await on_close(writer, data, args)
                return
            continue
        if op == 0:
            if msg_op is None:
                raise Fail(1002)
        else:
            if msg_op is not None:
                raise Fail(1002)
            msg_op = op
            parts = []
            dec = codecs.getincrementaldecoder("utf-8")() if op == 1 else None
        parts.append(data)
        if sum(len(p) for p in parts) > MAX_MSG:
            raise Fail(1009)
        if dec is not None:
            try:
                dec.decode(data, final=bool(fin))
            except UnicodeDecodeError:
                raise Fail(1007)
        if fin:
            writer.write(frame(msg_op, b"".join(parts)))
            await writer.drain()
            msg_op = None


async def on_close(writer, data, args):
    if len(data) == 0:
        writer.write(frame(8, b""))
    elif len(data) == 1:
        raise Fail(1002)
    else:
        code = struct.unpack("!H", data[:2])[0]
        try:
            data[2:].decode("utf-8")
        except UnicodeDecodeError:
            raise Fail(1007)
        if args.violation and code == 1005:
            writer.write(frame(8, data))  # defect: echoes 1005
        elif code not in VALID_CODES:
            raise Fail(1002)
        else:
            writer.write(frame(8, data))
    await writer.drain()


async def serve(reader, writer, args):
    try:
        if await handshake(reader, writer):
            try:
                await session(reader, writer, args)
            except Fail as e:
                writer.write(frame(8, struct.pack("!H", e.code)))
                await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
            ConnectionError, ValueError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crash", action="store_true")
    ap.add_argument("--hang", action="store_true")
    ap.add_argument("--violation", action="store_true")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--pid-file")
    args = ap.parse_args()
    srv = await asyncio.start_server(lambda r, w: serve(r, w, args),
                                     "127.0.0.1", args.port,
                                     reuse_address=True)
    port = srv.sockets[0].getsockname()[1]
    if args.pid_file:
        with open(args.pid_file + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.replace(args.pid_file + ".tmp", args.pid_file)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.replace(args.port_file + ".tmp", args.port_file)
    async with srv:
        await srv.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
