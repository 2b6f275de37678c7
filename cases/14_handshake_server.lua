-- Category 14, the opening handshake against servers (wsprobe plays the
-- client): requests RFC 6455 section 4.2.1 tells a server to refuse, the
-- variants it must accept (header values compared case-insensitively,
-- Connection with several tokens), subprotocol and extension selection,
-- malformed extension offers, a large head and a frame pipelined right
-- behind the request.  Not in Autobahn|Testsuite.
--
-- A refusal is judged by the case itself from the response (s.http_response):
-- a 4xx status is OK, another error status or a plain TCP close NON-STRICT,
-- a 101 FAILED.

local function status_of(s)
  local r = s.http_response
  if r == nil then return nil end
  return tonumber(r:match("^HTTP/%d+%.%d+ (%d%d%d)"))
end

local function header_of(s, name)
  local r = s.http_response
  if r == nil then return nil end
  for line in r:gmatch("[^\r\n]+") do
    local n, v = line:match("^([^:]+):%s*(.-)%s*$")
    if n and n:lower() == name:lower() then return v end
  end
  return nil
end

-- Judges a request the server must refuse.  check(s, status) may add a
-- condition on the refusal (returns nil or a reason for FAILED).
local function judge_refusal(s, ok, reason, what, check, may_accept)
  if ok then
    if may_accept then
      s:verdict("INFORMATIONAL", may_accept)
    else
      s:verdict("FAILED", "the server accepted the request (101) although "
        .. what)
    end
    s:close(1000)
    return
  end
  local st = status_of(s)
  if st == nil then
    s:verdict("NON-STRICT", "the server closed the connection without an "
      .. "HTTP status (" .. tostring(reason) .. "); RFC 6455 4.2.1 asks for "
      .. "an HTTP error such as 400")
  elseif st == 101 then
    s:verdict("FAILED", "the server answered 101 although " .. what)
  elseif st >= 400 and st <= 499 then
    local bad = check and check(s, st)
    if bad then
      s:verdict("FAILED", "refused with HTTP " .. st .. " but " .. bad)
    else
      s:verdict("OK", "refused with HTTP " .. st)
    end
  else
    s:verdict("NON-STRICT", "refused with HTTP " .. st
      .. ", not a 4xx client error")
  end
end

local refuse_base = { "R6455-4.2.1-01", "R6455-10.7-04", "R6455-7.2.2-01" }

local function with(list, ...)
  local t = {}
  for _, v in ipairs(list) do t[#t + 1] = v end
  for _, v in ipairs { ... } do t[#t + 1] = v end
  return t
end

local function refusal_case(id, title, what, opts, reqs, check, may_accept)
  case {
    id = id,
    title = title,
    description = "Send an opening handshake request in which " .. what
      .. "; everything else is a valid request.",
    expectation = "The server refuses the request with an HTTP 4xx error "
      .. "(OK); closing without a status is NON-STRICT; 101 is a failure"
      .. (may_accept and " unless the server speaks that version "
        .. "(INFORMATIONAL)" or "") .. ".",
    requirements = with(refuse_base, table.unpack(reqs)),
    roles = { "server" },
    run = function(s)
      local ok, reason = s:open(opts)
      judge_refusal(s, ok, reason, what, check, may_accept)
    end,
  }
end

-- An accepted handshake followed by one echoed message.
local function accept_case(id, title, what, opts, reqs, after)
  case {
    id = id,
    title = title,
    description = "Send an opening handshake request in which " .. what
      .. ", then the text message \"Hello, world!\".",
    expectation = "The server accepts (101 with a valid response), echoes "
      .. "the message, and the connection closes cleanly with 1000.",
    requirements = reqs,
    roles = { "server" },
    run = function(s)
      local ok, reason = s:open(opts)
      if not ok then
        s:verdict("FAILED", "the handshake failed: " .. tostring(reason))
        return
      end
      if after then
        local bad = after(s)
        if bad then
          s:verdict("FAILED", bad)
          s:close(1000)
          return
        end
      end
      s:send_text("Hello, world!")
      s:expect { ok = { { "text", "Hello, world!" } } }
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close_after(2)
    end,
  }
end

local resp_reqs = { "R6455-4.2.2-01", "R6455-4.2.2-13", "R6455-4.2.2-14",
  "R6455-4.2.2-15", "R6455-4.2.2-16", "R6455-4.2.2-17", "R6455-4.2.2-10",
  "R6455-4.2.2-12", "R6455-9-03", "R6455-5.1-04", "R7692-5-11",
  "R6455-11.3.2-02", "R6455-11.3.3-01", "R6455-11.3.4-02" }

-- 14.1: the request line and the required headers.
accept_case("14.1.1", "A valid request is accepted",
  "nothing is unusual", nil, resp_reqs)
refusal_case("14.1.2", "Method POST instead of GET", "the method is POST",
  { method = "POST" }, { "R6455-4.2.1-02" })
refusal_case("14.1.3", "HTTP/1.0 instead of HTTP/1.1",
  "the HTTP version is HTTP/1.0", { http_version = "HTTP/1.0" },
  { "R6455-4.2.1-02" })
refusal_case("14.1.4", "No Host header", "the Host header is missing",
  { set = { Host = false } }, { "R6455-4.2.1-03" })
refusal_case("14.1.5", "No Upgrade header", "the Upgrade header is missing",
  { set = { Upgrade = false } }, { "R6455-4.2.1-04" })
refusal_case("14.1.6", "Upgrade: h2c", "the Upgrade header is \"h2c\"",
  { set = { Upgrade = "h2c" } }, { "R6455-4.2.1-04" })
accept_case("14.1.7", "Upgrade: WebSocket (mixed case) is accepted",
  "the Upgrade value is \"WebSocket\"", { set = { Upgrade = "WebSocket" } },
  { "R6455-4.2.1-04" })
refusal_case("14.1.8", "No Connection header",
  "the Connection header is missing", { set = { Connection = false } },
  { "R6455-4.2.1-05" })
refusal_case("14.1.9", "Connection: keep-alive (no Upgrade token)",
  "the Connection header is \"keep-alive\"",
  { set = { Connection = "keep-alive" } }, { "R6455-4.2.1-05" })
accept_case("14.1.10", "Connection: keep-alive, Upgrade is accepted",
  "the Connection header is \"keep-alive, Upgrade\"",
  { set = { Connection = "keep-alive, Upgrade" } }, { "R6455-4.2.1-05" })
accept_case("14.1.11", "Connection: upgrade (lower case) is accepted",
  "the Connection header is \"upgrade\"", { set = { Connection = "upgrade" } },
  { "R6455-4.2.1-05" })
refusal_case("14.1.12", "No Sec-WebSocket-Key",
  "the Sec-WebSocket-Key header is missing",
  { set = { ["Sec-WebSocket-Key"] = false } }, { "R6455-4.2.1-06" })
refusal_case("14.1.13", "Sec-WebSocket-Key of 15 bytes",
  "the Sec-WebSocket-Key decodes to 15 bytes (\"AAAAAAAAAAAAAAAAAAAA\")",
  { key = "AAAAAAAAAAAAAAAAAAAA" }, { "R6455-4.2.1-06" })
refusal_case("14.1.14", "Sec-WebSocket-Key that is not base64",
  "the Sec-WebSocket-Key is \"not base64 at all!!!!!\"",
  { key = "not base64 at all!!!!!" }, { "R6455-4.2.1-06" })
refusal_case("14.1.15", "Sec-WebSocket-Key twice",
  "Sec-WebSocket-Key appears twice with different values",
  { headers = { { "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==" } } },
  { "R6455-4.2.1-06" })
refusal_case("14.1.16", "No Sec-WebSocket-Version",
  "the Sec-WebSocket-Version header is missing",
  { set = { ["Sec-WebSocket-Version"] = false } }, { "R6455-4.2.1-07" })

local function lists_13(s)
  local v = header_of(s, "Sec-WebSocket-Version")
  if v == nil then return "without a Sec-WebSocket-Version header" end
  for tok in v:gmatch("[^,%s]+") do
    if tok == "13" then return nil end
  end
  return "its Sec-WebSocket-Version (" .. v .. ") does not list 13"
end

-- Version 8 (draft hybi-08) is still spoken by some servers; RFC 6455
-- 4.2.2 only requires refusing a version the server does not understand.
refusal_case("14.1.17", "Sec-WebSocket-Version: 8",
  "Sec-WebSocket-Version is 8", { version = "8" },
  { "R6455-4.2.1-07", "R6455-4.2.2-07", "R6455-4.4-01" }, lists_13,
  "the server accepted version 8 (draft hybi-08), which it may understand")
refusal_case("14.1.18", "Sec-WebSocket-Version: 14",
  "Sec-WebSocket-Version is 14", { version = "14" },
  { "R6455-4.2.1-07", "R6455-4.2.2-07", "R6455-4.4-01" }, lists_13)

-- 14.2: subprotocols.  The response is checked by the session: a protocol
-- that was not offered, or one sent when none was offered, fails the open.
accept_case("14.2.1", "Two subprotocols offered: one of them or none",
  "Sec-WebSocket-Protocol offers \"chat, superchat\"",
  { protocols = { "chat", "superchat" } },
  { "R6455-4.2.2-09", "R6455-4.2.2-10", "R6455-11.3.4-02" })
accept_case("14.2.2", "No subprotocol offered: none selected",
  "no Sec-WebSocket-Protocol is sent", nil,
  { "R6455-4.2.2-09", "R6455-4.2.2-10" })

-- 14.3: extension offers.  An accepted permessage-deflate is judged by the
-- session against the offer (parameters, values, window bits).
local ext_reqs = { "R6455-4.2.2-11", "R6455-4.2.2-12", "R6455-9-03",
  "R6455-5.8-01" }
accept_case("14.3.1", "An unknown extension offered is not accepted",
  "Sec-WebSocket-Extensions offers \"x-wsprobe-unknown; a=1\"",
  { extensions = { "x-wsprobe-unknown; a=1" } },
  with(ext_reqs, "R6455-9.1-04", "R6455-9.1-05"))

local function decline_case(id, title, offer, reqs)
  case {
    id = id,
    title = title,
    description = "Offer \"" .. offer .. "\" in Sec-WebSocket-Extensions, "
      .. "then send \"Hello, world!\".",
    expectation = "The server declines permessage-deflate (accepting the "
      .. "connection without it) or refuses the request with a 4xx; it "
      .. "never accepts the invalid offer.",
    requirements = with({ "R7692-7-01", "R7692-5-11", "R6455-9.1-01" },
      table.unpack(reqs)),
    roles = { "server" },
    run = function(s)
      local ok, reason = s:open { extensions = { offer } }
      if not ok then
        local st = status_of(s)
        local ext = header_of(s, "Sec-WebSocket-Extensions")
        if st and st >= 400 and st <= 499 then
          s:verdict("OK", "refused with HTTP " .. st)
        elseif st == 101 and ext and ext:lower():find("permessage-deflate",
            1, true) then
          -- The session fails the open on a response that accepts an
          -- offer it could not have made; say what happened.
          s:verdict("FAILED", "the server accepted the invalid offer: "
            .. "Sec-WebSocket-Extensions: " .. ext)
        else
          s:verdict("FAILED", "the handshake failed: " .. tostring(reason))
        end
        return
      end
      if s.deflate then
        s:verdict("FAILED", "the server accepted the invalid offer")
        s:close(1000)
        return
      end
      s:send_text("Hello, world!")
      s:expect { ok = { { "text", "Hello, world!" } } }
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    end,
  }
end

decline_case("14.3.2", "permessage-deflate with an unknown parameter",
  "permessage-deflate; x_unknown_param", { "R7692-7-02", "R6455-9.1-05" })
decline_case("14.3.3", "permessage-deflate with server_max_window_bits=7",
  "permessage-deflate; server_max_window_bits=7",
  { "R7692-7-03", "R6455-9-04" })
decline_case("14.3.4", "permessage-deflate with server_max_window_bits=010",
  "permessage-deflate; server_max_window_bits=010", { "R7692-7-03" })
decline_case("14.3.5", "permessage-deflate with a repeated parameter",
  "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
  { "R7692-7-04" })
decline_case("14.3.6", "permessage-deflate with client_max_window_bits=16",
  "permessage-deflate; client_max_window_bits=16", { "R7692-7-03" })
decline_case("14.3.7", "permessage-deflate with a quoted non-token value",
  "permessage-deflate; server_max_window_bits=\"1 0\"",
  { "R7692-7-03", "R6455-9.1-02", "R6455-4.3-01" })

-- Valid offers: accepted (checked by the session, then a round trip) or
-- declined (UNIMPLEMENTED: the server does not do permessage-deflate).
local function pmd_offer_case(id, title, offer, reqs)
  case {
    id = id,
    title = title,
    description = "Offer \"" .. table.concat(offer, ", ") .. "\", then send "
      .. "two 1000-byte "
      .. "compressible text messages.",
    expectation = "If the server accepts, its response agrees with the offer "
      .. "(RFC 7692 section 7) and the message is echoed; a server without "
      .. "permessage-deflate is UNIMPLEMENTED.",
    requirements = with({ "R7692-5-05", "R7692-5-06", "R7692-5-13",
      "R7692-6.2-01", "R7692-7.2.1-01" }, table.unpack(reqs)),
    roles = { "server" },
    run = function(s)
      local ok, reason = s:open { extensions = offer }
      if not ok then
        s:verdict("FAILED", "the handshake failed: " .. tostring(reason))
        return
      end
      if not s.deflate then
        s:verdict("UNIMPLEMENTED", "the server declined permessage-deflate")
        s:close(1000)
        return
      end
      local msg = string.rep("All work and no play. ", 45):sub(1, 1000)
      s:send_text(msg)
      s:send_text(msg)
      s:expect { ok = { { "text", msg }, { "text", msg } } }
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close_after(2)
    end,
  }
end

pmd_offer_case("14.3.8", "permessage-deflate; server_max_window_bits=10",
  { "permessage-deflate; server_max_window_bits=10" },
  { "R7692-7.1.2.1-04", "R7692-7.1.2.1-05", "R7692-7.2.1-15" })
pmd_offer_case("14.3.9", "permessage-deflate; server_no_context_takeover",
  { "permessage-deflate; server_no_context_takeover" },
  { "R7692-7.1.1.1-02", "R7692-7.1.1.1-03", "R7692-7.2.1-11" })
pmd_offer_case("14.3.10", "permessage-deflate without client_max_window_bits",
  { "permessage-deflate" }, { "R7692-7.1.2.2-05", "R7692-7.2.2-10" })
pmd_offer_case("14.3.11",
  "permessage-deflate; client_max_window_bits (no value)",
  { "permessage-deflate; client_max_window_bits" },
  { "R7692-7.1.2.2-04", "R7692-7.2.2-10" })
pmd_offer_case("14.3.12",
  "permessage-deflate; client_no_context_takeover offered",
  { "permessage-deflate; client_no_context_takeover" },
  { "R7692-7.2.2-06", "R7692-7.2.2-05" })
pmd_offer_case("14.3.13", "Two permessage-deflate offers, the first odd",
  { "permessage-deflate; server_max_window_bits=8", "permessage-deflate" },
  { "R7692-7-05", "R7692-7.1.2.1-03" })

-- 14.4: size of the head and data right behind it.
case {
  id = "14.4.1",
  title = "A 12 KiB request head",
  description = "Send a valid request with an extra header whose value is "
    .. "12000 bytes, then \"Hello, world!\".",
  expectation = "The server accepts and echoes, or refuses with an HTTP "
    .. "4xx error such as 431 (both OK; the limit is the server's choice); "
    .. "closing without an answer is INFORMATIONAL; it must not hang.",
  requirements = { "R6455-10.4-02", "R6455-10.7-04" },
  roles = { "server" },
  run = function(s)
    local ok = s:open { headers = { { "X-Wsprobe-Padding",
      string.rep("p", 12000) } } }
    if not ok then
      local st = status_of(s)
      s:verdict(st and st >= 400 and st <= 499 and "OK" or "INFORMATIONAL",
        st and ("refused with HTTP " .. st) or "closed without an answer")
      return
    end
    s:send_text("Hello, world!")
    local ev = s:receive(3)
    if ev and ev.type == "text" and ev.data == "Hello, world!" then
      s:verdict("OK", "accepted a 12 KiB head and echoed")
    else
      s:verdict("FAILED", "accepted a 12 KiB head but did not echo")
    end
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close(1000)
  end,
}

case {
  id = "14.4.2",
  title = "A text frame in the same TCP write as the request",
  description = "Send the request and, right behind its blank line in the "
    .. "same write, a masked text frame \"Hello\\r\\n\" (mask key 0, so the "
    .. "head's final CRLF is the end of the payload).",
  expectation = "The server answers 101 and echoes \"Hello\\r\\n\" (OK); "
    .. "a server that drops the early bytes is INFORMATIONAL (the client "
    .. "broke R6455-4.1-40 by not waiting).",
  requirements = { "R6455-6.2-01", "R6455-5.3-05" },
  roles = { "server" },
  run = function(s)
    local frame = "\x81\x87\0\0\0\0Hello"
    local ok, reason = s:open { raw = "\r\n" .. frame }
    if not ok then
      s:verdict("INFORMATIONAL", "the server refused: " .. tostring(reason))
      return
    end
    local ev = s:receive(2)
    if ev and ev.type == "text" and ev.data == "Hello\r\n" then
      s:verdict("OK", "the pipelined frame was echoed")
    else
      s:verdict("INFORMATIONAL", "the pipelined frame was not echoed")
    end
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close(1000)
  end,
}

-- 14.5: refusals the RFC leaves to the server's policy: informational when
-- the server accepts.
local function policy_case(id, title, what, opts, reqs)
  case {
    id = id,
    title = title,
    description = "Send a valid request in which " .. what .. ".",
    expectation = "A server with a policy against it refuses with an HTTP "
      .. "4xx error (OK); a server without one accepts (OK, said in the "
      .. "reason); any other answer is a failure.",
    requirements = reqs,
    roles = { "server" },
    run = function(s)
      local ok, reason = s:open(opts)
      if ok then
        s:verdict("OK", "the server accepted the request (no policy against "
          .. "it)")
        s:close(1000)
        return
      end
      local st = status_of(s)
      if st and st >= 400 and st <= 499 then
        s:verdict("OK", "refused with HTTP " .. st)
      else
        s:verdict("FAILED", "refused without a 4xx error: "
          .. tostring(reason))
      end
    end,
  }
end

policy_case("14.5.1", "A resource that does not exist",
  "the path is /wsprobe/no-such-resource-4d1f",
  { path = "/wsprobe/no-such-resource-4d1f" },
  { "R6455-4.2.2-08", "R6455-4.2.1-01" })
policy_case("14.5.2", "A foreign Origin", "Origin is http://evil.example",
  { origin = "http://evil.example" },
  { "R6455-4.2.2-06", "R6455-4.2.2-05", "R6455-10.2-01", "R6455-10.2-02" })
