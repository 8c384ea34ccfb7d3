#!/usr/bin/env bats
# The reliability suite, through the scenario runner (bench/scenarios, run
# as `linklab scenario`): every case must survive, with no byte lost and no
# mount or loop device leaked. The logic of each scenario lives once, in
# the runner; these tests hold it to its numbers.

load ../lib/lab

# the scenarios of this tree, wherever the linklab under test was built
export LINKLAB_SCENARIOS=${LINKLAB_SCENARIOS:-$LAB_TOP/bench/scenarios}

# scenario NAME [ARGS...]: runs it and checks its row of the JSON table
scenario() {
    local name=$1
    shift
    run "$LINKLAB" scenario run "$name" --json "$BATS_TEST_TMPDIR/s.json" "$@"
    echo "$output"
    [ "$status" -eq 0 ]
    python3 - "$BATS_TEST_TMPDIR/s.json" "$name" <<'PY'
import json, sys
rows = {r["scenario"]: r for r in json.load(open(sys.argv[1]))["scenarios"]}
r = rows[sys.argv[2]]
assert r["status"] == "run", r
assert r["tried"] > 0 and r["survived"] == r["tried"], r
assert r["bytes_lost"] == 0 and r["escapes"] == 0 and r["leaked_mounts"] == 0 and r["leaked_loops"] == 0, r
PY
}

@test "scenario hostile: 20 hostile or odd wheels and 6 layout cases in 5 modes, judged by effects, nothing escapes" {
    scenario hostile
    [[ "$output" == *"hostile         130       130           0        0"* ]]
}

@test "scenario hostile catches an installer that writes outside (a stand-in that follows ' ..' up)" {
    # the reference installer with the sscanf bug, imitated: it writes the
    # wheel's ' ../important.txt' as '../important.txt' beside the target
    bin=$BATS_TEST_TMPDIR/bin
    mkdir -p "$bin"
    cat >"$bin/trimming" <<'SH'
#!/bin/sh
# trimming MODE CACHE TARGET WHEEL...: installs with linklab, then trims
# leading spaces from path components the way the old manifest reader did
"$LINKLAB" install --quiet --mode "$1" --cache "$2" --target "$3" "$4" || exit $?
if [ -e "$3/ ../important.txt" ]; then cp "$3/ ../important.txt" "$3/../important.txt"; fi
SH
    chmod +x "$bin/trimming"
    run env LINKLAB="$LINKLAB" "$LINKLAB" scenario run hostile --installer "$bin/trimming {mode} {cache} {target} {wheels}" \
        --modes copy,symlink --json "$BATS_TEST_TMPDIR/s.json"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"hostile/leadspace (copy): something outside the cache and target changed"* ]]
    python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["scenarios"][0]
assert r["tried"] == 52 and r["escapes"] >= 2 and r["survived"] < r["tried"], r' "$BATS_TEST_TMPDIR/s.json"
}

@test "scenario killed: 50 seeded SIGKILLs; every re-run completes, no temporary names left" {
    scenario killed
    [[ "$output" == *"killed           50        50           0"* ]]
    # the kills hit running installers, not a shell around them
    landed=$(sed -n 's/.*killed: \([0-9]*\) of 50 kills landed.*/\1/p' <<<"$output")
    [ "$landed" -ge 25 ]
}

@test "scenario concurrent: 8 installs into one target (3 rounds), two versions at once (3 rounds), 4 unpacks into one cache" {
    scenario concurrent
}

@test "scenario concurrent through an installer template" {
    scenario concurrent --installer "$LINKLAB install --quiet --jobs 1 --mode {mode} --cache {cache} --target {target} {wheels}"
}

@test "scenario fulldisk: ENOSPC at five points, cache intact, a re-run with room completes; a failed install beside a finished one" {
    need_root
    scenario fulldisk
}

@test "scenario faults: labfs clone and write EIO, EMLINK: complete by fallback or a clean failure" {
    need_root
    [ -c /dev/fuse ] || skip "no /dev/fuse"
    scenario faults
}

@test "scenario isolation: clone and copy edits stay out of the cache; hardlink and symlink edits reach it" {
    need_root
    scenario isolation
}

@test "valgrind: one install and one observe of the many-small corpus, no errors, no leaks" {
    command -v valgrind >/dev/null || skip "valgrind is not installed"
    plain=$LAB_TOP/build/linklab # valgrind cannot run the sanitizer build
    [ -x "$plain" ] || skip "$plain is not built"
    "$plain" corpus --profile many-small --out "$BATS_TEST_TMPDIR/w" >/dev/null
    vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99)
    run "${vg[@]}" "$plain" install --quiet --mode copy --jobs 2 --cache "$BATS_TEST_TMPDIR/c" \
        --target "$BATS_TEST_TMPDIR/t" --log "$BATS_TEST_TMPDIR/log" "$BATS_TEST_TMPDIR"/w/*.whl
    echo "$output"
    [ "$status" -eq 0 ]
    run "${vg[@]}" "$plain" observe --quiet --target "$BATS_TEST_TMPDIR/t" --source "$BATS_TEST_TMPDIR/c" \
        --wheel "$BATS_TEST_TMPDIR"/w/*.whl --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 0 ]
}

# survived_of JSON NAME: "tried survived" of a scenario's row
survived_of() {
    python3 -c 'import json, sys
r = {r["scenario"]: r for r in json.load(open(sys.argv[1]))["scenarios"]}[sys.argv[2]]
print(r["tried"], r["survived"])' "$1" "$2"
}

@test "the scenarios fail what they cannot show: an incomplete tree, an unmeasurable loss, a fault that never fired" {
    need_root
    [ -c /dev/fuse ] || skip "no /dev/fuse"
    bin=$BATS_TEST_TMPDIR/bin
    mkdir -p "$bin"
    # an installer that loses no byte but leaves an incomplete tree: its
    # empty files gone and its exec bits off
    cat >"$bin/lossy" <<SH
#!/bin/sh
"$LINKLAB" install --quiet --mode "\$1" --cache "\$2" --target "\$3" "\$4" || exit
find "\$3" -type f -empty -delete
find "\$3" -type f -exec chmod a-x {} +
SH
    # a linklab whose observer crashes (as under a sanitizer report)
    cat >"$bin/linklab" <<SH
#!/bin/sh
[ "\$1" = observe ] && exit 86
exec "$LINKLAB" "\$@"
SH
    # a labfs that mounts but drops every fail= rule
    cat >"$bin/labfs" <<'SH'
#!/bin/bash
args=()
for a in "$@"; do args+=("$(sed -E 's/,?fail=[^,]*//g; s/^,//' <<<"$a")"); done
exec "$REAL_LABFS" "${args[@]}"
SH
    chmod +x "$bin"/*
    run "$LINKLAB" scenario run hostile --installer "$bin/lossy {mode} {cache} {target} {wheels}" --modes copy \
        --json "$BATS_TEST_TMPDIR/a.json"
    [ "$status" -eq 1 ]
    # every wheel case fails; the layout cases judge refusals only (four
    # targets into the cache, a symlinked directory), which it still makes
    [ "$(survived_of "$BATS_TEST_TMPDIR/a.json" hostile)" = "26 5" ]
    [[ "$output" == *"is not complete: missing "* ]]
    run env LINKLAB="$bin/linklab" "$LAB_TOP/bench/scenarios" run hostile --modes copy --json "$BATS_TEST_TMPDIR/b.json"
    [ "$status" -eq 1 ]
    # every case the observer measures fails (all but the four refusals)
    [ "$(survived_of "$BATS_TEST_TMPDIR/b.json" hostile)" = "26 4" ]
    [[ "$output" == *"could not measure the bytes lost"*"observe exit 86"* ]]
    run env LABFS="$bin/labfs" REAL_LABFS="$LABFS" "$LAB_TOP/bench/scenarios" run faults --json "$BATS_TEST_TMPDIR/c.json"
    [ "$status" -eq 1 ]
    # the six fail= cases fail; the four maxlinks cases have no rule to drop
    [ "$(survived_of "$BATS_TEST_TMPDIR/c.json" faults)" = "10 4" ]
    [[ "$output" == *"the fault never fired"* ]]
}
