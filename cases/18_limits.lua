-- Category 18, limits and resources (RFC 6455 section 10.4): a message
-- above the peer's size limit, a frame announcing 2^63-1 bytes that never
-- come, endless fragments, Ping floods (with the RFC-exact companions of
-- Autobahn's 2.10 and 2.11: a peer may answer only the most recent of
-- several Pings, RFC 6455 section 5.5.3), and a frame trickled a byte at a
-- time.  The peer must stay responsive or fail cleanly.  Every case is
-- bounded in time (a few seconds) and in memory on wsprobe's side.  Not in
-- Autobahn|Testsuite.

-- Encodes a frame as this side must send it (a client masks).
local function encoder(s)
  local mask = s.role == "client"
  local st = 0x7654321
  return function(opcode, p, fin)
    local b0 = (fin == false and 0 or 0x80) | opcode
    local mb = mask and 0x80 or 0
    local h
    if #p <= 125 then h = string.pack("BB", b0, mb | #p)
    elseif #p <= 0xffff then h = string.pack(">BBI2", b0, mb | 126, #p)
    else h = string.pack(">BBI8", b0, mb | 127, #p) end
    if not mask then return h .. p end
    st = (st * 1103515245 + 12345) & 0xffffffff
    local k = string.pack(">I4", st)
    local kb, out = { k:byte(1, 4) }, {}
    for i = 1, #p, 4096 do
      local b = { p:byte(i, i + 4095) }
      for j = 1, #b do b[j] = b[j] ~ kb[(i + j - 2) % 4 + 1] end
      out[#out + 1] = string.char(table.unpack(b))
    end
    return h .. k .. table.concat(out)
  end
end

local function mib(n)
  if n % 1048576 == 0 then return string.format("%d MiB", n // 1048576) end
  return string.format("%d bytes", n)
end

-- How the peer ended the connection after a refusal: OK for 1009 (or
-- the code given), NON-STRICT for another close or a drop.
local function judge_refusal(s, what, want)
  want = want or 1009
  local code = s.close_code
  if s:is_open() then s:pause(2) end
  code = s.close_code
  if s:is_open() then
    s:verdict("FAILED", what .. "; the peer neither answered nor closed")
    s:expect_close { by_me = false, codes = { want }, clean = false }
    return
  end
  if code == want then
    s:verdict("OK", what .. "; the peer closed with " .. want)
  else
    s:verdict("NON-STRICT", what .. "; the peer closed with "
      .. (code and tostring(code) or "no Close frame") .. ", not " .. want)
  end
  s:expect_close { by_me = false, codes = {}, clean = false }
end

-- 18.1: the message size limit.
case {
  id = "18.1",
  title = "Message size limit (1 MiB, 16 MiB, 64 MiB + 1)",
  description = "Send binary messages of 1 MiB, 16 MiB and 64 MiB + 1 "
    .. "byte, each in one frame, waiting for each echo.",
  expectation = "The peer echoes the messages within its limit and closes "
    .. "with 1009 on the first one above it (OK, the limit is reported); "
    .. "another close is NON-STRICT; a peer that echoes everything is "
    .. "INFORMATIONAL (no limit found up to 64 MiB + 1).",
  requirements = { "R6455-10.4-01", "R6455-10.4-02", "R6455-7.4.1-01" },
  run = function(s)
    local sizes = { 1 << 20, 16 << 20, (64 << 20) + 1 }
    local last = 0
    for _, n in ipairs(sizes) do
      s:send_binary(string.rep("L", n))
      local ev = s:receive(15)
      if not (ev and ev.type == "binary" and #ev.data == n) then
        local what = string.format("limit between %s (echoed) and %s "
          .. "(refused)", mib(last), mib(n))
        if ev then
          s:verdict("FAILED", "the echo of the " .. mib(n) .. " message "
            .. "differs")
          return
        end
        judge_refusal(s, what)
        return
      end
      last = n
    end
    -- wsprobe's own limit (64 MiB by default) refused the last echo.
    s:rules { informational = true }
    s:verdict("INFORMATIONAL", "no limit found: every message up to "
      .. mib(last) .. " was echoed")
  end,
}

-- 18.2: a frame that announces 2^63-1 bytes and sends none.
case {
  id = "18.2",
  title = "Frame announcing 2^63-1 bytes, no data",
  description = "Send the header of a binary frame whose 64-bit length is "
    .. "2^63-1 (the largest valid value), then nothing, for 2 s.",
  expectation = "The peer fails the connection with 1009 (OK; another close "
    .. "is NON-STRICT) or waits for the data without allocating it "
    .. "(INFORMATIONAL); it must not crash.",
  requirements = { "R6455-10.4-01", "R6455-10.4-02", "R6455-5.2-05" },
  run = function(s)
    s:send_frame { opcode = 2, payload = "", len_form = 64,
                   payload_len = math.maxinteger }
    s:pause(2)
    if s:is_open() then
      s:verdict("INFORMATIONAL", "the peer waits for the announced data "
        .. "(still open after 2 s)")
      s:expect_close { by_me = true, codes = {}, clean = false }
      s:kill_after(0)
      return
    end
    judge_refusal(s, "announced 2^63-1 bytes")
  end,
}

-- 18.3: endless fragments.
case {
  id = "18.3.1",
  title = "Endless 64 KiB fragments (up to 80 MiB)",
  description = "Start a binary message and keep sending 64 KiB "
    .. "continuation frames with FIN = 0, up to 80 MiB, while the "
    .. "connection is open.",
  expectation = "The peer closes with 1009 once the message exceeds its "
    .. "limit (OK; another close is NON-STRICT); still open after 80 MiB "
    .. "is INFORMATIONAL.",
  requirements = { "R6455-10.4-01", "R6455-10.4-02", "R6455-5.4-10" },
  run = function(s)
    local chunk = string.rep("F", 65536)
    s:send_frame { opcode = 2, payload = chunk, fin = false }
    local n = 1
    while n < 1280 and s:is_open() do
      s:send_frame { opcode = 0, payload = chunk, fin = false }
      n = n + 1
      if n % 64 == 0 then s:pause(0.001) end
    end
    if s:is_open() then s:pause(1) end
    if s:is_open() then
      s:verdict("INFORMATIONAL", "still open after " .. mib(n * 65536)
        .. " of fragments")
      s:expect_close { by_me = true, codes = {}, clean = false }
      s:kill_after(0)
      return
    end
    -- How much went out before the close depends on timing, not on the
    -- peer: the reason leaves it out, so runs stay comparable.
    judge_refusal(s, "a message of endless 64 KiB fragments")
  end,
}

case {
  id = "18.3.2",
  title = "20000 empty fragments, then a Ping",
  description = "Start a text message and send 20000 empty continuation "
    .. "frames with FIN = 0 in one write, then a Ping \"still there?\".",
  expectation = "The peer answers the Ping (OK) or fails the connection "
    .. "(OK, a limit on fragments); silence is a failure.",
  requirements = { "R6455-10.4-02", "R6455-5.4-08", "R6455-5.5.2-02" },
  run = function(s)
    local enc = encoder(s)
    local parts = { enc(1, "", false) }
    for i = 2, 20000 do parts[i] = enc(0, "", false) end
    s:send_raw(table.concat(parts))
    parts = nil
    s:send_ping("still there?")
    local ev = s:receive(5)
    if ev and ev.type == "pong" and ev.data == "still there?" then
      s:verdict("OK", "the peer answered the Ping after 20000 fragments")
      s:expect_close { by_me = true, codes = {}, clean = false }
      s:close(1000)
    elseif s:is_open() then
      s:verdict("FAILED", "no Pong within 5 s and the connection is open")
      s:kill_after(0)
    else
      s:verdict("OK", "the peer failed the connection (code "
        .. tostring(s.close_code) .. ")")
      s:expect_close { by_me = false, codes = {}, clean = false }
    end
  end,
}

-- 18.4: Ping floods.  Pongs must carry the data of a Ping, in order, and
-- the most recent Ping must be answered; skipping earlier ones is allowed.
-- A flood (flood = true) may also be refused: RFC 6455 10.4 lets a peer
-- limit the resources a connection takes (npm ws, for one, drops the
-- connection once 60 Pongs wait to be written), so failing the connection
-- with a Close frame is OK and dropping TCP without one NON-STRICT (7.1.7:
-- the Close frame is a SHOULD).  Ten Pings are no flood: they must be
-- answered.
local function ping_flood(id, title, count, chop, size, reqs, flood)
  case {
    id = id,
    title = title,
    description = string.format("Send %d Pings back to back (payload "
      .. "\"payload-<i>\"%s)%s, then the text message \"after the "
      .. "pings\".", count, size and ", padded to 125 bytes" or "",
      chop and ", one byte per TCP write" or ""),
    expectation = "Every Pong carries the data of one of the Pings, in "
      .. "order, the last Ping is answered, and the text message is echoed "
      .. "(RFC 6455 5.5.3 lets a peer answer only the most recent of "
      .. "several Pings); clean close with 1000."
      .. (flood and " A peer that limits Pings may fail the connection "
        .. "instead: with a Close frame OK, a TCP drop without one "
        .. "NON-STRICT; Pongs sent before must still be in order." or ""),
    requirements = reqs,
    run = function(s)
      local enc = encoder(s)
      local index, parts = {}, {}
      for i = 0, count - 1 do
        local p = "payload-" .. i
        if size then p = p .. string.rep(".", size - #p) end
        index[p] = i
        parts[#parts + 1] = enc(9, p)
      end
      s:send_raw(table.concat(parts), { chop = chop })
      s:send_text("after the pings")
      local last, pongs, text = -1, 0, false
      for _ = 1, count + 1 do
        if text and last == count - 1 then break end
        local ev = s:receive(5)
        if not ev then break end
        if ev.type == "pong" then
          local i = index[ev.data]
          if i == nil or i <= last then
            s:verdict("FAILED", "a Pong out of order or with unknown data")
            s:close(1000)
            return
          end
          last, pongs = i, pongs + 1
        elseif ev.type == "text" and ev.data == "after the pings" then
          text = true
        else
          s:verdict("FAILED", "an unexpected message")
          s:close(1000)
          return
        end
      end
      if flood and not s:is_open() and not (text and last == count - 1) then
        -- The peer failed the connection on the flood.  How many Pongs
        -- went out first depends on timing, so the reason leaves it out.
        s:expect_close { by_me = false, codes = {}, clean = false }
        if s.close_code then
          s:verdict("OK", "the peer failed the connection on the flood "
            .. "(code " .. s.close_code .. "), its Pongs before in order")
        else
          s:verdict("NON-STRICT", "the peer dropped TCP on the flood "
            .. "without a Close frame (RFC 6455 7.1.7: SHOULD send one), "
            .. "its Pongs before in order")
        end
        return
      end
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      if not text then
        s:verdict("FAILED", "the text message was not echoed")
      elseif last ~= count - 1 then
        s:verdict("FAILED", string.format("the last Ping was not answered "
          .. "(%d Pongs, last for Ping %d)", pongs, last))
      else
        s:verdict("OK", string.format("%d Pongs for %d Pings, the last "
          .. "one answered", pongs, count))
      end
      s:close(1000)
    end,
  }
end

local pong_reqs = { "R6455-5.5.2-02", "R6455-5.5.3-01", "R6455-5.5.3-02",
  "R6455-5.5.2-03" }
ping_flood("18.4.1", "Ten Pings, RFC-exact (companion of 2.10)", 10, nil,
  nil, pong_reqs)
ping_flood("18.4.2", "Ten Pings one byte per write, RFC-exact (companion "
  .. "of 2.11)", 10, 1, nil, pong_reqs)
ping_flood("18.4.3", "Ping flood: 1000 Pings of 125 bytes", 1000, nil, 125,
  { "R6455-5.5.3-02", "R6455-5.5.3-01", "R6455-10.4-02", "R6455-7.1.7-05" },
  true)

-- 18.5: trickling.
case {
  id = "18.5.1",
  title = "A text frame trickled one byte every 50 ms",
  description = "Send the text message \"slow and steady\" in one frame, "
    .. "one byte per TCP write, 50 ms apart (about 1 s).",
  expectation = "The peer echoes the message; clean close with 1000.",
  requirements = { "R6455-5.4-01", "R6455-6.2-01" },
  run = function(s)
    s:send_text("slow and steady", { chop = 1, delay_us = 50000 })
    s:expect { ok = { { "text", "slow and steady" } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close_after(2)
  end,
}

case {
  id = "18.5.2",
  title = "A 125-byte Ping trickled one byte every 5 ms",
  description = "Send a Ping with 125 bytes of application data, one byte "
    .. "per TCP write, 5 ms apart (about 0.7 s).",
  expectation = "The peer answers with a Pong carrying the same data; clean "
    .. "close with 1000.",
  requirements = { "R6455-5.5.2-02", "R6455-5.5.3-01", "R6455-6.2-02" },
  run = function(s)
    local p = string.rep("t", 125)
    s:send_ping(p, { chop = 1, delay_us = 5000 })
    s:expect { ok = { { "pong", p } } }
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close_after(2)
  end,
}
