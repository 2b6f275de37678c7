-- Category 16, masking (RFC 6455 sections 5.1 and 5.3): a server must fail
-- the connection on an unmasked frame from a client, a client on a masked
-- frame from a server; any 32-bit key, including zero, is valid.  Not in
-- Autobahn|Testsuite, which only sends correctly masked frames.

local function peer_fails(s)
  s:expect { ok = {} }
  s:expect_close { by_me = false, codes = { 1002 }, clean = false }
  s:kill_after(2)
end

local server_fail = { "R6455-5.1-02", "R6455-5.1-03", "R6455-7.1.7-03",
  "R6455-10.7-01", "R6455-7.1.7-05" }
local client_fail = { "R6455-5.1-05", "R6455-5.1-06", "R6455-7.1.7-01",
  "R6455-10.7-01", "R6455-7.1.7-05" }

local function bad_mask_case(id, role, title, frames_desc, send)
  case {
    id = id,
    title = title,
    description = frames_desc,
    expectation = "The " .. role .. " fails the connection (1002 or a TCP "
      .. "drop) and answers nothing.",
    requirements = role == "server" and server_fail or client_fail,
    roles = { role },
    run = function(s)
      send(s)
      peer_fails(s)
    end,
  }
end

-- 16.1: unmasked frames to a server.
bad_mask_case("16.1.1", "server", "Unmasked text frame to a server",
  "Send the text frame \"Hello, world!\" without a mask.",
  function(s)
    s:send_frame { opcode = 1, payload = "Hello, world!", mask = false }
  end)
bad_mask_case("16.1.2", "server", "Unmasked Ping to a server",
  "Send a Ping \"ping\" without a mask.",
  function(s) s:send_frame { opcode = 9, payload = "ping", mask = false } end)
bad_mask_case("16.1.3", "server", "Unmasked continuation frame to a server",
  "Send a masked text frame \"Hello, \" with FIN = 0, then an unmasked "
  .. "continuation \"world!\" with FIN = 1.",
  function(s)
    s:send_frame { opcode = 1, payload = "Hello, ", fin = false }
    s:send_frame { opcode = 0, payload = "world!", mask = false }
  end)
bad_mask_case("16.1.4", "server", "Unmasked empty binary frame to a server",
  "Send an empty binary frame without a mask.",
  function(s) s:send_frame { opcode = 2, payload = "", mask = false } end)

-- 16.2: masked frames to a client.
bad_mask_case("16.2.1", "client", "Masked text frame to a client",
  "Send the text frame \"Hello, world!\" masked with key 37 fa 21 3d.",
  function(s)
    s:send_frame { opcode = 1, payload = "Hello, world!", mask = true,
                   key = "\x37\xfa\x21\x3d" }
  end)
bad_mask_case("16.2.2", "client", "Masked Ping to a client",
  "Send a Ping \"ping\" masked with key 01 02 03 04.",
  function(s)
    s:send_frame { opcode = 9, payload = "ping", mask = true,
                   key = "\1\2\3\4" }
  end)
bad_mask_case("16.2.3", "client", "Masked with a zero key, to a client",
  "Send the text frame \"Hello\" with the MASK bit set and key 00 00 00 00 "
  .. "(the payload bytes are unchanged).",
  function(s)
    s:send_frame { opcode = 1, payload = "Hello", mask = true,
                   key = "\0\0\0\0" }
  end)

-- 16.3: unusual but valid keys to a server.
local function key_case(id, key, desc)
  case {
    id = id,
    title = "Text frame masked with key " .. desc,
    description = "Send a 64-byte text frame masked with the key " .. desc
      .. ", then the same message fragmented in 3 frames with the same key.",
    expectation = "The server unmasks both and echoes them; clean close "
      .. "with 1000.",
    requirements = { "R6455-5.3-05", "R6455-6.2-07", "R6455-5.3-06" },
    roles = { "server" },
    run = function(s)
      local p = string.rep("masking-", 8)
      s:send_frame { opcode = 1, payload = p, key = key }
      s:send_frame { opcode = 1, payload = p:sub(1, 21), fin = false,
                     key = key }
      s:send_frame { opcode = 0, payload = p:sub(22, 43), fin = false,
                     key = key }
      s:send_frame { opcode = 0, payload = p:sub(44), key = key }
      s:expect { ok = { { "text", p }, { "text", p } } }
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    end,
  }
end
key_case("16.3.1", "\0\0\0\0", "00 00 00 00")
key_case("16.3.2", "\xff\xff\xff\xff", "ff ff ff ff")
key_case("16.3.3", "\x80\x00\x00\x01", "80 00 00 01")

-- 16.4: a Close with 1002 before TCP goes (RFC 6455 7.1.7 and 10.7).
case {
  id = "16.4",
  title = "Unmasked frame: a Close with a status code before the drop",
  description = "Send the text frame \"Hello\" to a server without a mask.",
  expectation = "The server sends a Close with 1002 before closing TCP "
    .. "(OK); dropping TCP without a Close is NON-STRICT.",
  requirements = { "R6455-10.7-03", "R6455-7.1.7-05", "R6455-5.1-03" },
  roles = { "server" },
  run = function(s)
    s:send_frame { opcode = 1, payload = "Hello", mask = false }
    s:pause(2)
    s:expect_close { by_me = false, codes = { 1002 }, clean = false }
    if s:is_open() then
      s:verdict("FAILED", "the server did not fail the connection")
    elseif s.close_code == nil then
      s:verdict("NON-STRICT", "TCP was dropped without a Close frame")
    else
      s:verdict("OK", "a Close with " .. s.close_code .. " came first")
    end
  end,
}
