#!/usr/bin/env node
// ws_script_server.js: the scripted WebSocket server on the npm package
// `ws` (version pinned in package-lock.json beside this file).
//
// The server half of the script described in py_script_client.py
// (tests/integration/tshark.sh captures it): it echoes every message as it
// came, except "server-turn", to which it answers with a text message sent
// as three frames (send with fin: false), a Ping with a payload, and
// "server-done".  The closing handshake is the library's own.  With
// "deflate" permessage-deflate is accepted with ws's defaults (messages
// under its 1024-byte threshold then go uncompressed, which the capture
// also covers).
//
// It listens on 127.0.0.1 on the port given (0: any free port) and writes
// the port it got into PORT_FILE once it listens.
//
// Usage: node ws_script_server.js PORT PORT_FILE deflate|plain
'use strict';

const fs = require('fs');
const path = require('path');
const { WebSocketServer } = require(path.join(__dirname, 'node_modules', 'ws'));

const args = process.argv.slice(2);
if (args.length !== 3 || (args[2] !== 'deflate' && args[2] !== 'plain')) {
	process.stderr.write('usage: node ws_script_server.js PORT PORT_FILE deflate|plain\n');
	process.exit(2);
}

const wss = new WebSocketServer({
	host: '127.0.0.1',
	port: Number(args[0]),
	maxPayload: 2 ** 25,
	perMessageDeflate: args[2] === 'deflate',
});

wss.on('connection', (ws) => {
	ws.on('message', (data, isBinary) => {
		if (!isBinary && data.toString() === 'server-turn') {
			ws.send('server fragment one, ', { fin: false });
			ws.send('two, ', { fin: false });
			ws.send('three', { fin: true });
			ws.ping(Buffer.from('server ping payload'));
			ws.send('server-done');
			return;
		}
		ws.send(data, { binary: isBinary });
	});
	ws.on('error', () => {});
});

wss.on('listening', () => {
	const tmp = args[1] + '.tmp';
	fs.writeFileSync(tmp, wss.address().port + '\n');
	fs.renameSync(tmp, args[1]);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
	process.on(sig, () => {
		for (const c of wss.clients)
			c.terminate();
		wss.close(() => process.exit(0));
	});
}
