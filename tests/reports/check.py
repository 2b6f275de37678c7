#!/usr/bin/python3
"""check.py: checks of a wsprobe report folder with real parsers, for the
report tests (tests/reports/*.sh).  Debian's python3 with python3-jsonschema;
everything else is the standard library.

  check.py schema FILE...          every results.json against
                                   docs/results.schema.json (JSON Schema
                                   2020-12)
  check.py junit DIR               DIR/junit.xml parses as XML and agrees
                                   with DIR/results.json: a testsuite per
                                   agent and category, a testcase per case,
                                   failures and skips where they belong
  check.py autobahn DIR            DIR/index.json and every case file it names
                                   agree with DIR/results.json; sorted keys,
                                   3-space indent
  check.py dom DOM DIR             the DOM Chromium dumped from DIR/index.html
                                   after its script ran shows the counts of
                                   DIR/results.json and only the page's own
                                   script
  check.py ci-extract DOC OUT      the examples of docs/ci.md (the fenced
                                   block after each "<!-- ci-test: NAME -->")
                                   as shell scripts OUT/NAME.sh (GitHub: one
                                   OUT/github.N.sh per run: step), after
                                   checking that each workflow builds, runs
                                   with --baseline and publishes junit.xml
                                   and the report folder
  check.py hostile DIR TEXT...     every TEXT a hostile peer or user put in the
                                   run comes back unchanged from results.json,
                                   index.json and the case files (and from
                                   junit.xml, parsed, for TEXT written as
                                   j:TEXT), and index.html holds it only
                                   escaped

Prints one line per problem; exit 0 when there is none.
"""
import base64
import html
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "..", "docs", "results.schema.json")
VERDICTS = ["OK", "NON-STRICT", "FAILED", "INFORMATIONAL", "UNIMPLEMENTED"]
problems = []


def problem(msg):
    problems.append(msg)


def load_results(d):
    with open(os.path.join(d, "results.json"), encoding="utf-8") as f:
        return json.load(f)


def category(case_id):
    return case_id.split(".")[0]


def id_key(case_id):
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in case_id.split(".")]


def wire_bytes(c):
    w = c.get("wirelog")
    return base64.b64decode(w["data"], validate=True) if w else b""


def check_wirelog(path, c):
    w = c.get("wirelog")
    if not w:
        return
    data = wire_bytes(c)
    if len(data) != w["kept"] or sum(r[2] for r in w["records"]) != w["kept"]:
        problem("%s: %s: wirelog kept %d, data %d bytes, records %d" %
                (path, c["id"], w["kept"], len(data), sum(r[2] for r in w["records"])))
    if w["kept"] > w["cap"]:
        problem("%s: %s: wirelog keeps %d bytes over its cap %d" % (path, c["id"], w["kept"], w["cap"]))
    sent = sum(r[2] for r in w["records"] if r[1] == 0)
    recv = w["kept"] - sent
    complete = sent == w["bytes_sent"] and recv == w["bytes_received"]
    if complete == w["truncated"]:
        problem("%s: %s: wirelog truncated=%r, kept %d/%d bytes of %d/%d" %
                (path, c["id"], w["truncated"], sent, recv, w["bytes_sent"], w["bytes_received"]))
    if sum(c["tx_octet_stats"].values()) < sum(1 for r in w["records"] if r[1] == 0):
        problem("%s: %s: fewer writes counted than kept" % (path, c["id"]))


def cmd_schema(files):
    import jsonschema
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    for path in files:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        for e in v.iter_errors(doc):
            problem("%s: %s: %s" % (path, "/".join(str(p) for p in e.path), e.message))
        # What the schema cannot say: the summary counts the cases, and
        # a wire log's records add up to its bytes.
        for a in doc.get("agents", []):
            for c in a["cases"]:
                check_wirelog(path, c)
            s = a["summary"]
            counts = {k: 0 for k in VERDICTS}
            for c in a["cases"]:
                counts[c["verdict"]] += 1
            want = {"total": len(a["cases"]), "ok": counts["OK"],
                    "non_strict": counts["NON-STRICT"], "failed": counts["FAILED"],
                    "informational": counts["INFORMATIONAL"],
                    "unimplemented": counts["UNIMPLEMENTED"]}
            if s != want:
                problem("%s: agent %r: summary %r, cases say %r" % (path, a["agent"], s, want))


def cmd_junit(d):
    res = load_results(d)
    tree = ET.parse(os.path.join(d, "junit.xml"))
    root = tree.getroot()
    if root.tag != "testsuites":
        problem("junit: root is <%s>" % root.tag)
    for el in root.iter():
        if el.tag not in ("testsuites", "testsuite", "properties", "property",
                          "testcase", "failure", "skipped", "system-out"):
            problem("junit: unexpected element <%s>" % el.tag)
    suites = root.findall("testsuite")
    want_suites = []
    total = failures = skipped = 0
    for a in res["agents"]:
        items = [(c["id"], c.get("title"), c) for c in a["cases"]]
        items += [(x["id"], x.get("title"), None) for x in a.get("excluded", [])]
        items.sort(key=lambda t: id_key(t[0]))
        cats = []
        for cid, _, _ in items:
            if not cats or cats[-1][0] != category(cid):
                cats.append((category(cid), []))
            cats[-1][1].append(cid)
        for cat, ids in cats:
            want_suites.append(("%s: category %s" % (a["agent"], cat), cat, ids, a, items))
    if len(suites) != len(want_suites):
        problem("junit: %d testsuites, wanted %d" % (len(suites), len(want_suites)))
    for s, (name, cat, ids, a, items) in zip(suites, want_suites):
        if s.get("name") != name:
            problem("junit: testsuite name %r, wanted %r" % (s.get("name"), name))
        cases = s.findall("testcase")
        if [c.get("name").split(" ")[0] for c in cases] != ids:
            problem("junit: suite %r holds %r, wanted %r" % (name, [c.get("name") for c in cases], ids))
        nfail = nskip = 0
        for tc in cases:
            cid = tc.get("name").split(" ")[0]
            if tc.get("classname") != cat:
                problem("junit: %s classname %r" % (cid, tc.get("classname")))
            if not re.fullmatch(r"[0-9]+\.[0-9]{3}", tc.get("time", "")):
                problem("junit: %s time %r" % (cid, tc.get("time")))
            item = [t for t in items if t[0] == cid][0]
            title = item[1]
            want_name = cid + (" " + title if title else "")
            if tc.get("name") != want_name:
                problem("junit: name %r, wanted %r" % (tc.get("name"), want_name))
            c = item[2]
            if c is None:
                nskip += 1
                if tc.find("skipped") is None:
                    problem("junit: excluded %s is not <skipped/>" % cid)
                continue
            want_ms = c["duration_ms"]
            if tc.get("time") != "%d.%03d" % (want_ms // 1000, want_ms % 1000):
                problem("junit: %s time %s for %d ms" % (cid, tc.get("time"), want_ms))
            f = tc.find("failure")
            if (c["verdict"] == "FAILED") != (f is not None):
                problem("junit: %s verdict %s, failure element %r" % (cid, c["verdict"], f))
            if f is not None:
                nfail += 1
                if not f.get("message"):
                    problem("junit: %s failure without a message" % cid)
                if "behavior: " not in (f.text or ""):
                    problem("junit: %s failure text lacks the details" % cid)
        for attr, want in (("tests", len(cases)), ("failures", nfail), ("skipped", nskip), ("errors", 0)):
            if s.get(attr) != str(want):
                problem("junit: suite %r %s=%r, wanted %d" % (name, attr, s.get(attr), want))
        total += len(cases)
        failures += nfail
        skipped += nskip
    for attr, want in (("tests", total), ("failures", failures), ("skipped", skipped)):
        if root.get(attr) != str(want):
            problem("junit: testsuites %s=%r, wanted %d" % (attr, root.get(attr), want))


def check_sorted_indent(path, text):
    doc = json.loads(text)
    again = json.dumps(doc, indent=3, sort_keys=True, ensure_ascii=True,
                       separators=(",", ": ")) + "\n"
    # jansson writes \uFFFD where Python writes \ufffd: the same JSON.
    text_lc = re.sub(r"\\u[0-9A-Fa-f]{4}", lambda m: m.group(0).lower(), text)
    if text_lc != again:
        problem("%s: not written with sorted keys and a 3-space indent" % path)
    return doc


def cmd_autobahn(d):
    res = load_results(d)
    with open(os.path.join(d, "index.json"), encoding="utf-8") as f:
        idx = check_sorted_indent("index.json", f.read())
    for a in res["agents"]:
        entries = idx.get(a["agent"])
        if entries is None:
            problem("index.json: no agent %r" % a["agent"])
            continue
        if sorted(entries) != sorted(c["id"] for c in a["cases"]):
            problem("index.json: agent %r lists %r" % (a["agent"], sorted(entries)))
        form = re.sub(r"[^a-z0-9]", " ", a["agent"].lower()).strip().replace(" ", "_") or "agent"
        for n, c in enumerate(a["cases"], 1):
            e = entries.get(c["id"], {})
            want = {"behavior": c["behavior"], "behaviorClose": c["close_behavior"],
                    "duration": c["duration_ms"], "remoteCloseCode": c["remote_close_code"],
                    "reportfile": "%s_case_%s.json" % (form, c["id"].replace(".", "_"))}
            if e != want:
                problem("index.json: %s: %r, wanted %r" % (c["id"], e, want))
                continue
            path = os.path.join(d, e["reportfile"])
            with open(path, encoding="utf-8") as f:
                doc = check_sorted_indent(e["reportfile"], f.read())
            if len(doc) != 39:
                problem("%s: %d keys, Autobahn has 39" % (path, len(doc)))
            for k, v in (("agent", a["agent"]), ("id", c["id"]), ("case", n),
                         ("behavior", c["behavior"]), ("behaviorClose", c["close_behavior"]),
                         ("result", c["reason"]), ("resultClose", c["close_reason"]),
                         ("remoteCloseCode", c["remote_close_code"]),
                         ("remoteCloseReason", c["remote_close_reason"]),
                         ("httpRequest", c["http_request"]),
                         ("httpResponse", c["http_response"]),
                         ("received", c["events"]), ("isServer", a["role"] == "client")):
                if doc.get(k) != v:
                    problem("%s: %s is %r, wanted %r" % (e["reportfile"], k, doc.get(k), v))
            for k, rk in (("closedByMe", "closed_by_me"), ("failedByMe", "failed_by_me"),
                          ("droppedByMe", "dropped_by_me"), ("wasClean", "was_clean"),
                          ("wasNotCleanReason", "was_not_clean_reason"),
                          ("localCloseCode", "local_close_code"),
                          ("localCloseReason", "local_close_reason"),
                          ("rxFrameStats", "rx_frame_stats"), ("txFrameStats", "tx_frame_stats"),
                          ("rxOctetStats", "rx_octet_stats"), ("txOctetStats", "tx_octet_stats")):
                if doc.get(k) != c.get(rk):
                    problem("%s: %s is %r, wanted %r" % (e["reportfile"], k, doc.get(k), c.get(rk)))
            check_autobahn_wirelog(e["reportfile"], doc.get("wirelog"), c)


def check_autobahn_wirelog(name, log, c):
    """One RO/TO entry per read/write, each [len, at most 64 bytes of hex],
    frames as RF/TF entries, a truncated log ending with ["WLM", false]."""
    w = c.get("wirelog")
    if w is None:
        if log is not None:
            problem("%s: a wirelog where results.json has none" % name)
        return
    data = wire_bytes(c)
    octets = [x for x in log if x[0] in ("RO", "TO")]
    if len(octets) != len(w["records"]):
        problem("%s: %d RO/TO entries for %d records" % (name, len(octets), len(w["records"])))
        return
    off = 0
    for x, (_, d, n) in zip(octets, w["records"]):
        want_hex = data[off:off + min(n, 64)].hex() + (" ..." if n > 64 else "")
        off += n
        if x[0] != ("TO" if d == 0 else "RO") or x[1] != [n, want_hex]:
            problem("%s: entry %r for a %d-byte record in direction %d" % (name, x[:2], n, d))
            return
        if x[0] == "TO" and (len(x) != 3 or x[2] is not False):
            problem("%s: TO entry %r" % (name, x))
    for x in log:
        if x[0] == "RF" and len(x) != 7 or x[0] == "TF" and len(x) != 9:
            problem("%s: frame entry of %d items: %r" % (name, len(x), x[:3]))
    if w["truncated"] != (log[-1:] == [["WLM", False]]):
        problem("%s: truncated %r, last entry %r" % (name, w["truncated"], log[-1:]))
    frames = sum(c["rx_frame_stats"].values()) + sum(c["tx_frame_stats"].values())
    logged = sum(1 for x in log if x[0] in ("RF", "TF"))
    if not w["truncated"] and logged > frames:
        problem("%s: %d frames logged, %d counted" % (name, logged, frames))


def cmd_dom(dom_path, d):
    res = load_results(d)
    with open(dom_path, encoding="utf-8") as f:
        dom = f.read()
    if 'data-ready="1"' not in dom:
        problem("dom: the page's script did not finish (no data-ready)")
    if dom.count("<script") != 1:
        problem("dom: %d script elements, wanted 1" % dom.count("<script"))
    counts = {v: 0 for v in VERDICTS + ["EXCLUDED"]}
    for a in res["agents"]:
        for c in a["cases"]:
            counts[c["verdict"]] += 1
        counts["EXCLUDED"] += len(a.get("excluded", []))
    for v, n in counts.items():
        m = re.search(r'<output data-jscount="%s">([0-9]*)</output>' % re.escape(v), dom)
        if not m or m.group(1) != str(n):
            problem("dom: count of %s is %r, wanted %d" % (v, m and m.group(1), n))
        cells = len(re.findall(r'<td class="v v-%s[^"]*" data-v="%s">' % (re.escape(v), re.escape(v)), dom))
        if cells != n:
            problem("dom: %d cells %s, wanted %d" % (cells, v, n))
    total = sum(counts.values())
    m = re.search(r'<output id="f-shown">([0-9]*)</output>', dom)
    if not m or m.group(1) != str(total):
        problem("dom: shown %r, wanted %d" % (m and m.group(1), total))
    played = sum(len(a["cases"]) for a in res["agents"])
    if dom.count('<details class="case"') != played:
        problem("dom: %d case details, wanted %d" % (dom.count('<details class="case"'), played))
    # The wire log decoded: a table for each case with a log, a row for
    # each head, frame or run of raw bytes (at least one per direction
    # that has bytes).
    logs = [c["wirelog"] for a in res["agents"] for c in a["cases"]
            if c.get("wirelog") and c["wirelog"]["records"]]
    if dom.count('<table class="wl">') != len(logs):
        problem("dom: %d wire log tables, wanted %d" % (dom.count('<table class="wl">'), len(logs)))
    rows = dom.count('<tr class="tx">') + dom.count('<tr class="rx">')
    want = sum(len({r[1] for r in w["records"]}) for w in logs)
    if rows < want:
        problem("dom: %d wire log rows, wanted at least %d" % (rows, want))


def strings(v):
    """Every string value in a parsed JSON document."""
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)


def cmd_hostile(d, texts):
    res = load_results(d)
    tree = ET.parse(os.path.join(d, "junit.xml"))
    xml_text = []
    for el in tree.getroot().iter():
        xml_text += list(el.attrib.values()) + [el.text or ""]
        if el.tag == "script":
            problem("junit.xml: a <script> element")
    with open(os.path.join(d, "index.html"), encoding="utf-8") as f:
        page = f.read()
    if page.count("<script") != 1:
        problem("index.html: %d '<script' occurrences, wanted 1" % page.count("<script"))
    with open(os.path.join(d, "index.json"), encoding="utf-8") as f:
        idx = json.load(f)
    autobahn = list(idx.keys())
    for entries in idx.values():
        for e in entries.values():
            with open(os.path.join(d, e["reportfile"]), encoding="utf-8") as f:
                autobahn += list(strings(json.load(f)))
    in_results = list(strings(res))
    for arg in texts:
        # "j:TEXT": the text must also be in junit.xml (which shows no
        # handshake); plain TEXT: every other file.
        in_junit = arg.startswith("j:")
        t = arg[2:] if in_junit else arg
        if not any(t in v for v in in_results):
            problem("results.json lacks %r" % t)
        if in_junit and not any(t in v for v in xml_text):
            problem("junit.xml (parsed) lacks %r" % t)
        if html.escape(t, quote=True).replace("&#x27;", "&#39;") not in page:
            problem("index.html lacks %r escaped" % t)
        if t in page and any(ch in t for ch in "<>\"'&"):
            problem("index.html holds %r unescaped" % t)
        if not any(t in v for v in autobahn):
            problem("the Autobahn files lack %r" % t)


def cmd_ci_extract(doc, out):
    import yaml
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    blocks = dict(re.findall(r"<!-- ci-test: ([a-z]+) -->\n```[a-z]*\n(.*?)\n```", text, re.S))
    for want in ("baseline", "github", "gitlab"):
        if want not in blocks:
            problem("%s: no block marked ci-test: %s" % (doc, want))
            return
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "baseline.sh"), "w") as f:
        f.write("set -e\n" + blocks["baseline"] + "\n")

    gh = yaml.safe_load(blocks["github"])
    jobs = list(gh["jobs"].values())
    if len(jobs) != 1:
        problem("github: %d jobs, wanted 1" % len(jobs))
        return
    job = jobs[0]
    if job.get("env", {}).get("PORT") is None:
        problem("github: the job sets no PORT")
    runs = [st["run"] for st in job["steps"] if "run" in st]
    uses = [st for st in job["steps"] if "uses" in st]
    for i, r in enumerate(runs, 1):
        # GitHub runs each step with bash -e.
        with open(os.path.join(out, "github.%d.sh" % i), "w") as f:
            f.write("set -e\n" + r)
    junit = [st for st in uses if "junit" in st["uses"] and
             st.get("with", {}).get("report_paths") == "wsprobe-report/junit.xml"]
    art = [st for st in uses if st["uses"].startswith("actions/upload-artifact@") and
           st.get("with", {}).get("path") == "wsprobe-report/"]
    if not junit or not art:
        problem("github: junit.xml or the report folder is not published")
    for st in junit + art:
        if st.get("if") != "always()":
            problem("github: %s does not run when the suite fails" % st["uses"])
    check_ci_commands("github", "\n".join(runs))

    gl = yaml.safe_load(blocks["gitlab"])
    job = gl["wsprobe"]
    if job.get("variables", {}).get("PORT") is None:
        problem("gitlab: the job sets no PORT")
    with open(os.path.join(out, "gitlab.sh"), "w") as f:
        # GitLab runs the script lines in one shell and stops at the first
        # that fails.
        f.write("set -e\n" + "\n".join(job["script"]) + "\n")
    a = job.get("artifacts", {})
    if a.get("when") != "always" or "wsprobe-report/" not in a.get("paths", []) or \
            a.get("reports", {}).get("junit") != "wsprobe-report/junit.xml":
        problem("gitlab: junit.xml or the report folder is not published always")
    check_ci_commands("gitlab", "\n".join(job["script"]))


def check_ci_commands(which, script):
    for want in ("install-deps.sh", "make -C wsprobe",
                 "--baseline .wsprobe/baseline.json", "--report-dir wsprobe-report"):
        if want not in script:
            problem("%s: the commands lack %r" % (which, want))


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "schema":
        cmd_schema(args)
    elif cmd == "junit":
        cmd_junit(args[0])
    elif cmd == "autobahn":
        cmd_autobahn(args[0])
    elif cmd == "dom":
        cmd_dom(args[0], args[1])
    elif cmd == "ci-extract":
        cmd_ci_extract(args[0], args[1])
    elif cmd == "hostile":
        cmd_hostile(args[0], args[1:])
    else:
        print("check.py: unknown command %r" % cmd, file=sys.stderr)
        return 2
    for p in problems[:40]:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
