#!/usr/bin/env bats
# linklab report on a recorded run (tests/fixtures/report/run-a: four cells
# of a real sign-off run, per-file arrays trimmed): tables, CSV, JUnit,
# JSON, regressions against a baseline, merging runs, failing expectations.

load ../lib/lab

FIXTURE=$LAB_TOP/tests/fixtures/report/run-a

setup() {
    RUN=$BATS_TEST_TMPDIR/run-a
    cp -a "$FIXTURE" "$RUN"
}

# scale_times RUN FACTOR JITTER: multiplies every recorded time by FACTOR and
# by (1 + JITTER * (-1)^i): a slower or a noisier copy of the run.
scale_times() {
    python3 - "$1" "$2" "$3" <<'PY'
import glob, json, statistics, sys
run, factor, jitter = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
for p in glob.glob(run + "/cells/*/hyperfine.json"):
    d = json.load(open(p))
    for r in d["results"]:
        r["times"] = [t * factor * (1 + jitter * (-1) ** i) for i, t in enumerate(r["times"])]
        r["median"] = statistics.median(r["times"])
        r["mean"] = statistics.mean(r["times"])
        r["stddev"] = statistics.stdev(r["times"])
    json.dump(d, open(p, "w"))
PY
}

@test "report: tables, JSON, CSV, JUnit and plots from a recorded run" {
    run "$LINKLAB" report "$RUN"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "${lines[-1]}" == "sign-off: PASS (3 pass, 0 fail, 1 not run, 0 regressions)" ]]
    grep -q '^# linklab sign-off: PASS' "$RUN/report.md"
    grep -q '^## same-btrfs' "$RUN/report.md"
    grep -q '^## cross-btrfs-tmpfs' "$RUN/report.md"
    grep -qE '^\| real \| linklab \| clone \| 773 \| [0-9.]+ ms \([0-9.]+-[0-9.]+\) \| [0-9.]+%( noisy)? \| [0-9.]+x \([0-9.]+-[0-9.]+\) \| 0\.[0-9]+x \(0\.[0-9]+-[0-9.]+\) \| cloned [0-9]+' "$RUN/report.md"
    grep -qE '^Timing: 3 timed cells, [0-3] \([0-9]+%\) with a CV at or under 3%; [0-3] noisy' "$RUN/report.md"
    for f in plot-modes.svg plot-modes.png plot-files.svg plot-files.png; do [ -s "$RUN/$f" ]; done
    python3 - "$RUN" <<'PY'
import csv, json, sys, xml.etree.ElementTree as ET
run = sys.argv[1]
rows = list(csv.DictReader(open(run + "/results.csv")))
assert len(rows) == 4, rows
for col in ("cell", "machine", "kernel", "hyperfine", "mkfs", "layout", "subject", "mode", "corpus",
            "median_s", "ratio_fastest", "ratio_cp", "cloned", "copied", "verdict"):
    assert col in rows[0], col
byid = {r["cell"]: r for r in rows}
ll, cp = byid["same-btrfs.linklab.clone.real"], byid["same-btrfs.cp.clone.real"]
assert abs(float(ll["ratio_cp"]) - float(ll["median_s"]) / float(cp["median_s"])) < 1e-3
assert "btrfs-progs" in ll["mkfs"] and ll["machine"] == "fixture-a"
assert byid["same-xfs-ci.linklab.clone.real"]["verdict"] == "not-run"
doc = json.load(open(run + "/results.json"))
assert doc["schema"] == 1 and doc["verdict"] == "pass" and doc["counts"]["not_run"] == 1
x = ET.parse(run + "/junit.xml").getroot()
suite = x.find("testsuite")
cases = suite.findall("testcase")
assert int(suite.get("tests")) == len(cases) and int(suite.get("failures")) == 0
assert int(suite.get("skipped")) == len([c for c in cases if c.find("skipped") is not None]) > 0
props = {p.get("name"): p.get("value") for p in suite.find("properties")}
assert props["kernel"] and props["hyperfine"].startswith("hyperfine") and "image.btrfs" in props
PY
}

@test "report: a cell whose expectation is wrong on purpose fails the sign-off" {
    cell=$(echo "$RUN"/cells/001-*/cell.json)
    python3 - "$cell" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["expectations"] = ["class=hardlinked", "warnings=0"]
json.dump(d, open(sys.argv[1], "w"))
PY
    run "$LINKLAB" report "$RUN" --junit "$BATS_TEST_TMPDIR/j.xml"
    [ "$status" -eq 1 ]
    [[ "$output" == *"same-btrfs.linklab.clone.real"*"FAIL"*"class=hardlinked"* ]]
    grep -q '^# linklab sign-off: FAIL' "$RUN/report.md"
    grep -q 'class=hardlinked` failed: cloned' "$RUN/report.md"
    python3 -c '
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find("testsuite")
assert int(s.get("failures")) == 1, s.attrib
f = [c for c in s.findall("testcase") if c.find("failure") is not None]
assert f[0].get("name") == "class=hardlinked"' "$BATS_TEST_TMPDIR/j.xml"
}

@test "report --baseline: a slowed run is a regression; a noisy one is flagged and judged by its interval" {
    cp -a "$RUN" "$BATS_TEST_TMPDIR/slow"
    scale_times "$BATS_TEST_TMPDIR/slow" 1.5 0
    # the fixture's five runs a cell leave intervals of up to +-22%
    run "$LINKLAB" report "$BATS_TEST_TMPDIR/slow" --baseline "$RUN" --precision 0.3
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"REGRESSION"* ]]
    [[ "${lines[-1]}" == *"3 regressions)" ]]
    cp -a "$RUN" "$BATS_TEST_TMPDIR/noisy"
    # 50% slower, but with a 60% jitter: the intervals are wider than the
    # precision (noisy, flagged) and reach down into the baseline's: noise
    # is no regression
    scale_times "$BATS_TEST_TMPDIR/noisy" 1.5 0.60
    run "$LINKLAB" report "$BATS_TEST_TMPDIR/noisy" --baseline "$RUN" --precision 0.3
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "${lines[-1]}" == *"0 regressions)" ]]
    [[ "$output" == *"noisy: median +-"* ]]
    [[ "$output" == *"timing: 3 timed cells, "*", 3 noisy"* ]]
    python3 -c 'import json,sys; c=[c for c in json.load(open(sys.argv[1]))["cells"] if c["timing"]]; assert all(x["timing"]["noisy"] and not x["baseline"]["regression"] for x in c), c' "$BATS_TEST_TMPDIR/noisy/results.json"
    # three times slower with a 10% jitter: noisy, and a regression all the
    # same (noisy cells left unjudged passed this)
    cp -a "$RUN" "$BATS_TEST_TMPDIR/slow3"
    scale_times "$BATS_TEST_TMPDIR/slow3" 3 0.10
    run "$LINKLAB" report "$BATS_TEST_TMPDIR/slow3" --baseline "$RUN" --precision 0.02
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"noisy"* ]]
    [[ "${lines[-1]}" == *"3 regressions)" ]]
    # apart by more than 50% of the baseline: none is
    run "$LINKLAB" report "$BATS_TEST_TMPDIR/slow" --baseline "$RUN" --precision 0.3 --threshold 0.5
    [ "$status" -eq 0 ]
    [[ "${lines[-1]}" == *"0 regressions)" ]]
}

@test "report: runs from two machines merge into one report" {
    cp -a "$RUN" "$BATS_TEST_TMPDIR/run-b"
    sed -i 's/"machine": "fixture-a"/"machine": "fixture-b"/' "$BATS_TEST_TMPDIR/run-b/run.json"
    run "$LINKLAB" report "$RUN" "$BATS_TEST_TMPDIR/run-b" --out "$BATS_TEST_TMPDIR/merged"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"fixture-a:same-btrfs.linklab.clone.real"* ]]
    [[ "$output" == *"fixture-b:same-btrfs.linklab.clone.real"* ]]
    [ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["cells"]))' "$BATS_TEST_TMPDIR/merged/results.json")" -eq 8 ]
    [ "$(grep -c '<testsuite ' "$BATS_TEST_TMPDIR/merged/junit.xml")" -eq 2 ]
}

@test "report: usage errors are exit 2; a directory that is not a run is exit 1" {
    run "$LINKLAB" report
    [ "$status" -eq 2 ]
    run "$LINKLAB" report "$RUN" --threshold lots
    [ "$status" -eq 2 ]
    run "$LINKLAB" report "$RUN" --threshold nan
    [ "$status" -eq 2 ]
    run "$LINKLAB" report "$RUN" --threshold ''
    [ "$status" -eq 2 ]
    run "$LINKLAB" report "$RUN" --precision 2
    [ "$status" -eq 2 ]
    run "$LINKLAB" report "$RUN" --noise 2
    [ "$status" -eq 2 ]
    run "$LINKLAB" report "$BATS_TEST_TMPDIR"
    [ "$status" -eq 1 ]
    [[ "$output" == *"run.json"* ]]
}

@test "report: exit=N holds for every run: an expected failure passes when each run exits N; one odd timed run fails the cell" {
    dir=$(echo "$RUN"/cells/001-*)
    # every run, timed and observed, exits 1, and the cell expects it
    python3 - "$dir" 1 1 1 1 1 <<'PY'
import json, sys
d = sys.argv[1]
c = json.load(open(d + "/cell.json"))
c["expectations"] = ["exit=1"]
c["observed_run"]["exit"] = 1
json.dump(c, open(d + "/cell.json", "w"))
h = json.load(open(d + "/hyperfine.json"))
h["results"][0]["exit_codes"] = [int(x) for x in sys.argv[2:]]
json.dump(h, open(d + "/hyperfine.json", "w"))
PY
    run "$LINKLAB" report "$RUN"
    echo "$output"
    [[ "$output" == *"same-btrfs.linklab.clone.real"*"pass"* ]]
    # one timed run exits 0 where 1 is expected: the cell fails, saying so
    python3 - "$dir" 1 0 1 1 1 <<'PY'
import json, sys
d = sys.argv[1]
h = json.load(open(d + "/hyperfine.json"))
h["results"][0]["exit_codes"] = [int(x) for x in sys.argv[2:]]
json.dump(h, open(d + "/hyperfine.json", "w"))
PY
    run "$LINKLAB" report "$RUN"
    echo "$output"
    [ "$status" -eq 1 ]
    grep -q 'exit=1` failed: exit 1; 1 of 5 timed runs exited otherwise' "$RUN/report.md"
}
