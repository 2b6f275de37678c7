#!/usr/bin/python3
"""py_websockets_client.py: an Autobahn|Testsuite fuzzingserver client
driver built on Debian's python3-websockets, written the way the websockets
project drives Autobahn (shared/reference/autobahn.md section 6), so that
`wsprobe server` can be checked against a real third-party client:

  1. /getCaseCount: one text message, the number of cases;
  2. for each case, /getCaseInfo?case=N&agent=AGENT, then
     /runCase?case=N&agent=AGENT: every message is sent back as it came;
     Pings, the closing handshake and failing the connection are the
     library's own behaviour, which is what is under test;
  3. /updateReports?agent=AGENT: the server closes once the reports are
     written.

It speaks wsprobe's extension of /getCaseInfo (docs/cases.md): when the
answer names a "target" (an IRI or a URI), that is opened instead of
/runCase, on the server's address whatever host it names (the library
still puts that host in the Host header and the TLS handshake), and when
the library refuses the URI without connecting (InvalidURI),
/runCase?...&refused=WHY is opened instead;
when it asks for "connections": N, /runCase is opened N times at once
(cases 22.7.x and 22.8.1).

max_size is 2^25 bytes, as in websockets' own compliance client;
compression is off (not offered).  With --deflate permessage-deflate is
offered with the library's default parameters (compression="deflate"), for
the permessage-deflate cases (15.3, 15.4, 19.x).  With --cafile=FILE a
wss:// server is verified against the certificates in FILE (Python's
default checks otherwise); --insecure verifies nothing (a driver that
does so must fail case 22.3.5).  A connection that fails before it opens (a
refused TLS handshake, case 22.3.5) is the case's business too: the
driver goes on with the next case.

Usage: /usr/bin/python3 py_websockets_client.py [--deflate]
       [--cafile=FILE | --insecure] ws[s]://127.0.0.1:PORT AGENT
(Use Debian's /usr/bin/python3: python3-websockets is installed for it.)
Exits 0 once /updateReports has closed, 1 on a driver error.
"""
import asyncio
import json
import ssl
import sys
import urllib.parse

import websockets

TLS = {}  # connect()'s ssl argument for wss:// URIs
ADDR = {}  # connect()'s host and port: the server's, for a case's target


async def run_case(uri, compression, addr=None):
    """Runs one connection; returns why the library refused the URI
    without connecting (a string), else None."""
    try:
        async with websockets.connect(uri, max_size=2 ** 25,
                                      compression=compression,
                                      **TLS, **(addr or {})) as ws:
            async for message in ws:
                await ws.send(message)
    except websockets.exceptions.InvalidURI as exc:
        # Refused before any connection: the driver says so (22.7.x).
        # Anything that fails later has been seen by the server.
        return "InvalidURI: %s" % exc
    except websockets.exceptions.WebSocketException:
        pass  # the case's business: go on with the next one
    except OSError as exc:
        # The connection failed before it opened (ssl.SSLError is an
        # OSError): the case's business as well.
        sys.stderr.write("%s: %s\n" % (uri, exc))
    except ValueError as exc:
        # The library itself broke on what the server sent (10.4 agrees
        # to client_max_window_bits=8, then zlib refuses a window that
        # small: case 15.4.6): the case's business too, not the driver's.
        sys.stderr.write("%s: %s\n" % (uri, exc))
    return None


async def case_info(base, i, a):
    """/getCaseInfo's answer for case i ({} when there is none)."""
    try:
        async with websockets.connect("%s/getCaseInfo?case=%d&agent=%s"
                                      % (base, i, a), **TLS) as ws:
            info = json.loads(await ws.recv())
            return info if isinstance(info, dict) else {}
    except (websockets.exceptions.WebSocketException, OSError,
            ValueError):
        # No answer (22.3.5 serves that connection with a certificate
        # no client can verify): run the case plainly.
        return {}


async def main(base, agent, compression):
    async with websockets.connect(base + "/getCaseCount", **TLS) as ws:
        count = int(await ws.recv())
    a = urllib.parse.quote(agent, safe="")
    for i in range(1, count + 1):
        info = await case_info(base, i, a)
        uri = "%s/runCase?case=%d&agent=%s" % (base, i, a)
        target = info.get("target")
        n = info.get("connections", 1)
        if isinstance(target, str):
            why = await run_case(target, compression, ADDR)
            if why is not None:
                await run_case("%s&refused=%s" % (
                    uri, urllib.parse.quote(why[:200], safe="")),
                    compression)
        elif isinstance(n, int) and 1 < n <= 4:
            await asyncio.gather(*[run_case(uri, compression)
                                   for _ in range(n)])
        else:
            await run_case(uri, compression)
    async with websockets.connect(base + "/updateReports?agent=" + a,
                                  **TLS) as ws:
        try:
            await ws.recv()
        except websockets.exceptions.ConnectionClosed:
            pass
    print("ran %d cases as %s" % (count, agent))


if __name__ == "__main__":
    args = sys.argv[1:]
    deflate = "--deflate" in args
    args = [a for a in args if a != "--deflate"]
    for a in [a for a in args if a.startswith("--cafile=")]:
        TLS["ssl"] = ssl.create_default_context(cafile=a[len("--cafile="):])
        args.remove(a)
    if "--insecure" in args:
        # No verification at all: a negative control for case 22.3.5.
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        TLS["ssl"] = ctx
        args.remove("--insecure")
    if len(args) != 2:
        sys.stderr.write("usage: py_websockets_client.py [--deflate] "
                         "[--cafile=FILE | --insecure] URL AGENT\n")
        sys.exit(2)
    server = urllib.parse.urlsplit(args[0])
    ADDR["host"] = server.hostname
    ADDR["port"] = server.port or (443 if server.scheme == "wss" else 80)
    try:
        asyncio.run(main(args[0].rstrip("/"), args[1],
                         "deflate" if deflate else None))
    except Exception as e:  # a driver error, not a case verdict
        sys.stderr.write("%s\n" % e)
        sys.exit(1)
