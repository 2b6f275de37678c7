-- Category 17, payload length encodings (RFC 6455 section 5.2): the 16-bit
-- and 64-bit forms used for short payloads (the RFC requires the minimal
-- form), a 64-bit length with its most significant bit set (including
-- lengths that wrap when a header size is added), and frame headers cut
-- at every byte boundary.  Not in Autobahn|Testsuite.

-- Encodes a frame as this side must send it; length form chosen by size.
local function encoder(s)
  local mask = s.role == "client"
  local st = 0x1234567
  return function(opcode, p)
    local b0, mb = 0x80 | opcode, mask and 0x80 or 0
    local h
    if #p <= 125 then h = string.pack("BB", b0, mb | #p)
    elseif #p <= 0xffff then h = string.pack(">BBI2", b0, mb | 126, #p)
    else h = string.pack(">BBI8", b0, mb | 127, #p) end
    if not mask then return h, p end
    st = (st * 1103515245 + 12345) & 0xffffffff
    local k = string.pack(">I4", st)
    local kb, out = { k:byte(1, 4) }, {}
    for i = 1, #p, 4096 do
      local b = { p:byte(i, i + 4095) }
      for j = 1, #b do b[j] = b[j] ~ kb[(i + j - 2) % 4 + 1] end
      out[#out + 1] = string.char(table.unpack(b))
    end
    return h .. k, table.concat(out)
  end
end

-- 17.1: non-minimal forms.  Failing is the strict answer (OK); echoing is
-- tolerated (NON-STRICT).
local function nonminimal(id, len, form)
  local p = string.rep("n", len)
  case {
    id = id,
    title = string.format("%d-byte text frame with a %d-bit length", len,
      form),
    description = string.format("Send a %d-byte text frame whose length is "
      .. "written in the %d-bit form although the 7-bit form fits.", len,
      form),
    expectation = "The payload length must use the minimal encoding: the "
      .. "peer fails the connection (OK); echoing the message is NON-STRICT.",
    requirements = { "R6455-5.2-06", "R6455-10.7-01" },
    run = function(s)
      s:send_frame { opcode = 1, payload = p, len_form = form }
      local ev = s:receive(1.5)
      if ev then
        s:verdict("NON-STRICT", "the peer accepted the non-minimal length")
        s:expect_close { by_me = true, codes = { 1000 }, clean = true }
        s:close(1000)
      elseif s:is_open() then
        s:verdict("FAILED", "the peer neither echoed nor failed")
        s:close(1000)
      else
        s:verdict("OK", "the peer failed the connection")
        s:expect_close { by_me = false, codes = { 1002 }, clean = false }
      end
    end,
  }
end
nonminimal("17.1.1", 5, 16)
nonminimal("17.1.2", 5, 64)
nonminimal("17.1.3", 125, 64)

case {
  id = "17.1.4",
  title = "200-byte text frame with a 64-bit length",
  description = "Send a 200-byte text frame whose length is written in the "
    .. "64-bit form although the 16-bit form fits.",
  expectation = "The peer fails the connection (OK); echoing is NON-STRICT.",
  requirements = { "R6455-5.2-06" },
  run = function(s)
    local p = string.rep("m", 200)
    s:send_frame { opcode = 1, payload = p, len_form = 64 }
    local ev = s:receive(1.5)
    if ev then
      s:verdict("NON-STRICT", "the peer accepted the non-minimal length")
      s:close(1000)
    else
      s:verdict(s:is_open() and "FAILED" or "OK",
        s:is_open() and "the peer neither echoed nor failed"
          or "the peer failed the connection")
      s:expect_close { by_me = false, codes = { 1002 }, clean = false }
    end
  end,
}

-- 17.2: 64-bit lengths with the most significant bit set.
local function topbit(id, title, announced, desc)
  case {
    id = id,
    title = title,
    description = "Send a text frame with 5 payload bytes whose 64-bit "
      .. "length field announces " .. desc .. " (most significant bit set).",
    expectation = "The peer fails the connection (1002 or a TCP drop) at "
      .. "once, without waiting for the announced data or allocating it.",
    requirements = { "R6455-5.2-05", "R6455-10.4-01", "R6455-7.1.7-01",
      "R6455-7.1.7-03" },
    run = function(s)
      s:send_frame { opcode = 1, payload = "Hello", len_form = 64,
                     payload_len = announced }
      s:expect { ok = {} }
      s:expect_close { by_me = false, codes = { 1002, 1009 }, clean = false }
      s:kill_after(2)
    end,
  }
end
topbit("17.2.1", "64-bit length 2^63", math.mininteger, "2^63")
topbit("17.2.2", "64-bit length 2^63 + 5", math.mininteger + 5, "2^63 + 5")
topbit("17.2.3", "64-bit length 2^64 - 1", -1, "2^64 - 1")
topbit("17.2.4", "64-bit length 2^64 - 4 (wraps when the mask key is added)",
  -4, "2^64 - 4")
topbit("17.2.5",
  "64-bit length 2^64 - 14 (wraps when the header size is added)",
  -14, "2^64 - 14")

-- 17.3: the header of one frame cut at every byte boundary.
local function split_case(id, len)
  case {
    id = id,
    title = string.format("%d-byte frame, header cut at every byte", len),
    description = string.format("For every k from 1 to the header length "
      .. "minus 1, send a %d-byte text frame in two TCP writes 20 ms apart, "
      .. "the first holding the first k header bytes.", len),
    expectation = "Every message is echoed, in order; clean close with 1000.",
    requirements = { "R6455-5.4-01", "R6455-6.2-01", "R6455-5.2-06",
      "R6455-5.3-06" },
    run = function(s)
      local enc = encoder(s)
      local want = {}
      local hl = (len <= 125 and 2 or len <= 0xffff and 4 or 10)
        + (s.role == "client" and 4 or 0)
      for k = 1, hl - 1 do
        local p = string.format("split %02d ", k)
        p = p .. string.rep("x", len - #p)
        local h, body = enc(1, p)
        s:send_raw(h:sub(1, k))
        s:pause(0.02)
        s:send_raw(h:sub(k + 1) .. body)
        want[#want + 1] = { "text", p }
      end
      s:expect { ok = want }
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close_after(3)
    end,
  }
end
split_case("17.3.1", 100)
split_case("17.3.2", 300)
split_case("17.3.3", 70000)

-- 17.4: what the peer sends back is parsed strictly (minimal lengths, FIN
-- on the last frame, data opcodes, continuation rules); fragmented input
-- must come back as one message of the type of its first frame, in order.
case {
  id = "17.4",
  title = "Fragmented text and binary messages come back whole and typed",
  description = "Send a text message in 3 frames (8, 120 and 200 bytes), "
    .. "a binary message in 4 frames (1, 65535, 65536 and 3 bytes) and an "
    .. "unfragmented text message.",
  expectation = "Three echoes, in order, with the opcode of each message's "
    .. "first frame and the bytes in order; every frame the peer sends is "
    .. "well formed; clean close with 1000.",
  requirements = { "R6455-5.4-06", "R6455-5.4-15", "R6455-6.1-01",
    "R6455-6.1-06", "R6455-6.1-07", "R6455-6.2-03", "R6455-6.2-04",
    "R6455-5.4-02", "R6455-5.4-03", "R6455-5.2-01" },
  run = function(s)
    local t = string.rep("a", 8) .. string.rep("b", 120) .. string.rep("c", 200)
    local b = "\0" .. string.rep("\1", 65535) .. string.rep("\2", 65536)
      .. "\3\3\3"
    s:send_frame { opcode = 1, payload = t:sub(1, 8), fin = false }
    s:send_frame { opcode = 0, payload = t:sub(9, 128), fin = false }
    s:send_frame { opcode = 0, payload = t:sub(129) }
    s:send_frame { opcode = 2, payload = b:sub(1, 1), fin = false }
    s:send_frame { opcode = 0, payload = b:sub(2, 65536), fin = false }
    s:send_frame { opcode = 0, payload = b:sub(65537, 131072), fin = false }
    s:send_frame { opcode = 0, payload = b:sub(131073) }
    s:send_text("done")
    s:expect { ok = { { "text", t }, { "binary", b }, { "text", "done" } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close_after(3)
  end,
}
