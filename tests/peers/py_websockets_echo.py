#!/usr/bin/python3
"""py_websockets_echo.py: an echo server built on Debian's python3-websockets.

wsprobe's integration tests run it as a real third-party peer
(tests/integration/peers.sh).  It listens on 127.0.0.1 only, on the port
given (0: any free port), writes the port it got into PORT_FILE once it is
listening, and sends every message back as it came (text as text, binary
as binary).  Everything else (Pongs, the closing handshake, failing the
connection on a protocol error) is the library's own behaviour: that is
what is under test.

max_size is raised to 2^25 bytes so that the large-message cases reach the
peer's framing code rather than its size limit; compression is off because
the stock library would otherwise offer permessage-deflate in a way that
makes verdicts depend on the library's defaults.  With --deflate it is on,
with the library's default parameters (compression="deflate"), for the
permessage-deflate cases (14.3, 19.x); the verdicts of that run are pinned
separately (tests/integration/expected/py-websockets-deflate.txt).

Usage: /usr/bin/python3 py_websockets_echo.py [--deflate] PORT PORT_FILE
(Use Debian's /usr/bin/python3: python3-websockets is installed for it.)
"""
import asyncio
import os
import signal
import sys

import websockets


async def echo(ws, path=None):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.exceptions.ConnectionClosed:
        pass


async def main(port, port_file, compression):
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with websockets.serve(echo, "127.0.0.1", port, max_size=2 ** 25,
                                compression=compression) as server:
        bound = server.sockets[0].getsockname()[1]
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % bound)
        os.rename(tmp, port_file)
        await stop


if __name__ == "__main__":
    args = sys.argv[1:]
    deflate = "--deflate" in args
    args = [a for a in args if a != "--deflate"]
    if len(args) != 2:
        sys.exit("usage: py_websockets_echo.py [--deflate] PORT PORT_FILE")
    asyncio.run(main(int(args[0]), args[1], "deflate" if deflate else None))
