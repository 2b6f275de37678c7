-- Category 5, fragmentation: messages split into frames, control frames
-- between fragments, and the fragment sequences RFC 6455 section 5.4
-- forbids (fragmented control frames, continuation frames with no message
-- to continue, a new data frame inside an unfinished message).
-- Autobahn|Testsuite ids 5.1-5.20, same payloads, fragment boundaries, TCP
-- writes and timers.
--
-- "One TCP write": frames Autobahn writes back to back are encoded here and
-- handed to TCP together; "frame-wise": each frame is its own write;
-- "one byte per write": every byte is its own write.

-- Several frames in one TCP write are built with s:frames{...} (masked
-- by role, keys from the session's seeded generator: the same bytes
-- whatever the number of jobs).

local fail_reqs = { "R6455-7.1.7-01", "R6455-7.1.7-03" }

local function reqs(...)
  local r = { ... }
  for _, x in ipairs(fail_reqs) do r[#r + 1] = x end
  return r
end

local function fail_close(s)
  s:expect_close { by_me = false, codes = { 1002 }, clean = false }
  s:kill_after(1)
end

local function echo_close(s, after)
  s:expect_close { by_me = true, codes = { 1000 }, clean = true }
  s:close_after(after or 1)
end

-- Sends frames (lists { opcode, payload [, fin = false] }) as a write mode
-- says: "one" (one TCP write), "frame" (a write per frame) or "octet" (a
-- write per byte).
local function send(s, id, mode, frames)
  if mode == "one" then
    s:send_raw(s:frames(frames))
    return
  end
  for _, t in ipairs(frames) do
    s:send_frame { opcode = t[1], payload = t[2], fin = t.fin ~= false,
                   sync = mode == "frame" or nil,
                   chop = mode == "octet" and 1 or nil }
  end
end

local mode_text = {
  one = "all frames in one TCP write",
  frame = "each frame in its own TCP write",
  octet = "every byte in its own TCP write",
}

-- 5.1, 5.2: a control frame with FIN = 0 and a continuation after it.
for i, c in ipairs { { 9, "Ping" }, { 10, "Pong" } } do
  case {
    id = "5." .. i,
    title = string.format("%s split into two fragments", c[2]),
    description = string.format("Send a %s frame with FIN = 0 and payload "
      .. "\"fragment1\", then a continuation frame with FIN = 1 and payload "
      .. "\"fragment2\", %s.", c[2], mode_text.one),
    expectation = "Control frames must not be fragmented: the peer fails "
      .. "the connection (1002 or a TCP drop) and sends nothing.",
    requirements = reqs("R6455-5.4-05", "R6455-5.5-02"),
    run = function(s)
      send(s, "5." .. i, "one", {
        { c[1], "fragment1", fin = false }, { 0, "fragment2" } })
      s:expect { ok = {} }
      fail_close(s)
    end,
  }
end

-- 5.3-5.5: a text message in two fragments.
for i, mode in ipairs { "one", "frame", "octet" } do
  local id = "5." .. (2 + i)
  case {
    id = id,
    title = "Text message in two fragments, " .. mode_text[mode],
    description = "Send a text message as a frame with FIN = 0 "
      .. "(\"fragment1\") and a continuation frame with FIN = 1 "
      .. "(\"fragment2\"), " .. mode_text[mode] .. ".",
    expectation = "The peer echoes \"fragment1fragment2\"; clean close "
      .. "with 1000.",
    requirements = { "R6455-5.4-03", "R6455-5.4-10", "R6455-6.2-01" },
    run = function(s)
      send(s, id, mode, {
        { 1, "fragment1", fin = false }, { 0, "fragment2" } })
      s:expect { ok = { { "text", "fragment1fragment2" } } }
      echo_close(s)
    end,
  }
end

-- 5.6-5.8: a Ping between the two fragments.
for i, mode in ipairs { "one", "frame", "octet" } do
  local id = "5." .. (5 + i)
  case {
    id = id,
    title = "Text message in two fragments with a Ping between them, "
      .. mode_text[mode],
    description = "Send a text frame with FIN = 0 (\"fragment1\"), a Ping "
      .. "(\"ping payload\"), then a continuation frame with FIN = 1 "
      .. "(\"fragment2\"), " .. mode_text[mode] .. ".",
    expectation = "The peer answers the Ping with a Pong first, then "
      .. "echoes \"fragment1fragment2\"; clean close with 1000.",
    requirements = { "R6455-5.4-04", "R6455-5.4-08", "R6455-5.4-03",
                     "R6455-5.5.2-02", "R6455-5.5.3-01" },
    run = function(s)
      send(s, id, mode, { { 1, "fragment1", fin = false },
        { 9, "ping payload" }, { 0, "fragment2" } })
      s:expect { ok = { { "pong", "ping payload" },
                        { "text", "fragment1fragment2" } } }
      echo_close(s)
    end,
  }
end

-- 5.9-5.14: a continuation frame with nothing to continue, then a text
-- message.
for i, c in ipairs {
  { true, "one" }, { true, "frame" }, { true, "octet" },
  { false, "one" }, { false, "frame" }, { false, "octet" } } do
  local id = "5." .. (8 + i)
  local fin = c[1]
  case {
    id = id,
    title = string.format("Continuation frame (FIN = %d) with no message to "
      .. "continue, then a text message, %s", fin and 1 or 0, mode_text[c[2]]),
    description = string.format("Send a continuation frame with FIN = %d "
      .. "(\"non-continuation payload\") while no fragmented message is "
      .. "open, then the text message %q, %s.", fin and 1 or 0,
      "Hello, world!", mode_text[c[2]]),
    expectation = "There is no message to continue: the peer fails the "
      .. "connection (1002 or a TCP drop) and does not echo the text.",
    requirements = reqs("R6455-5.4-03"),
    run = function(s)
      send(s, id, c[2], { { 0, "non-continuation payload", fin = fin },
                          { 1, "Hello, world!" } })
      s:expect { ok = {} }
      fail_close(s)
    end,
  }
end

case {
  id = "5.15",
  title = "Valid two-fragment text, then a stray continuation (FIN = 0) "
    .. "and a text frame",
  description = "Send a text message in two fragments (\"fragment1\", "
    .. "\"fragment2\"), then a continuation frame with FIN = 0 "
    .. "(\"fragment3\") although no message is open, then a text frame "
    .. "(\"fragment4\"), " .. mode_text.one .. ".",
  expectation = "The peer echoes \"fragment1fragment2\", then fails the "
    .. "connection (1002 or a TCP drop). Failing without the echo is "
    .. "NON-STRICT.",
  requirements = reqs("R6455-5.4-03", "R6455-6.2-04"),
  run = function(s)
    send(s, "5.15", "one", {
      { 1, "fragment1", fin = false }, { 0, "fragment2" },
      { 0, "fragment3", fin = false }, { 1, "fragment4" } })
    s:expect { ok = { { "text", "fragment1fragment2" } }, non_strict = {} }
    fail_close(s)
  end,
}

-- 5.16, 5.17: twice a stray continuation, then a two-fragment message.
for i, fin in ipairs { false, true } do
  local id = "5." .. (15 + i)
  case {
    id = id,
    title = string.format("Twice: stray continuation (FIN = %d), then a "
      .. "two-fragment text message", fin and 1 or 0),
    description = string.format("Send, twice over and %s: a continuation "
      .. "frame with FIN = %d (\"fragment1\") while no message is open, a "
      .. "text frame with FIN = 0 (\"fragment2\"), a continuation frame "
      .. "with FIN = 1 (\"fragment3\").", mode_text.one, fin and 1 or 0),
    expectation = "The first frame continues nothing: the peer fails the "
      .. "connection (1002 or a TCP drop) and echoes nothing.",
    requirements = reqs("R6455-5.4-03"),
    run = function(s)
      local one = { { 0, "fragment1", fin = fin },
                    { 1, "fragment2", fin = false }, { 0, "fragment3" } }
      local all = {}
      for _ = 1, 2 do
        for _, t in ipairs(one) do all[#all + 1] = t end
      end
      send(s, id, "one", all)
      s:expect { ok = {} }
      fail_close(s)
    end,
  }
end

case {
  id = "5.18",
  title = "Text fragment (FIN = 0) followed by another text frame instead "
    .. "of a continuation",
  description = "Send a text frame with FIN = 0 (\"fragment1\"), then a "
    .. "text frame (opcode 1, not 0) with FIN = 1 (\"fragment2\"), "
    .. mode_text.one .. ".",
  expectation = "Every frame after the first fragment must be a "
    .. "continuation: the peer fails the connection (1002 or a TCP drop) "
    .. "and echoes nothing.",
  requirements = reqs("R6455-5.4-03", "R6455-5.4-07"),
  run = function(s)
    send(s, "5.18", "one", { { 1, "fragment1", fin = false },
                             { 1, "fragment2" } })
    s:expect { ok = {} }
    fail_close(s)
  end,
}

-- 5.19, 5.20: five fragments, two Pings, a one-second gap in the middle.
for i, mode in ipairs { "one", "frame" } do
  local id = "5." .. (18 + i)
  case {
    id = id,
    title = "Five text fragments with two Pings and a 1 s pause, "
      .. (mode == "one" and "each group in one TCP write"
          or "each frame in its own TCP write"),
    description = "Send text fragments \"fragment1\" (FIN = 0) and "
      .. "\"fragment2\", then the Ping \"pongme 1!\"; wait 1 s; send "
      .. "\"fragment3\", \"fragment4\", the Ping \"pongme 2!\" and the final "
      .. "fragment \"fragment5\" (FIN = 1). "
      .. (mode == "one" and "Each of the two groups is one TCP write."
          or "Each frame is its own TCP write.")
      .. " Everything is legal.",
    expectation = "The peer answers the first Ping while the message is "
      .. "still open, then the second, then echoes "
      .. "\"fragment1fragment2fragment3fragment4fragment5\"; clean close "
      .. "with 1000.",
    requirements = { "R6455-5.4-04", "R6455-5.4-08", "R6455-5.4-03",
                     "R6455-5.5.2-02", "R6455-5.5.3-01" },
    run = function(s)
      send(s, id, mode, { { 1, "fragment1", fin = false },
        { 0, "fragment2", fin = false }, { 9, "pongme 1!" } })
      s:pause(1)
      send(s, id, mode, { { 0, "fragment3", fin = false },
        { 0, "fragment4", fin = false }, { 9, "pongme 2!" },
        { 0, "fragment5" } })
      s:expect { ok = { { "pong", "pongme 1!" }, { "pong", "pongme 2!" },
        { "text", "fragment1fragment2fragment3fragment4fragment5" } } }
      echo_close(s)
    end,
  }
end
