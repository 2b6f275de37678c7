-- cases/lib/deflate_data.lua: what categories 12 and 13 share, loaded by
-- their case files with  local D = use "deflate_data"  (docs/cases.md, "Code
-- shared by case files").  It declares no case.
--
-- The data sets of Autobahn|Testsuite's categories 12 and 13, generated
-- deterministically, once per Lua state, with no third-party data files: a
-- JSON document, a 512x512 grey BMP image, German verse (sent as binary),
-- an HTML page and a PDF-like binary, of the sizes of Autobahn's files.
-- Messages are consecutive windows of a data set that wrap around at its
-- end, as in Autobahn; for the text data sets a window is counted in code
-- points (so its byte length can exceed the listed size).
--
-- And the round-trip driver: 1000 compressed messages, each sent only after
-- the previous one came back, every echo compared in full with what was
-- sent.  The verdict is the case's own: OK when all 1000 echoes match,
-- FAILED at the first mismatch, closed connection or the case timeout,
-- UNIMPLEMENTED when the peer did not agree to permessage-deflate.
-- Autobahn checks each echo by SHA-1; wsprobe compares the whole content.
--
-- Returns { ROWS, COUNT, DEFAULT_OFFER, SETS, SIZES, dataset, window,
-- round_trips } (each described where it is defined below).  Changing a generator
-- changes the bytes every 12.x and 13.x case sends.

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

-- --- deterministic generation ------------------------------------------

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

-- A 512x512 8-bit grey BMP of 263222 bytes (Autobahn's lena512.bmp):
-- file header, info header, a 256-entry grey palette, then smooth shapes
-- with a little noise, bottom row first.
local function gen_bmp()
  local rnd = lcg(0x424d5034)
  local head = string.pack("<c2I4I2I2I4", "BM", 263222, 0, 0, 1078)
    .. string.pack("<I4i4i4I2I2I4I4i4i4I4I4", 40, 512, 512, 1, 8, 0,
      262144, 2835, 2835, 256, 256)
  local pal = {}
  for i = 0, 255 do pal[#pal + 1] = string.char(i, i, i, 0) end
  local sx, cy = {}, {}
  for x = 0, 511 do sx[x] = math.sin(x / 37) * 40 end
  for y = 0, 511 do cy[y] = math.cos(y / 53) * 40 end
  local rows, row = {}, {}
  for y = 0, 511 do
    local dy = (y - 300) * (y - 300)
    for x = 0, 511 do
      local v = 110 + sx[x] + cy[y] + (x + y) / 16
      local d = (x - 220) * (x - 220) + dy
      if d < 14400 then v = v + 50 - d / 400 end
      v = math.floor(v) + rnd(9) - 4
      if v < 0 then v = 0 elseif v > 255 then v = 255 end
      row[x + 1] = v
    end
    rows[y + 1] = string.char(table.unpack(row, 1, 512))
  end
  return head .. table.concat(pal) .. table.concat(rows)
end

-- German verse of 222218 bytes (Autobahn's Faust I, pg2229.txt), UTF-8,
-- sent as binary: speakers, stage directions and rhymed-looking lines.
local DE = { "ich", "du", "der", "die", "das", "und", "nicht", "mit", "Herz",
  "Welt", "Geist", "Nacht", "Licht", "Seele", "Himmel", "Erde", "Stunde",
  "schön", "süß", "müde", "Glück", "Träume", "Mädchen", "Gefühl", "Freude",
  "weiß", "groß", "Fuß", "heiß", "über", "für", "hätte", "möchte", "würde",
  "Kräfte", "Bücher", "Wissenschaft", "Teufel", "Gretchen", "Schüler",
  "Zauber", "Blut", "Kuss", "Gott", "Leben", "Tod", "ewig", "wieder",
  "zurück", "hinaus", "hinein", "Öde", "Äther", "Übermut", "dämmert" }
local SPEAKERS = { "FAUST.", "MEPHISTOPHELES.", "WAGNER.", "MARGARETE.",
  "MARTHE.", "SCHÜLER.", "CHOR DER ENGEL.", "HEXE.", "VALENTIN." }
local function gen_prose()
  local rnd = lcg(0x46415553)
  local parts = { "Faust. Eine Tragödie (wsprobe-Fassung)\r\n\r\n" }
  local len = #parts[1]
  while len < 222218 - 400 do
    local block = { pick(rnd, SPEAKERS) }
    if rnd(5) == 0 then
      block[#block + 1] = "(" .. sentence(rnd, 4 + rnd(6)) .. ")"
    end
    for _ = 1, 2 + rnd(8) do
      local w = {}
      for i = 1, 4 + rnd(5) do w[i] = pick(rnd, DE) end
      local line = table.concat(w, " ")
      block[#block + 1] = line:sub(1, 1):upper() .. line:sub(2)
        .. (rnd(3) == 0 and "!" or rnd(2) == 0 and "," or ";")
    end
    local b = table.concat(block, "\r\n") .. "\r\n\r\n"
    parts[#parts + 1] = b
    len = len + #b
  end
  return pad(parts, len, 222218, "ENDE.\r\n")
end

-- An HTML page of 263647 bytes (Autobahn's data1.html): head with style,
-- navigation, sections of headings, paragraphs, lists and tables.
local function gen_html()
  local rnd = lcg(0x48544d4c)
  local parts = { "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
    .. "<meta charset=\"utf-8\">\n<title>wsprobe test page</title>\n"
    .. "<style>body{font-family:sans-serif;margin:2em}"
    .. "table{border-collapse:collapse}td,th{border:1px solid #ccc;"
    .. "padding:4px}.note{color:#555}</style>\n</head>\n<body>\n<nav><ul>\n" }
  for i = 1, 40 do
    parts[#parts + 1] = string.format(
      "<li><a href=\"/section/%d\" title=\"%s\">%s</a></li>\n", i,
      pick(rnd, WORDS), pick(rnd, TAGS))
  end
  parts[#parts + 1] = "</ul></nav>\n<main>\n"
  local len = 0
  for _, p in ipairs(parts) do len = len + #p end
  local sec = 0
  while len < 263647 - 3000 do
    sec = sec + 1
    local b = { string.format("<section id=\"s%d\">\n<h2>%d. %s</h2>\n", sec,
      sec, sentence(rnd, 3 + rnd(4))) }
    for _ = 1, 1 + rnd(4) do
      b[#b + 1] = "<p>" .. sentence(rnd, 10 + rnd(30)) .. " <em>"
        .. pick(rnd, WORDS) .. "</em> &amp; <a href=\"https://example.org/"
        .. pick(rnd, TAGS) .. "/" .. rnd(1000) .. "\">" .. pick(rnd, WORDS)
        .. "</a> " .. sentence(rnd, 5 + rnd(15)) .. "</p>\n"
    end
    if rnd(2) == 0 then
      b[#b + 1] = "<ul class=\"note\">\n"
      for _ = 1, 2 + rnd(5) do
        b[#b + 1] = "  <li>" .. sentence(rnd, 3 + rnd(8)) .. "</li>\n"
      end
      b[#b + 1] = "</ul>\n"
    else
      b[#b + 1] = "<table>\n<tr><th>Name</th><th>Value</th><th>Tag</th></tr>\n"
      for _ = 1, 2 + rnd(6) do
        b[#b + 1] = string.format(
          "<tr><td>%s %s</td><td>%d.%02d</td><td>%s</td></tr>\n",
          pick(rnd, FIRST), pick(rnd, LAST), rnd(10000), rnd(100),
          pick(rnd, TAGS))
      end
      b[#b + 1] = "</table>\n"
    end
    b[#b + 1] = "</section>\n"
    local s = table.concat(b)
    parts[#parts + 1] = s
    len = len + #s
  end
  parts[#parts + 1] = "</main>\n"
  len = len + 8
  return pad(parts, len, 263647, "</body>\n</html>\n")
end

-- A PDF-like binary of 1042328 bytes (Autobahn's 10.1.1.105.5439.pdf):
-- header, objects (dictionaries in ASCII, streams of high-entropy bytes as
-- compressed streams are), a cross-reference table and trailer.
local function gen_pdf()
  local _, r64 = lcg(0x25504446)
  local rnd = lcg(0x504446)
  local parts = { "%PDF-1.5\n%\xe2\xe3\xcf\xd3\n" }
  local len = #parts[1]
  local offsets = {}
  local function add(s)
    parts[#parts + 1] = s
    len = len + #s
  end
  local function stream(n)
    local t = {}
    for i = 1, n // 8 do t[i] = string.pack("<i8", r64()) end
    return table.concat(t) .. string.pack("<i8", r64()):sub(1, n % 8)
  end
  local obj = 0
  local target = 1042328
  while true do
    obj = obj + 1
    offsets[obj] = len
    if obj % 4 == 1 then
      add(string.format("%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox "
        .. "[0 0 612 792] /Contents %d 0 R /Resources << /Font << /F1 %d 0 R "
        .. ">> >> >>\nendobj\n", obj, obj + 1, 3 + rnd(5)))
    else
      -- The cross-reference table and trailer take 20 bytes per object
      -- plus about 120: the last stream is sized so that the file ends
      -- near the target, and the few bytes left are trailing newlines.
      local tail = (obj + 1) * 20 + 160
      local left = target - len - tail - 80
      local n = 2000 + rnd(30000)
      local last = left <= n + 2000
      if last then n = left end
      add(string.format("%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\n"
        .. "stream\n", obj, n) .. stream(n) .. "\nendstream\nendobj\n")
      if last then break end
    end
  end
  local xref = len
  local x = { string.format("xref\n0 %d\n0000000000 65535 f \n", obj + 1) }
  for i = 1, obj do x[#x + 1] = string.format("%010d 00000 n \n", offsets[i]) end
  add(table.concat(x))
  add(string.format("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n"
    .. "%%%%EOF\n", obj + 1, xref))
  if len < target then add(string.rep("\n", target - len)) end
  return table.concat(parts)
end

-- --- data sets and windows ---------------------------------------------

-- name, what, generator, sent as text.
local SETS = {
  { "JSON document", gen_json, true },
  { "512x512 grey BMP image", gen_bmp, false },
  { "German verse (sent as binary)", gen_prose, false },
  { "HTML page", gen_html, true },
  { "PDF-like binary", gen_pdf, false },
}
local SIZES = { 194056, 263222, 222218, 263647, 1042328 }

local cache = {}

-- The data set k: { bytes = string, twice = bytes .. bytes, text = bool,
-- n = units, off = the byte offset of each code point (text only), packed
-- four bytes each: off_at(d, i) is that of code point i, off_at(d, n + 1) =
-- #bytes + 1 }.  twice lets a window that wraps be cut in one piece.  The
-- offsets are a string, not a table: the garbage collector, run often by
-- the 12.x/13.x messages, walks a table of 190,000 entries every cycle and
-- skips a string.
local function dataset(k)
  local d = cache[k]
  if d then return d end
  local bytes = SETS[k][2]()
  d = { bytes = bytes, twice = bytes .. bytes, text = SETS[k][3],
    n = #bytes, name = "deflate_data set " .. k }
  if d.text then
    local off, n = {}, 0
    for p in utf8.codes(bytes) do
      n = n + 1
      off[n] = string.pack("<I4", p)
    end
    off[n + 1] = string.pack("<I4", #bytes + 1)
    d.off, d.n = table.concat(off), n
  end
  cache[k] = d
  return d
end

local function off_at(d, i)
  return (string.unpack("<I4", d.off, 4 * i - 3))
end

-- The window of len units (at most the set's size) starting at unit ptr
-- (0-based), wrapping at the end of the data set: its first and last byte
-- in d.twice (12.x.10 and 12.x.15-18 wrap two times in three), and the
-- next start.  The bytes are sent and compared where they are, never cut
-- into a string of their own (s:send_text's from/to, s:receive's compare).
local function window(d, ptr, len)
  assert(len <= d.n, "window longer than the data set")
  local to = (ptr + len) % d.n
  local from_b, to_b = ptr + 1, to
  if d.off then
    from_b, to_b = off_at(d, ptr + 1), off_at(d, to + 1) - 1
  end
  if to <= ptr then to_b = to_b + #d.bytes end
  return from_b, to_b, to
end

-- --- the round-trip driver ---------------------------------------------

-- Plays one case on the open session s: COUNT round trips of windows of
-- data set d (from dataset) under row (size, timeout, fragment size) of
-- ROWS, then the verdict and a close with 1000.
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
  -- reuse: a window's compressed form is made once per run when our
  -- compressor starts each message afresh (12.1 and 13.1-13.7 send the
  -- same JSON windows); the bytes sent are the same (harness/zcache.h).
  local opts = { fragment = frag, reuse = d.name }
  local compare = { d.twice }
  local t_end = s.elapsed + timeout
  local ptr, from_b, to_b = 0, 0, 0
  for i = 1, COUNT do
    from_b, to_b, ptr = window(d, ptr, size)
    opts.from, opts.to = from_b, to_b
    send(s, d.twice, opts)
    local left = t_end - s.elapsed
    compare.from, compare.to = from_b, to_b
    local ev = left > 0 and s:receive(left, compare) or nil
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
    if ev.differs_at then
      s:verdict("FAILED", string.format(
        "echo %d differs from what was sent (%d bytes back, %d sent, first "
        .. "difference at byte %d)", i, ev.len, to_b - from_b + 1,
        ev.differs_at))
      s:close(1000)
      return
    end
  end
  s:verdict("OK", string.format("all %d echoes matched", COUNT))
  s:close(1000)
end

return {
  ROWS = ROWS,
  COUNT = COUNT,
  DEFAULT_OFFER = DEFAULT_OFFER,
  SETS = SETS,
  SIZES = SIZES,
  dataset = dataset,
  window = window,
  round_trips = round_trips,
}
