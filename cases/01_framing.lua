-- Category 1, framing: text and binary messages of every length at the
-- boundaries of the 7-bit, 16-bit and 64-bit length encodings, echoed back
-- by the peer.  Autobahn|Testsuite ids 1.1.1-1.2.8, same payloads, lengths,
-- TCP chop sizes and timers.

local lengths = { 0, 125, 126, 127, 128, 65535, 65536, 65536 }

local function framing_case(sub, i, kind, byte)
  local len = lengths[i]
  local chop = (i == 8) and 997 or nil
  local kill = (i <= 5) and 1 or 10
  local payload = string.rep(byte, len)
  local how = chop and string.format(", written to TCP in %d-byte pieces", chop) or ""
  case {
    id = string.format("1.%d.%d", sub, i),
    title = string.format("%s message, %d bytes%s", kind, len, how),
    description = string.format(
      "Send one unfragmented %s message whose payload is %d bytes of %q%s. "
      .. "The length sits on a boundary of the payload length encodings "
      .. "(7-bit up to 125, 16-bit up to 65535, 64-bit beyond).",
      kind, len, byte, how),
    expectation = "The peer echoes the message unchanged, with a minimal "
      .. "length encoding, and the connection closes cleanly with code 1000.",
    requirements = { "R6455-6.2-01", "R6455-5.2-06", "R6455-5.4-10",
                     "R6455-5.3-05" },
    run = function(s)
      if kind == "text" then
        s:send_text(payload, { chop = chop })
        s:expect { ok = { { "text", payload } } }
      else
        s:send_binary(payload, { chop = chop })
        s:expect { ok = { { "binary", payload } } }
      end
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:kill_after(kill)
    end,
  }
end

for i = 1, 8 do framing_case(1, i, "text", "*") end
for i = 1, 8 do framing_case(2, i, "binary", "\xfe") end
