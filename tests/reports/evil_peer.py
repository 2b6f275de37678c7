#!/usr/bin/python3
"""evil_peer.py: a WebSocket server that puts markup and quotes in every
field of a report it controls, for tests/reports/escape.sh.  Standard
library only.

Its 101 response carries the header X-Evil (below), and each message it
receives is answered with the text message EVIL_MESSAGE (so the case fails
and the message is in the observed events); a Ping gets its Pong; a Close
is answered with a Close whose reason is EVIL_REASON, then the connection
is closed.  Listens on 127.0.0.1, any free port, and writes the port into
PORT_FILE once listening; every connection ends within 10 s.

Usage: python3 evil_peer.py PORT_FILE
"""
import base64
import hashlib
import os
import socket
import struct
import sys
import threading

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
EVIL_HEADER = "<script>alert(\"hdr\")</script> 'single' & \"double\""
EVIL_MESSAGE = "</code></pre><script>alert('msg')</script>\"<img src=x onerror=alert(2)>"
EVIL_REASON = "<script>alert(\"close\")</script>'"


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def frame(opcode, payload):
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


def serve(conn):
    conn.settimeout(10)
    try:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                return
            head += chunk
        key = b""
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"sec-websocket-key":
                key = v.strip()
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept +
                     b"\r\nX-Evil: " + EVIL_HEADER.encode() + b"\r\n\r\n")
        while True:
            b0, b1 = read_exact(conn, 2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack("!H", read_exact(conn, 2))[0]
            elif n == 127:
                n = struct.unpack("!Q", read_exact(conn, 8))[0]
            mask = read_exact(conn, 4) if b1 & 0x80 else b"\0\0\0\0"
            data = bytes(c ^ mask[i % 4] for i, c in enumerate(read_exact(conn, n)))
            op = b0 & 0x0f
            if op in (1, 2) and b0 & 0x80:
                conn.sendall(frame(1, EVIL_MESSAGE.encode()))
            elif op == 9:
                conn.sendall(frame(10, data))
            elif op == 8:
                conn.sendall(frame(8, struct.pack("!H", 1000) + EVIL_REASON.encode()))
                return
    except (OSError, EOFError, ValueError):
        pass
    finally:
        conn.close()


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, sys.argv[1])
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
