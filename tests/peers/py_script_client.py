#!/usr/bin/python3
"""py_script_client.py: a scripted WebSocket client on Debian's python3-websockets.

tests/integration/tshark.sh captures its conversation with a scripted server
(ws_script_server.js) and checks that `wsprobe dissect` and tshark decode the
capture alike.  The script, the same in every scripted peer:

  1. text and binary messages of 0, 1, 125, 126, 65535, 65536 bytes, 1 MiB
     and 16 MiB, each echoed back by the server and compared;
  2. a text and a binary message sent as several frames (the library sends
     an iterable as fragments), echoed back;
  3. a Ping with a payload, answered by a Pong;
  4. "server-turn": the server sends a fragmented text message, a Ping with
     a payload (the library answers it) and "server-done";
  5. a Close with code 4001 and a UTF-8 reason.

Keep-alive pings are off so that every frame comes from the script.  Text
is valid UTF-8 with multi-byte characters; binary is random.

Usage: /usr/bin/python3 py_script_client.py URL deflate|plain
Exits 0 when every echo matched, 1 otherwise (the reason on stderr).
"""
import asyncio
import os
import sys

import websockets

SIZES = [0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20]
UNIT = "wsprobe \u00e9t\u00e9 \u20ac \U0001d11e ".encode()


def text_of(n):
    """n bytes of valid UTF-8 (a cut character at the end becomes 'x's)."""
    b = (UNIT * (n // len(UNIT) + 1))[:n]
    try:
        b.decode()
    except UnicodeDecodeError as e:
        b = b[:e.start] + b"x" * (n - e.start)
    return b.decode()


def fail(what):
    sys.stderr.write("py_script_client: %s\n" % what)
    sys.exit(1)


async def main(url, deflate):
    async with websockets.connect(
            url, compression="deflate" if deflate else None,
            max_size=2 ** 25, ping_interval=None,
            close_timeout=10) as ws:
        for n in SIZES:
            for msg in (text_of(n), os.urandom(n)):
                await ws.send(msg)
                back = await ws.recv()
                if back != msg:
                    fail("echo of a %d-byte %s message differs"
                         % (n, type(msg).__name__))
        parts = ["first fragment, ", "second \u00e9 fragment, ", "last"]
        await ws.send(parts)
        if await ws.recv() != "".join(parts):
            fail("echo of the fragmented text message differs")
        bparts = [b"\x01" * 1000, os.urandom(70000), b"\x03"]
        await ws.send(bparts)
        if await ws.recv() != b"".join(bparts):
            fail("echo of the fragmented binary message differs")
        pong = await ws.ping(b"client ping payload")
        await asyncio.wait_for(pong, 10)
        await ws.send("server-turn")
        if await ws.recv() != "server fragment one, two, three":
            fail("the server's fragmented message differs")
        if await ws.recv() != "server-done":
            fail("expected server-done")
        await ws.close(4001, "client done \u2713")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in ("deflate", "plain"):
        sys.exit("usage: py_script_client.py URL deflate|plain")
    asyncio.run(main(sys.argv[1], sys.argv[2] == "deflate"))
