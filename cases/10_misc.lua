-- Category 10, miscellaneous: Autobahn|Testsuite's one case, 10.1.1, a
-- 64 KiB text message that the sender fragments on its own (Autobahn's
-- autoFragmentSize = 1300), so the peer sees one text frame and 50
-- continuation frames of 1300 bytes, the last one of 536.  Same id,
-- payload, fragment size, kill timer and verdict rules as Autobahn.
--
-- Autobahn also checks afterwards that it sent 50 continuation frames and
-- 1 text frame: that is a check of its own sender, which here is
-- s:send_text's documented fragmentation (ceil(65536 / 1300) = 51 frames),
-- so there is nothing of the peer's to judge in it.

local LEN, FRAG = 65536, 1300

case {
  id = "10.1.1",
  title = "Text message of 64 KiB auto-fragmented into 1300-byte frames",
  description = string.format("Send a text message of %d bytes ('*' "
    .. "repeated) as a text frame and continuation frames of %d payload "
    .. "bytes each: %d frames in all, the last continuation carrying %d "
    .. "bytes, all in one TCP write.", LEN, FRAG, (LEN + FRAG - 1) // FRAG,
    LEN % FRAG),
  expectation = "The peer echoes the message with exactly the payload "
    .. "sent (as one or more frames: its own fragmentation is its "
    .. "business), and the connection closes cleanly with code 1000.",
  requirements = { "R6455-5.4-10", "R6455-5.4-03", "R6455-5.4-09",
                   "R6455-5.4-01", "R6455-6.1-05", "R6455-6.2-01" },
  run = function(s)
    local payload = string.rep("*", LEN)
    s:send_text(payload, { fragment = FRAG })
    s:expect { ok = { { "text", payload } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:kill_after(10)
  end,
}
