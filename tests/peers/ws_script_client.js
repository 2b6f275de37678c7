#!/usr/bin/env node
// ws_script_client.js: the scripted WebSocket client on the npm package
// `ws` (version pinned in package-lock.json beside this file).
//
// Plays the script described in py_script_client.py against a scripted
// server (py_script_server.py; tests/integration/tshark.sh captures it):
// text and binary messages of 0 B to 16 MiB echoed, a fragmented text and
// binary message (send with fin: false), a Ping with a payload,
// "server-turn" (the server's fragmented message, Ping and "server-done"),
// and a Close with code 4001 and a UTF-8 reason.  With "deflate" it offers
// permessage-deflate with ws's defaults (messages under the 1024-byte
// threshold go uncompressed).
//
// Usage: node ws_script_client.js URL deflate|plain
// Exits 0 when every echo matched, 1 otherwise (the reason on stderr).
'use strict';

const crypto = require('crypto');
const path = require('path');
const WebSocket = require(path.join(__dirname, 'node_modules', 'ws'));

const args = process.argv.slice(2);
if (args.length !== 2 || (args[1] !== 'deflate' && args[1] !== 'plain')) {
	process.stderr.write('usage: node ws_script_client.js URL deflate|plain\n');
	process.exit(2);
}

const SIZES = [0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20];
const UNIT = Buffer.from('wsprobe \u00e9t\u00e9 \u20ac \u{1d11e} ');

// n bytes of valid UTF-8: a character cut at the end becomes 'x's.
function textOf(n) {
	const b = Buffer.alloc(n);
	for (let i = 0; i < n; i += UNIT.length)
		UNIT.copy(b, i, 0, Math.min(UNIT.length, n - i));
	let s = n;
	while (s > 0 && (b[s - 1] & 0xc0) === 0x80)
		s--;
	if (s > 0 && b[s - 1] >= 0xc0) {
		const lead = b[s - 1];
		const len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
		if (s - 1 + len > n)
			b.fill(0x78, s - 1);
	}
	return b.toString('utf8');
}

function fail(what) {
	process.stderr.write('ws_script_client: ' + what + '\n');
	process.exit(1);
}

const ws = new WebSocket(args[0], {
	perMessageDeflate: args[1] === 'deflate',
	maxPayload: 2 ** 25,
});
let done = false;
const queue = [];
let waiting = null;
ws.on('message', (data, isBinary) => {
	const m = isBinary ? data : data.toString('utf8');
	if (waiting) {
		const w = waiting;
		waiting = null;
		w(m);
	} else {
		queue.push(m);
	}
});
ws.on('error', (e) => fail('error: ' + e.message));
function recv() {
	if (queue.length > 0)
		return Promise.resolve(queue.shift());
	return new Promise((resolve) => { waiting = resolve; });
}
function same(a, b) {
	if (Buffer.isBuffer(a))
		return Buffer.isBuffer(b) && a.equals(b);
	return a === b;
}

ws.on('open', async () => {
	for (const n of SIZES) {
		for (const msg of [textOf(n), crypto.randomBytes(n)]) {
			ws.send(msg);
			if (!same(await recv(), msg))
				fail('echo of a ' + n + '-byte message differs');
		}
	}
	const parts = ['first fragment, ', 'second \u00e9 fragment, ', 'last'];
	ws.send(parts[0], { fin: false });
	ws.send(parts[1], { fin: false });
	ws.send(parts[2], { fin: true });
	if (await recv() !== parts.join(''))
		fail('echo of the fragmented text message differs');
	const bparts = [Buffer.alloc(1000, 1), crypto.randomBytes(70000), Buffer.from([3])];
	ws.send(bparts[0], { binary: true, fin: false });
	ws.send(bparts[1], { binary: true, fin: false });
	ws.send(bparts[2], { binary: true, fin: true });
	if (!same(await recv(), Buffer.concat(bparts)))
		fail('echo of the fragmented binary message differs');
	await new Promise((resolve) => {
		ws.once('pong', resolve);
		ws.ping(Buffer.from('client ping payload'));
	});
	ws.send('server-turn');
	if (await recv() !== 'server fragment one, two, three')
		fail("the server's fragmented message differs");
	if (await recv() !== 'server-done')
		fail('expected server-done');
	done = true;
	ws.close(4001, 'client done \u2713');
});
ws.on('close', (code) => {
	if (!done)
		fail('the server closed first (code ' + code + ')');
	process.exit(0);
});
setTimeout(() => fail('timed out'), 60000).unref();
