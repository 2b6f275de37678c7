#!/usr/bin/python3
"""results.py: reads wsprobe's results.json for the integration tests.

Standard library only.  Each command prints what the shell scripts compare
and exits 0, or prints one line per problem and exits 1.

  results.py verdicts FILE
      "ID VERDICT" per case, in the report's order.
  results.py canon FILE
      The report as canonical JSON with every duration_ms removed (the
      only field two runs with the same seed may differ in), and, in
      INFORMATIONAL cases, what was observed (events, reasons, the peer's
      close code): those cases record a race they do not judge; and the
      frames we sent, our Close and whether the closing was clean, in
      cases the peer failed with a code other than 1000 (how much got
      out before it closed TCP is a race too).
  results.py compare EXPECTED FILE
      Compares the verdicts with an expected file: lines "ID VERDICT",
      VERDICT may list alternatives "OK|NON-STRICT"; '#' starts a comment.
      Every case run must be listed and every listed case must have run.
  results.py hostile FILE MAX_MS REGEX [MUST_FAIL_PATTERNS]
      Every case lasted at most MAX_MS; no reason speaks of memory or an
      internal error; every FAILED case's reason or close_reason matches
      REGEX; cases whose ids match one of the
      comma-separated MUST_FAIL_PATTERNS ('*' wildcard, '!' before a
      pattern excludes; default '*') are FAILED; at least one case ran.
  results.py rewrite-expected OLD FILE
      Prints an expected file for FILE's verdicts, keeping OLD's comments
      and alternatives where OLD still lists the case with a verdict that
      allows what ran.
"""
import fnmatch
import json
import re
import sys


def cases(path):
    with open(path) as f:
        report = json.load(f)
    out = []
    for agent in report["agents"]:
        out.extend(agent["cases"])
    return report, out


def load_expected(path):
    """{id: ([verdicts], line)} and the comment/order information."""
    exp = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            parts = text.split()
            if len(parts) != 2:
                sys.exit("%s:%d: want 'ID VERDICT'" % (path, n))
            exp[parts[0]] = (parts[1].split("|"), line.rstrip("\n"))
    return exp


def cmd_verdicts(path):
    for c in cases(path)[1]:
        print(c["id"], c["verdict"])
    return 0


# Transport facts that depend on how TCP and the scheduler split the
# traffic, not on the seed: durations, the wire log (timestamps, and how
# sent and received bytes interleave) and read/write size statistics.
TIMING_FIELDS = ("duration_ms", "wirelog", "rx_octet_stats", "tx_octet_stats")


def strip_durations(x):
    if isinstance(x, dict):
        return {k: strip_durations(v) for k, v in x.items()
                if k not in TIMING_FIELDS}
    if isinstance(x, list):
        return [strip_durations(v) for v in x]
    return x


# What an INFORMATIONAL case observed depends on timing by design (7.1.6:
# whether the peer echoes before it answers a Close); its verdict does not.
RACY_FIELDS = ("events", "reason", "close_reason", "remote_close_code",
               "remote_close_reason")


def cmd_canon(path):
    with open(path) as f:
        report = json.load(f)
    report = strip_durations(report)
    for agent in report.get("agents", []):
        for c in agent.get("cases", []):
            if c.get("verdict") == "INFORMATIONAL":
                for k in RACY_FIELDS:
                    c.pop(k, None)
            # When the peer fails the connection (a close code other than
            # 1000, not ours) while we are still writing (18.1: refused
            # at the header of a 64 MiB frame), how much of our traffic,
            # our Close included, got out before its close is a race.
            if (not c.get("closed_by_me") and
                    c.get("remote_close_code") not in (None, 1000)):
                # Whether our Close reply got out before we read its FIN
                # is the same race (18.1: FIN read in the middle of our
                # 64 MiB + 1 write, or after it).
                for k in ("tx_frame_stats", "local_close_code",
                          "local_close_reason", "was_clean",
                          "was_not_clean_reason"):
                    c.pop(k, None)
    print(json.dumps(report, indent=1, sort_keys=True))
    return 0


def cmd_compare(expected, path):
    exp = load_expected(expected)
    bad = 0
    seen = set()
    for c in cases(path)[1]:
        seen.add(c["id"])
        want = exp.get(c["id"])
        if want is None:
            print("case %s: %s, but %s does not list it" %
                  (c["id"], c["verdict"], expected))
            bad += 1
        elif c["verdict"] not in want[0]:
            print("case %s: %s, expected %s (%s / %s)" %
                  (c["id"], c["verdict"], "|".join(want[0]), c["reason"],
                   c["close_reason"]))
            bad += 1
    for cid in exp:
        if cid not in seen:
            print("case %s: listed in %s but did not run" % (cid, expected))
            bad += 1
    return 1 if bad else 0


def must_fail_case(cid, pats):
    """Matches one of pats and none of the '!'-prefixed ones."""
    yes = any(fnmatch.fnmatchcase(cid, p) for p in pats if p[0] != "!")
    no = any(fnmatch.fnmatchcase(cid, p[1:]) for p in pats if p[0] == "!")
    return yes and not no


def cmd_hostile(path, max_ms, regex, must_fail="*"):
    pats = [p for p in must_fail.split(",") if p]
    rx = re.compile(regex)
    bad = 0
    run = cases(path)[1]
    if not run:
        print("no case ran")
        return 1
    for c in run:
        why = "%s / %s" % (c["reason"], c["close_reason"])
        if c["duration_ms"] > int(max_ms):
            print("case %s: took %d ms, over %s ms" %
                  (c["id"], c["duration_ms"], max_ms))
            bad += 1
        if re.search(r"memory|internal error", why, re.I):
            # Under ulimit -v an allocation sized from an announced length
            # fails instead of showing in the resident size: catch that.
            print("case %s: the reasons speak of memory or an internal "
                  "error: %s" % (c["id"], why))
            bad += 1
        if c["verdict"] == "FAILED":
            if not rx.search(why):
                print("case %s: FAILED, but the reasons do not match /%s/: "
                      "%s" % (c["id"], regex, why))
                bad += 1
        elif must_fail_case(c["id"], pats):
            print("case %s: %s, expected FAILED (%s)" %
                  (c["id"], c["verdict"], why))
            bad += 1
    return 1 if bad else 0


def cmd_rewrite(old, path):
    exp = load_expected(old) if old != "-" else {}
    if old != "-":
        # The header: the comment lines before the first case.
        with open(old) as f:
            for line in f:
                if not line.startswith("#"):
                    break
                print(line.rstrip("\n"))
    for c in cases(path)[1]:
        prev = exp.get(c["id"])
        if prev is not None and c["verdict"] in prev[0]:
            print(prev[1])
        else:
            print("%s %s" % (c["id"], c["verdict"]))
    return 0


def main(argv):
    cmds = {"verdicts": (cmd_verdicts, 1, 1), "canon": (cmd_canon, 1, 1),
            "compare": (cmd_compare, 2, 2), "hostile": (cmd_hostile, 3, 4),
            "rewrite-expected": (cmd_rewrite, 2, 2)}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.exit(__doc__)
    fn, lo, hi = cmds[argv[1]]
    if not lo <= len(argv) - 2 <= hi:
        sys.exit(__doc__)
    return fn(*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
