#!/usr/bin/env bats
# bench/scaling (issue 16) on a small sweep: every point timed for linklab,
# the floor and cp; medians, per-file microseconds, ratios and fitted
# exponents in results.json; what linklab's install really was, observed;
# plots; a definition's mistakes are usage errors.

load ../lib/lab

setup() {
    need_root
}

@test "bench/scaling: a small sweep over btrfs, ext4 and btrfs->tmpfs gives every point, fit, observation and plot" {
    cat >"$BATS_TEST_TMPDIR/s.conf" <<'CONF'
fs btrfs clone hardlink copy
fs ext4 hardlink
cross btrfs tmpfs copy
count 20 60
count_size 4K
size 4K 16K
size_files 3
runs 2
warmup 0
jobs 1 2
CONF
    run "$LAB_TOP/bench/scaling" "$BATS_TEST_TMPDIR/s.conf" --out "$BATS_TEST_TMPDIR/out"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"[20/20] btrfs-tmpfs-copy-size-16384"* ]]
    python3 - "$BATS_TEST_TMPDIR/out" <<'PY'
import json, os, sys
out = sys.argv[1]
d = json.load(open(out + "/results.json"))
pts = d["points"]
assert len(pts) == 20, len(pts)
places = {(p["place"], p["mode"]) for p in pts}
assert places == {("btrfs", "clone"), ("btrfs", "hardlink"), ("btrfs", "copy"), ("ext4", "hardlink"),
                  ("btrfs-tmpfs", "copy")}, places
for p in pts:
    assert set(p["commands"]) == {"linklab-j1", "linklab-j2", "floor-j1", "floor-j2", "cp"}, p["commands"]
    for c in p["commands"].values():
        assert c["runs"] == 2 and c["ci_s"][0] <= c["median_s"] <= c["ci_s"][1], c
    assert p["linklab_s"] == min(p["commands"][k]["median_s"] for k in ("linklab-j1", "linklab-j2"))
    assert abs(p["ratio_floor"] - p["linklab_s"] / p["floor_s"]) < 1e-9
    assert p["bytes"] == p["files"] * p["file_bytes"]
    assert abs(p["linklab_us_per_file"] - p["linklab_s"] / p["files"] * 1e6) < 1e-6
assert {p["files"] for p in pts if p["sweep"] == "count"} == {20, 60}
assert {p["file_bytes"] for p in pts if p["sweep"] == "size"} == {4096, 16384}
fits = d["fits"]
assert len(fits) == 15 and all(f["exponent_files"] is not None and f["exponent_bytes"] is not None for f in fits)
obs = d["observed"]
assert "cloned=" in obs["btrfs clone"] and "copied" not in obs["btrfs clone"], obs
assert "hardlinked=" in obs["ext4 hardlink"], obs
assert "copied=" in obs["btrfs-tmpfs copy"], obs
for f in ("results.md", "scaling-files.svg", "scaling-files.png", "scaling-sizes.svg", "scaling-sizes.png"):
    assert os.path.getsize(os.path.join(out, f)) > 0, f
PY
    grep -q '^## Fitted exponents' "$BATS_TEST_TMPDIR/out/results.md"
    # nothing of this run's stays mounted or attached (its scratch is under
    # TMPDIR; another run's leftovers elsewhere are not this test's)
    [ -z "$(findmnt -rn -o TARGET | grep -F "${TMPDIR:-/tmp}/linklab-scaling")" ]
    [ -z "$(losetup --list --noheadings --raw --output BACK-FILE | grep -F "${TMPDIR:-/tmp}/linklab-scaling")" ]
}

@test "bench/scaling: a definition's mistakes are one line, exit 2, before anything is made" {
    local bad
    for bad in "fs zfs copy" "fs ext4 clone" "cross btrfs btrfs copy" "cross btrfs tmpfs clone" "count 0" \
        "count 10x" "runs" "frobnicate 1" "fs btrfs move"; do
        printf 'fs btrfs copy\ncount 10\ncount_size 1K\nsize 1K\nsize_files 1\nruns 1\nwarmup 0\njobs 1\n%s\n' "$bad" \
            >"$BATS_TEST_TMPDIR/bad.conf"
        run "$LAB_TOP/bench/scaling" "$BATS_TEST_TMPDIR/bad.conf" --out "$BATS_TEST_TMPDIR/bad"
        echo "$bad: $output"
        [ "$status" -eq 2 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "bench/scaling: $BATS_TEST_TMPDIR/bad.conf:9: "* ]]
        [ ! -e "$BATS_TEST_TMPDIR/bad" ]
    done
    # a used --out is refused: two runs' files would mix
    mkdir -p "$BATS_TEST_TMPDIR/used"
    echo x >"$BATS_TEST_TMPDIR/used/run.json"
    run "$LAB_TOP/bench/scaling" "$LAB_TOP/bench/scaling.conf" --out "$BATS_TEST_TMPDIR/used"
    [ "$status" -eq 2 ]
    [[ "$output" == *"holds an earlier run"* ]]
    printf 'fs btrfs copy\n' >"$BATS_TEST_TMPDIR/short.conf"
    run "$LAB_TOP/bench/scaling" "$BATS_TEST_TMPDIR/short.conf"
    [ "$status" -eq 2 ]
    [[ "$output" == *"no count statement"* ]]
    run "$LAB_TOP/bench/scaling" --frob
    [ "$status" -eq 2 ]
}

@test "bench/scaling: Ctrl-C (SIGINT to its process group) mid-sweep removes its images and leaves nothing mounted" {
    cat >"$BATS_TEST_TMPDIR/s.conf" <<'CONF'
fs btrfs copy
fs xfs copy
count 3000 6000
count_size 4K
size 4K
size_files 3
runs 5
warmup 1
jobs 1 2
CONF
    # a TMPDIR with a blank: every path stays one word
    mkdir "$BATS_TEST_TMPDIR/tmp dir"
    TMPDIR="$BATS_TEST_TMPDIR/tmp dir" setsid "$LAB_TOP/bench/scaling" "$BATS_TEST_TMPDIR/s.conf" \
        --out "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/log" 2>&1 &
    BENCH_PID=$!
    local i
    for ((i = 0; i < 600; i++)); do
        grep -q '\[2/' "$BATS_TEST_TMPDIR/log" && break
        sleep 0.1
    done
    grep -q '\[2/' "$BATS_TEST_TMPDIR/log"
    [ "$(ps -o pgid= -p "$BENCH_PID" | tr -d ' ')" = "$BENCH_PID" ]
    kill -INT -- "-$BENCH_PID"
    wait_gone "$BENCH_PID" 60
    cat "$BATS_TEST_TMPDIR/log"
    [ -z "$(ls -A "$BATS_TEST_TMPDIR/tmp dir")" ]
    [ -z "$(findmnt -rn -o TARGET | grep -F "$BATS_TEST_TMPDIR/tmp")" ]
    [ -z "$(losetup --list --noheadings --raw --output BACK-FILE | grep -F "$BATS_TEST_TMPDIR/tmp")" ]
    # the points it finished ran (not a hyperfine failure over a split path)
    [ -s "$BATS_TEST_TMPDIR/out/points/btrfs-copy-count-3000.json" ]
}

teardown() {
    [ -z "${BENCH_PID:-}" ] || stop_pid "$BENCH_PID" 30
}
