-- Category 23, CVE classes: bug classes that CVEs in other WebSocket
-- implementations fell into and that no case of categories 1 to 22
-- exercises (fuzz/cve-classes.tsv maps every class, with its fuzz seeds,
-- to its cases; docs/fuzzing.md explains it).  Each case names the CVE(s)
-- of its class.  What they check is robustness: the peer answers or
-- refuses promptly and keeps serving, never hangs, crashes or
-- misreads a length.  Not in Autobahn|Testsuite.

-- How the peer ended a connection it refused: OK for a Close frame with
-- one of the codes in want, NON-STRICT for another code or a TCP drop.
local function judge_close(s, what, want)
  s:expect_close { by_me = false, codes = {}, clean = false }
  local code = s.close_code
  for _, c in ipairs(want) do
    if code == c then
      s:verdict("OK", what .. "; the peer closed with " .. c)
      return
    end
  end
  s:verdict("NON-STRICT", what .. "; the peer closed with "
    .. (code and tostring(code) or "no Close frame") .. ", not "
    .. table.concat(want, " or "))
end

-- 23.1: a Pong flood (CVE-2021-3690, Undertow: a buffer leaked on every
-- incoming Pong).
case {
  id = "23.1",
  title = "Pong flood: 5000 unsolicited Pongs of 125 bytes, then a Ping",
  description = "Send 5000 unsolicited Pongs with 125 bytes of data each "
    .. "(625 KiB) in one TCP write, then a Ping \"after the pongs\".  The "
    .. "class of CVE-2021-3690 (Undertow leaked a buffer per Pong).",
  expectation = "Unsolicited Pongs need no answer: the peer answers the "
    .. "Ping (OK), or refuses the flood by failing the connection with a "
    .. "Close frame (OK; a TCP drop without one is NON-STRICT); silence "
    .. "is a failure.",
  requirements = { "R6455-5.5.3-03", "R6455-5.5.2-02", "R6455-5.5.3-01",
    "R6455-10.4-02" },
  run = function(s)
    local ok, why = s:open()
    if not ok then
      s:verdict("FAILED", "the opening handshake failed: " .. tostring(why))
      return
    end
    -- 625 KiB of Pongs would fill the wire log (and the report) for
    -- nothing: the events say what happened.
    s:stop_wirelog()
    local p = string.rep("u", 125)
    local fr = {}
    for i = 1, 1000 do fr[i] = { 10, p } end
    for _ = 1, 5 do s:send_raw(s:frames(fr)) end
    s:send_ping("after the pongs")
    local ev = s:receive(5)
    if ev and ev.type == "pong" and ev.data == "after the pongs" then
      s:verdict("OK", "the peer answered the Ping after 5000 Pongs")
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close(1000)
    elseif ev then
      s:verdict("FAILED", "an unexpected " .. ev.type .. " after the Pongs")
      s:close(1000)
    elseif s:is_open() then
      s:verdict("FAILED", "no Pong within 5 s and the connection is open")
      s:kill_after(0)
    else
      if s.close_code then
        s:expect_close { by_me = false, codes = {}, clean = false }
        s:verdict("OK", "the peer failed the connection on the flood "
          .. "(code " .. s.close_code .. ")")
      else
        judge_close(s, "refused the Pong flood", {})
      end
    end
  end,
}

-- 23.2: a 64-bit length that a parser truncating to 32 bits reads as 5.
case {
  id = "23.2",
  title = "64-bit length 2^32 + 5 with 5 bytes of data",
  description = "Send a text frame whose 64-bit length announces 2^32 + 5 "
    .. "bytes, followed by only 5 bytes (\"Hello\"), then wait 1.5 s.  A "
    .. "parser that keeps the low 32 bits of the length sees a complete "
    .. "5-byte message.  The class of CVE-2020-13935 (Tomcat), "
    .. "CVE-2020-27813 (gorilla/websocket), CVE-2026-1528 (undici): 64-bit "
    .. "lengths mishandled.",
  expectation = "The peer waits for the rest of the frame (OK) or fails "
    .. "the connection because the frame exceeds its limit (1009 OK, "
    .. "another close NON-STRICT); echoing \"Hello\" is a failure.",
  requirements = { "R6455-5.2-05", "R6455-10.4-01", "R6455-10.7-01" },
  run = function(s)
    s:send_frame { opcode = 1, payload = "Hello", len_form = 64,
                   payload_len = (1 << 32) + 5 }
    local ev = s:receive(1.5)
    if ev then
      s:verdict("FAILED", "the peer delivered a " .. ev.type .. " of "
        .. #ev.data .. " bytes: it read the length as 32 bits")
      s:kill_after(0)
    elseif s:is_open() then
      s:verdict("OK", "the peer waits for the announced 2^32 + 5 bytes")
      s:expect_close { by_me = true, codes = {}, clean = false }
      s:kill_after(0)
    else
      judge_close(s, "refused a frame of 2^32 + 5 bytes", { 1009 })
    end
  end,
}

-- 23.3: a flood of 1-byte fragments.
case {
  id = "23.3",
  title = "A binary message in 100000 fragments of 1 byte",
  description = "Send a binary message of 100000 bytes as 100000 frames "
    .. "of 1 byte each (a binary frame, 99998 continuations, a final "
    .. "continuation), in writes of 10000 frames.  The class of "
    .. "CVE-2026-48779 (npm ws: per-fragment overhead, memory "
    .. "amplification under maxPayload) and CVE-2026-12151 (undici: no cap "
    .. "on the number of fragments).",
  expectation = "The peer echoes the 100000-byte message (OK) or fails "
    .. "the connection at its fragment or memory limit (1009 or 1008 OK, "
    .. "another close NON-STRICT); silence is a failure.",
  requirements = { "R6455-5.4-09", "R6455-5.4-10", "R6455-10.4-01",
    "R6455-10.4-02" },
  run = function(s)
    local n = 100000
    local i = 1
    local ok, why = s:open()
    if not ok then
      s:verdict("FAILED", "the opening handshake failed: " .. tostring(why))
      return
    end
    s:stop_wirelog() -- 700 KiB each way: the events say what happened
    while i <= n and s:is_open() do
      local fr = {}
      for j = i, math.min(i + 9999, n) do
        fr[#fr + 1] = { j == 1 and 2 or 0, "f", fin = j == n }
      end
      s:send_raw(s:frames(fr))
      i = i + 10000
    end
    local ev = s:receive(10)
    if ev and ev.type == "binary" and ev.data == string.rep("f", n) then
      s:verdict("OK", "the 100000-fragment message was echoed")
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close(1000)
    elseif ev then
      s:verdict("FAILED", "the echo differs (" .. ev.type .. ", "
        .. #ev.data .. " bytes)")
      s:close(1000)
    elseif s:is_open() then
      s:verdict("FAILED", "no echo within 10 s and the connection is open")
      s:kill_after(0)
    else
      judge_close(s, "refused 100000 fragments", { 1009, 1008 })
    end
  end,
}

-- 23.4 to 23.8: hostile opening handshakes, sent on a second connection
-- (s:probe) while a normal one is open, each followed by a third, valid
-- request: the server must answer or refuse the hostile one promptly and
-- still accept the valid one.

local KEY = "dGhlIHNhbXBsZSBub25jZQ=="
-- A masked Close (1000, key 0) right behind each request: a server that
-- answers 101 closes at once, so s:probe need not wait for its deadline.
local CLOSE = "\x88\x82\0\0\0\0\x03\xe8"

-- The Host value and resource name of the request the session sent.
local function target_of(s)
  local r = s.http_request or ""
  local path = r:match("^GET (%S+) ") or "/"
  local host = r:match("\r\n[Hh][Oo][Ss][Tt]:%s*([^\r\n]-)%s*\r\n")
  return host or "localhost", path
end

local function request(host, path, extra)
  return "GET " .. path .. " HTTP/1.1\r\nHost: " .. host .. "\r\n"
    .. "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    .. "Sec-WebSocket-Key: " .. KEY .. "\r\n"
    .. "Sec-WebSocket-Version: 13\r\n" .. extra .. "\r\n"
end

-- build(host, path) returns the hostile request.  refuse: a 101 answer is
-- a failure (the request is invalid).
local function hostile_case(t)
  case {
    id = t.id,
    title = t.title,
    description = "On a second connection, send an opening handshake "
      .. "request with " .. t.what .. "; then, on a third, a valid request "
      .. "(each followed by a masked Close frame, so that a server that "
      .. "accepts closes at once).  " .. t.cves,
    expectation = "Within 3 s the server "
      .. (t.refuse and "refuses the request (HTTP 4xx OK; closing without "
        .. "a status NON-STRICT; 101 FAILED)"
        or "answers (101 or an HTTP error such as 400 or 431) or closes "
        .. "the connection (all OK)")
      .. ", and it still accepts the valid request (101); a server that "
      .. "does neither in time, or no longer accepts a valid request, fails.",
    requirements = t.reqs,
    roles = { "server" },
    run = function(s)
      local ok, why = s:open()
      if not ok then
        s:verdict("FAILED", "a valid handshake failed: " .. tostring(why))
        return
      end
      local host, path = target_of(s)
      -- s:probe raises an error when it cannot connect (a server that
      -- died): that is the failure this case looks for, not a script error.
      local pok, got, ended = pcall(s.probe, s, t.build(host, path)
        .. CLOSE, 3, true)
      if not pok then got, ended = "", true end
      local st = got:match("^HTTP/%d%.%d (%d%d%d)")
      local aok, alive = pcall(s.probe, s, request(host, path, "")
        .. CLOSE, 2, true)
      if not aok then alive = nil end
      if not (alive and alive:find("^HTTP/1%.1 101")) then
        s:verdict("FAILED", "after the request with " .. t.short
          .. ", the server no longer accepts a valid request ("
          .. (alive == nil and "cannot connect" or #alive > 0
            and alive:match("^[^\r\n]*") or "no answer") .. ")")
      elseif st == nil and not ended then
        s:verdict("FAILED", "no answer to the request with " .. t.short
          .. " within 3 s, and the connection is open")
      elseif st == nil then
        s:verdict(t.refuse and "NON-STRICT" or "OK", "the server closed "
          .. "the connection without an HTTP status (request with "
          .. t.short .. ")")
      elseif st == "101" and t.refuse then
        s:verdict("FAILED", "the server accepted (101) a request with "
          .. t.short)
      elseif t.refuse and not st:find("^4") then
        s:verdict("NON-STRICT", "refused the request with " .. t.short
          .. " with HTTP " .. st .. ", not a 4xx client error")
      else
        s:verdict("OK", "answered the request with " .. t.short
          .. " with HTTP " .. st .. " and still accepts a valid request")
      end
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close(1000)
    end,
  }
end

hostile_case {
  id = "23.4",
  title = "Sec-WebSocket-Protocol of \"b\", 30000 spaces and \"x\"",
  what = "the header Sec-WebSocket-Protocol: b, 30000 spaces, x",
  short = "a 30000-space Sec-WebSocket-Protocol",
  cves = "The class of CVE-2021-32640 (npm ws: splitting the header with "
    .. "a regular expression took quadratic time).",
  reqs = { "R6455-10.4-02", "R6455-10.7-01", "R6455-10.7-04",
    "R6455-4.2.2-09" },
  build = function(host, path)
    return request(host, path, "Sec-WebSocket-Protocol: b"
      .. string.rep(" ", 30000) .. "x\r\n")
  end,
}

hostile_case {
  id = "23.5",
  title = "Sec-WebSocket-Extensions with an unclosed quoted value of 2000 "
    .. "backslash pairs",
  what = "the header Sec-WebSocket-Extensions: permessage-deflate; x=\" "
    .. "followed by 2000 backslash pairs and no closing quote",
  short = "an unclosed quoted extension parameter",
  cves = "The class of CVE-2020-7662 / GHSA-g78m-2chm-r7qv "
    .. "(websocket-extensions: exponential backtracking).",
  refuse = false,
  reqs = { "R6455-10.7-01", "R6455-10.7-04", "R6455-4.2.2-11" },
  build = function(host, path)
    return request(host, path, "Sec-WebSocket-Extensions: "
      .. "permessage-deflate; x=\"" .. string.rep("\\\\", 2000) .. "\r\n")
  end,
}

hostile_case {
  id = "23.6",
  title = "2000 header lines",
  what = "2000 extra header lines (X-Wsprobe-N: N)",
  short = "2000 header lines",
  cves = "The class of CVE-2024-37890 (npm ws: more headers than "
    .. "maxHeadersCount crashed the server).",
  reqs = { "R6455-10.4-02", "R6455-10.7-04" },
  build = function(host, path)
    local h = {}
    for i = 1, 2000 do h[i] = "X-Wsprobe-" .. i .. ": " .. i .. "\r\n" end
    return request(host, path, table.concat(h))
  end,
}

hostile_case {
  id = "23.7",
  title = "One header line of 1 MiB",
  what = "one extra header whose value is 1 MiB",
  short = "a 1 MiB header line",
  cves = "The class of CVE-2023-43669 (tungstenite: a long header was "
    .. "parsed again on every read, quadratic time) and CVE-2018-12541 "
    .. "(Vert.x buffered the whole upgrade request).",
  reqs = { "R6455-10.4-02", "R6455-10.7-04" },
  build = function(host, path)
    return request(host, path, "X-Wsprobe-Padding: "
      .. string.rep("p", 1 << 20) .. "\r\n")
  end,
}

hostile_case {
  id = "23.8",
  title = "A request target of 4096 slashes",
  what = "the request target \"/\" repeated 4096 times",
  short = "a 4096-slash request target",
  cves = "The class of CVE-2025-55763 (civetweb: a long ///... URI "
    .. "overflowed a heap buffer before the upgrade).",
  reqs = { "R6455-10.7-01", "R6455-10.7-04", "R6455-4.2.2-08" },
  build = function(host)
    return request(host, string.rep("/", 4096), "")
  end,
}

hostile_case {
  id = "23.9",
  title = "A bare CR inside a header value",
  what = "the header X-Wsprobe: a<CR>X-Injected: 1 (a CR not followed by "
    .. "LF, which is not valid HTTP)",
  short = "a bare CR in a header value",
  cves = "The class of CVE-2026-1527 (undici wrote a CR LF from a caller's "
    .. "value into the request: a peer must not read a bare CR as a line "
    .. "end).",
  refuse = true,
  reqs = { "R6455-4.1-19", "R6455-4.2.1-01", "R6455-10.7-04" },
  build = function(host, path)
    return request(host, path, "X-Wsprobe: a\rX-Injected: 1\r\n")
  end,
}

-- 23.10: control frames in the middle of a compressed message.
case {
  id = "23.10",
  title = "A Pong and a Ping between the fragments of a compressed message",
  description = "With permessage-deflate agreed, send the text message "
    .. "\"Hello\" compressed (RFC 7692 7.2.3.1: f2 48 cd c9 c9 07 00) in two "
    .. "frames, RSV1 on the first (f2 48), with an unsolicited Pong and a "
    .. "Ping \"mid\" between them, all in one TCP write.  The class of "
    .. "libwebsockets #1470 (no CVE): the RSV1 of the first fragment was "
    .. "taken from the Pong that came in between, so inflating failed.",
  expectation = "A Pong \"mid\", then the message \"Hello\" echoed; clean "
    .. "close with 1000.  UNIMPLEMENTED when permessage-deflate is not "
    .. "agreed.",
  requirements = { "R7692-6.1-02", "R7692-6.2-01", "R6455-5.4-04",
    "R6455-5.4-08", "R6455-5.5.2-02" },
  run = function(s)
    local r = s.http_request
    if s.role == "server" and not (r and r:lower():find(
        "permessage-deflate", 1, true)) then
      s:verdict("UNIMPLEMENTED", "the client offered no permessage-deflate")
      s:open()
      s:close(1000)
      return
    end
    local ok, why
    if s.role == "client" then
      ok, why = s:open { extensions = { "permessage-deflate" } }
    else
      ok, why = s:open { deflate = true }
    end
    if not ok then
      s:verdict("FAILED", "the handshake failed: " .. tostring(why))
      return
    end
    if not s.deflate then
      s:verdict("UNIMPLEMENTED", "permessage-deflate was not agreed")
      s:close(1000)
      return
    end
    s:send_raw(s:frames { { 1, "\xf2\x48", fin = false, rsv = 4 },
      { 10, "unsolicited" }, { 9, "mid" }, { 0, "\xcd\xc9\xc9\x07\x00" } })
    s:expect { ok = { { "pong", "mid" }, { "text", "Hello" } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close_after(2)
  end,
}

-- 23.11 to 23.13: the same hostile header values in the 101 response, for
-- clients.  Each makes the response invalid, so the client must fail the
-- connection without processing the message sent after the 101.
local function client_hostile(id, title, what, cves, opts, reqs)
  case {
    id = id,
    title = title,
    description = "Answer the client's request with a 101 response in which "
      .. what .. ", then send \"Hello, world!\".  " .. cves,
    expectation = "The client fails the connection (closes TCP; a Close "
      .. "frame is tolerated) within 2 s, without processing the message; "
      .. "going on, or hanging, is a failure.",
    requirements = reqs,
    roles = { "client" },
    run = function(s)
      local ok, why = s:open(opts)
      if not ok then
        s:verdict("FAILED", "wsprobe could not answer the request: "
          .. tostring(why))
        return
      end
      s:send_text("Hello, world!")
      s:expect { ok = {} }
      s:expect_close { by_me = false, codes = { 1002, 1000, 1001, 1006,
        1010, 1011 }, clean = false }
      s:kill_after(2)
    end,
  }
end

client_hostile("23.11", "101 with a Sec-WebSocket-Protocol of \"b\", "
  .. "12000 spaces and \"x\"",
  "Sec-WebSocket-Protocol is \"b\", 12000 spaces, \"x\" (not offered)",
  "The class of CVE-2021-32640 (npm ws: quadratic split of the header).",
  { set = { ["Sec-WebSocket-Protocol"] = "b" .. string.rep(" ", 12000)
    .. "x" } },
  { "R6455-4.1-41", "R6455-4.1-47", "R6455-7.2.1-01", "R6455-7.1.7-01" })

client_hostile("23.12", "101 with an unclosed quoted extension value of "
  .. "2000 backslash pairs",
  "Sec-WebSocket-Extensions is permessage-deflate; x=\" followed by 2000 "
    .. "backslash pairs and no closing quote",
  "The class of CVE-2020-7662 / GHSA-g78m-2chm-r7qv (websocket-extensions: "
    .. "exponential backtracking).",
  { set = { ["Sec-WebSocket-Extensions"] = "permessage-deflate; x=\""
    .. string.rep("\\\\", 2000) } },
  { "R6455-4.1-41", "R6455-4.1-46", "R6455-4.1-48", "R6455-7.2.1-01",
    "R6455-7.1.7-01" })

client_hostile("23.13", "101 with a bare CR inside a header value",
  "the header X-Wsprobe: a<CR>Sec-WebSocket-Protocol: x (a CR not followed "
    .. "by LF, which is not valid HTTP) is added",
  "The class of CVE-2026-1527 (undici wrote a caller's CR LF into the "
    .. "request: a peer must not read a bare CR as a line end).",
  { headers = { { "X-Wsprobe", "a\rSec-WebSocket-Protocol: x" } } },
  { "R6455-4.1-41", "R6455-4.1-48", "R6455-7.2.1-01", "R6455-7.1.7-01" })
