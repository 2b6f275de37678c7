-- Category 6, UTF-8: text messages must be valid UTF-8 (RFC 3629) as a
-- whole, while single frames may split a code point; a peer fails the
-- connection with 1007 on invalid UTF-8 and should do so as soon as the
-- offending byte arrives.  Autobahn|Testsuite ids 6.1.1-6.23.7, same
-- payloads (the 132 generated cases 6.5-6.23 are Markus Kuhn's UTF-8 test
-- sequences, in Autobahn's order), fragment boundaries, TCP writes and
-- timers.
--
-- A close started by the wrong side fails `behavior` in 6.3, 6.4 and every
-- invalid generated case (Autobahn's closedByWrongEndpointIsFatal): a peer
-- that ignores invalid UTF-8 is a failure, not only a close problem.

-- Several frames in one TCP write are built with s:frames{...} (masked
-- by role, keys from the session's seeded generator: the same bytes
-- whatever the number of jobs).

local kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5" -- Greek kosme
local mixed = "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!"

local function hex(p, max)
  local n = math.min(#p, max or #p)
  local t = {}
  for i = 1, n do t[i] = string.format("%02x", p:byte(i)) end
  return table.concat(t, " ") .. (n < #p and " ..." or "")
end

local valid_reqs = { "R6455-5.6-01", "R6455-6.2-01" }
local frag_reqs = { "R6455-5.6-01", "R6455-5.4-03", "R6455-5.4-10" }
local invalid_reqs = { "R6455-8.1-01", "R6455-5.6-01", "R6455-7.1.7-01",
                       "R6455-7.1.7-03" }

local function echo_close(s)
  s:expect_close { by_me = true, codes = { 1000 }, clean = true }
  s:close_after(1)
end

-- The peer must fail with 1007 (or drop TCP); wsprobe closing instead
-- fails behavior too.
local function fail_1007(s, kill)
  s:expect_close { by_me = false, codes = { 1007 }, clean = false }
  s:rules { wrong_endpoint_fails = true }
  s:kill_after(kill or 1)
end

-- 6.1: empty payloads.
case {
  id = "6.1.1",
  title = "Empty text message",
  description = "Send one text frame with an empty payload.",
  expectation = "The peer echoes an empty text message; clean close with "
    .. "1000.",
  requirements = { "R6455-5.4-02", "R6455-6.2-01" },
  run = function(s)
    s:send_frame { opcode = 1, payload = "" }
    s:expect { ok = { { "text", "" } } }
    echo_close(s)
  end,
}

local function three_fragments(id, title, middle)
  case {
    id = id,
    title = title,
    description = string.format("Send a text message as three frames in "
      .. "one TCP write: an empty text frame with FIN = 0, a continuation "
      .. "with FIN = 0 carrying %s, and an empty continuation with FIN = 1.",
      middle == "" and "nothing" or string.format("%q", middle)),
    expectation = string.format("The peer echoes one text message %s; "
      .. "clean close with 1000.", middle == "" and "with an empty payload"
      or string.format("%q", middle)),
    requirements = { "R6455-5.4-03", "R6455-5.4-10", "R6455-6.2-01" },
    run = function(s)
      s:send_raw(s:frames { { 1, "", fin = false },
        { 0, middle, fin = false }, { 0, "" } })
      s:expect { ok = { { "text", middle } } }
      echo_close(s)
    end,
  }
end

three_fragments("6.1.2", "Text message of three empty fragments", "")
three_fragments("6.1.3", "Text message of three fragments, only the middle "
  .. "one non-empty", "middle frame payload")

-- 6.2: valid UTF-8, whole and split.
case {
  id = "6.2.1",
  title = "Valid UTF-8 text with multi-byte code points, one frame",
  description = "Send the text message \"" .. mixed .. "\" (" .. hex(mixed)
    .. ") in one frame.",
  expectation = "The peer echoes the message; clean close with 1000.",
  requirements = valid_reqs,
  run = function(s)
    s:send_text(mixed)
    s:expect { ok = { { "text", mixed } } }
    echo_close(s)
  end,
}

case {
  id = "6.2.2",
  title = "Valid UTF-8 text in two fragments split between code points",
  description = "Send \"" .. mixed .. "\" as a text frame with FIN = 0 "
    .. "holding its first 15 bytes (" .. hex(mixed:sub(1, 15)) .. ") and a "
    .. "continuation with the rest, in one TCP write.",
  expectation = "The peer echoes the whole message; clean close with 1000.",
  requirements = frag_reqs,
  run = function(s)
    s:send_raw(s:frames { { 1, mixed:sub(1, 15), fin = false },
      { 0, mixed:sub(16) } })
    s:expect { ok = { { "text", mixed } } }
    echo_close(s)
  end,
}

local function bytewise(id, what, payload)
  case {
    id = id,
    title = "Valid UTF-8 text " .. what .. " in one-byte fragments",
    description = string.format("Send the text message %s (%s) as %d frames "
      .. "of one payload byte each, so most frames end inside a code point; "
      .. "all frames in one TCP write.", what, hex(payload), #payload),
    expectation = "The peer echoes the whole message; clean close with 1000.",
    requirements = frag_reqs,
    run = function(s)
      s:send_text(payload, { fragment = 1 })
      s:expect { ok = { { "text", payload } } }
      echo_close(s)
    end,
  }
end

bytewise("6.2.3", "\"" .. mixed .. "\"", mixed)
bytewise("6.2.4", "\"" .. kosme .. "\" (Greek)", kosme)

-- 6.3: invalid UTF-8, whole and split.  The surrogate U+D800 (ed a0 80)
-- makes byte 13 the first invalid one.
local bad = kosme .. "\xed\xa0\x80" .. "edited"

case {
  id = "6.3.1",
  title = "Invalid UTF-8 (an encoded surrogate) in one frame",
  description = "Send the text message " .. hex(bad) .. " in one frame: "
    .. "valid Greek text, the encoded surrogate U+D800, then \"edited\".",
  expectation = "The peer fails the connection with 1007 (or a TCP drop) "
    .. "and echoes nothing.",
  requirements = invalid_reqs,
  run = function(s)
    s:send_text(bad)
    s:expect { ok = {} }
    fail_1007(s)
  end,
}

case {
  id = "6.3.2",
  title = "Invalid UTF-8 (an encoded surrogate) in one-byte fragments",
  description = "Send the text message " .. hex(bad) .. " as one frame per "
    .. "byte, all in one TCP write.",
  expectation = "The peer fails the connection with 1007 (or a TCP drop) "
    .. "and echoes nothing.",
  requirements = invalid_reqs,
  run = function(s)
    s:send_text(bad, { fragment = 1 })
    s:expect { ok = {} }
    fail_1007(s)
  end,
}

-- 6.4: fail fast.  The message arrives in three parts one second apart; the
-- second part makes it invalid (f4 90 80 80 would be U+110000).  A peer
-- that fails right after the second part passes mark "A" only (OK); one
-- that waits for the end of the message passes "B" as well (NON-STRICT).
local ff = kosme .. "\xf4\x90\x80\x80" .. "edited"
local ff_parts = {
  { kosme, "\xf4\x90\x80\x80", "edited" },            -- 6.4.1, 6.4.3
  { ff:sub(1, 12), ff:sub(13, 13), ff:sub(14) },      -- 6.4.2, 6.4.4
}

local ff_expect = { ok = { { "timeout", "A" } },
                    non_strict = { { "timeout", "A" }, { "timeout", "B" } } }

local function ff_text(parts)
  return string.format("%s, then %s, then %s", hex(parts[1]), hex(parts[2]),
    hex(parts[3]))
end

for i = 1, 2 do
  local id = "6.4." .. i
  local parts = ff_parts[i]
  case {
    id = id,
    title = "Fail fast on invalid UTF-8: three fragments, 1 s apart"
      .. (i == 2 and ", the bad byte alone" or ""),
    description = "Send a text message in three frames with a 1 s wait "
      .. "after the first and the second: " .. ff_text(parts) .. ". The "
      .. "first part is valid; the second makes the message invalid"
      .. (i == 2 and " (it is the single byte 90 after f4)" or
          " (f4 90 80 80 encodes 0x110000, beyond U+10FFFF)") .. ".",
    expectation = "The peer fails the connection with 1007 right after the "
      .. "second frame, before the second wait ends (OK); failing only "
      .. "after the whole message is NON-STRICT.",
    requirements = invalid_reqs,
    run = function(s)
      s:send_frame { opcode = 1, payload = parts[1], fin = false }
      s:expect(ff_expect)
      fail_1007(s)
      s:pause(1, "A")
      if not s:is_open() then return end
      s:send_frame { opcode = 0, payload = parts[2], fin = false }
      s:pause(1, "B")
      if not s:is_open() then return end
      s:send_frame { opcode = 0, payload = parts[3] }
    end,
  }
end

-- 6.4.3, 6.4.4: the same three parts as pieces of ONE frame whose header
-- announces the whole length; the message ends with an empty final
-- continuation frame, as Autobahn's streaming API sends it.
for i = 1, 2 do
  local id = "6.4." .. (2 + i)
  local parts = ff_parts[i]
  case {
    id = id,
    title = "Fail fast on invalid UTF-8: one frame written in three pieces, "
      .. "1 s apart" .. (i == 2 and ", the bad byte alone" or ""),
    description = "Send a text frame with FIN = 0 whose header announces "
      .. #ff .. " bytes, and write its payload to TCP in three pieces with a "
      .. "1 s wait after the first and the second: " .. ff_text(parts)
      .. ", the last piece followed by an empty continuation frame with "
      .. "FIN = 1 in the same write.",
    expectation = "The peer fails the connection with 1007 right after the "
      .. "second piece, before the second wait ends (OK); failing only "
      .. "after the whole frame is NON-STRICT.",
    requirements = invalid_reqs,
    run = function(s)
      local head, masked = s:frame_parts(1, false, ff)
      local a, b = #parts[1], #parts[1] + #parts[2]
      s:send_raw(head .. masked:sub(1, a))
      s:expect(ff_expect)
      fail_1007(s)
      s:pause(1, "A")
      if not s:is_open() then return end
      s:send_raw(masked:sub(a + 1, b))
      s:pause(1, "B")
      if not s:is_open() then return end
      s:send_raw(masked:sub(b + 1) .. s:frames { { 0, "" } })
    end,
  }
end

-- 6.5-6.23: Markus Kuhn's UTF-8 decoder test sequences, one text frame
-- each, in Autobahn's order.  Each group: a name and a list of
-- { valid, payload }.
local groups = {}
local function group(name, list) groups[#groups + 1] = { name, list } end
local function all(valid, list)
  local t = {}
  for i, p in ipairs(list) do t[i] = { valid, p } end
  return t
end

group("Valid UTF-8: ASCII, 2-, 3- and 4-byte code points", all(true, {
  "hello\x24world", "hello\xc2\xa2world", "hello\xe2\x82\xacworld",
  "hello\xf0\xa4\xad\xa2world", kosme }))

do -- every prefix of kosme: valid when it ends on a code point boundary
  local t = {}
  local ends = { [2] = true, [5] = true, [7] = true, [9] = true, [11] = true }
  for n = 1, #kosme do t[n] = { ends[n] == true, kosme:sub(1, n) } end
  group("Every prefix of a valid multi-byte string", t)
end

group("First code point of each encoded length", all(true, {
  "\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80" }))
group("First 5- and 6-byte sequences (beyond U+10FFFF)", all(false, {
  "\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80" }))
group("Last code point of each encoded length", all(true, {
  "\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf" }))
group("Last 4-, 5- and 6-byte sequences (beyond U+10FFFF)", all(false, {
  "\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf" }))
group("Boundaries around the surrogates and U+10FFFF", {
  { true, "\xed\x9f\xbf" }, { true, "\xee\x80\x80" },
  { true, "\xef\xbf\xbd" }, { true, "\xf4\x8f\xbf\xbf" },
  { false, "\xf4\x90\x80\x80" } })

do -- continuation bytes with no start byte
  local cont = {}
  for b = 0x80, 0xbe do cont[#cont + 1] = string.char(b) end
  group("Continuation bytes without a start byte", all(false, {
    "\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf",
    "\x80\xbf\x80\xbf\x80", "\x80\xbf\x80\xbf\x80\xbf",
    table.concat(cont) }))
end

do -- start bytes each followed by a space instead of a continuation
  local t = {}
  for _, r in ipairs { { 0xc0, 0xde }, { 0xe0, 0xee }, { 0xf0, 0xf6 },
                       { 0xf8, 0xfa }, { 0xfc, 0xfc } } do
    local p = {}
    for b = r[1], r[2] do p[#p + 1] = string.char(b) .. " " end
    t[#t + 1] = table.concat(p)
  end
  group("Start bytes followed by a space", all(false, t))
end

local truncated = { "\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80",
  "\xfc\x80\x80\x80\x80", "\xdf", "\xef\xbf", "\xf7\xbf\xbf",
  "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf" }
group("Sequences missing their last continuation byte", all(false, truncated))
group("All the truncated sequences above, concatenated",
  all(false, { table.concat(truncated) }))
group("Bytes that never appear in UTF-8 (fe, ff)", all(false, {
  "\xfe", "\xff", "\xfe\xfe\xff\xff" }))
group("Overlong encodings of \"/\"", all(false, {
  "\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf",
  "\xfc\x80\x80\x80\x80\xaf" }))
group("Largest overlong encodings of each length", all(false, {
  "\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf",
  "\xfc\x83\xbf\xbf\xbf\xbf" }))
group("Overlong encodings of U+0000", all(false, {
  "\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80",
  "\xfc\x80\x80\x80\x80\x80" }))

local high = { "\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf" }
local low = { "\xed\xb0\x80", "\xed\xbf\xbf" }
group("Single encoded UTF-16 surrogates", all(false, {
  high[1], high[2], high[3], high[4], "\xed\xb0\x80", "\xed\xbe\x80",
  "\xed\xbf\xbf" }))
do
  local t = {}
  for _, h in ipairs(high) do
    for _, l in ipairs(low) do t[#t + 1] = h .. l end
  end
  group("Encoded UTF-16 surrogate pairs", all(false, t))
end

do -- noncharacters are valid UTF-8 (RFC 3629)
  local t = { "\xef\xbf\xbe", "\xef\xbf\xbf" }
  for b1 = 0xf0, 0xf4 do
    for _, b2 in ipairs { 0x8f, 0x9f, 0xaf, 0xbf } do
      if b1 ~= 0xf4 or b2 == 0x8f then -- beyond U+10FFFF otherwise
        for _, b4 in ipairs { 0xbe, 0xbf } do
          if b1 ~= 0xf0 or b2 ~= 0x8f then -- overlong otherwise
            t[#t + 1] = string.char(b1, b2, 0xbf, b4)
          end
        end
      end
    end
  end
  group("Noncharacters (valid UTF-8)", all(true, t))
end

do
  local t = {}
  for b = 0xb9, 0xbf do t[#t + 1] = "\xef\xbf" .. string.char(b) end
  group("Specials block U+FFF9-U+FFFF (valid UTF-8)", all(true, t))
end

for gi, g in ipairs(groups) do
  for ci, c in ipairs(g[2]) do
    local valid, payload = c[1], c[2]
    local id = string.format("6.%d.%d", 4 + gi, ci)
    case {
      id = id,
      title = string.format("%s: %s, %s", g[1],
        valid and "valid" or "invalid", hex(payload, 16)),
      description = string.format("Send one text frame whose %d-byte payload "
        .. "is %s, which is %s UTF-8.", #payload, hex(payload),
        valid and "valid" or "not valid"),
      expectation = valid and "The peer echoes the message; clean close "
        .. "with 1000." or "The peer fails the connection with 1007 (or a "
        .. "TCP drop) and echoes nothing.",
      requirements = valid and valid_reqs or invalid_reqs,
      run = function(s)
        s:send_text(payload)
        if valid then
          s:expect { ok = { { "text", payload } } }
          s:expect_close { by_me = true, codes = { 1000 }, clean = true }
          s:kill_after(0.5)
        else
          s:expect { ok = {} }
          fail_1007(s, 0.5)
        end
      end,
    }
  end
end
