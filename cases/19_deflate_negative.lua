-- Category 19, permessage-deflate negatives (RFC 7692): RSV1 on a control
-- or a continuation frame, RSV1 without the extension, a corrupt DEFLATE
-- stream, a decompression bomb, window bits 8, and the LZ77 window kept
-- between messages (a back-reference into the previous message).  The
-- compressed payloads are written bit by bit here (RFC 1951), so the bytes
-- are exactly the ones described.  A peer that does not negotiate
-- permessage-deflate is UNIMPLEMENTED.  Not in Autobahn|Testsuite.

-- A DEFLATE bit writer: bits() LSB first, code() a Huffman code MSB first,
-- zeros() many zero bits at once, done() the bytes (last byte padded).
local function bitwriter()
  local w = { out = {}, acc = 0, n = 0 }
  function w.bits(v, count)
    for i = 0, count - 1 do
      w.acc = w.acc | (((v >> i) & 1) << w.n)
      w.n = w.n + 1
      if w.n == 8 then
        w.out[#w.out + 1] = string.char(w.acc)
        w.acc, w.n = 0, 0
      end
    end
  end
  function w.code(c, len)
    for i = len - 1, 0, -1 do w.bits((c >> i) & 1, 1) end
  end
  function w.zeros(count)
    while count > 0 and w.n ~= 0 do w.bits(0, 1); count = count - 1 end
    if count >= 8 then w.out[#w.out + 1] = string.rep("\0", count // 8) end
    for _ = 1, count % 8 do w.bits(0, 1) end
  end
  -- The empty stored block of a sync flush, its LEN/NLEN stripped
  -- (RFC 7692 section 7.2.1).
  function w.sync()
    w.bits(0, 3)
    if w.n > 0 then w.out[#w.out + 1] = string.char(w.acc) end
    w.acc, w.n = 0, 0
    return table.concat(w.out)
  end
  return w
end

-- A dynamic-Huffman block of one literal 0x00 followed by n copies of
-- (length 258, distance 1), each coded in 2 bits: 1 + 258 * n zero bytes.
local function bomb(n)
  local w = bitwriter()
  w.bits(0, 1); w.bits(2, 2)               -- BFINAL 0, dynamic Huffman
  w.bits(29, 5); w.bits(0, 5); w.bits(14, 4) -- 286 lit/len, 1 dist, 18 CL
  -- Code length code lengths in RFC 1951 order 16 17 18 0 8 7 9 6 10 5 11
  -- 4 12 3 13 2 14 1: symbols 0, 1, 18 get 2 bits, 2 and 17 get 3.
  for _, l in ipairs { 0, 3, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0,
                       2 } do
    w.bits(l, 3)
  end
  -- Canonical CL codes: 0 = 00, 1 = 01, 18 = 10, 2 = 110, 17 = 111.
  w.code(6, 3)                             -- literal 0: length 2
  w.code(2, 2); w.bits(127, 7)             -- 138 zeros (1..138)
  w.code(2, 2); w.bits(106, 7)             -- 117 zeros (139..255)
  w.code(6, 3)                             -- 256 (end of block): 2
  w.code(2, 2); w.bits(17, 7)              -- 28 zeros (257..284)
  w.code(1, 2)                             -- 285 (length 258): 1
  w.code(1, 2)                             -- distance code 0: 1
  -- Lit/len codes: 285 = 0, literal 0 = 10, end of block = 11; distance 0.
  w.code(2, 2)
  w.zeros(2 * n)
  w.code(3, 2)
  return w.sync()
end

-- A fixed-Huffman block copying 5 bytes from 5 bytes back: the previous
-- message, when the LZ77 window is kept (context takeover).
local function backref5()
  local w = bitwriter()
  w.bits(0, 1); w.bits(1, 2)               -- BFINAL 0, fixed Huffman
  w.code(3, 7)                             -- 259: length 5
  w.code(4, 5); w.bits(0, 1)               -- distance code 4 + 0: 5
  w.code(0, 7)                             -- end of block
  return w.sync()
end

-- A stored block with BFINAL = 1 holding p (RFC 7692 7.2.1 allows it),
-- then the header bits of the empty stored block the receiver completes
-- with 00 00 ff ff (RFC 7692 7.2.3.4).
local function stored_final(p)
  return "\x01" .. string.pack("<I2I2", #p, (~#p) & 0xffff) .. p .. "\0"
end

local function offered(s, what)
  local r = s.http_request
  return r ~= nil and r:lower():find(what, 1, true) ~= nil
end

-- Opens with permessage-deflate (offered as the client, accepted as the
-- server).  Returns true, or sets the verdict and returns false.
local function open_pmd(s, offer, cfg)
  if s.role == "server" and not offered(s, "permessage-deflate") then
    s:verdict("UNIMPLEMENTED", "the client offered no permessage-deflate")
    s:open()
    s:close(1000)
    return false
  end
  local ok, reason
  if s.role == "client" then
    ok, reason = s:open { extensions = { offer or "permessage-deflate" } }
  else
    ok, reason = s:open { deflate = cfg or true }
  end
  if not ok then
    s:verdict("FAILED", "the handshake failed: " .. tostring(reason))
    return false
  end
  if not s.deflate then
    s:verdict("UNIMPLEMENTED", "permessage-deflate was not agreed")
    s:close(1000)
    return false
  end
  return true
end

local function peer_fails(s, codes)
  s:expect { ok = {} }
  s:expect_close { by_me = false, codes = codes or { 1002 }, clean = false }
  s:kill_after(2)
end

local rsv_reqs = { "R7692-6.1-05", "R7692-6.1-06", "R6455-5.2-03",
  "R6455-7.1.7-01", "R6455-7.1.7-03" }

case {
  id = "19.1.1",
  title = "RSV1 on a Ping, permessage-deflate agreed",
  description = "With permessage-deflate agreed, send a Ping \"ping\" with "
    .. "RSV1 set.",
  expectation = "The peer fails the connection (1002 or a TCP drop) and "
    .. "sends no Pong.",
  requirements = rsv_reqs,
  run = function(s)
    if not open_pmd(s) then return end
    s:send_frame { opcode = 9, payload = "ping", rsv = 4 }
    peer_fails(s)
  end,
}

case {
  id = "19.1.2",
  title = "RSV1 on a continuation frame, permessage-deflate agreed",
  description = "With permessage-deflate agreed, send an uncompressed text "
    .. "frame \"Hel\" with FIN = 0, then a continuation \"lo\" with RSV1 "
    .. "set.",
  expectation = "The peer fails the connection and echoes nothing.",
  requirements = rsv_reqs,
  run = function(s)
    if not open_pmd(s) then return end
    s:send_frame { opcode = 1, payload = "Hel", fin = false }
    s:send_frame { opcode = 0, payload = "lo", rsv = 4 }
    peer_fails(s)
  end,
}

case {
  id = "19.1.3",
  title = "RSV1 on a Close frame, permessage-deflate agreed",
  description = "With permessage-deflate agreed, send a Close frame (code "
    .. "1000) with RSV1 set.",
  expectation = "The peer fails the connection (1002 or a TCP drop).",
  requirements = rsv_reqs,
  run = function(s)
    if not open_pmd(s) then return end
    s:send_frame { opcode = 8, payload = "\x03\xe8", rsv = 4 }
    peer_fails(s)
  end,
}

case {
  id = "19.2",
  title = "RSV1 without permessage-deflate",
  description = "Without any extension agreed, send a text frame with RSV1 "
    .. "set whose payload is the compressed form of \"Hello\".",
  expectation = "The peer fails the connection (1002 or a TCP drop): RSV1 "
    .. "means nothing without a negotiated extension.",
  requirements = { "R6455-5.2-03", "R6455-5.2-09", "R6455-5.8-01",
    "R6455-9.1-06" },
  run = function(s)
    s:send_frame { opcode = 1, payload = "\xf2\x48\xcd\xc9\xc9\x07\x00",
                   rsv = 4 }
    peer_fails(s)
  end,
}

case {
  id = "19.3",
  title = "A corrupt DEFLATE stream",
  description = "With permessage-deflate agreed, send a text frame with "
    .. "RSV1 whose payload is ff ff ff ff ff (block type 3, which does not "
    .. "exist).",
  expectation = "The peer fails the connection (1007, 1002 or 1011, or a "
    .. "TCP drop) and echoes nothing.",
  requirements = { "R7692-6.2-01", "R7692-7.2.2-01", "R6455-10.7-01" },
  run = function(s)
    if not open_pmd(s) then return end
    s:send_frame { opcode = 1, payload = "\xff\xff\xff\xff\xff", rsv = 4 }
    peer_fails(s, { 1007, 1002, 1011 })
  end,
}

case {
  id = "19.4",
  title = "Decompression bomb: 1 MiB inflating to 1 GiB",
  description = "With permessage-deflate agreed, send one binary message "
    .. "of about 1 MiB of DEFLATE data that inflates to 1 GiB of zeros "
    .. "(2 bits per 258 bytes, the format's best ratio).",
  expectation = "The peer stops inflating at its message limit and closes "
    .. "with 1009 (OK); another close or a drop is NON-STRICT; echoing "
    .. "1 GiB back is INFORMATIONAL.",
  requirements = { "R6455-10.4-01", "R6455-10.4-02", "R7692-6.2-01" },
  run = function(s)
    if not open_pmd(s) then return end
    s:send_frame { opcode = 2, payload = bomb(4161790), rsv = 4 }
    s:pause(5)
    local code = s.close_code
    if s:is_open() then
      s:verdict("FAILED", "the peer neither closed nor finished within 5 s")
      s:kill_after(0)
      return
    end
    s:expect_close { by_me = false, codes = {}, clean = false }
    if code == 1009 then
      s:verdict("OK", "the peer closed with 1009")
    elseif code == nil and s.close_code == nil then
      s:verdict("NON-STRICT", "the peer dropped TCP without a Close")
    else
      s:verdict("NON-STRICT", "the peer closed with " .. tostring(code))
    end
  end,
}

case {
  id = "19.5",
  title = "Window bits 8",
  description = "As the client, offer \"permessage-deflate; "
    .. "server_max_window_bits=8\"; as the server, answer "
    .. "client_max_window_bits=8 when the client offers "
    .. "client_max_window_bits.  Then send three compressible 1000-byte "
    .. "text messages.",
  expectation = "If the peer agrees to 8, it compresses with a window of "
    .. "at most 256 bytes (checked while inflating) and echoes the "
    .. "messages; declining is OK for a server (RFC 7692 7.1.2.1).",
  requirements = { "R7692-7.2.1-13", "R7692-7.2.1-15", "R7692-7.1.2.1-03",
    "R7692-7.1.2.1-04", "R7692-7.2.2-11" },
  run = function(s)
    if s.role == "server" and not offered(s, "client_max_window_bits") then
      s:verdict("UNIMPLEMENTED", "the client offers no "
        .. "client_max_window_bits")
      s:open()
      s:close(1000)
      return
    end
    if s.role == "client" then
      local ok, reason = s:open { extensions = {
        "permessage-deflate; server_max_window_bits=8" } }
      if not ok then
        s:verdict("FAILED", "the handshake failed: " .. tostring(reason))
        return
      end
      if not s.deflate then
        s:verdict("OK", "the server declined server_max_window_bits=8")
        s:close(1000)
        return
      end
    elseif not open_pmd(s, nil, { client_max_window_bits = 8 }) then
      return
    end
    local want = {}
    for i = 1, 3 do
      local m = string.rep("window " .. i .. " abcdefghijklmnop ", 40)
        :sub(1, 1000)
      s:send_text(m)
      want[#want + 1] = { "text", m }
    end
    s:expect { ok = want }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close_after(3)
  end,
}

local function takeover_case(id, title, offer, reqs)
  case {
    id = id,
    title = title,
    description = "Agree permessage-deflate (offering \"" .. offer .. "\" "
      .. "as the client) without no_context_takeover for wsprobe's side, "
      .. "send \"Hello\" compressed, then a compressed message whose only "
      .. "DEFLATE symbol copies 5 bytes from 5 bytes back (into the first "
      .. "message).",
    expectation = "The peer inflates with the window kept from the previous "
      .. "message and echoes \"Hello\" twice; clean close with 1000.  When "
      .. "the peer agrees to no_context_takeover for wsprobe's side, echoing "
      .. "and failing the connection are both OK (the peer MAY reset).",
    requirements = reqs,
    run = function(s)
      if not open_pmd(s, offer) then return end
      local mine = s.role == "client" and "client_no_context_takeover"
        or "server_no_context_takeover"
      if (s.http_response or ""):lower():find(mine, 1, true) then
        -- Agreed: wsprobe's back-reference breaks the agreement, and the
        -- peer MAY inflate with an empty window (RFC 7692 7.2.2), so
        -- failing and echoing are both correct.
        s:send_text("Hello")
        s:send_frame { opcode = 1, payload = backref5(), rsv = 4 }
        local a, b = s:receive(2), s:receive(2)
        if a and b and a.data == "Hello" and b.data == "Hello" then
          s:verdict("OK", mine .. " agreed; the peer kept its window anyway")
          s:expect_close { by_me = true, codes = { 1000 }, clean = true }
          s:close(1000)
        elseif not s:is_open() or (a and not b) then
          if s:is_open() then s:pause(2) end
          s:verdict(s:is_open() and "FAILED" or "OK", mine .. " agreed; the "
            .. "peer reset its window and failed the connection")
          s:expect_close { by_me = false, codes = {}, clean = false }
        else
          s:verdict("FAILED", "unexpected answer to the back-reference")
          s:close(1000)
        end
        return
      end
      s:send_text("Hello")
      s:send_frame { opcode = 1, payload = backref5(), rsv = 4 }
      s:expect { ok = { { "text", "Hello" }, { "text", "Hello" } } }
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    end,
  }
end

takeover_case("19.6.1",
  "Context takeover: a back-reference into the previous message",
  "permessage-deflate", { "R7692-7.2.2-05", "R7692-7.2.2-03",
    "R7692-7.2.1-12", "R7692-7.2.1-09" })
takeover_case("19.6.2",
  "client_no_context_takeover offered but not agreed: window kept",
  "permessage-deflate; client_no_context_takeover",
  { "R7692-7.2.2-06", "R7692-7.2.2-05", "R7692-7.2.1-10" })

case {
  id = "19.7",
  title = "A message in one stored DEFLATE block with BFINAL = 1",
  description = "With permessage-deflate agreed, send the text \"Hello\" as "
    .. "one stored block with BFINAL = 1 (01 05 00 fa ff Hello 00: the "
    .. "last byte holds the header bits of the empty stored block the "
    .. "receiver completes), RSV1 set, then the RFC 7692 7.2.3.4 example "
    .. "(f3 48 cd c9 c9 07 00 00, a fixed block with BFINAL = 1).",
  expectation = "DEFLATE blocks of any type and BFINAL = 1 are allowed: the "
    .. "peer echoes \"Hello\" twice; clean close with 1000.",
  requirements = { "R7692-7.2.1-03", "R7692-7.2.1-04", "R7692-7.2.1-05",
    "R7692-6.2-01" },
  run = function(s)
    if not open_pmd(s) then return end
    s:send_frame { opcode = 1, payload = stored_final("Hello"), rsv = 4 }
    s:send_frame { opcode = 1, payload = "\xf3\x48\xcd\xc9\xc9\x07\x00\x00",
                   rsv = 4 }
    s:expect { ok = { { "text", "Hello" }, { "text", "Hello" } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
  end,
}

for i, r in ipairs { { 2, "RSV2", "R6455-5.2-10" },
                     { 1, "RSV3", "R6455-5.2-11" } } do
  case {
    id = "19.1." .. (3 + i),
    title = r[2] .. " on a text frame, permessage-deflate agreed",
    description = "With permessage-deflate agreed (it defines RSV1 only), "
      .. "send the text frame \"Hello\" with " .. r[2] .. " set.",
    expectation = "The peer fails the connection (1002 or a TCP drop).",
    requirements = { r[3], "R6455-5.2-02", "R6455-5.2-03" },
    run = function(s)
      if not open_pmd(s) then return end
      s:send_frame { opcode = 1, payload = "Hello", rsv = r[1] }
      peer_fails(s)
    end,
  }
end

case {
  id = "19.8",
  title = "Uncompressed messages on a permessage-deflate connection",
  description = "With permessage-deflate agreed, send a text and a binary "
    .. "message uncompressed (RSV1 clear), then a compressed one.",
  expectation = "The peer delivers the uncompressed payloads as they are "
    .. "and echoes all three (compressed or not, RSV1 only on compressed "
    .. "first frames); clean close with 1000.",
  requirements = { "R7692-6.2-02", "R7692-6.1-03", "R7692-6.1-04",
    "R7692-6.1-02", "R7692-7.2.1-06" },
  run = function(s)
    if not open_pmd(s) then return end
    s:send_text("plain text", { compress = false })
    s:send_binary("\0\1\2plain", { compress = false })
    local big = string.rep("compressed and fragmented ", 400)
    s:send_text(big, { fragment = 1000 })
    s:expect { ok = { { "text", "plain text" }, { "binary", "\0\1\2plain" },
                      { "text", big } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
  end,
}

-- 19.9: fail fast on compressed data, as 6.4 does for UTF-8.  A peer that
-- inflates fragments as they come fails at the first one; one that keeps
-- compressed fragments until the message ends fails only after the last
-- (NON-STRICT, like failing late on invalid UTF-8).  The echo server
-- inflates what each read brought before it waits again, so it is OK.
case {
  id = "19.9",
  title = "Fail fast on a corrupt first fragment of a compressed message",
  description = "With permessage-deflate agreed, send a compressed text "
    .. "frame with FIN = 0 whose payload is ff ff ff ff ff (block type 3, "
    .. "which does not exist), wait 1 s, then the final continuation frame "
    .. "\"lo\" and wait 1 s more.",
  expectation = "The peer fails the connection (1007, 1002 or 1011, or a "
    .. "TCP drop) during the first wait and echoes nothing (OK); failing "
    .. "only after the final fragment is NON-STRICT.",
  requirements = { "R7692-6.2-01", "R7692-7.2.2-01", "R6455-10.7-01" },
  run = function(s)
    if not open_pmd(s) then return end
    s:send_frame { opcode = 1, payload = "\xff\xff\xff\xff\xff", rsv = 4,
                   fin = false }
    s:expect { ok = {}, non_strict = { { "timeout", "A" } } }
    s:expect_close { by_me = false, codes = { 1007, 1002, 1011 },
                     clean = false }
    s:kill_after(2)
    s:pause(1, "A")
    if not s:is_open() then return end
    s:send_frame { opcode = 0, payload = "lo" }
    s:pause(1, "B")
  end,
}
