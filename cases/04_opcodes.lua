-- Category 4, opcodes: a frame whose opcode RFC 6455 reserves (3-7 for
-- data frames, 11-15 for control frames) must fail the connection.
-- Autobahn|Testsuite ids 4.1.1-4.2.5, same opcodes, payloads, TCP writes and
-- timers.  In 4.1.3-4.1.5 and 4.2.3-4.2.5 a valid text message goes first
-- and a Ping follows the bad frame: echoing the text, then failing without
-- answering the Ping is OK; failing without the echo is NON-STRICT (a peer
-- that validates a whole read buffer before it dispatches anything).
--
-- Frames that Autobahn writes back to back in one go are encoded here and
-- handed to TCP in one write (Autobahn's "one chop"); with chop = 1 every
-- byte is its own write.

-- Several frames in one TCP write are built with s:frames{...} (masked
-- by role, keys from the session's seeded generator: the same bytes
-- whatever the number of jobs).

local hello = "Hello, world!"
local reqs = { "R6455-5.2-04", "R6455-7.1.7-01", "R6455-7.1.7-03" }
local reqs_ping = { "R6455-5.2-04", "R6455-7.1.7-01", "R6455-7.1.7-03",
                    "R6455-7.1.7-07" }

local function fail_close(s)
  s:expect_close { by_me = false, codes = { 1002 }, clean = false }
  s:kill_after(1)
end

-- A reserved opcode alone.
local function alone(id, kind, opcode, payload)
  local what = payload and string.format("a %d-byte payload (%q)", #payload,
    payload) or "no payload"
  case {
    id = id,
    title = string.format("Reserved %s opcode %d, %s", kind, opcode,
      payload and "with payload" or "empty"),
    description = string.format("Send one frame with the reserved %s opcode "
      .. "%d and %s.", kind, opcode, what),
    expectation = "The peer fails the connection at once (close code 1002 "
      .. "or a TCP drop) and sends nothing else.",
    requirements = reqs,
    run = function(s)
      s:send_frame { opcode = opcode, payload = payload }
      s:expect { ok = {} }
      fail_close(s)
    end,
  }
end

-- A valid text message, the reserved opcode, then a Ping.
local function after_valid(id, kind, opcode, with_payload, chop)
  local how = chop and ", every byte written to TCP on its own" or
    ", all three frames in one TCP write"
  case {
    id = id,
    title = string.format("Valid text, reserved %s opcode %d%s, then a Ping%s",
      kind, opcode, with_payload and " with payload" or "",
      chop and ", one byte per TCP write" or ""),
    description = string.format("Send the text message %q, then a frame with "
      .. "the reserved %s opcode %d (%s), then an empty Ping%s.", hello, kind,
      opcode, with_payload and "payload " .. string.format("%q", hello)
      or "empty", how),
    expectation = "The peer echoes the text message, then fails the "
      .. "connection (1002 or a TCP drop) without answering the Ping. "
      .. "Failing without the echo is NON-STRICT.",
    requirements = reqs_ping,
    run = function(s)
      local bad = with_payload and hello or ""
      if chop then
        s:send_frame { opcode = 1, payload = hello, chop = 1 }
        s:send_frame { opcode = opcode, payload = bad, chop = 1 }
        s:send_frame { opcode = 9, chop = 1 }
      else
        s:send_raw(s:frames { { 1, hello }, { opcode, bad }, { 9, "" } })
      end
      s:expect { ok = { { "text", hello } }, non_strict = {} }
      fail_close(s)
    end,
  }
end

local opcode_payload = "reserved opcode payload"

alone("4.1.1", "data", 3, nil)
alone("4.1.2", "data", 4, opcode_payload)
after_valid("4.1.3", "data", 5, false, false)
after_valid("4.1.4", "data", 6, true, false)
after_valid("4.1.5", "data", 7, true, true)

alone("4.2.1", "control", 11, nil)
alone("4.2.2", "control", 12, opcode_payload)
after_valid("4.2.3", "control", 13, false, false)
after_valid("4.2.4", "control", 14, true, false)
after_valid("4.2.5", "control", 15, true, true)
