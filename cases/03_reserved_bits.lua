-- Category 3, reserved bits: a frame with RSV1, RSV2 or RSV3 set, with no
-- extension negotiated that defines them, must fail the connection.
-- Autobahn|Testsuite ids 3.1-3.7.  In 3.2-3.4 a valid message comes first:
-- echoing it before failing is OK, failing without echoing it is
-- NON-STRICT (a peer that validates a whole read buffer before dispatch).

local hello = "Hello, world!"
local reqs = { "R6455-5.2-02", "R6455-5.2-03", "R6455-7.1.7-03" }

local function fail_close(s)
  s:expect_close { by_me = false, codes = { 1002 }, clean = false }
  s:kill_after(1)
end

case {
  id = "3.1",
  title = "Text frame with RSV = 1",
  description = "Send a text message \"Hello, world!\" with RSV1 set.",
  expectation = "The peer fails the connection (1002 or TCP drop) without echoing.",
  requirements = reqs,
  run = function(s)
    s:send_frame { opcode = 1, payload = hello, rsv = 1 }
    s:expect { ok = {} }
    fail_close(s)
  end,
}

local function after_valid(id, rsv, opts, what)
  case {
    id = id,
    title = string.format("Valid text, then a text frame with RSV = %d, then a Ping%s",
      rsv, what),
    description = string.format("Send a valid text message, then a text frame "
      .. "with RSV = %d, then a Ping%s.", rsv, what),
    expectation = "The peer echoes the first message, then fails the "
      .. "connection (1002 or drop) and sends no Pong. Failing without the "
      .. "echo is NON-STRICT.",
    requirements = reqs,
    run = function(s)
      s:send_text(hello, opts)
      s:send_frame { opcode = 1, payload = hello, rsv = rsv, chop = opts.chop,
                     sync = opts.sync }
      s:send_ping(hello, opts)
      s:expect { ok = { { "text", hello } }, non_strict = {} }
      fail_close(s)
    end,
  }
end

after_valid("3.2", 2, {}, "")
after_valid("3.3", 3, { sync = true }, ", each frame written separately")
after_valid("3.4", 4, { chop = 1 }, ", one byte per TCP write")

case {
  id = "3.5",
  title = "Binary frame with RSV = 5",
  description = "Send a binary message 00 ff fe fd fc fb 00 ff with RSV1 and RSV3 set.",
  expectation = "The peer fails the connection (1002 or TCP drop) without echoing.",
  requirements = reqs,
  run = function(s)
    s:send_frame { opcode = 2, payload = "\x00\xff\xfe\xfd\xfc\xfb\x00\xff", rsv = 5 }
    s:expect { ok = {} }
    fail_close(s)
  end,
}

case {
  id = "3.6",
  title = "Binary frame with RSV = 6",
  description = "Send a binary message \"Hello, world!\" with RSV1 and RSV2 "
    .. "set (Autobahn titles this case as a Ping but sends a binary frame; "
    .. "wsprobe sends what Autobahn sends).",
  expectation = "The peer fails the connection (1002 or TCP drop) without echoing.",
  requirements = reqs,
  run = function(s)
    s:send_frame { opcode = 2, payload = hello, rsv = 6 }
    s:expect { ok = {} }
    fail_close(s)
  end,
}

case {
  id = "3.7",
  title = "Close frame with RSV = 7",
  description = "Send a Close frame with all three RSV bits set.",
  expectation = "The peer fails the connection (1002 or TCP drop).",
  requirements = reqs,
  run = function(s)
    s:send_frame { opcode = 8, payload = "", rsv = 7 }
    s:expect { ok = {} }
    fail_close(s)
  end,
}
