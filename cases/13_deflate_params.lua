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
-- The JSON data set, the message-size table and the round-trip driver are
-- those of category 12, from cases/lib/deflate_data.lua.

local D = use "deflate_data"
local ROWS, COUNT, DEFAULT_OFFER = D.ROWS, D.COUNT, D.DEFAULT_OFFER
local round_trips = D.round_trips

-- The JSON document, data set 1 of category 12.
local function dataset() return D.dataset(1) end

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
