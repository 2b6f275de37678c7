#!/usr/bin/env node
// ws_echo.js: an echo server built on the npm package `ws` (the version
// pinned in package-lock.json beside this file).
//
// wsprobe's integration tests run it as a real third-party peer
// (tests/integration/peers.sh).  It listens on 127.0.0.1 only, on the port
// given (0: any free port), writes the port it got into PORT_FILE once it
// is listening, and sends every message back as it came (text as text,
// binary as binary).  Pongs, the closing handshake and failing the
// connection on a protocol error are the library's own behaviour: that is
// what is under test.
//
// maxPayload is raised to 2^25 bytes so that large-message cases reach the
// framing code rather than the size limit; permessage-deflate is off (ws's
// default for servers, stated here so a change of default cannot change
// the verdicts silently).  With --deflate it is on with ws's default
// parameters (perMessageDeflate: true), for the permessage-deflate cases
// (14.3, 19.x; verdicts pinned in tests/integration/expected/ws-deflate.txt).
//
// Usage: node ws_echo.js [--deflate] PORT PORT_FILE
'use strict';

const fs = require('fs');
const path = require('path');
const { WebSocketServer } = require(path.join(__dirname, 'node_modules', 'ws'));

const args = process.argv.slice(2).filter((a) => a !== '--deflate');
const deflate = args.length !== process.argv.length - 2;
if (args.length !== 2) {
	process.stderr.write('usage: node ws_echo.js [--deflate] PORT PORT_FILE\n');
	process.exit(2);
}
const port = Number(args[0]);
const portFile = args[1];

const wss = new WebSocketServer({
	host: '127.0.0.1',
	port: port,
	maxPayload: 2 ** 25,
	perMessageDeflate: deflate,
});

wss.on('connection', (ws) => {
	ws.on('message', (data, isBinary) => {
		ws.send(data, { binary: isBinary });
	});
	// A protocol error from the peer closes the connection (ws sends the
	// Close itself); the event only has to be handled so that it does not
	// become an uncaught exception.
	ws.on('error', () => {});
});

wss.on('listening', () => {
	const tmp = portFile + '.tmp';
	fs.writeFileSync(tmp, String(wss.address().port) + '\n');
	fs.renameSync(tmp, portFile);
});

wss.on('error', (err) => {
	process.stderr.write('ws_echo.js: ' + err.message + '\n');
	process.exit(1);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
	process.on(sig, () => {
		wss.close();
		for (const c of wss.clients)
			c.terminate();
		process.exit(0);
	});
}
