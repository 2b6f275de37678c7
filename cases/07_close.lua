-- Category 7, close handling: wsprobe sends a Close frame in every case;
-- the peer must answer a valid Close with a Close (1000 or the code it
-- received), ignore what follows it, and fail the connection when the
-- Close frame itself is invalid (1-byte or over-long payload, invalid
-- UTF-8 reason, a code that must not be sent).  Autobahn|Testsuite ids
-- 7.1.1-7.13.2, same payloads, codes and timers; a close code outside the
-- accepted list fails `behavior` too (Autobahn's rule for this category),
-- except in the INFORMATIONAL cases 7.1.6 and 7.13.x.
--
-- A valid Close is sent with s:send_close, which starts the closing
-- handshake.  An invalid Close frame is sent as a raw frame that changes no
-- state: the PEER must then fail the connection, so the peer is the side
-- expected to close (Autobahn counts its own, protocol-level, invalid Close
-- as the start of the handshake; docs/cases.md says where verdicts differ).

-- Several frames in one TCP write are built with s:frames{...} (masked
-- by role, keys from the session's seeded generator: the same bytes
-- whatever the number of jobs).

local function close_ok(s, codes)
  s:expect { ok = {} }
  s:expect_close { by_me = true, codes = codes or { 1000 }, clean = true }
  s:rules { wrong_code_fails = true }
  s:kill_after(1)
end

local function peer_fails(s, codes)
  s:expect { ok = {} }
  s:expect_close { by_me = false, codes = codes or { 1002 }, clean = false }
  s:rules { wrong_code_fails = true }
  s:kill_after(1)
end

local close_reqs = { "R6455-5.5.1-07", "R6455-5.5.1-11" }
local fail_reqs = { "R6455-7.1.7-01", "R6455-7.1.7-03" }

local function with(base, ...)
  local r = {}
  for _, x in ipairs(base) do r[#r + 1] = x end
  for _, x in ipairs { ... } do r[#r + 1] = x end
  return r
end

local function close_payload(code, reason)
  return string.pack(">I2", code) .. (reason or "")
end

-- 7.1: the closing handshake, and what follows a Close.
case {
  id = "7.1.1",
  title = "Text message, then a normal close",
  description = "Send the text message \"Hello World!\"; once it is echoed "
    .. "wsprobe starts the closing handshake with 1000.",
  expectation = "The peer echoes the message and answers the Close; clean "
    .. "close with 1000.",
  requirements = close_reqs,
  run = function(s)
    s:send_frame { opcode = 1, payload = "Hello World!" }
    s:expect { ok = { { "text", "Hello World!" } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:rules { wrong_code_fails = true }
    s:kill_after(1)
  end,
}

case {
  id = "7.1.2",
  title = "Two Close frames",
  description = "Start the closing handshake with 1000, then send a second "
    .. "(empty) Close frame.",
  expectation = "The peer answers the first Close and ignores the second; "
    .. "clean close with 1000.",
  requirements = with(close_reqs, "R6455-7.1.1-01"),
  run = function(s)
    s:send_close(1000)
    s:send_frame { opcode = 8 }
    close_ok(s)
  end,
}

case {
  id = "7.1.3",
  title = "Ping after a Close",
  description = "Start the closing handshake with 1000, then send an empty "
    .. "Ping.",
  expectation = "The peer answers the Close and sends no Pong (a Close was "
    .. "received first); clean close with 1000.",
  requirements = with(close_reqs, "R6455-5.5.2-02"),
  run = function(s)
    s:send_close(1000)
    s:send_frame { opcode = 9 }
    close_ok(s)
  end,
}

case {
  id = "7.1.4",
  title = "Text message after a Close",
  description = "Start the closing handshake with 1000, then send the text "
    .. "message \"Hello World!\".",
  expectation = "The peer answers the Close and does not echo the text "
    .. "(no data after its own Close); clean close with 1000.",
  requirements = with(close_reqs, "R6455-5.5.1-06"),
  run = function(s)
    s:send_close(1000)
    s:send_frame { opcode = 1, payload = "Hello World!" }
    close_ok(s)
  end,
}

case {
  id = "7.1.5",
  title = "Close between the fragments of a text message",
  description = "Send a text frame with FIN = 0 (\"fragment1\"), start the "
    .. "closing handshake with 1000, then send the final continuation frame "
    .. "(\"fragment2\").",
  expectation = "The peer answers the Close and echoes nothing (the message "
    .. "never completed before the Close); clean close with 1000.",
  requirements = with(close_reqs, "R6455-5.4-04", "R6455-5.5.1-06"),
  run = function(s)
    s:send_frame { opcode = 1, payload = "fragment1", fin = false }
    s:send_close(1000)
    s:send_frame { opcode = 0, payload = "fragment2" }
    close_ok(s)
  end,
}

do
  local big = string.rep("BAsd7&jh23", 26215):sub(1, 256 * 1024)
  case {
    id = "7.1.6",
    title = "256 KiB text, a short text, a Close and a Ping back to back "
      .. "(informational)",
    description = "Send a 262144-byte text message (\"BAsd7&jh23\" "
      .. "repeated) and the text message \"Hello World!\" in one TCP write, "
      .. "then start the closing handshake with 1000 and send an empty Ping.",
    expectation = "RFC 6455 lets the peer finish or drop what it was "
      .. "sending when the Close arrives; the case records which it did, "
      .. "and its reason names the list that matched: OK when both messages "
      .. "were echoed, NON-STRICT when only the first was, INFORMATIONAL "
      .. "when neither was.",
    requirements = with(close_reqs, "R6455-5.5.1-09", "R6455-5.5.1-10"),
    run = function(s)
      s:send_raw(s:frames { { 1, big },
        { 1, "Hello World!" } })
      s:send_close(1000)
      s:send_frame { opcode = 9 }
      s:expect { ok = { { "text", big }, { "text", "Hello World!" } },
                 non_strict = { { "text", big } }, informational = {} }
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:rules { informational = true }
      s:kill_after(1)
    end,
  }
end

-- 7.3: Close payload sizes.
case {
  id = "7.3.1",
  title = "Close with an empty payload",
  description = "Start the closing handshake with a Close frame that has no "
    .. "payload (no code, no reason).",
  expectation = "The peer answers the Close (empty, or with 1000); clean "
    .. "close.",
  requirements = with(close_reqs, "R6455-5.5.1-01"),
  run = function(s)
    s:send_close()
    close_ok(s)
  end,
}

case {
  id = "7.3.2",
  title = "Close with a 1-byte payload",
  description = "Send a Close frame whose payload is the single byte \"a\" "
    .. "(a status code needs two bytes).",
  expectation = "The peer fails the connection with 1002 or a TCP drop.",
  requirements = with(fail_reqs, "R6455-5.5.1-02"),
  run = function(s)
    s:send_frame { opcode = 8, payload = "a" }
    peer_fails(s)
  end,
}

case {
  id = "7.3.3",
  title = "Close with a status code and no reason",
  description = "Start the closing handshake with 1000 and no reason (a "
    .. "2-byte payload).",
  expectation = "The peer answers the Close; clean close with 1000.",
  requirements = with(close_reqs, "R6455-5.5.1-02"),
  run = function(s)
    s:send_close(1000)
    close_ok(s)
  end,
}

case {
  id = "7.3.4",
  title = "Close with a status code and a reason",
  description = "Start the closing handshake with 1000 and the reason "
    .. "\"Hello World!\".",
  expectation = "The peer answers the Close; clean close with 1000.",
  requirements = with(close_reqs, "R6455-5.5.1-03"),
  run = function(s)
    s:send_close(1000, "Hello World!")
    close_ok(s)
  end,
}

case {
  id = "7.3.5",
  title = "Close with the longest reason (123 bytes, payload 125)",
  description = "Start the closing handshake with 1000 and a reason of 123 "
    .. "\"*\", which fills the 125 bytes a control frame may carry.",
  expectation = "The peer answers the Close; clean close with 1000.",
  requirements = with(close_reqs, "R6455-5.5.1-03", "R6455-5.5-01"),
  run = function(s)
    s:send_close(1000, string.rep("*", 123))
    close_ok(s)
  end,
}

case {
  id = "7.3.6",
  title = "Close with a 124-byte reason (payload 126, too long)",
  description = "Send a Close frame with code 1000 and a reason of 124 "
    .. "\"*\": 126 payload bytes, one more than a control frame may carry.",
  expectation = "The peer fails the connection with 1002 or a TCP drop.",
  requirements = with(fail_reqs, "R6455-5.5-01"),
  run = function(s)
    s:send_frame { opcode = 8,
                   payload = close_payload(1000, string.rep("*", 124)) }
    peer_fails(s)
  end,
}

-- 7.5: the reason must be UTF-8.
do
  local reason = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
    .. "edited"
  case {
    id = "7.5.1",
    title = "Close with a reason that is not valid UTF-8",
    description = "Send a Close frame with code 1000 and the reason "
      .. "ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64 "
      .. "(Greek text, the encoded surrogate U+D800, \"edited\").",
    expectation = "The peer fails the connection with 1002 or 1007, or a "
      .. "TCP drop.",
    requirements = with(fail_reqs, "R6455-8.1-01", "R6455-5.5.1-03"),
    run = function(s)
      s:send_frame { opcode = 8, payload = close_payload(1000, reason) }
      peer_fails(s, { 1002, 1007 })
    end,
  }
end

-- 7.7: valid codes; the peer answers with 1000 or the same code.
local valid_codes = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
                      3000, 3999, 4000, 4999 }
for i, code in ipairs(valid_codes) do
  local reqs = with(close_reqs, "R6455-7.4-01")
  if code < 3000 then reqs[#reqs + 1] = "R6455-7.4.1-01" end
  case {
    id = "7.7." .. i,
    title = string.format("Close with the valid code %d", code),
    description = string.format("Start the closing handshake with the "
      .. "status code %d and no reason.", code),
    expectation = string.format("The peer answers the Close with 1000 or "
      .. "%d; clean close.", code),
    requirements = reqs,
    run = function(s)
      s:send_close(code)
      close_ok(s, code == 1000 and { 1000 } or { 1000, code })
    end,
  }
end

-- 7.9: codes that must not be sent; the peer fails the connection.
local invalid_codes = {
  { 0, "R6455-7.4.2-01" }, { 999, "R6455-7.4.2-01" },
  { 1004, "R6455-7.4.2-02" }, { 1005, "R6455-7.4.1-03" },
  { 1006, "R6455-7.4.1-04" }, { 1016, "R6455-7.4.2-02" },
  { 1100, "R6455-7.4.2-02" }, { 2000, "R6455-7.4.2-02" },
  { 2999, "R6455-7.4.2-02" } }
for i, c in ipairs(invalid_codes) do
  local code = c[1]
  case {
    id = "7.9." .. i,
    title = string.format("Close with the invalid code %d", code),
    description = string.format("Send a Close frame with the status code "
      .. "%d, which RFC 6455 section 7.4 does not allow on the wire, and no "
      .. "reason.", code),
    expectation = "The peer fails the connection with 1002 or a TCP drop "
      .. "(echoing the code or answering 1000 is a failure).",
    requirements = with(fail_reqs, c[2]),
    run = function(s)
      s:send_frame { opcode = 8, payload = close_payload(code) }
      peer_fails(s)
    end,
  }
end

-- 7.13: codes above 4999, which RFC 6455 does not define (informational).
for i, code in ipairs { 5000, 65535 } do
  case {
    id = "7.13." .. i,
    title = string.format("Close with the undefined code %d (informational)",
      code),
    description = string.format("Start the closing handshake with the "
      .. "status code %d; RFC 6455 defines codes 0-4999 only.", code),
    expectation = string.format("Undefined by the RFC; the case records "
      .. "how the peer closes (1000, %d or 1002 are the expected answers).",
      code),
    requirements = { "R6455-5.5.1-07" },
    run = function(s)
      s:send_close(code)
      s:expect { ok = {} }
      s:expect_close { by_me = true, codes = { 1000, code, 1002 },
                       clean = false }
      s:rules { informational = true }
      s:kill_after(1)
    end,
  }
end
