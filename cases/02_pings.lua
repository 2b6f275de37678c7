-- Category 2, pings and pongs: a Ping is answered by a Pong carrying the
-- same application data; an unsolicited Pong needs no answer; a Ping over
-- 125 bytes fails the connection.  Autobahn|Testsuite ids 2.1-2.11, same
-- payloads, chop sizes and timers.  Autobahn's 2.10 and 2.11 expect one Pong
-- per Ping although RFC 6455 section 5.5.3 lets a peer answer only the most
-- recent one; the ids keep Autobahn's meaning (docs/cases.md).

local function ping_case(id, title, payload, opts)
  opts = opts or {}
  case {
    id = id,
    title = title,
    description = opts.description or string.format(
      "Send a Ping whose application data is %d bytes%s.", #payload,
      opts.chop and string.format(", written to TCP %d byte at a time", opts.chop) or ""),
    expectation = "The peer answers with a Pong carrying exactly the same "
      .. "application data, and the connection closes cleanly with code 1000.",
    requirements = { "R6455-5.5.2-02", "R6455-5.5.3-01", "R6455-5.5-01" },
    run = function(s)
      s:send_ping(payload, { chop = opts.chop })
      s:expect { ok = { { "pong", payload } } }
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close_after(opts.close_after or 1)
    end,
  }
end

ping_case("2.1", "Ping with empty application data", "")
ping_case("2.2", "Ping with a short text payload", "Hello, world!")
ping_case("2.3", "Ping with a short binary payload",
  "\x00\xff\xfe\xfd\xfc\xfb\x00\xff")
ping_case("2.4", "Ping with the largest allowed payload (125 bytes)",
  string.rep("\xfe", 125))

case {
  id = "2.5",
  title = "Ping with a 126-byte payload (too long for a control frame)",
  description = "Send a Ping whose application data is 126 bytes. Control "
    .. "frames carry at most 125 bytes.",
  expectation = "The peer fails the connection, with close code 1002 or by "
    .. "dropping TCP, and sends no Pong.",
  requirements = { "R6455-5.5-01", "R6455-7.1.7-03", "R6455-7.1.7-01" },
  run = function(s)
    s:send_ping(string.rep("\xfe", 126))
    s:expect { ok = {} }
    s:expect_close { by_me = false, codes = { 1002 }, clean = false }
    s:kill_after(1)
  end,
}

ping_case("2.6", "125-byte Ping written one byte at a time",
  string.rep("\xfe", 125), { chop = 1, close_after = 2 })

local function unsolicited(id, title, payload)
  case {
    id = id,
    title = title,
    description = string.format(
      "Send an unsolicited Pong with %d bytes of application data, then close.",
      #payload),
    expectation = "The peer sends nothing in reply to the Pong; the "
      .. "connection closes cleanly with code 1000.",
    requirements = { "R6455-5.5.3-03" },
    run = function(s)
      s:send_pong(payload)
      s:expect { ok = {} }
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close_after(1)
    end,
  }
end

unsolicited("2.7", "Unsolicited Pong without payload", "")
unsolicited("2.8", "Unsolicited Pong with payload", "unsolicited pong payload")

case {
  id = "2.9",
  title = "Unsolicited Pong, then a Ping",
  description = "Send an unsolicited Pong (\"unsolicited pong payload\"), "
    .. "then a Ping (\"ping payload\").",
  expectation = "The peer answers the Ping only: exactly one Pong, carrying "
    .. "\"ping payload\"; clean close with code 1000.",
  requirements = { "R6455-5.5.3-03", "R6455-5.5.2-02", "R6455-5.5.3-01" },
  run = function(s)
    s:send_pong("unsolicited pong payload")
    s:send_ping("ping payload")
    s:expect { ok = { { "pong", "ping payload" } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close_after(1)
  end,
}

local function ping_burst(id, title, chop)
  local pongs = {}
  for i = 0, 9 do pongs[#pongs + 1] = { "pong", "payload-" .. i } end
  case {
    id = id,
    title = title,
    description = "Send ten Pings back to back, \"payload-0\" to \"payload-9\""
      .. (chop and ", every byte in its own TCP write." or "."),
    expectation = "Ten Pongs, in order, each echoing its Ping (Autobahn's "
      .. "expectation; RFC 6455 also allows answering only the most recent "
      .. "Ping); clean close with code 1000.",
    requirements = { "R6455-5.5.2-02", "R6455-5.5.3-01", "R6455-5.5.3-02" },
    run = function(s)
      for i = 0, 9 do s:send_ping("payload-" .. i, { chop = chop }) end
      s:expect { ok = pongs }
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close_after(3)
    end,
  }
end

ping_burst("2.10", "Ten Pings in a row", nil)
ping_burst("2.11", "Ten Pings in a row, one byte per TCP write", 1)
