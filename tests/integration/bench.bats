#!/usr/bin/env bats
# bench/run end to end: a small matrix (two profiles, two layouts, three
# modes, the tiny corpus) timed, observed and judged; a wrong expectation
# fails; Ctrl-C keeps the finished cells and leaves nothing mounted.

load ../lib/lab

setup() {
    need_root
    export LINKLAB_ROOT=$BATS_TEST_TMPDIR/root
}

# Also when a test fails: a bench/run it started in the background is
# stopped by its pid (SIGTERM: it finishes the cell in progress and takes
# down what it brought up; SIGKILL after 60 s), then whatever is still up
# under its LINKLAB_ROOT is taken down.
teardown() {
    [ "$(id -u)" -eq 0 ] || return 0
    stop_pid "${BENCH_PID:-}" 60
    "$LAB_TOP/scripts/images" down --purge >/dev/null 2>&1 || echo "teardown: images down --purge failed" >&2
    return 0
}

assert_nothing_held() {
    [ -z "$(losetup --list --noheadings --raw --output BACK-FILE | grep -F "$LINKLAB_ROOT/")" ]
    [ -z "$(findmnt -rn -o TARGET | grep -F "$LINKLAB_ROOT/")" ]
}

@test "bench/run: a small matrix runs, is observed, judged, and leaves nothing up" {
    run "$LAB_TOP/bench/run" "$LAB_TOP/tests/fixtures/bench/e2e.conf" --out "$BATS_TEST_TMPDIR/run"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"[7/7] cross-btrfs-tmpfs.linklab.copy.tiny"* ]]
    [[ "${lines[-1]}" == "sign-off: PASS (7 pass, 0 fail, 0 not run, 0 regressions)" ]]
    for f in run.json images.json report.md results.json results.csv junit.xml plot-modes.svg; do
        [ -s "$BATS_TEST_TMPDIR/run/$f" ]
    done
    [ "$(ls "$BATS_TEST_TMPDIR/run/cells" | wc -l)" -eq 7 ]
    for d in "$BATS_TEST_TMPDIR"/run/cells/*/; do
        [ -s "$d/hyperfine.json" ]
        [ -s "$d/observe.json" ]
        case $d in *.cp.*) ;; *) [ -s "$d/events.jsonl" ] ;; esac # only linklab writes an event log
    done
    python3 - "$BATS_TEST_TMPDIR/run/results.json" <<'PY'
import json, sys
cells = {c["cell"]: c for c in json.load(open(sys.argv[1]))["cells"]}
c = cells["cross-btrfs-tmpfs.linklab.clone.tiny"]
assert c["warnings"] == 1 and c["classes"]["copied"] > 0 and c["classes"]["cloned"] == 0, c
assert cells["same-btrfs.linklab.clone.tiny"]["ratio_cp"] > 0
assert cells["same-btrfs.linklab.hardlink.tiny"]["timing"]["runs"] == 2
PY
    # the profiles this run brought up are down again
    assert_nothing_held
}

@test "bench/run: a wrong expectation makes the run exit non-zero" {
    run "$LAB_TOP/bench/run" "$LAB_TOP/tests/fixtures/bench/wrong.conf" --out "$BATS_TEST_TMPDIR/run"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cross-btrfs-tmpfs.linklab.clone.tiny"*"FAIL"*"class=cloned"* ]]
    assert_nothing_held
}

@test "bench/run: an interrupt stops cleanly, keeps the finished cells, leaves no mounts" {
    # SIGTERM takes the same trap as Ctrl-C's SIGINT; a background job of a
    # non-interactive shell starts with SIGINT ignored, so a test cannot send that
    "$LAB_TOP/bench/run" "$LAB_TOP/tests/fixtures/bench/e2e.conf" --runs 10 --out "$BATS_TEST_TMPDIR/run" \
        >"$BATS_TEST_TMPDIR/log" 2>&1 3>&- &
    pid=$! BENCH_PID=$!
    for _ in $(seq 1 300); do
        [ -s "$BATS_TEST_TMPDIR/run/cells/002-same-btrfs.linklab.hardlink.tiny/cell.json" ] && break
        sleep 0.1
    done
    kill -TERM "$pid"
    set +e
    wait "$pid"
    status=$?
    set -e
    BENCH_PID=""
    cat "$BATS_TEST_TMPDIR/log"
    [ "$status" -eq 130 ]
    grep -q "interrupted after" "$BATS_TEST_TMPDIR/log"
    n=$(ls "$BATS_TEST_TMPDIR/run/cells" | wc -l)
    [ "$n" -ge 2 ]
    [ "$n" -lt 7 ]
    [ -s "$BATS_TEST_TMPDIR/run/cells/001-same-btrfs.linklab.clone.tiny/cell.json" ]
    # the message counts the cells that finished
    grep -q "interrupted after $n of 7 cells" "$BATS_TEST_TMPDIR/log"
    # a report of an interrupted run is no sign-off, however its cells did
    run "$LINKLAB" report "$BATS_TEST_TMPDIR/run"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "${lines[-1]}" == "sign-off: FAIL ($n pass, 0 fail, 0 not run, 0 regressions): $((7 - n)) planned cells never ran (an interrupted run)" ]]
    assert_nothing_held
}

@test "bench/run: a typo in a definition is a usage error before anything runs; a used --out is refused" {
    for cell in "same-tmpfs nosuchsubject copy" "cross-btrfs-nosuch linklab copy" "same-nosuch linklab copy"; do
        printf 'runs 1\ncorpus tiny\ncell %s class=copied\n' "$cell" >"$BATS_TEST_TMPDIR/typo.conf"
        run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/typo.conf" --out "$BATS_TEST_TMPDIR/typo"
        echo "$output"
        [ "$status" -eq 2 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"typo.conf:3: "*"nosuch"* ]]
        [ ! -e "$BATS_TEST_TMPDIR/typo" ]
    done
    # expectations parse through the reporter's table before anything runs
    for expect in "clas=cloned" "class=clonedd" "fallback=maybe" "warnings=x"; do
        printf 'runs 1\ncorpus tiny\ncell same-tmpfs linklab copy %s\n' "$expect" >"$BATS_TEST_TMPDIR/typo.conf"
        run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/typo.conf" --out "$BATS_TEST_TMPDIR/typo"
        echo "$output"
        [ "$status" -eq 2 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "bench/run: $BATS_TEST_TMPDIR/typo.conf:3: "*"${expect%%=*}"* ]]
        [ ! -e "$BATS_TEST_TMPDIR/typo" ]
    done
    # arguments: a count that is no number, an option without its value, a
    # corpus that does not exist (before any profile is brought up)
    printf 'runs 1\ncorpus tiny\ncell same-tmpfs linklab copy class=copied\n' >"$BATS_TEST_TMPDIR/ok.conf"
    run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/ok.conf" --out "$BATS_TEST_TMPDIR/a1" --runs abc
    [ "$status" -eq 2 ]
    [ "$output" = "bench/run: --runs takes a whole number from 1 up, not 'abc'" ]
    run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/ok.conf" --runs
    [ "$status" -eq 2 ]
    [ "$output" = "bench/run: --runs needs a value (see --help)" ]
    run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/ok.conf" --out "$BATS_TEST_TMPDIR/a2" --corpus nosuch
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"bench/run: corpus nosuch (scale 1): "* ]]
    [[ "$output" != *"bringing up"* ]]
    assert_nothing_held
    mkdir -p "$BATS_TEST_TMPDIR/used/cells/001-old"
    run "$LAB_TOP/bench/run" "$LAB_TOP/tests/fixtures/bench/one.conf" --out "$BATS_TEST_TMPDIR/used"
    [ "$status" -eq 2 ]
    [[ "$output" == *"used holds an earlier run: give --out a new directory"* ]]
}

@test "bench/run: an observer that fails fails its cell; a run where nothing ran and passed is no PASS" {
    bin=$BATS_TEST_TMPDIR/bin
    mkdir -p "$bin"
    # a linklab whose observer crashes after writing its JSON (as a
    # sanitizer report at exit would)
    cat >"$bin/linklab" <<SH
#!/bin/sh
if [ "\$1" = observe ]; then "$LINKLAB" "\$@"; exit 86; fi
exec "$LINKLAB" "\$@"
SH
    chmod +x "$bin/linklab"
    run env LINKLAB="$bin/linklab" "$LAB_TOP/bench/run" "$LAB_TOP/tests/fixtures/bench/one.conf" --out "$BATS_TEST_TMPDIR/crash"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"linklab observe failed (exit 86"* ]]
    [[ "$output" == *"same-tmpfs.linklab.copy.tiny"*"FAIL"* ]]
    [ ! -e "$BATS_TEST_TMPDIR"/crash/cells/*/observe.json ]
    python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))["cells"][0]
assert any(e["expect"] == "observed" and not e["pass"] for e in c["expectations"]), c' "$BATS_TEST_TMPDIR/crash/results.json"
    # a matrix whose only cell cannot run here proves nothing
    printf 'runs 1\ncorpus tiny\ncell same-xfs-ci linklab copy class=copied\n' >"$BATS_TEST_TMPDIR/none.conf"
    run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/none.conf" --out "$BATS_TEST_TMPDIR/none"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "${lines[-1]}" == "sign-off: FAIL (0 pass, 0 fail, 1 not run, 0 regressions): no cell ran and passed" ]]
    assert_nothing_held
}

@test "bench/run with its profiles already up brings up nothing else and leaves them as they were" {
    "$LAB_TOP/scripts/images" up tmpfs >/dev/null
    before=$("$LAB_TOP/scripts/images" status --json)
    run "$LAB_TOP/bench/run" "$LAB_TOP/tests/fixtures/bench/one.conf" --out "$BATS_TEST_TMPDIR/r" --no-report
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"bringing up nothing"* ]]
    # `up` with no names would have brought up every profile (and left them)
    [[ "$output" != *"unavailable"* ]]
    python3 -c 'import json, sys
a = {p["profile"]: p["state"] for p in json.loads(sys.argv[1])["profiles"]}
b = {p["profile"]: p["state"] for p in json.loads(sys.argv[2])["profiles"]}
assert a == b, (a, b)
assert a["tmpfs"] == "up" and a["btrfs"].startswith("down"), a' "$before" "$("$LAB_TOP/scripts/images" status --json)"
    [ -z "$(losetup --list --noheadings --raw --output BACK-FILE | grep -F "$LINKLAB_ROOT/")" ]
}

@test "bench/run: the timed runs and the observed run are one argv from one parser (quotes, a root and --out with spaces); TMPDIR is a tmpfs of the run" {
    export LINKLAB_ROOT="$BATS_TEST_TMPDIR/lab root"
    rec=$BATS_TEST_TMPDIR/rec.sh
    # records its words, one run per line, then copies the entries (cp's argv after its own)
    cat >"$rec" <<'EOF'
#!/bin/sh
log=$1
shift
printf '%s|' "$@" >>"$log"
echo >>"$log"
# where its temporary files go: a tmpfs of the run's own
stat -f -c %T "${TMPDIR:-/tmp}" >>"$log.tmpdir"
while [ "$1" != -- ]; do shift; done
shift
exec cp "$@"
EOF
    chmod +x "$rec"
    cat >"$BATS_TEST_TMPDIR/argv.conf" <<EOF
runs 2
cap 0
warmup 1
jobs 1
corpus tiny
subject rec $rec "$BATS_TEST_TMPDIR/argv.log" 'two words' "it's {mode}" {log} -- -a --reflink=never {entries} {target}
cell same-tmpfs rec copy class=copied complete=yes
EOF
    run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/argv.conf" --out "$BATS_TEST_TMPDIR/out dir" --no-report
    echo "$output"
    [ "$status" -eq 0 ]
    # warmup + 2 timed runs + the observed run
    [ "$(wc -l <"$BATS_TEST_TMPDIR/argv.log")" -eq 4 ]
    timed=$(head -n 1 "$BATS_TEST_TMPDIR/argv.log")
    [[ $timed == "two words|it's copy|--|-a|--reflink=never|$LINKLAB_ROOT/"* ]]
    [ "$(head -n 3 "$BATS_TEST_TMPDIR/argv.log" | sort -u | wc -l)" -eq 1 ]
    observed=$(tail -n 1 "$BATS_TEST_TMPDIR/argv.log")
    # the observed run: the same words, and {log} as two of its own
    [[ $observed == "two words|it's copy|--log|$BATS_TEST_TMPDIR/out dir/cells/"*"/events.jsonl|--|"* ]]
    [ "${observed/--log|*events.jsonl|/}" = "$timed" ]
    [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$BATS_TEST_TMPDIR/out dir"/cells/*/cell.json)" = run ]
    [ "$(sort -u "$BATS_TEST_TMPDIR/argv.log.tmpdir")" = tmpfs ]
    [ -z "$(findmnt -rn -o SOURCE | grep -x linklab-run-tmp)" ]
    assert_nothing_held
}

@test "bench/run: warnings are what the subject's warns pattern matches, on stdout and stderr; pip's root notice is no warning" {
    subs=$BATS_TEST_TMPDIR/subjects
    mkdir -p "$subs"
    cp "$LAB_TOP/subjects/pip.conf" "$subs/"
    cat >"$subs/talk.conf" <<'EOF'
summary copies, and says two things on stdout and one on stderr
command sh -c 'echo "note: fell back to copy"; echo "NOTE: again" >&2; echo "all good"; cp -a --reflink=never "$@"' sh {entries} {target}
warns ^note:
EOF
    cat >"$BATS_TEST_TMPDIR/w.conf" <<'EOF'
runs 1
warmup 0
jobs 1
corpus tiny
cell same-tmpfs talk copy warnings=2
cell same-tmpfs pip copy warnings=0
EOF
    LINKLAB_SUBJECTS=$subs run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/w.conf" --out "$BATS_TEST_TMPDIR/w"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"same-tmpfs.talk.copy.tiny"*pass* ]]
    [[ "$output" == *"same-tmpfs.pip.copy.tiny"*pass* ]]
    # a pattern that is no regular expression is a usage error, naming the file
    printf 'summary x\ncommand cp {entries} {target}\nwarns (\n' >"$subs/bad.conf"
    LINKLAB_SUBJECTS=$subs run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/w.conf" --out "$BATS_TEST_TMPDIR/w2"
    [ "$status" -eq 2 ]
    [[ "$output" == *"bad.conf:3: warns '(' is not an extended regular expression"* ]]
    assert_nothing_held
}

@test "bench/run hygiene with a failing cell and one profile already up: brings up only the missing one, takes down only it, --out leaves results/latest alone" {
    "$LAB_TOP/scripts/images" up tmpfs >/dev/null
    latest_before=$(readlink "$LAB_TOP/results/latest" 2>/dev/null || echo none)
    printf 'runs 1\nwarmup 0\ncorpus tiny\ncell same-tmpfs linklab copy class=cloned\ncell same-btrfs linklab copy derive\n' >"$BATS_TEST_TMPDIR/f.conf"
    run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/f.conf" --out "$BATS_TEST_TMPDIR/r"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"bringing up btrfs"* ]]
    [[ "$output" == *"same-tmpfs.linklab.copy.tiny"*FAIL* ]]
    python3 -c 'import json, sys
a = {p["profile"]: p["state"] for p in json.loads(sys.argv[1])["profiles"]}
assert a["tmpfs"] == "up" and a["btrfs"].startswith("down"), a
assert all(s.startswith("down") for p, s in a.items() if p != "tmpfs"), a' "$("$LAB_TOP/scripts/images" status --json)"
    [ "$(readlink "$LAB_TOP/results/latest" 2>/dev/null || echo none)" = "$latest_before" ]
    "$LAB_TOP/scripts/images" down tmpfs >/dev/null
    assert_nothing_held
}

@test "bench/run: a cell the lab cannot prepare (its target cannot be made) fails saying why, and the run goes on to a report" {
    # tmpfs already up (as a user's profiles may be), its layout's target
    # directory made read-only by a bind mount of its own: mkdir under it
    # fails, as on a full image
    "$LAB_TOP/scripts/images" up tmpfs >/dev/null
    eval "$("$LAB_TOP/scripts/images" layout same-tmpfs)"
    mount --bind "$TARGET" "$TARGET"
    mount -o remount,bind,ro "$TARGET"
    printf 'runs 1\nwarmup 0\ncorpus tiny\ncell same-tmpfs linklab copy derive\ncell cross-tmpfs-btrfs linklab copy derive\n' >"$BATS_TEST_TMPDIR/p.conf"
    run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/p.conf" --out "$BATS_TEST_TMPDIR/r"
    umount "$TARGET"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"same-tmpfs.linklab.copy.tiny"*FAIL*"setup: preparing the target failed: mkdir: cannot create directory"* ]]
    [[ "$output" == *"cross-tmpfs-btrfs.linklab.copy.tiny"*pass* ]]
    [ -s "$BATS_TEST_TMPDIR/r/report.md" ]
    "$LAB_TOP/scripts/images" down tmpfs >/dev/null
    assert_nothing_held
}

@test "bench/run: an install that exits otherwise than expected fails with its last words in the report" {
    cat >"$BATS_TEST_TMPDIR/s.conf" <<'EOF2'
runs 1
warmup 0
corpus tiny
subject grumpy sh -c 'echo "error: NoSpaceLeft accessing temporary directory" >&2; exit 3'
cell same-tmpfs grumpy copy
EOF2
    run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/s.conf" --out "$BATS_TEST_TMPDIR/r"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"exit=0: exit 3; 1 of 1 timed runs exited otherwise (it said: error: NoSpaceLeft accessing temporary directory )"* ]]
    assert_nothing_held
}
