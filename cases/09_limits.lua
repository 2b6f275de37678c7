-- Category 9, limits and performance: large messages (64 KiB to 16 MiB) in
-- one frame, 4 MiB messages in fragments of 64 bytes to 4 MiB, 1 MiB
-- messages written to TCP in small pieces, and 1000 sequential round trips
-- of small messages.  Autobahn|Testsuite ids 9.1.1-9.8.6, same sizes,
-- payload patterns, fragment sizes, TCP chop sizes and per-case timeouts.
--
-- Autobahn checks only the type and the length of each echo ("FIXME: check
-- actual content"); wsprobe compares every byte and names the first
-- mismatch (docs/cases.md).  The cases judge themselves with s:verdict and
-- start the closing handshake (1000) once the echo is in, as Autobahn does,
-- so a correct peer never waits for a timer.  Payloads are built inside
-- each run function, never when the file loads: every job thread loads
-- the library, and 54 payloads of up to 16 MiB each would be built for
-- nothing.

local KIB, MIB = 1024, 1024 * 1024

-- pat repeated and cut to exactly n bytes (Autobahn's sendFrame with a
-- payload_len longer than its payload).
local function fill(pat, n)
  if #pat == 1 then return string.rep(pat, n) end
  return string.rep(pat, n // #pat + 1):sub(1, n)
end

-- "64 KiB", "4 MiB", "1000 bytes".
local function size_text(n)
  if n >= MIB and n % MIB == 0 then return (n // MIB) .. " MiB" end
  if n >= KIB and n % KIB == 0 then return (n // KIB) .. " KiB" end
  return n .. " bytes"
end

-- Escapes a payload pattern for descriptions: printable ASCII as is,
-- everything else as \xNN.
local function show(pat)
  return (pat:gsub("[^\32-\126]", function(c)
    return string.format("\\x%02x", c:byte())
  end))
end

-- The first offset (1-based) where a and b differ, a and b of equal
-- length and not equal.  Blocks first, so a 16 MiB compare stays cheap.
local function first_diff(a, b)
  local n, i = #a, 1
  while i <= n do
    local j = math.min(i + 65535, n)
    if a:sub(i, j) ~= b:sub(i, j) then
      for k = i, j do
        if a:byte(k) ~= b:byte(k) then return k end
      end
    end
    i = j + 1
  end
  return nil
end

-- Judges one received event ev (or nil: nothing within the time left)
-- against the message sent.  Returns nil when it is the exact echo, else
-- the reason it is not.  what: "message 17 of 1000" or "the echo".
local function check_echo(s, ev, kind, payload, what, wait)
  if ev == nil then
    if s:is_open() then
      return string.format("%s did not arrive within the case timeout "
        .. "of %d s", what, wait)
    end
    local code = s.peer_close_code
    return string.format("the connection closed before %s arrived%s", what,
      code and string.format(" (the peer sent Close %d)", code) or "")
  end
  if ev.type ~= kind then
    return string.format("%s: expected a %s message of %d bytes, got a "
      .. "%s of %d bytes", what, kind, #payload, ev.type, #ev.data)
  end
  if #ev.data ~= #payload then
    return string.format("%s: expected %d bytes, got %d", what, #payload,
      #ev.data)
  end
  if ev.data ~= payload then
    local k = first_diff(ev.data, payload)
    return string.format("%s: %d bytes as expected, but the byte at "
      .. "offset %d differs (expected 0x%02x, got 0x%02x)", what, #payload,
      k - 1, payload:byte(k), ev.data:byte(k))
  end
  return nil
end

local function send(s, kind, payload, opts)
  if kind == "text" then
    s:send_text(payload, opts)
  else
    s:send_binary(payload, opts)
  end
end

local reqs_single = { "R6455-5.4-10", "R6455-6.2-01", "R6455-5.2-06",
                      "R6455-5.3-05", "R6455-10.4-02" }
local reqs_frag = { "R6455-5.4-10", "R6455-5.4-03", "R6455-5.4-09",
                    "R6455-6.1-05", "R6455-6.2-01", "R6455-10.4-02" }
local reqs_chop = { "R6455-5.4-01", "R6455-5.4-10", "R6455-6.2-01",
                    "R6455-10.4-02" }
local reqs_rtt = { "R6455-5.4-10", "R6455-6.2-01", "R6455-5.2-06" }

-- One message sent, its echo compared byte for byte, then a normal close.
-- p: { id, kind, pat, len, wait, fragment = n, chop = n, title, how }.
local function echo_case(p)
  case {
    id = p.id,
    title = p.title:gsub("^%l", string.upper),
    description = string.format("Send a %s message of %s (%d bytes: "
      .. "\"%s\" repeated%s)%s.", p.kind, size_text(p.len), p.len,
      show(p.pat), #p.pat > 1 and ", the last copy cut short" or "",
      p.how),
    expectation = string.format("The peer echoes a %s message with "
      .. "exactly the payload sent within %d s; wsprobe then closes with "
      .. "1000 and the closing handshake is clean.", p.kind, p.wait),
    requirements = p.reqs,
    run = function(s)
      local payload = fill(p.pat, p.len)
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:open()
      -- As Autobahn: no wire log for the bulk transfer (the handshake is
      -- kept), and the timer starts at onOpen, so sending counts.
      s:stop_wirelog()
      local t0 = s.elapsed
      send(s, p.kind, payload, { fragment = p.fragment, chop = p.chop })
      local left = p.wait - (s.elapsed - t0)
      local ev = left > 0 and s:receive(left) or nil
      local why = check_echo(s, ev, p.kind, payload, "the echo", p.wait)
      if why then
        s:verdict("FAILED", why)
      else
        s:verdict("OK", string.format("received the %s message of %d "
          .. "bytes as sent", p.kind, p.len))
      end
      s:close(1000)
    end,
  }
end

local big = { 64 * KIB, 256 * KIB, 1 * MIB, 4 * MIB, 8 * MIB, 16 * MIB }

-- 9.1, 9.2: one message in one frame.
local single = {
  { sub = 1, kind = "text", pat = "BAsd7&jh23",
    waits = { 10, 10, 100, 100, 100, 100 } },
  { sub = 2, kind = "binary", pat = "\x00\xfe\x23\xfa\xf0",
    waits = { 10, 10, 10, 10, 100, 100 } },
}
for _, c in ipairs(single) do
  for i, len in ipairs(big) do
    echo_case {
      id = string.format("9.%d.%d", c.sub, i), kind = c.kind,
      pat = c.pat, len = len, wait = c.waits[i], reqs = reqs_single,
      title = string.format("%s message of %s in one frame", c.kind,
        size_text(len)),
      how = " in one frame",
    }
  end
end

-- 9.3, 9.4: a 4 MiB message in fragments.  Autobahn's 9.4.1 sends 0xfe
-- bytes and 9.4.2-9.4.9 send '*', as here.
local frags = { 64, 256, 1 * KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB,
                1 * MIB, 4 * MIB }
for k, kind in ipairs { "text", "binary" } do
  local sub = k + 2
  for i, frag in ipairs(frags) do
    local pat = (kind == "binary" and i == 1) and "\xfe" or "*"
    echo_case {
      id = string.format("9.%d.%d", sub, i), kind = kind, pat = pat,
      len = 4 * MIB, wait = 100, fragment = frag, reqs = reqs_frag,
      title = string.format("%s message of 4 MiB in fragments of %s",
        kind, size_text(frag)),
      how = frag == 4 * MIB and " as a single frame (FIN = 1, the "
          .. "fragment size being the message size)"
        or string.format(" in frames of %s payload each (%d frames)",
          size_text(frag), 4 * MIB // frag),
    }
  end
end

-- 9.5, 9.6: a 1 MiB message in one frame, written to TCP in pieces.
local chops = { 64, 128, 256, 512, 1024, 2048 }
for k, c in ipairs { { "text", "BAsd7&jh23" },
                       { "binary", "\x00\xfe\x23\xfa\xf0" } } do
  local sub = k + 4
  for i, chop in ipairs(chops) do
    echo_case {
      id = string.format("9.%d.%d", sub, i), kind = c[1], pat = c[2],
      len = 1 * MIB, wait = 1000, chop = chop, reqs = reqs_chop,
      title = string.format("%s message of 1 MiB written to TCP in "
        .. "%d-byte pieces", c[1], chop),
      how = string.format(" in one frame, written to TCP %d bytes per "
        .. "write", chop),
    }
  end
end

-- 9.7, 9.8: 1000 sequential round trips (the next message goes out when
-- the previous echo is in), all within the case timeout.
local rtts = { { 0, 60 }, { 16, 60 }, { 64, 60 }, { 256, 120 },
               { 1024, 240 }, { 4096, 480 } }
for k, c in ipairs { { "text", "*" }, { "binary", "\xfe" } } do
  local sub = k + 6
  for i, t in ipairs(rtts) do
    local kind, len, wait, count = c[1], t[1], t[2], 1000
    case {
      id = string.format("9.%d.%d", sub, i),
      title = string.format("%d round trips of %s messages of %d bytes",
        count, kind, len),
      description = string.format("Send %d %s messages of %s, one at "
        .. "a time: each goes out when the echo of the previous one has "
        .. "arrived (round-trip latency).", count, kind,
        len == 0 and "0 bytes (empty)"
          or string.format("%d bytes (\"%s\" repeated)", len, show(c[2]))),
      expectation = string.format("The peer echoes every message with "
        .. "exactly the payload sent, all %d within %d s; wsprobe then "
        .. "closes with 1000 and the closing handshake is clean.", count,
        wait),
      requirements = reqs_rtt,
      run = function(s)
        local payload = fill(c[2], len)
        s:expect_close { by_me = true, codes = { 1000 }, clean = true }
        s:open()
        s:stop_wirelog()
        local t0 = s.elapsed
        for n = 1, count do
          send(s, kind, payload)
          local left = wait - (s.elapsed - t0)
          local ev = left > 0 and s:receive(left) or nil
          local why = check_echo(s, ev, kind, payload,
            string.format("message %d of %d", n, count), wait)
          if why then
            if ev == nil and s:is_open() then
              why = string.format("the case did not finish within %d s: "
                .. "%d of %d echoes received", wait, n - 1, count)
            end
            s:verdict("FAILED", why)
            s:close(1000)
            return
          end
        end
        s:verdict("OK", string.format("all %d messages echoed as sent",
          count))
        s:close(1000)
      end,
    }
  end
end
