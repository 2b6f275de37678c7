-- Category 15, the opening handshake against clients (wsprobe plays the
-- server): the client's request must be well formed (the session checks
-- every rule of RFC 6455 section 4.1 and refuses a bad request), and a
-- damaged 101 response must make the client fail the connection: wrong or
-- missing Sec-WebSocket-Accept, Upgrade or Connection missing, a
-- subprotocol or an extension the client did not offer, invalid
-- permessage-deflate response parameters (RFC 7692 section 7).  Not in
-- Autobahn|Testsuite.

local function with(list, ...)
  local t = {}
  for _, v in ipairs(list) do t[#t + 1] = v end
  for _, v in ipairs { ... } do t[#t + 1] = v end
  return t
end

local function offered_pmd(s)
  local r = s.http_request
  return r ~= nil and r:lower():find("permessage%-deflate") ~= nil
end

local function offered_param(s, p)
  local r = s.http_request
  return r ~= nil and r:lower():find(p, 1, true) ~= nil
end

local fail_reqs = { "R6455-4.1-41", "R6455-7.2.1-01", "R6455-7.1.7-01" }

-- The client must not go on with a damaged response: no message, and the
-- connection ends from its side (a TCP close; a Close frame is tolerated).
local function client_fails(s, opts)
  local ok, reason = s:open(opts)
  if not ok then
    s:verdict("FAILED", "wsprobe could not answer the request: "
      .. tostring(reason))
    return
  end
  s:send_text("Hello, world!")
  s:expect { ok = {} }
  s:expect_close { by_me = false, codes = { 1002, 1000, 1001, 1006, 1010,
    1011 }, clean = false }
  s:kill_after(2)
end

local function damaged_case(id, title, what, opts, reqs, applies)
  case {
    id = id,
    title = title,
    description = "Answer the client's request with a 101 response in which "
      .. what .. ", then send \"Hello, world!\".",
    expectation = "The client fails the connection (closes TCP) without "
      .. "processing the message; going on is a failure.",
    requirements = with(fail_reqs, table.unpack(reqs)),
    roles = { "client" },
    run = function(s)
      if applies then
        local why = applies(s)
        if why then
          s:verdict("INFORMATIONAL", "not applicable: " .. why)
          s:open()
          s:close(1000)
          return
        end
      end
      client_fails(s, opts)
    end,
  }
end

-- 15.1: what a client sends.
case {
  id = "15.1.1",
  title = "A well-formed opening handshake request",
  description = "Read the client's request; the session refuses it with "
    .. "400 or 426 when it breaks a rule of RFC 6455 section 4.1 (method, "
    .. "version, target, Host, Upgrade, Connection, Sec-WebSocket-Key and "
    .. "-Version, subprotocol tokens, repeated headers).  Then one echo.",
  expectation = "The request is accepted; the client echoes \"Hello, "
    .. "world!\" and closes cleanly with 1000 when asked.",
  requirements = { "R6455-4.1-19", "R6455-4.1-20", "R6455-4.1-21",
    "R6455-4.1-22", "R6455-4.1-23", "R6455-4.1-24", "R6455-4.1-25",
    "R6455-4.1-26", "R6455-4.1-27", "R6455-4.1-28", "R6455-4.1-29",
    "R6455-4.1-33", "R6455-4.1-34", "R6455-4.1-36", "R6455-4.1-37",
    "R6455-11.3.1-01" },
  roles = { "client" },
  run = function(s)
    local ok, reason = s:open()
    if not ok then
      s:verdict("FAILED", "the request was refused: " .. tostring(reason))
      return
    end
    s:send_text("Hello, world!")
    s:expect { ok = { { "text", "Hello, world!" } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
  end,
}

case {
  id = "15.1.2",
  title = "Every frame from the client is masked",
  description = "Check that the client connected directly with a GET "
    .. "request and sent nothing behind it, then send three text and three "
    .. "binary messages and check every frame of the echo and the client's "
    .. "Close.",
  expectation = "The client echoes all six messages in masked frames "
    .. "(unmasked correctly) and answers the Close with a masked Close.",
  requirements = { "R6455-4.1-02", "R6455-4.1-18", "R6455-11.3.5-02",
    "R6455-5.1-01", "R6455-6.1-08", "R6455-5.3-01", "R6455-5.3-05",
    "R6455-5.5.1-05", "R6455-3-02", "R6455-6.1-04", "R6455-6.1-09",
    "R6455-4.1-40", "R6455-4.1-11" },
  roles = { "client" },
  run = function(s)
    -- The request was read before the case started: nothing may follow
    -- its blank line (the client waits for the 101, R6455-4.1-40).
    local rq = s.http_request or ""
    local head_end = rq:find("\r\n\r\n", 1, true)
    if head_end and head_end + 3 < #rq then
      s:verdict("FAILED", "the client sent " .. (#rq - head_end - 3)
        .. " bytes after its request before the server's response")
      s:open()
      s:close(1000)
      return
    end
    local want = {}
    for i = 1, 3 do
      local t = string.rep("text " .. i .. " ", 20 * i)
      local b = string.rep(string.char(i, 0, 255 - i), 50 * i)
      s:send_text(t)
      s:send_binary(b)
      want[#want + 1] = { "text", t }
      want[#want + 1] = { "binary", b }
    end
    s:expect { ok = want }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close_after(3)
  end,
}

-- 15.2: damaged responses.
damaged_case("15.2.1", "Wrong Sec-WebSocket-Accept",
  "Sec-WebSocket-Accept is the RFC's sample value, not the one for the "
  .. "client's key", { set = { ["Sec-WebSocket-Accept"] =
    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" } }, { "R6455-4.1-45" })
damaged_case("15.2.2", "No Sec-WebSocket-Accept",
  "Sec-WebSocket-Accept is missing",
  { set = { ["Sec-WebSocket-Accept"] = false } }, { "R6455-4.1-45" })
damaged_case("15.2.3", "No Upgrade header", "the Upgrade header is missing",
  { set = { Upgrade = false } }, { "R6455-4.1-43" })
damaged_case("15.2.4", "Upgrade: h2c", "the Upgrade header is \"h2c\"",
  { set = { Upgrade = "h2c" } }, { "R6455-4.1-43" })
damaged_case("15.2.5", "No Connection header",
  "the Connection header is missing", { set = { Connection = false } },
  { "R6455-4.1-44" })
damaged_case("15.2.6", "Connection: close", "the Connection header is "
  .. "\"close\"", { set = { Connection = "close" } }, { "R6455-4.1-44" })
damaged_case("15.2.7", "A subprotocol the client did not offer",
  "Sec-WebSocket-Protocol is \"x-wsprobe-not-offered\"",
  { set = { ["Sec-WebSocket-Protocol"] = "x-wsprobe-not-offered" } },
  { "R6455-4.1-47" })
damaged_case("15.2.8", "An extension the client did not offer",
  "Sec-WebSocket-Extensions is \"x-wsprobe-unknown\"",
  { set = { ["Sec-WebSocket-Extensions"] = "x-wsprobe-unknown" } },
  { "R6455-4.1-46", "R6455-5.8-01" })
damaged_case("15.2.9", "permessage-deflate the client did not offer",
  "Sec-WebSocket-Extensions is \"permessage-deflate\" although the client "
  .. "offered no permessage-deflate",
  { set = { ["Sec-WebSocket-Extensions"] = "permessage-deflate" } },
  { "R6455-4.1-46", "R7692-5-12" },
  function(s)
    return offered_pmd(s) and "the client offered permessage-deflate" or nil
  end)
damaged_case("15.2.10", "Sec-WebSocket-Accept twice",
  "Sec-WebSocket-Accept appears a second time (with a wrong value)",
  { headers = { { "Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" } } },
  { "R6455-4.1-48", "R6455-4.1-45" })

-- 15.3: permessage-deflate responses.  These apply only to a client that
-- offers permessage-deflate; others are UNIMPLEMENTED.
local function pmd_damaged(id, title, value, reqs, applies)
  case {
    id = id,
    title = title,
    description = "When the client offers permessage-deflate, answer with "
      .. "Sec-WebSocket-Extensions: " .. value .. ", then send \"Hello, "
      .. "world!\".",
    expectation = "The client fails the connection (RFC 7692 section 7); "
      .. "a client that offers no permessage-deflate is UNIMPLEMENTED.",
    requirements = with({ "R7692-7-06", "R7692-5-12", "R6455-4.1-41" },
      table.unpack(reqs)),
    roles = { "client" },
    run = function(s)
      if not offered_pmd(s) then
        s:verdict("UNIMPLEMENTED", "the client offered no permessage-deflate")
        s:open()
        s:close(1000)
        return
      end
      local why = applies and applies(s)
      if why then
        s:verdict("INFORMATIONAL", "not applicable: " .. why)
        s:open()
        s:close(1000)
        return
      end
      client_fails(s, { set = { ["Sec-WebSocket-Extensions"] = value } })
    end,
  }
end

pmd_damaged("15.3.1", "permessage-deflate response with an unknown parameter",
  "permessage-deflate; x_unknown_param", { "R7692-7-07", "R6455-9.1-05" })
pmd_damaged("15.3.2", "server_max_window_bits=7 in the response",
  "permessage-deflate; server_max_window_bits=7",
  { "R7692-7-08", "R7692-7.1.2.1-05" })
pmd_damaged("15.3.3", "A repeated parameter in the response",
  "permessage-deflate; server_no_context_takeover; "
  .. "server_no_context_takeover", { "R7692-7-09" })
pmd_damaged("15.3.4", "client_max_window_bits the client did not offer",
  "permessage-deflate; client_max_window_bits=10",
  { "R7692-7-10", "R7692-7.1.2.2-05" },
  function(s)
    return offered_param(s, "client_max_window_bits")
      and "the client offered client_max_window_bits" or nil
  end)
-- Two elements accept two permessage-deflate instances, both using RSV1
-- (RFC 7692 section 5); the client offered one.
pmd_damaged("15.3.5", "Two permessage-deflate elements in the response",
  "permessage-deflate, permessage-deflate",
  { "R7692-5-07", "R7692-5-08", "R6455-4.1-46" })
pmd_damaged("15.3.6", "client_max_window_bits without a value",
  "permessage-deflate; client_max_window_bits",
  { "R7692-7-08", "R7692-7.1.2.2-04" })

-- Valid responses the client must support, then compressed round trips.
local function pmd_valid(id, title, cfg, reqs, applies)
  case {
    id = id,
    title = title,
    description = "When the client offers permessage-deflate, accept it "
      .. "with the parameters named in the title, then send three "
      .. "compressible 2000-byte text messages.",
    expectation = "The client accepts the response and echoes the three "
      .. "messages in compressed frames the session can inflate under the "
      .. "agreed parameters; clean close with 1000.",
    requirements = with({ "R7692-5-13", "R7692-6.1-01", "R7692-6.1-02",
      "R7692-6.1-07", "R7692-6.1-08", "R7692-6.2-01", "R7692-7.2.1-01",
      "R7692-7.2.1-07", "R7692-7.2.2-01" }, table.unpack(reqs)),
    roles = { "client" },
    run = function(s)
      if not offered_pmd(s) then
        s:verdict("UNIMPLEMENTED", "the client offered no permessage-deflate")
        s:open()
        s:close(1000)
        return
      end
      local why = applies and applies(s)
      if why then
        s:verdict("INFORMATIONAL", "not applicable: " .. why)
        s:open()
        s:close(1000)
        return
      end
      local ok, reason = s:open { deflate = cfg }
      if not ok or not s.deflate then
        s:verdict("FAILED", "permessage-deflate was not agreed: "
          .. tostring(reason))
        return
      end
      local want = {}
      for i = 1, 3 do
        local m = string.rep("message " .. i .. ": compress me. ", 80)
          :sub(1, 2000)
        s:send_text(m)
        want[#want + 1] = { "text", m }
      end
      s:expect { ok = want }
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close_after(3)
    end,
  }
end

pmd_valid("15.4.1", "permessage-deflate with default parameters", true,
  { "R7692-7.2.2-08", "R7692-7.2.2-03", "R7692-5-01", "R7692-7.1.2.1-02",
    "R7692-7.1.2.2-02" })
pmd_valid("15.4.2", "client_no_context_takeover in the response",
  { client_no_context_takeover = true },
  { "R7692-7.1.1.2-03", "R7692-7.2.1-08" })
pmd_valid("15.4.3", "server_no_context_takeover in the response",
  { server_no_context_takeover = true },
  { "R7692-7.2.2-03", "R7692-7.1.1.1-04" })
pmd_valid("15.4.4", "client_max_window_bits=9 in the response",
  { client_max_window_bits = 9 },
  { "R7692-7.2.1-13", "R7692-7.2.2-11", "R7692-7-10" },
  function(s)
    return not offered_param(s, "client_max_window_bits")
      and "the client did not offer client_max_window_bits" or nil
  end)
pmd_valid("15.4.5", "server_max_window_bits=9 in the response",
  { server_max_window_bits = 9 }, { "R7692-7.1.2.1-06" })

case {
  id = "15.4.6",
  title = "client_max_window_bits=8 in the response",
  description = "When the client offers permessage-deflate with "
    .. "client_max_window_bits, accept with client_max_window_bits=8, then "
    .. "send three compressible 1000-byte text messages.",
  expectation = "The client either compresses with a window of at most 256 "
    .. "bytes and echoes the messages, or, unable to, closes with 1010 "
    .. "naming the extension in the reason (RFC 7692 5.1); both are OK.",
  requirements = { "R7692-5.1-01", "R6455-7.4.1-05", "R7692-7.2.1-13",
    "R7692-7.2.2-11" },
  roles = { "client" },
  run = function(s)
    if not offered_param(s, "client_max_window_bits") then
      s:verdict("UNIMPLEMENTED", "the client offers no client_max_window_bits")
      s:open()
      s:close(1000)
      return
    end
    local ok, reason = s:open { deflate = { client_max_window_bits = 8 } }
    if not ok or not s.deflate then
      s:verdict("FAILED", "permessage-deflate was not agreed: "
        .. tostring(reason))
      return
    end
    local n = 0
    for i = 1, 3 do
      local m = string.rep("eight " .. i .. " abcdefghijklmnop ", 40)
        :sub(1, 1000)
      s:send_text(m)
      local ev = s:receive(3)
      if ev and ev.type == "text" and ev.data == m then n = n + 1 end
    end
    if n == 3 then
      s:verdict("OK", "the client used the 256-byte window")
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close(1000)
      return
    end
    if s:is_open() then s:pause(1) end
    s:expect_close { by_me = false, codes = {}, clean = false }
    if s.close_code == 1010 then
      if (s.close_reason or ""):lower():find("permessage-deflate", 1, true)
      then
        s:verdict("OK", "the client closed with 1010 naming the extension")
      else
        s:verdict("NON-STRICT", "the client closed with 1010 without naming "
          .. "the extension in the reason")
      end
    else
      s:verdict("FAILED", "the client neither echoed nor closed with 1010 "
        .. "(code " .. tostring(s.close_code) .. ")")
      if s:is_open() then s:close(1000) end
    end
  end,
}
