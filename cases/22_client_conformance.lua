-- Category 22, requirements a single well-behaved echo cannot show: the
-- randomness of masking keys (RFC 6455 5.3, 10.3) and of the handshake
-- nonce (4.1), a status other than 101 (4.1), TLS, SNI and an untrusted
-- certificate (4.1, 4.2.2, 10.6), permessage-deflate combined with another
-- RSV1 extension (RFC 7692 section 5) and the HTTP CONNECT proxy, also
-- one that refuses (4.1); the URI a client is handed (3, 11.1) and one
-- connection CONNECTING at a time (4.1), through wsprobe's /getCaseInfo
-- extension.
-- Most apply to clients (wsprobe plays the server); 22.3.3, 22.3.4, 22.4.1
-- and 22.4.2 to servers.
-- Not in Autobahn|Testsuite.
--
-- Memory across cases: in the server role the cases of a file run one
-- after another in one Lua state, so the table `seen` below outlives a
-- case.  Every client case of this file remembers its connection's
-- Sec-WebSocket-Key and first masking key under the client's agent name,
-- and 22.9.x, played last, compare them across connections.

local seen = {}

local function hex(b)
  return (b:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- The head of an HTTP message (up to the blank line).
local function head_of(msg)
  msg = msg or ""
  local e = msg:find("\r\n\r\n", 1, true)
  return e and msg:sub(1, e + 1) or msg
end

-- Every value of header name (case-insensitive) in msg, in order.
local function headers(msg, name)
  local out = {}
  name = name:lower()
  for line in head_of(msg):gmatch("[^\r\n]+") do
    local n, v = line:match("^([^:]+):[ \t]*(.-)[ \t]*$")
    if n and n:lower() == name then out[#out + 1] = v end
  end
  return out
end

local function header(msg, name) return headers(msg, name)[1] end

-- The request target (the second word of the request line).
local function request_target(s)
  return (s.http_request or ""):match("^%S+%s+(%S+)") or ""
end

-- The agent=... parameter of the request target ("" when none).
local function agent_of(s)
  return request_target(s):match("[?&]agent=([^&]*)") or ""
end

local function memory(s)
  local a = agent_of(s)
  seen[a] = seen[a] or { keys = {}, masks = {} }
  return seen[a]
end

-- Notes this connection's nonce and first masking key (once per case).
local function remember(s)
  if s.role ~= "server" then return end
  local m = memory(s)
  local k = header(s.http_request, "Sec-WebSocket-Key")
  if k then m.keys[#m.keys + 1] = k end
  local f = s:peer_frames(1)[1]
  if f and f.key then m.masks[#m.masks + 1] = f.key end
end

-- A client-role case of this file: remembers its connection afterwards.
local function client_case(t)
  local run = t.run
  t.run = function(s)
    run(s)
    remember(s)
  end
  t.roles = t.roles or { "client" }
  case(t)
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

-- base64 to bytes; nil when not canonical base64.
local function unbase64(v)
  if #v % 4 ~= 0 then return nil end
  local out, acc, bits = {}, 0, 0
  for i = 1, #v do
    local c = v:sub(i, i)
    if c == "=" then
      if i < #v - 1 or (i == #v - 1 and v:sub(#v) ~= "=") then return nil end
    else
      local p = B64:find(c, 1, true)
      if not p then return nil end
      acc = (acc << 6) | (p - 1)
      bits = bits + 6
      if bits >= 8 then
        bits = bits - 8
        out[#out + 1] = string.char((acc >> bits) & 0xff)
      end
    end
  end
  return table.concat(out)
end

local function u32(k)
  local a, b, c, d = k:byte(1, 4)
  return ((a << 24) | (b << 16) | (c << 8) | d)
end

local M32 = 0xffffffff

-- The inverse of an odd number modulo 2^32 (Newton's iteration).
local function inv32(d)
  local x = d
  for _ = 1, 5 do x = (x * (2 - d * x)) & M32 end
  return x
end

-- Why the 4-byte keys (in the order sent) are not fresh and unpredictable,
-- or nil.  what names the unit ("frame", "connection").
local function predictable(keys, what)
  local at = {}
  for i, k in ipairs(keys) do
    if at[k] then
      return string.format("%ss %d and %d use the same masking key %s",
        what, at[k], i, hex(k))
    end
    at[k] = i
  end
  local n = #keys
  if n >= 3 then
    local v = {}
    for i = 1, n do v[i] = u32(keys[i]) end
    -- A constant step (a counter, even with an even step).
    local d0, same_d = (v[2] - v[1]) & M32, true
    for i = 3, n do
      if (v[i] - v[i - 1]) & M32 ~= d0 then same_d = false end
    end
    if same_d then
      return string.format("each key is the previous one plus %08x over %d "
        .. "%ss: the next key is predictable", d0, n, what)
    end
    -- An affine recurrence k' = a*k + c (mod 2^32): solved from three
    -- keys whose first difference is odd, so it fits them by construction
    -- and needs at least one more key to be evidence.
    for i = 1, n - 3 do
      local d1 = (v[i + 1] - v[i]) & M32
      if d1 & 1 == 1 then
        local a = (((v[i + 2] - v[i + 1]) & M32) * inv32(d1)) & M32
        local c = (v[i + 1] - a * v[i]) & M32
        local all = true
        for j = 2, n do
          if (a * v[j - 1] + c) & M32 ~= v[j] then all = false break end
        end
        if all then
          return string.format("each key is %08x * previous + %08x "
            .. "(mod 2^32) over %d %ss: the next key is predictable", a, c,
            n, what)
        end
        break
      end
    end
  end
  if n >= 64 then
    for bit = 0, 31 do
      local ones = 0
      for i = 1, n do ones = ones + ((u32(keys[i]) >> bit) & 1) end
      if ones == 0 or ones == n then
        return string.format("bit %d of the masking key (bit %d of byte %d) "
          .. "is always %d over %d %ss: the keys do not come from a strong "
          .. "source of entropy", bit, bit % 8, 4 - bit // 8,
          ones == 0 and 0 or 1, n, what)
      end
    end
  end
  return nil
end

local function not_applicable(s, verdict, why)
  s:verdict(verdict, why)
  s:open()
  s:close(1000)
end

-- One echo round trip; false with a reason when it did not come back.
local function echo_once(s, msg)
  s:send_text(msg)
  local ev = s:receive(5)
  if not ev or ev.type ~= "text" or ev.data ~= msg then
    return false, "\"" .. msg .. "\" was not echoed"
  end
  return true
end

-- Opens the connection; false, with the verdict FAILED, when the opening
-- handshake failed.
local function opened(s)
  local ok, why = s:open()
  if not ok then
    s:verdict("FAILED", "opening handshake failed: " .. tostring(why))
  end
  return ok
end

-- opened(s) for the cases that need TLS: false also, with the verdict
-- INFORMATIONAL and a close, when the target is not a wss:// URL.
local function opened_tls(s)
  if not opened(s) then return false end
  if not s.tls_version then
    s:verdict("INFORMATIONAL", "not applicable: the target is not a "
      .. "wss:// URL")
    s:close(1000)
    return false
  end
  return true
end

-- The verdict of a comparison across the agent's connections (22.9), then
-- a clean close: FAILED for why (what the comparison found) or a failed
-- echo (ok, err from echo_once); INFORMATIONAL with fewer than 2 of the n
-- compared items, "only one <seen> seen"; else OK, n distinct <what>.
local function across_verdict(s, why, ok, err, n, seen, what)
  if why then
    s:verdict("FAILED", why)
  elseif not ok then
    s:verdict("FAILED", err)
  elseif n < 2 then
    s:verdict("INFORMATIONAL", "only one " .. seen .. " seen; "
      .. "nothing to compare")
  else
    s:verdict("OK", n .. " connections, " .. n .. " distinct " .. what)
  end
  s:expect_close { by_me = true, codes = { 1000 }, clean = true }
  s:close(1000)
end

-- 22.1: masking keys within one connection.
local NMSG = 256

client_case {
  id = "22.1.1",
  title = "A fresh, unpredictable masking key for every frame",
  description = "Send " .. NMSG .. " short messages (text and binary, 1 to "
    .. "64 bytes) in batches of 16 and collect the masking key of every "
    .. "frame the client sends back.",
  expectation = "Every message is echoed; no two of the client's frames "
    .. "share a key, the keys follow no constant step or affine recurrence "
    .. "(k' = a*k + c mod 2^32, as counters and LCGs do), "
    .. "and none of the 32 key bits is constant.  Clean close with 1000.",
  requirements = { "R6455-5.3-02", "R6455-5.3-03", "R6455-5.3-04",
    "R6455-10.3-01" },
  run = function(s)
    local sent = 0
    while sent < NMSG do
      local batch = {}
      for i = sent + 1, math.min(sent + 16, NMSG) do
        local m = string.rep(string.char(65 + i % 26), 1 + i % 64)
        if i % 2 == 0 then s:send_text(m) else s:send_binary(m) end
        batch[#batch + 1] = { i % 2 == 0 and "text" or "binary", m }
      end
      for k, want in ipairs(batch) do
        local ev = s:receive(5)
        if not ev or ev.type ~= want[1] or ev.data ~= want[2] then
          s:verdict("FAILED", "message " .. (sent + k) .. " of " .. NMSG
            .. " was not echoed")
          return
        end
      end
      sent = sent + #batch
    end
    local keys = {}
    for _, f in ipairs(s:peer_frames()) do
      if f.key then keys[#keys + 1] = f.key end
    end
    local why = predictable(keys, "frame")
    if why then
      s:verdict("FAILED", why)
    else
      s:verdict("OK", #keys .. " frames, " .. #keys .. " distinct keys with "
        .. "no recurrence found")
    end
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close(1000)
  end,
}

-- 22.2: a status other than 101.  After the response wsprobe sends a text
-- frame "Hello" as if the connection were open: a client that treats it
-- as established echoes it.
local HELLO = "\x81\x05Hello"

local function non101_case(id, title, resp, what)
  client_case {
    id = id,
    title = title,
    description = "Answer the client's request with " .. what
      .. ", followed by the bytes of an unmasked text frame \"Hello\".",
    expectation = "The connection is not established: the client sends no "
      .. "WebSocket frame (no echo, no Close) and closes or keeps the HTTP "
      .. "connection as HTTP says.  Following a redirect is not required.",
    requirements = { "R6455-4.1-42" },
    run = function(s)
      resp.body = HELLO
      local ok, why = s:respond(resp)
      if not ok then
        s:verdict("FAILED", "wsprobe could not send its response: "
          .. tostring(why))
        return
      end
      -- 6 bytes: a masked frame header, or the start of a request line.
      local got, ended = s:read_raw(2, 6)
      local b1, b2 = got:byte(1, 2)
      if b1 and b2 and (b1 & 0x70) == 0 and
          ({ [0] = 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1 })[b1 & 0x0f] == 1 then
        s:verdict("FAILED", string.format("the client sent a WebSocket frame "
          .. "(opcode %d, starting %s) after the non-101 response",
          b1 & 0x0f, hex(got)))
      elseif #got > 0 and got:match("^[A-Z]+ ") then
        s:verdict("OK", "the client sent a new HTTP request on the "
          .. "connection (HTTP keep-alive), no frame")
      elseif #got > 0 then
        s:verdict("INFORMATIONAL", string.format("the client sent %d bytes "
          .. "that are neither a frame nor a request: %s", #got,
          hex(got:sub(1, 16))))
      else
        s:verdict("OK", ended and "the client closed without sending a frame"
          or "the client sent nothing in 2 s")
      end
    end,
  }
end

non101_case("22.2.1", "200 OK carrying every header of a valid 101",
  { status = 200, upgrade = true },
  "\"HTTP/1.1 200 OK\" and the Upgrade, Connection and (correct) "
  .. "Sec-WebSocket-Accept headers of a valid 101")
non101_case("22.2.2", "403 Forbidden",
  { status = 403, headers = { { "Connection", "close" } } },
  "\"HTTP/1.1 403 Forbidden\" (Content-Length: 0, Connection: close)")
non101_case("22.2.3", "302 Found",
  { status = 302, reason = "Found",
    headers = { { "Location", "/wsprobe-redirect-target" } } },
  "\"HTTP/1.1 302 Found\" with Location: /wsprobe-redirect-target "
  .. "(Content-Length: 0; the target answers 404)")
non101_case("22.2.4", "500 Internal Server Error",
  { status = 500, reason = "Internal Server Error" },
  "\"HTTP/1.1 500 Internal Server Error\" (Content-Length: 0)")

-- 22.3: TLS.
client_case {
  id = "22.3.1",
  title = "The client runs the handshake and its frames over TLS",
  description = "When `wsprobe server` runs with --tls-cert, check that the "
    .. "request arrived through TLS, then one echo.",
  expectation = "The request and the echo come through the TLS tunnel; a "
    .. "client that connected without TLS is UNIMPLEMENTED (run the server "
    .. "with --tls-cert and point the driver at wss://).",
  requirements = { "R6455-4.1-14", "R6455-4.1-16", "R6455-10.6-01" },
  run = function(s)
    local v = s.tls_version
    if not v then
      not_applicable(s, "UNIMPLEMENTED", "the client connected without TLS")
      return
    end
    local ok, why = echo_once(s, "over " .. v)
    s:verdict(ok and "OK" or "FAILED", ok and ("request and echo over " .. v)
      or why)
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close(1000)
  end,
}

-- Is h (a Host header's host part) an IP literal?
local function ip_literal(h)
  return h:match("^%[.*%]$") ~= nil or h:match("^[%d.]+$") ~= nil
end

client_case {
  id = "22.3.2",
  title = "Server Name Indication in the client's TLS handshake",
  description = "When the client connected over TLS to a host name (not an "
    .. "IP address), compare the SNI host name of its ClientHello with the "
    .. "Host header of its request.",
  expectation = "The client sent SNI naming the host (OK).  UNIMPLEMENTED "
    .. "without TLS; INFORMATIONAL when the URL names an IP address, for "
    .. "which RFC 6066 allows no SNI.",
  requirements = { "R6455-4.1-17" },
  run = function(s)
    if not s.tls_version then
      not_applicable(s, "UNIMPLEMENTED", "the client connected without TLS")
      return
    end
    local host = (header(s.http_request, "Host") or "")
    host = host:match("^(%[.-%])") or host:match("^([^:]*)")
    local sni = s.sni
    if ip_literal(host) then
      not_applicable(s, "INFORMATIONAL", "not applicable: the client "
        .. "connected to the IP address " .. host .. " (SNI "
        .. (sni and ("\"" .. sni .. "\"") or "none") .. ")")
      return
    end
    if not sni then
      s:verdict("FAILED", "no SNI in the TLS handshake to " .. host)
    elseif sni:lower() ~= host:lower() then
      s:verdict("FAILED", "the SNI names \"" .. sni .. "\", the Host header "
        .. "\"" .. host .. "\"")
    else
      s:verdict("OK", "SNI \"" .. sni .. "\"")
    end
    s:open()
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close(1000)
  end,
}

client_case {
  id = "22.3.5",
  title = "The client refuses a server certificate it cannot verify",
  description = "When `wsprobe server` runs with --tls-cert, the connection "
    .. "that comes after the previous case's (a driver asks for the cases "
    .. "in order) is served with a self-signed certificate made at start "
    .. "for the names of the real one, which no client can verify.  The "
    .. "server judges that connection itself: its request, if any, is "
    .. "inside the TLS the client should have refused.",
  expectation = "The client aborts the TLS handshake, or closes right after "
    .. "it without a request (OK; the driver then goes on with the next "
    .. "case).  FAILED when it sends a request over that certificate, or "
    .. "keeps the connection open without either.  UNIMPLEMENTED without "
    .. "TLS; INFORMATIONAL when this case's request came on a connection "
    .. "served with the real certificate (the driver asked for the cases "
    .. "out of order, so the untrusted one was never offered for it).",
  requirements = { "R6455-4.1-15" },
  server_certificate = "untrusted",
  run = function(s)
    if not s.tls_version then
      not_applicable(s, "UNIMPLEMENTED", "the client connected without TLS")
      return
    end
    not_applicable(s, "INFORMATIONAL", "not judged: this connection was "
      .. "served with the real certificate (the untrusted one goes to the "
      .. "connection after the previous case's; run the cases in order)")
  end,
}

case {
  id = "22.3.3",
  title = "The server runs the opening handshake over TLS",
  description = "When the target URL is wss://, open the connection (TLS, "
    .. "then the opening handshake) and echo one message.",
  expectation = "The 101 and the echo come through the TLS tunnel (OK); "
    .. "for a ws:// target the case does not apply (INFORMATIONAL).",
  requirements = { "R6455-4.2.2-03", "R6455-10.6-01" },
  roles = { "server" },
  run = function(s)
    if not opened_tls(s) then return end
    local v = s.tls_version
    local ok, why = echo_once(s, "over " .. v)
    s:verdict(ok and "OK" or "FAILED", ok and ("101 and echo over " .. v)
      or why)
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close(1000)
  end,
}

case {
  id = "22.3.4",
  title = "A plaintext request to the server's TLS port",
  description = "When the target URL is wss://, open a second TCP "
    .. "connection to the same port and send a plaintext opening handshake "
    .. "request on it.",
  expectation = "The TLS handshake fails and the server closes that "
    .. "connection within 3 s without a 101 (a TLS alert or an HTTP error "
    .. "first is fine).  For a ws:// target the case does not apply "
    .. "(INFORMATIONAL).",
  requirements = { "R6455-4.2.2-02" },
  roles = { "server" },
  run = function(s)
    if not opened_tls(s) then return end
    local host = header(s.http_request, "Host") or "localhost"
    local got, ended = s:probe("GET / HTTP/1.1\r\nHost: " .. host .. "\r\n"
      .. "Upgrade: websocket\r\nConnection: Upgrade\r\n"
      .. "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      .. "Sec-WebSocket-Version: 13\r\n\r\n", 3)
    if got:find("^HTTP/1%.1 101") then
      s:verdict("FAILED", "the server accepted the handshake in plaintext "
        .. "on its TLS port")
    elseif not ended then
      s:verdict("FAILED", "the plaintext connection was still open after "
        .. "3 s (" .. #got .. " bytes received)")
    else
      s:verdict("OK", "closed after " .. #got .. " bytes"
        .. (#got > 0 and (" starting " .. hex(got:sub(1, 5))) or ""))
    end
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close(1000)
  end,
}

-- 22.4: permessage-deflate with another extension that uses RSV1.
local function accepted_names(resp)
  local names = {}
  for _, v in ipairs(headers(resp, "Sec-WebSocket-Extensions")) do
    for elem in v:gmatch("[^,]+") do
      local n = elem:match("^%s*([^;%s]+)")
      if n then names[#names + 1] = n:lower() end
    end
  end
  return names
end

local function rsv1_offer_case(id, order, title)
  case {
    id = id,
    title = title,
    description = "Offer " .. table.concat(order, " and ") .. " (in this "
      .. "order); x-webkit-deflate-frame also compresses with RSV1, per "
      .. "frame.  If only permessage-deflate is accepted, echo one message.",
    expectation = "The server accepts at most one of them; accepting both "
      .. "is FAILED.  permessage-deflate alone: OK after the echo; "
      .. "x-webkit-deflate-frame alone: INFORMATIONAL; neither: "
      .. "UNIMPLEMENTED.",
    requirements = { "R7692-5-07", "R7692-5-09" },
    roles = { "server" },
    run = function(s)
      local ok, why = s:open { extensions = order }
      local pmd, dfr = false, false
      for _, n in ipairs(accepted_names(s.http_response)) do
        if n == "permessage-deflate" then pmd = true end
        if n == "x-webkit-deflate-frame" then dfr = true end
      end
      if pmd and dfr then
        s:verdict("FAILED", "the server accepted permessage-deflate together "
          .. "with x-webkit-deflate-frame: both use RSV1")
        if s:is_open() then s:close(1000) end
        return
      end
      if not ok then
        s:verdict("FAILED", "opening handshake failed: " .. tostring(why))
        return
      end
      if dfr then
        s:verdict("INFORMATIONAL", "the server chose x-webkit-deflate-frame")
        s:close(1000)
        return
      end
      if not pmd then
        s:verdict("UNIMPLEMENTED", "the server accepted no extension")
        s:close(1000)
        return
      end
      local m = string.rep("deflate me ", 40)
      ok, why = echo_once(s, m)
      s:verdict(ok and "OK" or "FAILED", ok and "permessage-deflate alone "
        .. "was accepted, and the echo inflated" or why)
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close(1000)
    end,
  }
end

rsv1_offer_case("22.4.1", { "permessage-deflate", "x-webkit-deflate-frame" },
  "Offer permessage-deflate, then x-webkit-deflate-frame")
rsv1_offer_case("22.4.2", { "x-webkit-deflate-frame", "permessage-deflate" },
  "Offer x-webkit-deflate-frame, then permessage-deflate")

client_case {
  id = "22.4.3",
  title = "Response accepting permessage-deflate and x-webkit-deflate-frame",
  description = "When the client offered both permessage-deflate and "
    .. "x-webkit-deflate-frame, answer with a 101 accepting both, then send "
    .. "\"Hello, world!\".",
  expectation = "The client fails the connection without processing the "
    .. "message (both extensions use RSV1).  A client that did not offer "
    .. "both is UNIMPLEMENTED.",
  requirements = { "R7692-5-08", "R7692-5-10" },
  run = function(s)
    local offered = {}
    for _, n in ipairs(headers(s.http_request, "Sec-WebSocket-Extensions")) do
      for elem in n:gmatch("[^,]+") do
        local name = elem:match("^%s*([^;%s]+)")
        if name then offered[name:lower()] = true end
      end
    end
    if not (offered["permessage-deflate"] and
        offered["x-webkit-deflate-frame"]) then
      not_applicable(s, "UNIMPLEMENTED", "the client did not offer both "
        .. "permessage-deflate and x-webkit-deflate-frame")
      return
    end
    local ok, why = s:open { set = { ["Sec-WebSocket-Extensions"] =
      "permessage-deflate, x-webkit-deflate-frame" } }
    if not ok then
      s:verdict("FAILED", "wsprobe could not answer: " .. tostring(why))
      return
    end
    s:send_text("Hello, world!")
    s:expect { ok = {} }
    s:expect_close { by_me = false, codes = { 1002, 1000, 1001, 1006, 1010,
      1011 }, clean = false }
    s:kill_after(2)
  end,
}

-- 22.5: the HTTP CONNECT proxy.
client_case {
  id = "22.5.1",
  title = "Through an HTTP proxy: CONNECT host:port first",
  description = "When the client driver is configured to use `wsprobe "
    .. "server` as its HTTP proxy, the server answers its CONNECT with 200 "
    .. "and serves the tunnel; check the CONNECT request, then one echo.",
  expectation = "CONNECT names the target as host:port and the echo comes "
    .. "back (OK).  A client that connected directly is UNIMPLEMENTED.",
  requirements = { "R6455-4.1-10" },
  run = function(s)
    local p = s.proxy_request
    if not p then
      not_applicable(s, "UNIMPLEMENTED", "the client connected directly, "
        .. "not through a proxy")
      return
    end
    local auth = p:match("^CONNECT (%S+) HTTP/1%.[01]")
    if not auth or not (auth:match("^[^:/]+:%d+$")
        or auth:match("^%[[%x:.]+%]:%d+$")) then
      s:verdict("FAILED", "the CONNECT request does not name host:port: "
        .. p:sub(1, 80))
      s:open()
      s:close(1000)
      return
    end
    local ok, why = echo_once(s, "through " .. auth)
    s:verdict(ok and "OK" or "FAILED", ok and ("CONNECT " .. auth) or why)
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close(1000)
  end,
}

client_case {
  id = "22.5.2",
  title = "Through an HTTP proxy that refuses: the client gives up",
  description = "When the client driver uses `wsprobe server` as its HTTP "
    .. "proxy, the CONNECT of the connection that comes after the previous "
    .. "case's (a driver asks for the cases in order) is answered 502 Bad "
    .. "Gateway; the server watches that connection for 2 s and judges it "
    .. "itself.",
  expectation = "The client sends nothing more on that connection: it "
    .. "closes it, or waits (OK).  FAILED when it goes on as if the tunnel "
    .. "were open (its TLS handshake or its opening handshake).  "
    .. "UNIMPLEMENTED when the client connected directly; INFORMATIONAL "
    .. "when this case's request came through a CONNECT answered 200 (the "
    .. "driver asked for the cases out of order).",
  requirements = { "R6455-4.1-13" },
  proxy = "refuse",
  run = function(s)
    if not s.proxy_request then
      not_applicable(s, "UNIMPLEMENTED", "the client connected directly, "
        .. "not through a proxy")
      return
    end
    not_applicable(s, "INFORMATIONAL", "not judged: this connection's "
      .. "CONNECT was answered 200 (the refusal goes to the connection "
      .. "after the previous case's; run the cases in order)")
  end,
}

-- 22.6: Origin.  RFC 6455 4.1 makes it a MUST for browser clients only;
-- the wire shows which kind of client this is only through User-Agent, so
-- the case judges browsers (every current browser's User-Agent starts with
-- "Mozilla/") and reports what other clients send.
client_case {
  id = "22.6.1",
  title = "Origin: sent by browsers, well-formed when sent",
  description = "Read the Origin and User-Agent headers of the opening "
    .. "handshake, then one echo.",
  expectation = "A browser (User-Agent \"Mozilla/...\") sends exactly one "
    .. "Origin; any Origin sent is a serialised origin (scheme://host[:port], "
    .. "lowercase scheme) or \"null\".  Other clients without Origin: "
    .. "INFORMATIONAL.",
  requirements = { "R6455-4.1-31", "R6455-4.1-32" },
  run = function(s)
    if not opened(s) then return end
    local req = s.http_request or ""
    local origins = headers(req, "Origin")
    local ua = header(req, "User-Agent") or ""
    local browser = ua:find("^Mozilla/") ~= nil
    local verdict, reason
    if #origins > 1 then
      verdict, reason = "FAILED", #origins .. " Origin headers"
    elseif #origins == 1 then
      local o = origins[1]
      if o == "null" or o:match("^[a-z][a-z0-9+.-]*://[^/%s?#]+$") then
        verdict, reason = "OK", "Origin: " .. o:sub(1, 80)
      else
        verdict, reason = "FAILED", "Origin is not a serialised origin: "
          .. o:sub(1, 80)
      end
    elseif browser then
      verdict, reason = "FAILED", "a browser (User-Agent " .. ua:sub(1, 40)
        .. ") sent no Origin"
    else
      verdict, reason = "INFORMATIONAL", "no Origin; not a browser "
        .. "(User-Agent: " .. (ua ~= "" and ua:sub(1, 40) or "none") .. ")"
    end
    local echoed, ewhy = echo_once(s, "origin")
    if not echoed then
      verdict, reason = "FAILED", ewhy
    end
    s:verdict(verdict, reason)
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close(1000)
  end,
}

-- 22.7: the URI the client is handed.  The driver builds each case's URL
-- itself, so these cases need a driver that speaks wsprobe's extension of
-- /getCaseInfo (docs/cases.md): it opens the "target" the answer names
-- (an IRI or a URI made from the case's `target` template) instead of
-- /runCase?case=N&agent=A, and, when the client library refuses to open
-- it, opens /runCase?case=N&agent=A&refused=WHY instead.  Every target
-- carries via=target, so a driver that ignores the extension is told apart
-- (UNIMPLEMENTED).

-- %XX escapes decoded (for showing what a driver reported).
local function unpct(v)
  return (v:gsub("%+", " "):gsub("%%(%x%x)", function(h)
    return string.char(tonumber(h, 16))
  end))
end

-- Shared start of the 22.7 cases: nil when the case was judged already
-- (refused: INFORMATIONAL, since a client may accept URIs only; or not
-- opened through the target), else the request target.
local function target_request(s)
  local t = request_target(s)
  local refused = t:match("[?&]refused=([^&]*)")
  if refused then
    not_applicable(s, "INFORMATIONAL", "the client refused to open the "
      .. "target: " .. unpct(refused):sub(1, 200))
    return nil
  end
  if not t:find("[?&]via=target") then
    not_applicable(s, "UNIMPLEMENTED", "the driver opened /runCase, not "
      .. "the target /getCaseInfo names (wsprobe's extension, "
      .. "docs/cases.md)")
    return nil
  end
  return t
end

-- Any byte outside printable ASCII, as "\xNN" text, or nil.
local function non_ascii(v)
  local b = v:match("[^\32-\126]")
  return b and string.format("\\x%02X", b:byte()) or nil
end

client_case {
  id = "22.7.1",
  title = "An IRI's non-ASCII host goes out in its IDNA (punycode) form",
  description = "/getCaseInfo hands the driver the IRI "
    .. "{scheme}://bücher.example:{port}/runCase?... (the driver connects "
    .. "to the server's address whatever the host); read the Host header "
    .. "of the request, then one echo.",
  expectation = "Host is xn--bcher-kva.example:PORT, the RFC 3492 form "
    .. "(OK).  FAILED for raw non-ASCII bytes or another name.  "
    .. "INFORMATIONAL when the client refuses IRIs; UNIMPLEMENTED when the "
    .. "driver does not speak the extension.",
  requirements = { "R6455-11.1.1-01", "R6455-11.1.2-01" },
  target = "{scheme}://bücher.example:{port}/runCase?case={case}"
    .. "&agent={agent}&via=target",
  run = function(s)
    if not target_request(s) then return end
    local host = header(s.http_request, "Host")
    local name = host and (host:match("^([^:]*)") or host)
    if not host then
      s:verdict("FAILED", "no Host header")
    elseif non_ascii(host) then
      s:verdict("FAILED", "the Host header carries the name as raw bytes ("
        .. non_ascii(host) .. "), not in its IDNA form")
    elseif name:lower() ~= "xn--bcher-kva.example" then
      s:verdict("FAILED", "Host names \"" .. name .. "\", not "
        .. "xn--bcher-kva.example (bücher.example in IDNA form)")
    else
      local ok, why = echo_once(s, "idna")
      s:verdict(ok and "OK" or "FAILED", ok and ("Host: " .. host) or why)
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close(1000)
      return
    end
    s:open()
    s:close(1000)
  end,
}

-- The query text 22.7.2 hands over, and its UTF-8 percent-encoded form.
local IRI_TEXT = "Grüße€"
local IRI_TEXT_PCT = "Gr%C3%BC%C3%9Fe%E2%82%AC"

client_case {
  id = "22.7.2",
  title = "An IRI's non-ASCII query goes out as percent-encoded UTF-8",
  description = "/getCaseInfo hands the driver a URL whose query ends in "
    .. "text=" .. IRI_TEXT .. "; read that parameter in the request line, "
    .. "then one echo.  A request line with raw non-ASCII bytes does not "
    .. "parse (400) and is judged by the server itself.",
  expectation = "The request carries text=" .. IRI_TEXT_PCT .. " (hex "
    .. "digits in either case; OK).  FAILED for raw bytes or another "
    .. "encoding.  INFORMATIONAL when the client refuses IRIs; "
    .. "UNIMPLEMENTED when the driver does not speak the extension.",
  requirements = { "R6455-11.1.1-02", "R6455-11.1.2-02" },
  target = "{scheme}://{host}/runCase?case={case}&agent={agent}"
    .. "&via=target&text=" .. IRI_TEXT,
  run = function(s)
    local t = target_request(s)
    if not t then return end
    local got = t:match("[?&]text=([^&]*)")
    local norm = got and got:gsub("%%(%x%x)", function(h)
      return "%" .. h:upper()
    end)
    if norm == IRI_TEXT_PCT then
      local ok, why = echo_once(s, "utf-8")
      s:verdict(ok and "OK" or "FAILED", ok and ("text=" .. got) or why)
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close(1000)
      return
    end
    s:verdict("FAILED", got and ("text=" .. got .. " is not " .. IRI_TEXT
      .. " as percent-encoded UTF-8 (" .. IRI_TEXT_PCT .. ")")
      or ("no text= parameter in " .. t:sub(1, 160)))
    s:open()
    s:close(1000)
  end,
}

client_case {
  id = "22.7.3",
  title = "A \"#\" that is data stays escaped as %23",
  description = "/getCaseInfo hands the driver a URL whose query ends in "
    .. "tag=%23wsprobe (a \"#\" that does not start a fragment); read "
    .. "that parameter in the request line, then one echo.",
  expectation = "The request carries tag=%23wsprobe (OK).  FAILED when the "
    .. "client unescaped it (a raw \"#\") or dropped it.  INFORMATIONAL "
    .. "when the client refuses the URL; UNIMPLEMENTED when the driver "
    .. "does not speak the extension.",
  requirements = { "R6455-3-03" },
  target = "{scheme}://{host}/runCase?case={case}&agent={agent}"
    .. "&via=target&tag=%23wsprobe",
  run = function(s)
    local t = target_request(s)
    if not t then return end
    local got = t:match("[?&]tag=([^&]*)")
    if got == "%23wsprobe" then
      local ok, why = echo_once(s, "%23")
      s:verdict(ok and "OK" or "FAILED", ok and "tag=%23wsprobe" or why)
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close(1000)
      return
    end
    s:verdict("FAILED", t:find("#", 1, true)
      and ("a raw \"#\" in the request target: " .. t:sub(1, 160))
      or ("tag=%23wsprobe is not in " .. t:sub(1, 160)))
    s:open()
    s:close(1000)
  end,
}

-- 22.8: one connection CONNECTING at a time.
client_case {
  id = "22.8.1",
  title = "Two connections asked for at once: the second waits",
  description = "/getCaseInfo asks the driver to open this case's "
    .. "connection twice at once (\"connections\": 2, wsprobe's "
    .. "extension, docs/cases.md); the client library must keep the "
    .. "second waiting while the first is CONNECTING.  The server holds "
    .. "the first connection's 101 for 1 s and watches for the second, "
    .. "then waits 3 s for it; it judges the case itself.",
  expectation = "No second connection while the first's 101 is held, then "
    .. "one within 3 s after it (OK).  FAILED when the second comes while "
    .. "the first is CONNECTING.  UNIMPLEMENTED when only one comes (the "
    .. "driver does not speak the extension); INFORMATIONAL when the "
    .. "client gives the first up while its 101 is held.",
  requirements = { "R6455-4.1-05", "R6455-4.1-06", "R6455-4.1-07" },
  connections = 2,
  run = function(s)
    -- Only reached outside `wsprobe server`, which judges the case itself.
    not_applicable(s, "INFORMATIONAL", "not judged: the case needs "
      .. "`wsprobe server`, which watches for the second connection")
  end,
}

-- 22.9: across connections (played last: ids sort after the others).
client_case {
  id = "22.9.1",
  title = "A fresh nonce for every connection",
  description = "Compare the Sec-WebSocket-Key of this connection with "
    .. "those of the client's earlier connections in category 22 (same "
    .. "agent), then one echo.",
  expectation = "No nonce repeats, no nonce is the RFC's sample, and the "
    .. "nonces do not share 8 or more of their 16 byte positions (a "
    .. "counter).  INFORMATIONAL when fewer than 2 connections were seen "
    .. "(run the whole category).",
  requirements = { "R6455-4.1-30" },
  run = function(s)
    local m = memory(s)
    local keys = { table.unpack(m.keys) }
    keys[#keys + 1] = header(s.http_request, "Sec-WebSocket-Key")
    local why, bytes = nil, {}
    for i, k in ipairs(keys) do
      if k == "dGhlIHNhbXBsZSBub25jZQ==" then
        why = "connection " .. i .. " uses the RFC's sample nonce"
      end
      bytes[i] = unbase64(k) or k
    end
    local at = {}
    for i, k in ipairs(keys) do
      if not why and at[k] then
        why = string.format("connections %d and %d of %d use the same nonce "
          .. "%s", at[k], i, #keys, k)
      end
      at[k] = at[k] or i
    end
    if not why and #keys >= 3 then
      local same = 0
      for pos = 1, 16 do
        local b, all = bytes[1]:byte(pos), true
        for i = 2, #keys do
          if bytes[i]:byte(pos) ~= b then all = false end
        end
        if all and b then same = same + 1 end
      end
      if same >= 8 then
        why = string.format("the %d nonces share %d of their 16 bytes: "
          .. "not random", #keys, same)
      end
    end
    local ok, err = echo_once(s, "nonce")
    across_verdict(s, why, ok, err, #keys, "connection of this client",
      "nonces")
  end,
}

client_case {
  id = "22.9.2",
  title = "Masking keys are fresh across connections",
  description = "Echo one message, then compare the masking key of the "
    .. "client's first frame on this connection with the first keys of its "
    .. "earlier connections in category 22 (same agent).",
  expectation = "No first key repeats and the first keys follow no "
    .. "constant step or affine recurrence (a generator restarted per "
    .. "connection repeats them).  INFORMATIONAL when fewer than 2 "
    .. "connections carried frames.",
  requirements = { "R6455-5.3-02", "R6455-5.3-04", "R6455-10.3-01" },
  run = function(s)
    local ok, err = echo_once(s, "first key")
    local keys = { table.unpack(memory(s).masks) }
    local f = s:peer_frames(1)[1]
    if f and f.key then keys[#keys + 1] = f.key end
    across_verdict(s, predictable(keys, "connection"), ok, err, #keys,
      "connection with frames", "first keys")
  end,
}
