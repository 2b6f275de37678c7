#!/usr/bin/python3
"""cve_peer.py: a WebSocket echo server with one deliberate defect per
mode, each the bug class of a case of category 23 (cases/23_cve_classes.lua),
to show that the case FAILS such a server.  Standard library only; listens
on 127.0.0.1 only, one thread per connection.

Modes (none of them is a defect a correct server has):
  trunc32     reads a 64-bit payload length as its low 32 bits (23.2)
  pongleak    stops reading after 1000 Pongs, as if out of buffers (23.1)
  fragflood   stops reading after 20000 fragments of one message (23.3)
  hsfragile   exits (as a crash would) on a request head with more than
              1000 lines, a line over 64 KiB, a target over 2048 bytes, a
              run of 1000 spaces or of 1000 backslash pairs (23.4-23.8),
              and reads a bare CR as a line end (23.9: answers 101)
  pmdrsv      accepts permessage-deflate but takes a message's "compressed"
              flag from the latest frame, control frames included, so a
              Pong between fragments makes it echo the raw deflate bytes
              (23.10)

And one client, an Autobahn fuzzingserver driver for `wsprobe server`:
  naiveclient checks nothing in the 101 response but its status (23.11 to
              23.13: it echoes the message sent after a bad response)

Usage: /usr/bin/python3 cve_peer.py MODE PORT [PORT_FILE]
       /usr/bin/python3 cve_peer.py naiveclient PORT AGENT
"""
import base64
import hashlib
import os
import socket
import struct
import sys
import threading
import time
import zlib

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Closed(Exception):
    pass


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(min(n - len(b), 1 << 16))
        if not d:
            raise Closed()
        b += d
    return b


def read_head(c, mode):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(65536)
        if not d:
            raise Closed()
        buf += d
        if mode == "hsfragile" and (len(buf) > (64 << 10) + 1024 or
                                    b" " * 1000 in buf or
                                    b"\\\\" * 1000 in buf):
            os._exit(3)
    head, rest = buf.split(b"\r\n\r\n", 1)
    if mode == "hsfragile":
        lines = head.replace(b"\r\n", b"\r").split(b"\r")
        if len(lines) > 1000 or len(lines[0]) > 2048 + 16:
            os._exit(3)
    else:
        lines = head.split(b"\r\n")
    hdrs = {}
    for ln in lines[1:]:
        if b":" in ln:
            k, v = ln.split(b":", 1)
            hdrs[k.strip().lower()] = v.strip()
    return lines[0], hdrs, rest


def frame(op, payload):
    n = len(payload)
    if n <= 125:
        h = struct.pack("!BB", 0x80 | op, n)
    elif n <= 0xffff:
        h = struct.pack("!BBH", 0x80 | op, 126, n)
    else:
        h = struct.pack("!BBQ", 0x80 | op, 127, n)
    return h + payload


def serve(c, mode):
    try:
        start, hdrs, rest = read_head(c, mode)
        key = hdrs.get(b"sec-websocket-key", b"")
        acc = base64.b64encode(hashlib.sha1(key + GUID).digest())
        resp = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc +
                b"\r\n")
        pmd = (mode == "pmdrsv" and b"permessage-deflate" in
               hdrs.get(b"sec-websocket-extensions", b""))
        if pmd:
            resp += b"Sec-WebSocket-Extensions: permessage-deflate\r\n"
        c.sendall(resp + b"\r\n")
        pending = [rest]

        def rd(n):
            b = b""
            if pending[0]:
                b, pending[0] = pending[0][:n], pending[0][n:]
            return b + (recv_exact(c, n - len(b)) if len(b) < n else b"")

        pongs = frags = 0
        msg, mop, comp = b"", 0, False
        inf = zlib.decompressobj(-15)
        while True:
            b0, b1 = rd(2)
            fin, rsv1, op = b0 & 0x80, b0 & 0x40, b0 & 0x0f
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack("!H", rd(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", rd(8))[0]
                if mode == "trunc32":
                    n &= 0xffffffff
                elif n > (64 << 20):
                    c.sendall(frame(8, struct.pack("!H", 1009)))
                    return
            key = rd(4) if b1 & 0x80 else b"\0\0\0\0"
            p = bytes(x ^ key[i % 4] for i, x in enumerate(rd(n)))
            if mode == "pmdrsv":
                comp = bool(rsv1)   # the defect: any frame sets the flag
            if op == 8:
                c.sendall(frame(8, p[:2]))
                return
            if op == 9:
                c.sendall(frame(10, p))
                continue
            if op == 10:
                pongs += 1
                if mode == "pongleak" and pongs >= 1000:
                    time.sleep(30)
                    return
                continue
            if op in (1, 2):
                msg, mop, frags = p, op, 1
                if mode != "pmdrsv":
                    comp = bool(rsv1)
            else:
                msg += p
                frags += 1
                if mode == "fragflood" and frags >= 20000:
                    time.sleep(30)
                    return
            if fin:
                if pmd and comp:
                    msg = inf.decompress(msg + b"\0\0\xff\xff")
                c.sendall(frame(mop, msg))
    except (Closed, OSError, ValueError):
        pass
    finally:
        c.close()


def client_session(port, target):
    """One connection of the naive client: returns the text messages."""
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = base64.b64encode(os.urandom(16))
    c.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
              b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
              % (port, key))
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(65536)
        if not d:
            return []
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 101"):
        return []
    pending, texts = [rest], []

    def rd(n):
        b = b""
        if pending[0]:
            b, pending[0] = pending[0][:n], pending[0][n:]
        return b + (recv_exact(c, n - len(b)) if len(b) < n else b"")

    def send(op, p):
        k = os.urandom(4)
        n = len(p)
        h = (struct.pack("!BB", 0x80 | op, 0x80 | n) if n <= 125 else
             struct.pack("!BBH", 0x80 | op, 0xfe, n) if n <= 0xffff else
             struct.pack("!BBQ", 0x80 | op, 0xff, n))
        c.sendall(h + k + bytes(x ^ k[i % 4] for i, x in enumerate(p)))

    msg, mop = b"", 0
    try:
        while True:
            b0, b1 = rd(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack("!H", rd(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", rd(8))[0]
            p = rd(n)
            op = b0 & 0x0f
            if op == 8:
                send(8, p[:2])
                break
            if op == 9:
                send(10, p)
                continue
            if op == 10:
                continue
            if op in (1, 2):
                msg, mop = p, op
            else:
                msg += p
            if b0 & 0x80:
                if mop == 1:
                    texts.append(msg)
                send(mop, msg)
    except (Closed, OSError):
        pass
    c.close()
    return texts


def naive_client(port, agent):
    count = int(client_session(port, b"/getCaseCount")[0])
    for i in range(1, count + 1):
        client_session(port, b"/runCase?case=%d&agent=%s"
                       % (i, agent.encode()))
    client_session(port, b"/updateReports?agent=" + agent.encode())


def main():
    if sys.argv[1] == "naiveclient":
        naive_client(int(sys.argv[2]), sys.argv[3])
        return
    mode, port = sys.argv[1], int(sys.argv[2])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as f:
            f.write("%d\n" % s.getsockname()[1])
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, mode), daemon=True).start()


if __name__ == "__main__":
    main()
