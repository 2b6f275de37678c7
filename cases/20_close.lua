-- Category 20, closing (RFC 6455 sections 5.5.1, 7 and 8.1): fail-fast on
-- invalid UTF-8 in a Close reason, the registered codes 1012-1014, an
-- empty Close, a Close in the middle of a fragmented message, data after a
-- Close, who closes TCP, and the RFC-exact companions of Autobahn's 6.4.3
-- and 6.4.4 (invalid UTF-8 inside one frame written in pieces: the RFC
-- requires failing the connection, not failing before the frame is
-- complete).  Not in Autobahn|Testsuite.

local function close_payload(code, reason)
  return string.pack(">I2", code) .. (reason or "")
end

-- 20.1: invalid UTF-8 in a Close reason.
local bad_reasons = {
  { "\xce\xba\xe1\xbd", "a truncated 3-byte sequence" },
  { "ab\xed\xa0\x80cd", "an encoded surrogate (ed a0 80)" },
  { "\xc0\xaf", "an overlong encoding of '/' (c0 af)" },
  { "ok\xff", "the byte ff" },
}
for i, r in ipairs(bad_reasons) do
  case {
    id = "20.1." .. i,
    title = "Close reason with invalid UTF-8: " .. r[2],
    description = "Send a Close frame with code 1000 and a reason holding "
      .. r[2] .. ".",
    expectation = "The peer fails the connection (1007 or 1002, or a TCP "
      .. "drop); answering 1000 is a failure.",
    requirements = { "R6455-8.1-01", "R6455-5.5.1-03", "R6455-7.1.7-01",
      "R6455-7.1.7-03", "R6455-10.7-01" },
    run = function(s)
      s:send_frame { opcode = 8, payload = close_payload(1000, r[1]) }
      s:expect { ok = {} }
      s:expect_close { by_me = false, codes = { 1007, 1002 }, clean = false }
      s:rules { wrong_code_fails = true }
      s:kill_after(2)
    end,
  }
end

-- 20.2: codes 1012-1014, registered with IANA after RFC 6455 (service
-- restart, try again later, bad gateway).  Autobahn's 7.9.x treat them as
-- invalid; they are valid codes (RFC 6455 section 7.4.2: the 1000-2999
-- range is for the protocol and its registered extensions).
for i, code in ipairs { 1012, 1013, 1014 } do
  case {
    id = "20.2." .. i,
    title = string.format("Close with the registered code %d", code),
    description = string.format("Start the closing handshake with code %d "
      .. "(registered in the IANA WebSocket Close Code Number Registry).",
      code),
    expectation = string.format("The peer completes the closing handshake, "
      .. "echoing %d or answering 1000 (RFC-exact companion of Autobahn's "
      .. "7.9.x, which expect a failure).", code),
    requirements = { "R6455-5.5.1-07", "R6455-7.4-01", "R6455-7.1.2-01" },
    run = function(s)
      s:send_close(code)
      s:expect { ok = {} }
      s:expect_close { by_me = true, codes = { code, 1000 }, clean = true }
      s:kill_after(2)
    end,
  }
end

-- 20.3: an empty Close and the codes that must never be sent.
case {
  id = "20.3.1",
  title = "Empty Close frame",
  description = "Start the closing handshake with a Close frame without a "
    .. "body.",
  expectation = "The peer answers with a Close without a body or with "
    .. "1000; it never sends 1005, 1006 or 1015 (the decoder fails the "
    .. "case on those); the server closes TCP first.",
  requirements = { "R6455-5.5.1-07", "R6455-5.5.1-08", "R6455-7.4.1-03",
    "R6455-7.4.1-04", "R6455-7.4.1-06", "R6455-7.4.2-01", "R6455-7.4.2-02",
    "R6455-5.5.1-02", "R6455-5.5.1-01" },
  run = function(s)
    s:send_close()
    s:expect { ok = {} }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:kill_after(2)
  end,
}

case {
  id = "20.3.2",
  title = "Close in the middle of a fragmented message",
  description = "Send a text frame \"partial\" with FIN = 0, then start the "
    .. "closing handshake with code 1000.",
  expectation = "The peer does not deliver the unfinished message, answers "
    .. "the Close (1000) and closes cleanly.",
  requirements = { "R6455-5.4-08", "R6455-5.5.1-07", "R6455-5.5.1-06",
    "R6455-6.2-02" },
  run = function(s)
    s:send_frame { opcode = 1, payload = "partial", fin = false }
    s:send_close(1000)
    s:expect { ok = {} }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:kill_after(2)
  end,
}

case {
  id = "20.3.3",
  title = "A text message after a Close, in the same write",
  description = "Send a Close frame (1000) and a text frame \"too late\" in "
    .. "one TCP write.",
  expectation = "The peer answers the Close and ignores the text: no echo "
    .. "(before or after its Close) and no data frame after its Close.",
  requirements = { "R6455-5.5.1-06", "R6455-5.5.1-07", "R6455-6.1-02",
    "R6455-7.1.2-02" },
  run = function(s)
    local mask = s.role == "client"
    local function frame(op, p)
      if not mask then return string.char(0x80 | op, #p) .. p end
      return string.char(0x80 | op, 0x80 | #p) .. "\0\0\0\0" .. p
    end
    s:send_raw(frame(8, close_payload(1000)) .. frame(1, "too late"))
    s:expect { ok = {} }
    s:expect_close { by_me = false, codes = { 1000 }, clean = false }
    s:kill_after(2)
  end,
}

-- 20.4: who closes TCP.  For servers, the verdict's close check fails a
-- server that leaves TCP open after the closing handshake (FAILED BY
-- CLIENT); for clients, the Close must be answered at once.
case {
  id = "20.4.1",
  title = "The server closes TCP first after the closing handshake",
  description = "Exchange one message, then start the closing handshake "
    .. "with 1000 and wait for the server to close TCP.",
  expectation = "The server answers the Close and closes TCP right away "
    .. "(wsprobe does not have to drop it).",
  requirements = { "R6455-5.5.1-12", "R6455-5.5.1-11", "R6455-7.1.1-03",
    "R6455-7.1.1-05", "R6455-7.1.2-02", "R6455-7.1.1-01" },
  roles = { "server" },
  run = function(s)
    s:send_text("bye")
    s:expect { ok = { { "text", "bye" } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
  end,
}

case {
  id = "20.4.2",
  title = "The client answers the server's Close and waits",
  description = "Exchange one message, then start the closing handshake "
    .. "with 1000 as the server; wsprobe closes TCP once the client's Close "
    .. "arrives.",
  expectation = "The client answers with a Close (1000) promptly and does "
    .. "not close TCP before it has answered.",
  requirements = { "R6455-5.5.1-07", "R6455-5.5.1-08", "R6455-5.5.1-13",
    "R6455-7.1.1-06", "R6455-7.1.7-08", "R6455-7.2.1-03" },
  roles = { "client" },
  run = function(s)
    s:send_text("bye")
    s:expect { ok = { { "text", "bye" } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
  end,
}

-- 20.5: RFC-exact companions of 6.4.3 and 6.4.4.  The frame is written in
-- three pieces 0.25 s apart and ended by an empty FIN continuation; the
-- peer may fail at any point (inside the frame or once it is complete),
-- so the verdict does not depend on how TCP split the bytes.
local kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
local ff = kosme .. "\xf4\x90\x80\x80" .. "edited"
local cuts = { { #kosme, #kosme + 4 }, { 12, 13 } }
for i = 1, 2 do
  case {
    id = "20.5." .. i,
    title = string.format("Invalid UTF-8 inside one frame written in "
      .. "pieces, RFC-exact (companion of 6.4.%d)", 2 + i),
    description = string.format("Send the 21-byte text frame of 6.4.%d "
      .. "(FIN = 0) in three TCP writes 0.25 s apart, cut after bytes %d and "
      .. "%d, then an empty continuation with FIN = 1.", 2 + i, cuts[i][1],
      cuts[i][2]),
    expectation = "The peer fails the connection with 1007 (or 1002, or a "
      .. "TCP drop), at any point, and echoes nothing.",
    requirements = { "R6455-8.1-01", "R6455-5.6-01", "R6455-7.1.7-01",
      "R6455-7.1.7-03" },
    run = function(s)
      local mask = s.role == "client"
      local key = "\x11\x22\x33\x44"
      local body = ff
      local h = string.char(0x01, (mask and 0x80 or 0) | #ff)
      if mask then
        local kb, out = { key:byte(1, 4) }, {}
        for j = 1, #ff do
          out[j] = string.char(ff:byte(j) ~ kb[(j - 1) % 4 + 1])
        end
        h, body = h .. key, table.concat(out)
      end
      local a, b = cuts[i][1], cuts[i][2]
      s:send_raw(h .. body:sub(1, a))
      s:pause(0.25)
      if s:is_open() then s:send_raw(body:sub(a + 1, b)) end
      s:pause(0.25)
      if s:is_open() then
        local fin = mask and "\x80\x80\0\0\0\0" or "\x80\x00"
        s:send_raw(body:sub(b + 1) .. fin)
      end
      s:expect { ok = {} }
      s:expect_close { by_me = false, codes = { 1007, 1002 }, clean = false }
      s:kill_after(2)
    end,
  }
end
