-- Category 12, permessage-deflate with different payloads (RFC 7692):
-- 1000 compressed messages, each sent only after the previous one came
-- back, every echo compared in full with what was sent.  Autobahn|Testsuite
-- ids 12.1.1-12.5.18: the same message sizes, auto-fragment sizes, timeouts
-- and default offer, and data sets of the same kind and size (a JSON
-- document, a 512x512 grey BMP image, German verse sent as binary, an HTML
-- page, a PDF-like binary).  wsprobe generates them itself, deterministically,
-- once per Lua state (no third-party data files).
--
-- The data sets, the message-size table and the round-trip driver are
-- shared with category 13: they live in cases/lib/deflate_data.lua, which
-- also says how messages are cut from a data set and how the verdict is
-- reached.

local D = use "deflate_data"
local ROWS, COUNT, DEFAULT_OFFER = D.ROWS, D.COUNT, D.DEFAULT_OFFER
local SETS, SIZES = D.SETS, D.SIZES
local dataset, round_trips = D.dataset, D.round_trips

-- --- the cases ------------------------------------------------------------

local REQS = { "R7692-5-13", "R7692-6.1-01", "R7692-6.1-02", "R7692-6.1-07",
  "R7692-6.1-08", "R7692-6.2-01", "R7692-7.2.1-01", "R7692-7.2.1-06",
  "R7692-7.2.2-01", "R7692-7.2.2-03", "R7692-7.2.2-05", "R7692-7.2.2-08",
  "R7692-7.2.2-10" }

for k, set in ipairs(SETS) do
  for i, row in ipairs(ROWS) do
    local size, timeout, frag = row[1], row[2], row[3]
    local unit = set[3] and "code points" or "bytes"
    local fr = frag > 0 and string.format(", in frames of %d bytes", frag)
      or ", one frame each"
    case {
      id = string.format("12.%d.%d", k, i),
      title = string.format("%s, %d compressed %s messages of %d %s%s",
        set[1], COUNT, set[3] and "text" or "binary", size, unit, fr),
      description = string.format(
        "Agree to permessage-deflate (client: the offer \"%s\"; server: "
        .. "accept the first offer as it is). Send %d compressed %s "
        .. "messages of %d %s%s, each a consecutive window of a generated "
        .. "%s of %d bytes (wrapping at its end), and wait for each echo "
        .. "before sending the next.",
        DEFAULT_OFFER, COUNT, set[3] and "text" or "binary", size, unit, fr,
        set[1], SIZES[k]),
      expectation = string.format(
        "Every echo has the type and content of the message sent, all %d "
        .. "within %d s; then the connection closes cleanly with code 1000. "
        .. "UNIMPLEMENTED when the peer does not agree to permessage-deflate.",
        COUNT, timeout),
      requirements = REQS,
      run = function(s)
        local ok
        if s.role == "client" then
          ok = s:open { extensions = { DEFAULT_OFFER } }
        else
          ok = s:open { deflate = true }
        end
        if not ok then return end
        round_trips(s, dataset(k), row)
      end,
    }
  end
end
