#!/usr/bin/env bats
# Timings a regression check can trust (issue 16): linklab timing (a cell's
# runs so far: median, bootstrap interval, CV, settled), linklab settle
# (sync, freeze and thaw the lab's filesystems before each timed run, on an
# XFS image made here), and bench/run timing each cell in batches until its
# median's interval is within the definition's precision or its cap.

load ../lib/lab

# batch FILE EXIT TIME...: a hyperfine --export-json file of those runs
batch() {
    local f=$1 code=$2
    shift 2
    python3 - "$f" "$code" "$@" <<'PY'
import json, sys
f, code, times = sys.argv[1], int(sys.argv[2]), [float(t) for t in sys.argv[3:]]
json.dump({"results": [{"command": "x", "mean": 0, "stddev": 0, "median": 0, "min": 0, "max": 0,
                        "times": times, "exit_codes": [code] * len(times)}]}, open(f, "w"))
PY
}

@test "timing: batches merge into one hyperfine result; steady runs settle, scattered ones do not" {
    batch "$BATS_TEST_TMPDIR/b0.json" 0 0.100 0.101 0.100
    batch "$BATS_TEST_TMPDIR/b1.json" 0 0.100 0.099 0.101
    run "$LINKLAB" timing --merge "$BATS_TEST_TMPDIR/m.json" "$BATS_TEST_TMPDIR/b0.json" "$BATS_TEST_TMPDIR/b1.json"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^runs=6\ failed=0\ median=0\.100[0-9]+\ lo=[0-9.]+\ hi=[0-9.]+\ halfwidth=0\.0[01][0-9]+\ cv=[0-9.]+\ settled=yes$ ]]
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; assert len(r["times"]) == 6 and len(r["exit_codes"]) == 6 and abs(r["median"] - 0.1) < 1e-3, r' "$BATS_TEST_TMPDIR/m.json"
    batch "$BATS_TEST_TMPDIR/s.json" 0 0.07 0.13 0.10 0.08 0.12
    run "$LINKLAB" timing "$BATS_TEST_TMPDIR/s.json"
    [[ "$output" == *" settled=no" ]]
    # a wider precision accepts the same runs
    run "$LINKLAB" timing --precision 0.5 "$BATS_TEST_TMPDIR/s.json"
    [[ "$output" == *" settled=yes" ]]
    # one run has no interval: never settled
    batch "$BATS_TEST_TMPDIR/one.json" 0 0.1
    run "$LINKLAB" timing "$BATS_TEST_TMPDIR/one.json"
    [[ "$output" == "runs=1 failed=0 "*" settled=no" ]]
}

@test "timing: only runs that exit as expected are timed" {
    batch "$BATS_TEST_TMPDIR/ok.json" 0 0.1 0.1
    batch "$BATS_TEST_TMPDIR/bad.json" 1 9 9 9
    run "$LINKLAB" timing "$BATS_TEST_TMPDIR/ok.json" "$BATS_TEST_TMPDIR/bad.json"
    [[ "$output" == "runs=2 failed=3 median=0.100000 "* ]]
    run "$LINKLAB" timing --exit 1 "$BATS_TEST_TMPDIR/ok.json" "$BATS_TEST_TMPDIR/bad.json"
    [[ "$output" == "runs=3 failed=2 median=9.000000 "* ]]
}

@test "timing: usage errors are exit 2, unreadable files exit 1 with one line" {
    run "$LINKLAB" timing
    [ "$status" -eq 2 ]
    run "$LINKLAB" timing --precision 2 x.json
    [ "$status" -eq 2 ]
    [[ "$output" == *"--precision takes a fraction between 0 and 1"* ]]
    run "$LINKLAB" timing --exit 300 x.json
    [ "$status" -eq 2 ]
    run "$LINKLAB" timing "$BATS_TEST_TMPDIR/nosuch.json"
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"nosuch.json"* ]]
    # a file of several commands (bench/scaling's points) is not one cell's
    python3 -c 'import json,sys; r={"command":"x","times":[0.1],"exit_codes":[0]}; json.dump({"results":[r,r]}, open(sys.argv[1],"w"))' "$BATS_TEST_TMPDIR/two.json"
    run "$LINKLAB" timing "$BATS_TEST_TMPDIR/two.json"
    [ "$status" -eq 1 ]
    [[ "$output" == *"two.json: holds 2 commands' runs"* ]]
    # impossible times are refused, not settled
    batch "$BATS_TEST_TMPDIR/neg.json" 0 -1 0.1 0.1
    run "$LINKLAB" timing "$BATS_TEST_TMPDIR/neg.json"
    [ "$status" -eq 1 ]
    [[ "$output" == *"neg.json: run 1: its time is not a number of seconds"* ]]
    # --merge replaces only a regular file, through a temporary file of its own
    batch "$BATS_TEST_TMPDIR/ok.json" 0 0.1 0.1
    mkdir "$BATS_TEST_TMPDIR/adir"
    run "$LINKLAB" timing --merge "$BATS_TEST_TMPDIR/adir" "$BATS_TEST_TMPDIR/ok.json"
    [ "$status" -eq 1 ]
    [[ "$output" == *"not a regular file; refusing to replace it"* ]]
    mkfifo "$BATS_TEST_TMPDIR/fifo"
    run timeout 10 "$LINKLAB" timing --merge "$BATS_TEST_TMPDIR/fifo" "$BATS_TEST_TMPDIR/ok.json"
    [ "$status" -eq 1 ]
    [ -p "$BATS_TEST_TMPDIR/fifo" ]
    [ -z "$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name 'adir.*' -o -maxdepth 1 -name 'fifo.*')" ]
    echo '{"results": []}' >"$BATS_TEST_TMPDIR/empty.json"
    run "$LINKLAB" timing "$BATS_TEST_TMPDIR/empty.json"
    [ "$status" -eq 1 ]
    [[ "$output" == *"empty.json: no hyperfine result"* ]]
}

@test "settle: an XFS image is synced once and never frozen (a run killed mid-freeze left one frozen); one someone else froze stays frozen" {
    need_root
    local xfs
    xfs=$(lab_fs_mount xfs xfs)
    mkdir "$xfs/d"
    # two paths on one filesystem: it is synced once; no freeze or thaw at
    # all (a SIGKILL between the two left a btrfs image frozen, its loop
    # device pinned); LeakSanitizer cannot run under ptrace (the ASan build)
    ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 run strace -f -e trace=ioctl,syncfs "$LINKLAB" settle "$xfs/d" "$xfs"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(grep -c 'syncfs(' <<<"$output")" -eq 1 ]
    [ "$(grep -c 'FIFREEZE\|FITHAW' <<<"$output")" -eq 0 ]
    timeout 10 touch "$xfs/d/written-after"
    fsfreeze -f "$xfs"
    run timeout 20 "$LINKLAB" settle "$xfs"
    echo "$output"
    # thawing it is theirs: fsfreeze -u succeeds only on a frozen filesystem
    fsfreeze -u "$xfs"
    [ "$status" -eq 0 ]
    timeout 10 touch "$xfs/d/written-later"
    lab_fs_cleanup
}

@test "settle: tmpfs and the root filesystem are synced; a FIFO does not block it; a missing path is one line, exit 1" {
    need_root
    local t
    t=$(lab_fs_mount tmpfs tmpfs)
    ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 run strace -e trace=ioctl,syncfs "$LINKLAB" settle "$t" /
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(grep -c 'syncfs(' <<<"$output")" -eq 2 ]
    [ "$(grep -c 'FIFREEZE' <<<"$output")" -eq 0 ]
    # a FIFO is settled as its filesystem, without waiting for a writer
    mkfifo "$t/fifo"
    run timeout 10 "$LINKLAB" settle "$t/fifo"
    [ "$status" -eq 0 ]
    run "$LINKLAB" settle "$BATS_TEST_TMPDIR/nosuch"
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"nosuch: No such file or directory" ]]
    run "$LINKLAB" settle
    [ "$status" -eq 2 ]
    run "$LINKLAB" settle --no-freeze "$t"
    [ "$status" -eq 2 ]
    lab_fs_cleanup
}

@test "bench/run: batches until the interval is within the precision or the cap; --runs is exact" {
    need_root
    export LINKLAB_ROOT=$BATS_TEST_TMPDIR/root
    # a precision nothing reaches in 4 s: batches of 3 until the cap; the
    # report flags the cell noisy exactly when its interval is too wide
    printf 'runs 3\nwarmup 0\nprecision 1%%\ncap 4\ncorpus tiny\ncell same-tmpfs linklab copy\n' >"$BATS_TEST_TMPDIR/a.conf"
    run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/a.conf" --out "$BATS_TEST_TMPDIR/a"
    echo "$output"
    [ "$status" -eq 0 ]
    python3 - "$BATS_TEST_TMPDIR/a" <<'PY'
import glob, json, sys
out = sys.argv[1]
run = json.load(open(out + "/run.json"))
assert run["precision"] == 0.01 and run["cap_s"] == 4 and run["settle"] == "yes", run
[h] = glob.glob(out + "/cells/*/hyperfine.json")
n = len(json.load(open(h))["results"][0]["times"])
assert n % 3 == 0 and n >= 3, n
assert not glob.glob(out + "/cells/*/hyperfine-*.json")
[c] = json.load(open(out + "/results.json"))["cells"]
t = c["timing"]
lo, hi = t["median_ci_s"]
wide = max(t["median_s"] - lo, hi - t["median_s"]) / t["median_s"] > 0.01
assert t["noisy"] == wide, t
# more than one batch only when the first was not settled
assert n == 3 or wide or n > 3, n
PY
    # a precision any three runs reach: one batch
    printf 'runs 3\nwarmup 0\nprecision 99%%\ncap 60\ncorpus tiny\ncell same-tmpfs linklab copy\n' >"$BATS_TEST_TMPDIR/b.conf"
    "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/b.conf" --out "$BATS_TEST_TMPDIR/b" >/dev/null 2>&1
    [ "$(python3 -c 'import glob,json; print(len(json.load(open(glob.glob("'"$BATS_TEST_TMPDIR"'/b/cells/*/hyperfine.json")[0]))["results"][0]["times"]))')" -eq 3 ]
    # --runs N: exactly N, whatever the precision
    "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/a.conf" --runs 2 --out "$BATS_TEST_TMPDIR/c" >/dev/null 2>&1
    [ "$(python3 -c 'import glob,json; print(len(json.load(open(glob.glob("'"$BATS_TEST_TMPDIR"'/c/cells/*/hyperfine.json")[0]))["results"][0]["times"]))')" -eq 2 ]
}

@test "bench/run: precision, cap, settle and cold take only what they say" {
    need_root
    export LINKLAB_ROOT=$BATS_TEST_TMPDIR/root
    local bad
    for bad in "precision 0%" "precision 2" "precision 100%" "cap x" "cap -1" "settle maybe" "cold 1" "settle"; do
        printf 'runs 1\n%s\ncorpus tiny\ncell same-tmpfs linklab copy\n' "$bad" >"$BATS_TEST_TMPDIR/bad.conf"
        run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/bad.conf" --out "$BATS_TEST_TMPDIR/bad"
        echo "$bad: $output"
        [ "$status" -eq 2 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "bench/run: $BATS_TEST_TMPDIR/bad.conf:2: ${bad%% *} "* ]]
        [ ! -e "$BATS_TEST_TMPDIR/bad" ]
    done
}
