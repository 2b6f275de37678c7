-- cases.lua: three cases with known verdicts against wsprobe's echo server,
-- for the baseline tests (tests/reports/baseline.sh): 90.1 passes, 90.2
-- fails (it expects an echo of something it never sent), 90.3 judges itself
-- NON-STRICT.  Short timers, so a run takes a fraction of a second.

local function text_case(id, title, sent, expected)
  case {
    id = id,
    title = title,
    description = "Send the text message '" .. sent .. "'.",
    expectation = "The peer echoes '" .. expected .. "'.",
    requirements = { "R6455-5.6-01" },
    roles = { "server" },
    run = function(s)
      s:send_text(sent)
      s:expect { ok = { { "text", expected } } }
      s:expect_close { by_me = true, codes = { 1000 }, clean = true }
      s:close_after(0.2)
    end,
  }
end

text_case("90.1", "an echo that passes", "hello", "hello")
text_case("90.2", "an echo that fails", "hello", "something else")

case {
  id = "90.3",
  title = "a case that judges itself NON-STRICT",
  description = "Send a Ping.",
  expectation = "Any answer; the case says NON-STRICT.",
  requirements = { "R6455-5.5.2-02" },
  roles = { "server" },
  run = function(s)
    s:send_ping("x")
    s:pause(0.05)
    s:verdict("NON-STRICT", "judged by the case itself")
    s:expect_close { by_me = true, codes = { 1000 }, clean = true }
    s:close_after(0.2)
  end,
}
