-- Category 21, keep-alive: the peer answers Pings after an idle period,
-- accepts unsolicited Pongs as a heartbeat, answers a Ping promptly while
-- a long message is in progress, and keeps an idle connection open (how
-- long is reported).  Every case is bounded to a few seconds.  Not in
-- Autobahn|Testsuite.

case {
  id = "21.1",
  title = "Ping after 2.5 s of silence",
  description = "Open the connection, send nothing for 2.5 s, then a Ping "
    .. "\"still there?\".",
  expectation = "The connection is still open and the peer answers with a "
    .. "Pong \"still there?\"; clean close with 1000.",
  requirements = { "R6455-5.5.2-02", "R6455-5.5.2-03", "R6455-5.5.3-01",
    "R6455-5.5.2-04" },
  run = function(s)
    s:pause(2.5)
    s:send_ping("still there?")
    s:expect { ok = { { "pong", "still there?" } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close_after(2)
  end,
}

case {
  id = "21.2",
  title = "Idle connection survival (up to 3 s)",
  description = "Open the connection and send nothing, checking every "
    .. "0.5 s whether it is still open, for at most 3 s; Pings from the "
    .. "peer are answered.",
  expectation = "The connection survives the 3 s (OK); a peer that closes "
    .. "it earlier is INFORMATIONAL, with the time it survived.",
  requirements = { "R6455-7.1.7-08", "R6455-7.3-01" },
  run = function(s)
    local ok, reason = s:open()
    if not ok then
      s:verdict("FAILED", "the handshake failed: " .. tostring(reason))
      return
    end
    local t = 0
    while t < 3 and s:is_open() do
      s:pause(0.5)
      t = t + 0.5
    end
    if s:is_open() then
      s:verdict("OK", "the idle connection was still open after " .. t
        .. " s")
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close(1000)
    else
      s:verdict("INFORMATIONAL", string.format("the peer closed the idle "
        .. "connection after about %.1f s (code %s)", t,
        tostring(s.close_code)))
      s:expect_close { by_me = false, codes = {}, clean = false }
    end
  end,
}

case {
  id = "21.3",
  title = "Unsolicited Pongs as a heartbeat",
  description = "Send an unsolicited Pong \"heartbeat <i>\" every 0.1 s "
    .. "for 0.8 s, then the text message \"alive\".",
  expectation = "The peer sends nothing for the Pongs and echoes \"alive\"; "
    .. "clean close with 1000.",
  requirements = { "R6455-5.5.3-03", "R6455-5.5.3-01" },
  run = function(s)
    for i = 1, 8 do
      s:send_pong("heartbeat " .. i)
      s:pause(0.1)
    end
    s:send_text("alive")
    s:expect { ok = { { "text", "alive" } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
  end,
}

case {
  id = "21.4",
  title = "A Ping in the middle of a 4 MiB fragmented message",
  description = "Send a 4 MiB binary message in 64 frames of 64 KiB with a "
    .. "Ping \"in between\" after the first frame.",
  expectation = "The Pong comes before the echo of the message (the peer "
    .. "cannot echo it before the last frame); clean close with 1000.",
  requirements = { "R6455-5.4-04", "R6455-5.4-08", "R6455-5.5.2-03",
    "R6455-6.1-05", "R6455-5.4-09" },
  run = function(s)
    local chunk = string.rep("\xab", 65536)
    s:send_frame { opcode = 2, payload = chunk, fin = false }
    s:send_ping("in between")
    for i = 2, 64 do
      s:send_frame { opcode = 0, payload = chunk, fin = i == 64 }
    end
    s:expect { ok = { { "pong", "in between" },
                      { "binary", string.rep(chunk, 64) } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close_after(5)
  end,
}
