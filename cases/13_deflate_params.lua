-- Category 13, permessage-deflate with different parameters (RFC 7692):
-- the round trips of category 12 on the JSON data set, under each
-- combination of context takeover and window size Autobahn|Testsuite
-- tests.  Ids 13.1.1-13.7.18, the same message sizes, auto-fragment sizes,
-- timeouts, offers and answers.
--
-- Testing a server (wsprobe is the client), 13.y offers, in this order:
--   13.1 the default offer, 13.2 + server_no_context_takeover,
--   13.3 + server_max_window_bits=9, 13.4 + server_max_window_bits=15,
--   13.5 both with 9, 13.6 both with 15, 13.7 three offers: 13.5's, 13.2's
--   and 13.1's.
-- Testing a client (wsprobe is the server), 13.y answers the client's
-- offer: 13.1 accepts it, 13.2 asks for client_no_context_takeover, 13.3
-- and 13.4 for client_max_window_bits=9 and =15, 13.5 and 13.6 for both,
-- 13.7 tries 13.5's, 13.2's and 13.1's answer in that order.  A parameter
-- is asked for only when the client's offer allows it (it carries that
-- parameter); otherwise nothing is agreed and the case is UNIMPLEMENTED,
-- as in Autobahn.  Autobahn used window 8 until 2021; zlib refuses 8, so
-- it is 9 there and here.
--
-- Two differences from Autobahn's server, from wsprobe's negotiation
-- (proto/pmd.c): an offer's client_no_context_takeover hint is always
-- echoed (13.1, 13.3 and 13.4 too), which RFC 7692 section 7.1.1.2 allows
-- and which frees the server's window; and client_max_window_bits=15 is
-- not written in the answer, since absent means 15 (13.4, 13.6).
--
-- The JSON generator and the round-trip driver are copies of those in
-- cases/12_deflate_payloads.lua (case files cannot share code); keep both
-- in step.

-- Autobahn's message-size table: size, case timeout (s), auto-fragment
-- size (0: one frame).  Case x.y.i uses row i.
local ROWS = {
  { 16, 60, 0 }, { 64, 60, 0 }, { 256, 120, 0 }, { 1024, 240, 0 },
  { 4096, 480, 0 }, { 8192, 480, 0 }, { 16384, 480, 0 }, { 32768, 480, 0 },
  { 65536, 480, 0 }, { 131072, 480, 0 },
  { 8192, 480, 256 }, { 16384, 480, 256 }, { 32768, 480, 256 },
  { 65536, 480, 256 }, { 131072, 480, 256 }, { 131072, 480, 1024 },
  { 131072, 480, 4096 }, { 131072, 480, 32768 },
}
local COUNT = 1000

-- The offer Autobahn's client sends by default: the client can honour
-- client_no_context_takeover and client_max_window_bits if asked.
local DEFAULT_OFFER = "permessage-deflate; client_no_context_takeover; "
  .. "client_max_window_bits"

-- The offer Autobahn's client sends by default: the client can honour
-- client_no_context_takeover and client_max_window_bits if asked.
local DEFAULT_OFFER = "permessage-deflate; client_no_context_takeover; "
  .. "client_max_window_bits"

-- --- the JSON data set (as in category 12) -------------------------------

-- A 64-bit LCG (Knuth's MMIX constants; Lua integers wrap).  rnd(n) gives
-- 0..n-1 from the high bits.
local function lcg(seed)
  local x = seed
  return function(n)
    x = x * 6364136223846793005 + 1442695040888963407
    return ((x >> 33) % n)
  end, function()
    x = x * 6364136223846793005 + 1442695040888963407
    return x
  end
end

-- Appends whitespace (spaces, a newline every 64) to reach exactly
-- target bytes; parts is a list of strings, len their total.
local function pad(parts, len, target, closing)
  local need = target - len - #closing
  local chunk = {}
  while need > 0 do
    local n = need > 64 and 64 or need
    chunk[#chunk + 1] = string.rep(" ", n - 1) .. "\n"
    if n == 1 then chunk[#chunk] = "\n" end
    need = need - n
  end
  parts[#parts + 1] = table.concat(chunk)
  parts[#parts + 1] = closing
  return table.concat(parts)
end

local FIRST = { "Jürgen", "Zoë", "José", "Łukasz", "Søren", "Ólafur",
  "Nguyễn", "Δημήτρης", "Иван", "王伟", "Ayşe", "François", "Amelia",
  "Noah", "Chloé", "Mateo", "Ingrid", "Kenji", "Priya", "Björk" }
local LAST = { "Müller", "Schröder", "García", "Nowak", "Øster", "Dubois",
  "Smith", "Tanaka", "Kowalski", "Rossi", "Ferreira", "Öztürk", "Papadopoulos",
  "Ivanova", "Lindqvist", "O'Brien", "Nakamura", "Søndergaard" }
local WORDS = { "lorem", "ipsum", "dolor", "sit", "amet", "consectetur",
  "adipiscing", "elit", "sed", "do", "eiusmod", "tempor", "incididunt", "ut",
  "labore", "et", "dolore", "magna", "aliqua", "enim", "ad", "minim",
  "veniam", "quis", "nostrud", "exercitation", "ullamco", "laboris", "nisi",
  "aliquip", "ex", "ea", "commodo", "consequat", "naïve", "café", "façade",
  "smörgåsbord", "crème", "brûlée", "jalapeño", "über", "Straße", "🙂" }
local TAGS = { "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta",
  "theta", "iota", "kappa", "lambda", "mu" }

local function pick(rnd, t) return t[rnd(#t) + 1] end

local function sentence(rnd, n)
  local w = {}
  for i = 1, n do w[i] = pick(rnd, WORDS) end
  local s = table.concat(w, " ")
  return s:sub(1, 1):upper() .. s:sub(2) .. "."
end

-- A JSON document of 194056 bytes (Autobahn's data1.json): an array of
-- user records with nested objects, numbers, booleans and non-ASCII names.
local function gen_json()
  local rnd = lcg(0x4a534f4e)
  local parts, len = { '{"generator":"wsprobe","records":[\n' }, 0
  len = #parts[1]
  local id = 0
  while len < 194056 - 1200 do
    id = id + 1
    local friends = {}
    for f = 1, 1 + rnd(3) do
      friends[f] = string.format('{"id":%d,"name":"%s %s"}', rnd(10000),
        pick(rnd, FIRST), pick(rnd, LAST))
    end
    local tags = {}
    for t = 1, 2 + rnd(4) do tags[t] = '"' .. pick(rnd, TAGS) .. '"' end
    local first, last = pick(rnd, FIRST), pick(rnd, LAST)
    local rec = string.format(
      '%s{"id":%d,"guid":"%08x-%04x-%04x","active":%s,"balance":%d.%02d,'
      .. '"age":%d,"name":"%s %s","email":"user%d@example.org",'
      .. '"location":{"lat":%d.%06d,"lon":%d.%06d},"tags":[%s],'
      .. '"about":"%s","friends":[%s]}',
      id > 1 and ",\n" or "", id, rnd(0x7fffffff), rnd(0x10000),
      rnd(0x10000), rnd(2) == 1 and "true" or "false", rnd(100000), rnd(100),
      18 + rnd(60), first, last, id, rnd(180) - 90, rnd(1000000),
      rnd(360) - 180, rnd(1000000), table.concat(tags, ","),
      sentence(rnd, 8 + rnd(20)), table.concat(friends, ","))
    parts[#parts + 1] = rec
    len = len + #rec
  end
  parts[#parts + 1] = "\n]"
  len = len + 2
  return pad(parts, len, 194056, "}\n")
end

local cache

-- The JSON data set: { bytes = string, text = true, n = code points,
-- off = byte offset of each code point (off[n + 1] = #bytes + 1) }.
local function dataset()
  if cache then return cache end
  local bytes = gen_json()
  local off, n = {}, 0
  for p in utf8.codes(bytes) do
    n = n + 1
    off[n] = p
  end
  off[n + 1] = #bytes + 1
  cache = { bytes = bytes, text = true, n = n, off = off }
  return cache
end

-- The window of len units starting at unit ptr (0-based), wrapping at the
-- end of the data set; returns it and the next start.
local function window(d, ptr, len)
  local to = (ptr + len) % d.n
  local b, off = d.bytes, d.off
  local from_b = off and off[ptr + 1] or ptr + 1
  local to_b = off and off[to + 1] - 1 or to
  if to > ptr then return b:sub(from_b, to_b), to end
  return b:sub(from_b) .. b:sub(1, to_b), to
end

-- --- the round-trip driver ---------------------------------------------

local function round_trips(s, d, row)
  local size, timeout, frag = row[1], row[2], row[3]
  if not s.deflate then
    s:verdict("UNIMPLEMENTED", s.role == "client"
      and "the server declined permessage-deflate"
      or "permessage-deflate not agreed: the client offered none this "
        .. "case's answer fits")
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close(1000)
    return
  end
  s:stop_wirelog()
  s:expect_close { by_me = true, codes = { 1000 }, clean = true }
  local kind = d.text and "text" or "binary"
  local send = d.text and s.send_text or s.send_binary
  local opts = frag > 0 and { fragment = frag } or nil
  local t_end = s.elapsed + timeout
  local ptr, msg = 0, nil
  for i = 1, COUNT do
    msg, ptr = window(d, ptr, size)
    send(s, msg, opts)
    local left = t_end - s.elapsed
    local ev = left > 0 and s:receive(left) or nil
    if ev == nil then
      if s:is_open() then
        s:verdict("FAILED", string.format(
          "the case did not finish within %d s (%d of %d echoes received)",
          timeout, i - 1, COUNT))
      else
        s:verdict("FAILED", string.format(
          "the connection closed after %d of %d echoes", i - 1, COUNT))
      end
      s:close(1000)
      return
    end
    if ev.type ~= kind then
      s:verdict("FAILED", string.format(
        "echo %d: a %s message came back for a %s message", i, ev.type, kind))
      s:close(1000)
      return
    end
    if ev.data ~= msg then
      local at = 1
      while at <= #msg and ev.data:byte(at) == msg:byte(at) do at = at + 1 end
      s:verdict("FAILED", string.format(
        "echo %d differs from what was sent (%d bytes back, %d sent, first "
        .. "difference at byte %d)", i, #ev.data, #msg, at))
      s:close(1000)
      return
    end
  end
  s:verdict("OK", string.format("all %d echoes matched", COUNT))
  s:close(1000)
end

-- --- the cases ------------------------------------------------------------

local BASE = { "R7692-5-13", "R7692-6.1-02", "R7692-6.2-01",
  "R7692-7.2.1-01", "R7692-7.2.1-06", "R7692-7.2.2-01" }
-- Context takeover: the server's side (offer) and the client's (answer).
local NCT = { "R7692-7.1.1.1-02", "R7692-7.2.1-11", "R7692-7.1.1.2-03",
  "R7692-7.2.1-08" }
-- Window bits: the server's (offer) and the client's (answer).
local BITS = { "R7692-7.1.2.1-04", "R7692-7.2.1-15", "R7692-7.1.2.2-03",
  "R7692-7.2.1-13" }

local function reqs(...)
  local r = {}
  for _, t in ipairs(BASE) do r[#r + 1] = t end
  for _, l in ipairs({ ... }) do
    for _, t in ipairs(l) do r[#r + 1] = t end
  end
  return r
end

-- Offer parameters and answer per subcategory: { no_context_takeover,
-- window bits (nil: not asked) }.
local function offer(nct, bits)
  return DEFAULT_OFFER .. (nct and "; server_no_context_takeover" or "")
    .. (bits and "; server_max_window_bits=" .. bits or "")
end
local function answer(nct, bits)
  return { client_no_context_takeover = nct or nil,
           client_max_window_bits = bits, only_if_offered = true }
end
local function say(nct, bits)
  local p = {}
  if nct then p[#p + 1] = "no context takeover" end
  if bits then p[#p + 1] = "window bits " .. bits end
  return #p > 0 and table.concat(p, ", ") or "defaults"
end

local SUBS = {
  { { { false } }, { false }, reqs() },
  { { { true } }, { true }, reqs(NCT) },
  { { { false, 9 } }, { false, 9 }, reqs(BITS) },
  { { { false, 15 } }, { false, 15 }, reqs(BITS) },
  { { { true, 9 } }, { true, 9 }, reqs(NCT, BITS) },
  { { { true, 15 } }, { true, 15 }, reqs(NCT, BITS) },
  { { { true, 9 }, { true }, { false } }, nil,
    reqs(NCT, BITS, { "R7692-5-02" }) },
}

for j, sub in ipairs(SUBS) do
  local offers, descs = {}, {}
  for k, o in ipairs(sub[1]) do
    offers[k] = offer(o[1], o[2])
    descs[k] = say(o[1], o[2])
  end
  local answers, adesc
  if sub[2] then
    answers = answer(sub[2][1], sub[2][2])
    adesc = "ask the client for " .. say(sub[2][1], sub[2][2])
  else
    answers = { answer(true, 9), answer(true), answer(false) }
    adesc = "try 13.5's, 13.2's and 13.1's answer in that order"
  end
  for i, row in ipairs(ROWS) do
    local size, timeout, frag = row[1], row[2], row[3]
    local fr = frag > 0 and string.format(", in frames of %d bytes", frag)
      or ", one frame each"
    case {
      id = string.format("13.%d.%d", j, i),
      title = string.format("%s: %d compressed text messages of %d code "
        .. "points%s", j == 7 and "Three offers (13.5, 13.2, 13.1)"
        or (sub[2][1] or sub[2][2]) and say(sub[2][1], sub[2][2]):gsub("^n", "N")
        :gsub("^w", "W") or "Default parameters", COUNT, size, fr),
      description = string.format(
        "Agree to permessage-deflate (client: the offer%s \"%s\"; server: %s, "
        .. "only where the client's offer allows it). Send %d compressed "
        .. "text messages of %d code points%s, each a consecutive window of "
        .. "a generated JSON document of 194056 bytes (wrapping at its "
        .. "end), and wait for each echo before sending the next.",
        #offers > 1 and "s" or "", table.concat(offers, ", "), adesc, COUNT,
        size, fr),
      expectation = string.format(
        "Every echo is a text message with the content sent, all %d within "
        .. "%d s; then the connection closes cleanly with code 1000. "
        .. "UNIMPLEMENTED when no permessage-deflate configuration is agreed.",
        COUNT, timeout),
      requirements = sub[3],
      run = function(s)
        local ok
        if s.role == "client" then
          ok = s:open { extensions = offers }
        else
          ok = s:open { deflate = answers }
        end
        if not ok then return end
        round_trips(s, dataset(), row)
      end,
    }
  end
end
