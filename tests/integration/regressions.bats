#!/usr/bin/env bats
# The regression gallery (bench/regressions, regressions/): the reference
# installer's policies that reproduce known installer bugs do on disk what
# the bugs did, on images made here; the gallery judges rows by derived
# expectations only and calls a row caught only when the buggy subject fails
# for the row's reason and the fixed one passes; subject files taken `like`
# another; bench/run holds packages to what they were before any install.

load ../lib/lab

setup_file() {
    lab_have root || return 0 # setup skips each test, saying why
    export BTRFS EXT4 WHEELS
    BTRFS=$(lab_fs_mount btrfs btrfs)
    EXT4=$(lab_fs_mount ext4 ext4)
    WHEELS=$BATS_FILE_TMPDIR/wheels
    "$LINKLAB" corpus --profile tiny --out "$WHEELS/tiny" >/dev/null
    "$LINKLAB" corpus --profile namespace --out "$WHEELS/ns" >/dev/null
}

teardown_file() {
    lab_fs_cleanup
}

setup() {
    S=$(mktemp -d "${TMPDIR:-/var/tmp}/linklab-regressions.XXXXXX")
}

teardown() {
    [ "$(id -u)" -eq 0 ] || { rm -rf "$S"; return 0; }
    stop_pid "${BENCH_PID:-}" 60
    if [ -n "${LINKLAB_ROOT:-}" ]; then
        "$LAB_TOP/scripts/images" down --purge >/dev/null 2>&1 || echo "teardown: images down --purge failed" >&2
    fi
    rm -rf "$S"
    return 0
}

# the exec files of the tiny corpus, as paths in a target
tiny_exec_files() {
    local w
    for w in "$WHEELS"/tiny/*.whl; do
        unzip -Z "$w" | awk '$1 ~ /^-rwx/ { print $NF }'
    done
}

@test "policy uv-18181: clone makes every file 0644, so executables lose their exec bits; linklab keeps them" {
    need_root
    mapfile -t execs < <(tiny_exec_files)
    [ "${#execs[@]}" -gt 0 ]
    "$LINKLAB" install --quiet --mode clone --policy uv-18181 --cache "$BTRFS/c18181" --target "$BTRFS/t18181" "$WHEELS"/tiny/*.whl
    "$LINKLAB" install --quiet --mode clone --cache "$BTRFS/c18181" --target "$BTRFS/tok" "$WHEELS"/tiny/*.whl
    for f in "${execs[@]}"; do
        [ "$(stat -c %a "$BTRFS/t18181/$f")" = 644 ]
        [ "$(stat -c %a "$BTRFS/tok/$f")" = 755 ]
    done
    # still clones: only the mode is wrong, and the observer says so
    args=()
    for w in "$WHEELS"/tiny/*.whl; do args+=(--package "$w"); done
    run "$LINKLAB" observe --target "$BTRFS/t18181" --source "$BTRFS/c18181" "${args[@]}" --json "$S/o.json"
    [ "$status" -eq 1 ]
    python3 - "$S/o.json" "${#execs[@]}" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
assert s["completeness"]["mode"] == int(sys.argv[2]) and s["completeness"]["missing"] == 0, s
assert s["classes"]["cloned"] > 0, s
PY
    "$LINKLAB" observe --quiet --target "$BTRFS/tok" --source "$BTRFS/c18181" "${args[@]}"
}

@test "policy uv-1444: a clone from btrfs to ext4 gets EXDEV and the install fails; linklab copies" {
    need_root
    run "$LINKLAB" install --quiet --mode clone --policy uv-1444 --cache "$BTRFS/c1444" --target "$EXT4/t1444" "${DEBIAN_WHEELS[@]}"
    [ "$status" -eq 1 ]
    [[ "$output" == *"clone failed: Invalid cross-device link (EXDEV)"* ]]
    run "$LINKLAB" install --mode clone --cache "$BTRFS/c1444" --target "$EXT4/tok" "${DEBIAN_WHEELS[@]}"
    [ "$status" -eq 0 ]
    [[ "$output" == *"clone not possible (EXDEV), hardlink not possible (EXDEV), used copy"* ]]
}

@test "policy uv-17699: at a link limit of 1 the hardlink install fails with EMLINK; linklab copies" {
    need_root
    need_fuse
    mnt=$(lab_labfs_mount full "$BTRFS/full-data" "maxlinks=1")
    run "$LINKLAB" install --quiet --mode hardlink --policy uv-17699 --cache "$mnt/c" --target "$mnt/t17699" "${DEBIAN_WHEELS[@]}"
    [ "$status" -eq 1 ]
    [[ "$output" == *"EMLINK"* ]]
    run "$LINKLAB" install --mode hardlink --cache "$mnt/c" --target "$mnt/tok" "${DEBIAN_WHEELS[@]}"
    [ "$status" -eq 0 ]
    [[ "$output" == *"hardlink not possible (EMLINK), used copy"* ]]
    [ "$(find "$mnt/tok" -type f -links +1 | wc -l)" -eq 0 ]
}

@test "policy pnpm-11117: auto on ext4 copies every file without a word; linklab hardlinks" {
    need_root
    run "$LINKLAB" install --mode auto --policy pnpm-11117 --cache "$EXT4/c11117" --target "$EXT4/t11117" "${DEBIAN_WHEELS[@]}"
    [ "$status" -eq 0 ]
    [[ "$output" != *"warning"* ]]
    [ "$(find "$EXT4/t11117" -type f -links +1 | wc -l)" -eq 0 ]
    [ "$(find "$EXT4/t11117" -type f | wc -l)" -gt 100 ]
    "$LINKLAB" install --quiet --mode auto --cache "$EXT4/c11117" --target "$EXT4/tok" "${DEBIAN_WHEELS[@]}"
    [ "$(find "$EXT4/tok" -type f -links 1 | wc -l)" -eq 0 ]
}

@test "policy uv-4831: six wheels' namespace __init__.py end as a shorter version over a longer one's tail; linklab leaves one whole" {
    need_root
    for w in "$WHEELS"/ns/*.whl; do unzip -p "$w" labns/__init__.py >"$S/$(basename "$w").init"; done
    # the corpus gives each version its own length, the first the longest
    [ "$(stat -c %s "$S"/*.init | sort -u | wc -l)" -eq 6 ]
    "$LINKLAB" install --quiet --mode copy --jobs 2 --policy uv-4831 --cache "$BTRFS/c4831" --target "$BTRFS/t4831" "$WHEELS"/ns/*.whl
    "$LINKLAB" install --quiet --mode copy --jobs 2 --cache "$BTRFS/c4831" --target "$BTRFS/tok" "$WHEELS"/ns/*.whl
    whole=0 ok=0
    for v in "$S"/*.init; do
        if cmp -s "$v" "$BTRFS/t4831/labns/__init__.py"; then whole=1; fi
        if cmp -s "$v" "$BTRFS/tok/labns/__init__.py"; then ok=1; fi
    done
    [ "$whole" = 0 ]
    [ "$ok" = 1 ]
    grep -q '^__path__' "$BTRFS/t4831/labns/__init__.py"
    tail -n 1 "$BTRFS/t4831/labns/__init__.py" | grep -qv '^__path__'
}

@test "derive: at a link limit of 1 (images/linkfull.conf) the hardlink step fails and the chain lands on copy" {
    derive same-linkfull hardlink "hardlink copy" readwrite "hardlink>copy=1"
    [ "${DERIVED[*]}" = "exit=0 complete=yes warnings=1 class=copied fallback=yes" ]
    [[ $DERIVATION == *"link limit is 1"* ]]
    # where link(2) fails with EPERM the profile says hardlink=no
    derive same-linkeperm auto "hardlink clone copy" copy_file_range ""
    [ "${DERIVED[*]}" = "exit=0 complete=yes warnings=0 class=copied fallback=yes" ]
}

@test "subject files: like NAME takes a subject's statements, its own win, {policy} is its policy's name" {
    cp "$LAB_TOP/subjects/linklab.conf" "$S/"
    printf '%s\n' 'like linklab' 'summary a policy' 'policy mine clone-drops-mode' 'mode clone --mode clone --strict' \
        'chain clone clone copy' >"$S/mine.conf"
    subject_load "$S/mine.conf"
    [ "$SUBJ_summary" = "a policy" ]
    [[ $SUBJ_command == *"install --quiet --policy mine "* ]]
    [ "${SUBJ_modes[clone]}" = "--mode clone --strict" ]
    [ "${SUBJ_chains[clone]}" = "clone copy" ]
    [ "${SUBJ_chains[hardlink]}" = "hardlink copy" ]
    [ "${SUBJ_warn[clone>copy]}" = 1 ]
    subject_load "$S/linklab.conf"
    [[ $SUBJ_command == *"--policy linklab "* ]]
}

@test "subject files: like elsewhere than first, of a missing or a like-taking subject, {policy} without a policy: one FILE:LINE line" {
    cp "$LAB_TOP/subjects/linklab.conf" "$S/"
    printf '%s\n' 'like linklab' 'summary b' 'policy b' >"$S/b.conf"
    # a subject named by a path without a directory finds its base beside it
    cd "$S"
    subject_load b.conf
    [[ $SUBJ_command == *"--policy b "* ]]
    cd "$LAB_TOP"
    local bad
    for bad in 'summary x|like linklab' 'like nosuch' 'like b' 'like linklab|mode clone x|mode clone y' \
        'like linklab|policy {policy}' 'summary x|command {linklab} install --policy {policy}'; do
        tr '|' '\n' <<<"$bad" >"$S/x.conf"
        run subject_load "$S/x.conf"
        echo "$bad: $output"
        [ "$status" -eq 1 ]
        [[ "${lines[0]}" == "linklab: $S/x.conf"* ]]
    done
    run subject_load "$S/x.conf"
    [[ "$output" == *"its command has {policy} and it has no policy line"* ]]
}

# a small gallery of the reference installer's policies, on the tiny corpus
small_gallery() {
    mkdir -p "$S/rows"
    printf '%s\n' 'name exec bits lost' 'refs uv#18181 fix:uv#18187' 'layout same-btrfs' 'corpus tiny' 'mode clone' \
        'buggy linklab-uv18181' 'fixed linklab' 'catches complete' >"$S/rows/001-exec.conf"
    # uv 0.4's bug is in clone only: in copy mode the "buggy" subject passes
    printf '%s\n' 'name no bug in copy mode' 'refs uv#7620' 'layout same-btrfs' 'corpus tiny' 'mode copy' \
        'buggy linklab-uv04' 'fixed linklab' 'catches class' >"$S/rows/002-none.conf"
    # caught for another reason than the row gives is no catch
    printf '%s\n' 'name the wrong reason' 'refs uv#18181' 'layout same-btrfs' 'corpus tiny' 'mode clone' \
        'buggy linklab-uv18181' 'fixed linklab' 'catches exit' 'said EXDEV' >"$S/rows/003-reason.conf"
    # a buggy subject that cannot run at all (a usage error: its mode option
    # is misspelt) fails exit and all that follows, but never says the bug's words
    mkdir -p "$S/subjects"
    cp "$LAB_TOP"/subjects/*.conf "$S/subjects/"
    printf '%s\n' 'like linklab' 'summary a typo' 'policy uv-1444 clone-exdev-fails' 'mode clone --mode clonee' \
        >"$S/subjects/linklab-typo.conf"
    printf '%s\n' 'name cannot run' 'refs uv#1444' 'layout same-btrfs' 'corpus tiny' 'mode clone' \
        'buggy linklab-typo' 'fixed linklab' 'catches exit complete class timed' \
        'said clone failed: Invalid cross-device link (EXDEV)' >"$S/rows/004-typo.conf"
    # the two the wrong way round: no catch, and a false alarm on the "fixed" one
    printf '%s\n' 'name inverted' 'refs uv#18181' 'layout same-btrfs' 'corpus tiny' 'mode clone' \
        'buggy linklab' 'fixed linklab-uv18181' 'catches complete' >"$S/rows/005-inverted.conf"
    # said words the fixed subject prints too (linklab's fallback warning
    # names EXDEV as well) do not pin the bug
    printf '%s\n' 'name loose words' 'refs uv#1444' 'layout cross-btrfs-tmpfs' 'corpus tiny' 'mode clone' \
        'buggy linklab-uv1444' 'fixed linklab' 'catches exit complete warnings class fallback timed' \
        'said (EXDEV)' >"$S/rows/006-loose.conf"
}

@test "bench/regressions: caught only when the buggy subject fails for the row's reason and the fix passes; json, table, nothing left up" {
    need_root
    export LINKLAB_ROOT=$S/root LINKLAB_REGRESSIONS=$S/rows LINKLAB_SUBJECTS=$S/subjects
    small_gallery
    run "$LAB_TOP/bench/regressions" --out "$S/out"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"regressions: 1 of 6 caught"* ]]
    python3 - "$S/out/regressions.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == 1, d
rows = {r["name"]: r for r in d["rows"]}
for r in d["rows"]:
    for k in ("name", "refs", "layout", "buggy_subject", "buggy_verdict", "failed_expectations",
              "fixed_subject", "fixed_verdict", "caught"):
        assert k in r, (k, r)
r = rows["exec bits lost"]
assert r["caught"] is True and r["buggy_verdict"] == "fail" and r["fixed_verdict"] == "pass", r
assert r["failed_expectations"] == ["complete=yes"], r
assert r["refs"] == ["uv#18181", "fix:uv#18187"] and r["layout"] == "same-btrfs", r
r = rows["no bug in copy mode"]
assert r["caught"] is False and r["buggy_verdict"] == "pass", r
r = rows["the wrong reason"]
assert r["caught"] is False and r["buggy_verdict"] == "fail", r
assert "the row expects exit" in r["why_not_caught"], r
r = rows["cannot run"]
assert r["caught"] is False and r["buggy_verdict"] == "fail", r
assert sorted(k.split("=")[0] for k in r["failed_expectations"]) == ["class", "complete", "exit", "timed"], r
assert "last words are not 'clone failed: Invalid cross-device link (EXDEV)'" in r["why_not_caught"], r
r = rows["inverted"]
assert r["caught"] is False and r["buggy_verdict"] == "pass" and r["fixed_verdict"] == "fail", r
assert "the buggy subject passed; and the fixed subject did not pass" in r["why_not_caught"], r
assert "(a false alarm)" in r["why_not_caught"], r
r = rows["loose words"]
assert r["caught"] is False and r["buggy_verdict"] == "fail" and r["fixed_verdict"] == "pass", r
assert "the fixed subject's install prints '(EXDEV)' too" in r["why_not_caught"], r
PY
    grep -q '^| exec bits lost | uv#18181, fixed by uv#18187 | same-btrfs clone, tiny | linklab-uv18181 | \*\*FAIL\*\* (failed: complete=yes) | linklab | pass | yes |$' "$S/out/regressions.md"
    # the definitions it ran hold derived expectations only
    [ -z "$(grep -h '^cell' "$S"/out/rows/*/definition.conf | grep -v ' derive$')" ]
    [ -z "$(losetup --list --noheadings --raw --output BACK-FILE | grep -F "$LINKLAB_ROOT/")" ]
    [ -z "$(findmnt -rn -o TARGET | grep -F "$LINKLAB_ROOT/")" ]
}

@test "bench/regressions: a row whose subjects the registry cannot give is not run, not caught, and says so" {
    need_root
    export LINKLAB_ROOT=$S/root LINKLAB_REGRESSIONS=$S/rows LINKLAB_NPM_REGISTRY=http://127.0.0.1:9
    mkdir -p "$S/rows"
    printf '%s\n' 'name bun truncation' 'refs bun#40663' 'layout same-btrfs' 'corpus npm-folders' 'mode hardlink' \
        'buggy bun@1.4.0' 'fixed bun@1.4.1' 'catches complete source' >"$S/rows/001-bun.conf"
    run "$LAB_TOP/bench/regressions" --out "$S/out"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"regressions: 0 of 1 caught, 1 not run (see why above)"* ]]
    [[ "$output" == *"MISS bun truncation: buggy not-run, fixed not-run: not run: "* ]]
    grep -q '^0 of 1 rows caught, 1 not run.$' "$S/out/regressions.md"
    [ -z "$(findmnt -rn -o TARGET | grep -F "$LINKLAB_ROOT/")" ]
}

@test "bench/regressions: a row it cannot read is one line naming FILE:LINE, exit 2, before anything runs" {
    export LINKLAB_ROOT=$S/root LINKLAB_REGRESSIONS=$S/rows
    small_gallery
    local bad
    for bad in 'refs uv#18181 fix:uv-18187' 'catches nothing' 'speed fast' 'layout a b' 'jobs 0' 'layout same-btrfss' \
        'buggy linklab-uv1818' 'mode clon' 'corpus tinyy' 'layout overlay-linkeperm' 'catches complete complete'; do
        cp "$S/rows/001-exec.conf" "$S/x"
        sed -i "/^${bad%% *} /d" "$S/x"
        { cat "$S/x"; echo "$bad"; } >"$S/rows/001-exec.conf"
        run "$LAB_TOP/bench/regressions" --row 001 --out "$S/out"
        echo "$bad: $output"
        [ "$status" -eq 2 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "bench/regressions: $S/rows/001-exec.conf:"* ]]
        [ ! -e "$S/out" ]
    done
    sed -i '/^catches/d' "$S/rows/002-none.conf"
    run "$LAB_TOP/bench/regressions" --row 002 --out "$S/out"
    [ "$status" -eq 2 ]
    [[ "$output" == *"002-none.conf: no catches line"* ]]
    # a row that catches exit pins the failure by what the buggy subject says
    sed -i '/^said/d' "$S/rows/003-reason.conf"
    run "$LAB_TOP/bench/regressions" --row 003 --out "$S/out"
    [ "$status" -eq 2 ]
    [[ "$output" == *"003-reason.conf: catches exit needs a said line"* ]]
}

@test "the shipped gallery: every row reads, names a fix or reference, and no cell of it may carry an expectation" {
    n=0
    for f in "$LAB_TOP"/regressions/[0-9]*.conf; do
        n=$((n + 1))
        grep -q '^refs ' "$f"
        [ -z "$(grep -E '^(cell|expect)' "$f")" ]
    done
    [ "$n" -ge 9 ]
    # uv 0.4 is the gallery's, no longer a passing row of the sign-off
    [ -z "$(grep -E '^cell .*linklab-uv04' "$LAB_TOP/bench/signoff.conf")" ]
    grep -q 'buggy   linklab-uv04' "$LAB_TOP"/regressions/*.conf
}

@test "bench/run: a subject's version is a whole version: uv@0.4 is not a uv that says 0.10.4" {
    need_root
    export LINKLAB_ROOT=$S/root
    mkdir -p "$S/bin"
    printf '#!/bin/sh\n[ "$1" = --version ] && { echo "uv 0.10.4 (abc 2026-01-01)"; exit 0; }\nexit 1\n' >"$S/bin/uv"
    chmod +x "$S/bin/uv"
    printf '%s\n' 'runs 1' 'warmup 0' 'corpus tiny' 'subject uv@0.4' 'subject uv@0.10' \
        'cell same-tmpfs uv@0.4 copy derive' 'cell same-tmpfs uv@0.10 copy derive' >"$S/d.conf"
    PATH=$S/bin:$PATH run "$LAB_TOP/bench/run" "$S/d.conf" --out "$S/run" --no-report
    echo "$output"
    [[ "$output" == *"uv@0.4: the uv on PATH ($S/bin/uv) says 'uv 0.10.4 (abc 2026-01-01)', not 0.4: its cells are not-run"* ]]
    grep -q '"status":"not-run"' "$S"/run/cells/001-*/cell.json
    # 0.10 names 0.10.4 (one of its versions), so that one runs
    grep -q '"status":"run"' "$S"/run/cells/002-*/cell.json
}

@test "bench/regressions: SIGTERM to the runner finishes the cell in progress, then stops: exit 130, no regressions.json, nothing left up" {
    need_root
    export LINKLAB_ROOT=$S/root LINKLAB_REGRESSIONS=$S/rows
    small_gallery
    "$LAB_TOP/bench/regressions" --row 001 --row 002 --out "$S/out" >"$S/log" 2>&1 &
    BENCH_PID=$!
    # until the first row's first cell is under way
    for _ in $(seq 1 600); do
        if grep -qs 'bench/run: \[1/2\]' "$S/out/rows/001-exec/run.log"; then break; fi
        sleep 0.1
    done
    kill -TERM "$BENCH_PID"
    status=0
    wait "$BENCH_PID" || status=$?
    BENCH_PID=""
    cat "$S/log"
    [ "$status" -eq 130 ]
    grep -q 'interrupted after 0 of 2 rows' "$S/log"
    # the cell in progress ran whole: its cell.json is written
    [ -s "$(ls -d "$S"/out/rows/001-exec/run/cells/001-* | head -n 1)/cell.json" ]
    [ ! -e "$S/out/regressions.json" ]
    [ -z "$(findmnt -rn -o TARGET | grep -F "$LINKLAB_ROOT/")" ]
    [ -z "$(losetup --list --noheadings --raw --output BACK-FILE | grep -F "$LINKLAB_ROOT/")" ]
}

@test "bench/run: a subject running a linklab policy the build does not have is a usage error naming it" {
    need_root
    export LINKLAB_ROOT=$S/root
    printf '%s\n' 'corpus tiny' 'cell same-btrfs linklab-uv18181 clone derive' >"$S/d.conf"
    printf '#!/bin/sh\necho "  --policy NAME  linklab  the default"\n' >"$S/old-linklab"
    chmod +x "$S/old-linklab"
    LINKLAB=$S/old-linklab run "$LAB_TOP/bench/run" "$S/d.conf" --out "$S/run"
    [ "$status" -eq 2 ]
    [[ "$output" == *"d.conf:2: subject 'linklab-uv18181' runs linklab's policy uv-18181, which $S/old-linklab does not have: build it again (make)"* ]]
}

@test "bench/run: an overlay over a labfs profile is a usage error before anything runs (its layout cannot be made)" {
    need_root
    export LINKLAB_ROOT=$S/root
    printf '%s\n' 'corpus tiny' 'cell overlay-apfs-like linklab hardlink derive' >"$S/d.conf"
    run "$LAB_TOP/bench/run" "$S/d.conf" --out "$S/run"
    [ "$status" -eq 2 ]
    [[ "$output" == *"d.conf:2: layout 'overlay-apfs-like': overlayfs cannot stack on apfs-like, a labfs (FUSE) profile"* ]]
    [ ! -e "$S/run/cells" ]
}

@test "bench/run: source=unchanged holds the packages to what they were before the first install (the store's priming one)" {
    need_root
    curl -fsS --max-time 20 -o /dev/null "${LINKLAB_NPM_REGISTRY:-https://registry.npmjs.org}/ms" ||
        skip "the npm registry cannot be reached: the npm corpus cannot be fetched"
    export LINKLAB_ROOT=$S/root LINKLAB_SUBJECTS=$S/subjects
    mkdir -p "$S/subjects"
    cp "$LAB_TOP"/subjects/*.conf "$S/subjects/"
    # an npm installer that empties a folder dependency's package.json on its
    # first run only (the untimed one that fills its store), then does nothing
    printf '%s\n' 'summary damages on its first run' 'consumes npm' \
        "command bash -c 'test -e \"\$2/primed\" || { : >\"\$1/vendor/1/package.json\"; touch \"\$2/primed\"; }' fake {target} {cache}" \
        >"$S/subjects/firstrun.conf"
    printf '%s\n' 'runs 1' 'warmup 0' 'corpus npm-folders' 'cell same-btrfs firstrun copy' >"$S/d.conf"
    run "$LAB_TOP/bench/run" "$S/d.conf" --out "$S/run"
    echo "$output"
    [ "$status" -eq 1 ]
    python3 - "$S/run/results.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["cells"][0]
e = {x["expect"]: x for x in c["expectations"]}
assert not e["source=unchanged"]["pass"], e
assert "vendor/1/package.json: 0 bytes, was" in e["source=unchanged"]["observed"], e
PY
    [ -z "$(findmnt -rn -o TARGET | grep -F "$LINKLAB_ROOT/")" ]
}
