#!/usr/bin/python3
"""hostile.py: misbehaving WebSocket servers for wsprobe's integration tests.

Standard library only.  Each MODE is one way a server under test can go
wrong at the transport or framing level; tests/integration/hostile.sh runs
wsprobe's client against each and checks that every case ends within its
deadline with a FAILED verdict that names the cause, that wsprobe neither
crashes nor grows without bound, and that the exit code is 1.

Modes:
  silent        accept TCP, read and discard, never answer anything
  reset         complete the opening handshake, send the header and 2 of
                the 200 payload bytes of a binary frame, then reset the
                connection (RST)
  garbage       answer the opening handshake with bytes that are not HTTP
  len63         complete the handshake, then announce a binary frame of
                2^63 bytes (64-bit length with its most significant bit set,
                which RFC 6455 section 5.2 forbids) and stall
  len63m1       complete the handshake, then announce a binary frame of
                2^63 - 1 bytes (a legal encoding), send 16 bytes of it and
                stall
  len1g         complete the handshake, then announce a binary frame of
                2^30 bytes, send 16 bytes of it and stall (for a client
                whose --max-message allows it: nothing may be allocated
                for bytes that have not arrived)

Listens on 127.0.0.1 only, on PORT (0: any free port), and writes the port
into PORT_FILE once listening.  Every connection is served on its own
thread and held at most HOLD seconds (then closed), so the process never
outlives the test by much even if the test forgets it; SIGTERM stops it.

Usage: python3 hostile.py MODE PORT PORT_FILE
"""
import base64
import hashlib
import os
import signal
import socket
import struct
import sys
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
HOLD = 30.0


def read_head(conn):
    """Reads the request head (up to the blank line); None if it is cut off."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        buf += chunk
        if len(buf) > 65536:
            return None
    return buf


def accept_key(head):
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            digest = hashlib.sha1(value.strip() + GUID).digest()
            return base64.b64encode(digest)
    return None


def handshake(conn):
    """Answers a valid request with a correct 101; False otherwise."""
    head = read_head(conn)
    key = accept_key(head) if head else None
    if key is None:
        return False
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\n"
                 b"Upgrade: websocket\r\n"
                 b"Connection: Upgrade\r\n"
                 b"Sec-WebSocket-Accept: " + key + b"\r\n\r\n")
    return True


def drain(conn, seconds):
    """Reads and discards until the peer closes or the time is up."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        conn.settimeout(left)
        try:
            if not conn.recv(65536):
                return
        except (socket.timeout, OSError):
            return


def serve(mode, conn):
    try:
        conn.settimeout(HOLD)
        if mode == "silent":
            drain(conn, HOLD)
        elif mode == "garbage":
            if read_head(conn) is not None:
                conn.sendall(b"\x00\xffSSH-2.0-not-http\r\n\x13\x37garbage"
                             b"\r\n\r\n")
            drain(conn, HOLD)
        elif mode == "reset":
            if handshake(conn):
                # FIN, binary, 16-bit length 200 (the minimal encoding for
                # 200), then 2 of the 200 bytes.
                conn.sendall(b"\x82\x7e\x00\xc8ab")
                time.sleep(0.05)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                struct.pack("ii", 1, 0))
        elif mode == "len63":
            if handshake(conn):
                conn.sendall(b"\x82\x7f" + struct.pack(">Q", 1 << 63))
                drain(conn, HOLD)
        elif mode == "len63m1":
            if handshake(conn):
                conn.sendall(b"\x82\x7f" + struct.pack(">Q", (1 << 63) - 1) +
                             b"0123456789abcdef")
                drain(conn, HOLD)
        elif mode == "len1g":
            if handshake(conn):
                conn.sendall(b"\x82\x7f" + struct.pack(">Q", 1 << 30) +
                             b"0123456789abcdef")
                drain(conn, HOLD)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    modes = ("silent", "reset", "garbage", "len63", "len63m1", "len1g")
    if len(sys.argv) != 4 or sys.argv[1] not in modes:
        sys.exit("usage: hostile.py %s PORT PORT_FILE" % "|".join(modes))
    mode, port, port_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(128)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, port_file)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(mode, conn), daemon=True).start()


if __name__ == "__main__":
    main()
