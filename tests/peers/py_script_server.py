#!/usr/bin/python3
"""py_script_server.py: the scripted WebSocket server on Debian's python3-websockets.

The server half of the script in py_script_client.py (tests/integration/
tshark.sh captures it): it echoes every message as it came, except
"server-turn", to which it answers with a text message sent as three
fragments, a Ping with a payload, and "server-done".  The closing handshake
is the library's own.  Keep-alive pings are off; permessage-deflate is
accepted when the mode is deflate.

It listens on 127.0.0.1 on the port given (0: any free port) and writes the
port it got into PORT_FILE once it listens.

Usage: /usr/bin/python3 py_script_server.py PORT PORT_FILE deflate|plain
"""
import asyncio
import os
import signal
import sys

import websockets


async def handler(ws, path=None):
    try:
        async for message in ws:
            if message == "server-turn":
                await ws.send(["server fragment one, ", "two, ", "three"])
                await ws.ping(b"server ping payload")
                await ws.send("server-done")
            else:
                await ws.send(message)
    except websockets.exceptions.ConnectionClosed:
        pass


async def main(port, port_file, deflate):
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result,
                                                      None)
    async with websockets.serve(
            handler, "127.0.0.1", port, max_size=2 ** 25,
            ping_interval=None,
            compression="deflate" if deflate else None) as server:
        bound = server.sockets[0].getsockname()[1]
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % bound)
        os.rename(tmp, port_file)
        await stop


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[3] not in ("deflate", "plain"):
        sys.exit("usage: py_script_server.py PORT PORT_FILE deflate|plain")
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3] == "deflate"))
