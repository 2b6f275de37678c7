#!/usr/bin/env node
// ws_autobahn_client.js: an Autobahn|Testsuite fuzzingserver client driver
// built on the npm package `ws` (the version pinned in package-lock.json
// beside this file), written the way client projects write theirs
// (shared/reference/autobahn.md section 6), so `wsprobe server` can be
// checked against a real third-party client that it did not write:
//
//   1. /getCaseCount: one text message, the number of cases;
//   2. for each case, /getCaseInfo?case=N&agent=AGENT, then
//      /runCase?case=N&agent=AGENT: every message is sent back as it came
//      (text as text, binary as binary); Pings, Pongs, the closing
//      handshake and failing the connection are the library's own
//      behaviour, which is what is under test;
//   3. /updateReports?agent=AGENT: the server closes once the reports are
//      written.
//
// It speaks wsprobe's extension of /getCaseInfo (docs/cases.md): when the
// answer names a "target" (an IRI or a URI), that is opened instead of
// /runCase, on the server's address whatever host it names (a `lookup`
// that answers the server's address; ws still puts the host in the Host
// header and the TLS handshake), and when ws refuses the URL without
// connecting (its constructor throws), /runCase?...&refused=WHY is opened
// instead; when it asks for
// "connections": N, /runCase is opened N times at once (cases 22.7.x and
// 22.8.1).
//
// maxPayload is raised to 2^25 bytes (websockets uses the same) so that
// large-message cases reach the framing code rather than the size limit;
// permessage-deflate is not offered.  With --deflate it is offered with
// ws's default parameters (perMessageDeflate: true), for the
// permessage-deflate cases (15.3, 15.4, 19.x).  With --ca=FILE a wss://
// server is verified against the certificates in FILE (Node's default CAs
// otherwise); a connection that fails before it opens (a certificate
// refused, case 22.3.5) ends like any other and the driver goes on.  With
// --proxy=http://HOST:PORT every connection goes through that HTTP proxy
// with CONNECT, by the npm package https-proxy-agent (pinned beside ws),
// used as that package's documentation shows for ws (cases 22.5.x).
//
// Usage: node ws_autobahn_client.js [--deflate] [--ca=FILE] [--proxy=URL]
//        ws[s]://127.0.0.1:PORT AGENT
// Exits 0 once /updateReports has closed, 1 on a driver error.
'use strict';

const fs = require('fs');
const path = require('path');
const WebSocket = require(path.join(__dirname, 'node_modules', 'ws'));

const all = process.argv.slice(2);
const deflate = all.includes('--deflate');
const caArg = all.find((a) => a.startsWith('--ca='));
const proxyArg = all.find((a) => a.startsWith('--proxy='));
const args = all.filter((a) => a !== '--deflate' && a !== caArg && a !== proxyArg);
if (args.length !== 2) {
	process.stderr.write('usage: node ws_autobahn_client.js [--deflate] [--ca=FILE] [--proxy=URL] URL AGENT\n');
	process.exit(2);
}
const base = args[0].replace(/\/+$/, '');
const agent = args[1];
const opts = { maxPayload: 1 << 25, perMessageDeflate: deflate };
if (caArg) {
	opts.ca = fs.readFileSync(caArg.slice('--ca='.length));
}
if (proxyArg) {
	const { HttpsProxyAgent } = require(path.join(__dirname, 'node_modules', 'https-proxy-agent'));
	opts.agent = new HttpsProxyAgent(proxyArg.slice('--proxy='.length));
}

// The server's address, for every host name a case's target names.
const server = new URL(base).hostname.replace(/^\[|\]$/g, '');
function lookupServer(hostname, options, cb) {
	const family = server.includes(':') ? 6 : 4;
	if (options && options.all)
		cb(null, [{ address: server, family }]);
	else
		cb(null, server, family);
}

// Opens url and resolves when the connection is gone: null, or why ws
// refused the URL without connecting (its constructor throws).  Anything
// that fails later has been seen by the server.
function connectUrl(url, onMessage, extra) {
	return new Promise((resolve) => {
		let ws;
		try {
			ws = new WebSocket(url, Object.assign({}, opts, extra));
		} catch (e) {
			resolve(String(e));
			return;
		}
		ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary));
		// A protocol error from the server is the case's business: the
		// library has already failed the connection; go on.
		ws.on('error', () => {});
		ws.on('close', () => resolve(null));
	});
}

function connect(target, onMessage) {
	return connectUrl(base + target, onMessage);
}

const echo = (ws, data, isBinary) => ws.send(data, { binary: isBinary });

async function main() {
	let count = -1;
	await connect('/getCaseCount', (ws, data) => {
		count = Number(data.toString());
	});
	if (!Number.isInteger(count) || count < 0) {
		process.stderr.write('no case count from ' + base + '\n');
		process.exit(1);
	}
	const a = encodeURIComponent(agent);
	for (let i = 1; i <= count; i++) {
		let info = {};
		await connect('/getCaseInfo?case=' + i + '&agent=' + a, (ws, data) => {
			try {
				info = JSON.parse(data.toString());
			} catch (e) {
				info = {};
			}
		});
		const run = '/runCase?case=' + i + '&agent=' + a;
		const n = info.connections;
		if (typeof info.target === 'string') {
			const why = await connectUrl(info.target, echo, { lookup: lookupServer });
			if (why !== null)
				await connect(run + '&refused=' + encodeURIComponent(why.slice(0, 200)), echo);
		} else if (Number.isInteger(n) && n > 1 && n <= 4) {
			await Promise.all(Array.from({ length: n }, () => connect(run, echo)));
		} else {
			await connect(run, echo);
		}
	}
	await connect('/updateReports?agent=' + a, () => {});
	process.stdout.write('ran ' + count + ' cases as ' + agent + '\n');
}

main().catch((e) => {
	process.stderr.write(String(e) + '\n');
	process.exit(1);
});
