#!/usr/bin/env bats
# Third-party installers as subjects: provisioned by version (npm registry
# into LINKLAB_ROOT, a Debian package, a binary the definition names), the
# npm corpus, expectations derived from the subject's declared chain, and
# the always-on source=unchanged and the imports=yes check. The tests that
# need pnpm and bun skip, saying so, when the npm registry cannot be reached.

load ../lib/lab

setup_file() {
    lab_have root || return 0
    # one root for the file: the npm corpus and the provisioned installers
    # are fetched once, as a user's LINKLAB_ROOT keeps them
    export LINKLAB_ROOT=$BATS_FILE_TMPDIR/root
}

setup() {
    need_root
}

teardown() {
    [ "$(id -u)" -eq 0 ] || return 0
    "$LAB_TOP/scripts/images" down >/dev/null 2>&1 || echo "teardown: images down failed" >&2
    return 0
}

teardown_file() {
    [ "$(id -u)" -eq 0 ] || return 0
    "$LAB_TOP/scripts/images" down --purge >/dev/null 2>&1 || echo "teardown_file: images down --purge failed" >&2
    return 0
}

assert_nothing_held() {
    [ -z "$(losetup --list --noheadings --raw --output BACK-FILE | grep -F "$LINKLAB_ROOT/")" ]
    [ -z "$(findmnt -rn -o TARGET | grep -F "$LINKLAB_ROOT/")" ]
}

registry_reachable() {
    curl -fsS --max-time 20 -o /dev/null "https://registry.npmjs.org/@pnpm%2Fexe.linux-x64" ||
        skip "the npm registry cannot be reached: pnpm and bun cannot be provisioned"
}

# cell_field DIR ID KEY: KEY of results.json's cell ID
cell_field() {
    python3 -c 'import json, sys
c = {c["cell"]: c for c in json.load(open(sys.argv[1] + "/results.json"))["cells"]}[sys.argv[2]]
v = c
for k in sys.argv[3].split("."):
    v = v[k]
print(v)' "$@"
}

@test "the issue's definition: pnpm and bun from the registry, pip and linklab, every cell derived, all pass" {
    registry_reachable
    # the installers run with a home of the run's own: nothing lands in the
    # caller's; and the caller's npm settings do not steer them (this one
    # would make pnpm's auto copy)
    mkdir -p "$BATS_TEST_TMPDIR/home"
    HOME=$BATS_TEST_TMPDIR/home npm_config_package_import_method=copy \
        run "$LAB_TOP/bench/run" "$LAB_TOP/bench/installers.conf" --out "$BATS_TEST_TMPDIR/run" --runs 2
    echo "$output"
    [ -z "$(ls -A "$BATS_TEST_TMPDIR/home")" ]
    [ "$status" -eq 0 ]
    [[ "${lines[-1]}" == "sign-off: PASS (9 pass, 0 fail, 0 not run, 0 regressions)" ]]
    d=$BATS_TEST_TMPDIR/run
    # pnpm's copy on btrfs is copy_file_range: on disk a clone, and derive says so
    [ "$(cell_field "$d" same-btrfs.pnpm@12.4.1.copy.npm classes.cloned)" -gt 0 ]
    [[ "$(cell_field "$d" same-btrfs.pnpm@12.4.1.copy.npm derivation)" == *"copy_file_range"*"on disk a clone"* ]]
    [ "$(cell_field "$d" cross-btrfs-ext4.bun@1.4.5.hardlink.npm classes.copied)" -gt 4000 ]
    [ "$(cell_field "$d" same-ext4.pnpm@12.4.1.auto.npm classes.hardlinked)" -gt 4000 ]
    # each npm cell names its corpus and counts its files, not the wheels'
    [ "$(cell_field "$d" same-xfs.bun@1.4.5.hardlink.npm files)" -gt 3000 ]
    [ "$(cell_field "$d" same-btrfs.linklab.clone.real files)" -lt 3000 ]
    [ -x "$LINKLAB_ROOT/subjects/pnpm@12.4.1/pnpm" ]
    [ -x "$LINKLAB_ROOT/subjects/bun@1.4.5/bin/bun" ]
    assert_nothing_held
}

@test "derive: pnpm's explicit clone on ext4 is an expected failure, every run exits 1, and passes; a damaged provisioned binary is unpacked again" {
    registry_reachable
    # the first test of this file provisioned pnpm: a truncated binary must not run
    if [ -f "$LINKLAB_ROOT/subjects/pnpm@12.4.1/pnpm" ]; then
        truncate -s 1000 "$LINKLAB_ROOT/subjects/pnpm@12.4.1/pnpm"
    fi
    printf 'runs 1\nwarmup 0\ncorpus npm\nsubject pnpm@12.4.1\ncell same-ext4 pnpm@12.4.1 clone derive\n' >"$BATS_TEST_TMPDIR/d.conf"
    run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/d.conf" --out "$BATS_TEST_TMPDIR/run"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$(cell_field "$BATS_TEST_TMPDIR/run" same-ext4.pnpm@12.4.1.clone.npm derivation)" == *"no step works: the install fails"* ]]
    [ "$(cell_field "$BATS_TEST_TMPDIR/run" same-ext4.pnpm@12.4.1.clone.npm exit)" -eq 1 ]
    assert_nothing_held
}

@test "an unreachable registry: the npm cells are not-run with the reason, the wheel cells run" {
    export LINKLAB_ROOT=$BATS_TEST_TMPDIR/fresh
    printf 'runs 1\nwarmup 0\ncorpus npm\ncorpus tiny\nsubject pnpm@12.4.1\ncell same-tmpfs pnpm@12.4.1 auto derive\ncell same-tmpfs linklab copy derive\n' >"$BATS_TEST_TMPDIR/d.conf"
    LINKLAB_NPM_REGISTRY=http://127.0.0.1:9 run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/d.conf" --out "$BATS_TEST_TMPDIR/run"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"corpus npm: "*"the registry did not answer"*"its cells are not-run"* || "$output" == *"corpus npm: "*"download failed"*"its cells are not-run"* ]]
    [[ "$output" == *"pnpm@12.4.1: "*"its cells are not-run"* ]]
    # a PASS that signs nothing off for pnpm says so, next to the verdict
    [[ "${lines[-2]}" == "not signed off, no cell of theirs ran: pnpm@12.4.1 ("*"127.0.0.1:9"* ]]
    [ "$(cell_field "$BATS_TEST_TMPDIR/run" same-tmpfs.pnpm@12.4.1.auto.npm verdict)" = not-run ]
    [[ "$(cell_field "$BATS_TEST_TMPDIR/run" same-tmpfs.pnpm@12.4.1.auto.npm reason)" == *"127.0.0.1:9"* ]]
    [ "$(cell_field "$BATS_TEST_TMPDIR/run" same-tmpfs.linklab.copy.tiny verdict)" = pass ]
    assert_nothing_held
}

@test "uv with no binary named and none on PATH: its cells are not-run, saying how to name one" {
    printf 'runs 1\nwarmup 0\ncorpus tiny\ncell same-tmpfs uv clone derive\ncell same-tmpfs linklab clone derive\n' >"$BATS_TEST_TMPDIR/d.conf"
    PATH=/usr/sbin:/usr/bin:/sbin:/bin run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/d.conf" --out "$BATS_TEST_TMPDIR/run"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$(cell_field "$BATS_TEST_TMPDIR/run" same-tmpfs.uv.clone.tiny reason)" == "uv: no uv given (subject uv@/path/to/uv) and none on PATH" ]]
    # a path that is no executable: the same, naming it
    printf 'runs 1\nwarmup 0\ncorpus tiny\nsubject uv@/nonexistent/uv\ncell same-tmpfs uv@/nonexistent/uv copy derive\n' >"$BATS_TEST_TMPDIR/e.conf"
    run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/e.conf" --out "$BATS_TEST_TMPDIR/run2"
    [[ "$(cell_field "$BATS_TEST_TMPDIR/run2" same-tmpfs.uv@_nonexistent_uv.copy.tiny reason)" == *"/nonexistent/uv is no executable file"* ]]
}

@test "a definition's subject mistakes are usage errors before anything runs" {
    d=$BATS_TEST_TMPDIR/d.conf
    try() { # EXPECTED-TEXT DEFINITION-LINES...
        local want=$1
        shift
        printf '%s\n' 'corpus tiny' "$@" >"$d"
        run "$LAB_TOP/bench/run" "$d" --out "$BATS_TEST_TMPDIR/o"
        echo "$output"
        [ "$status" -eq 2 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"$want"* ]]
        [ ! -e "$BATS_TEST_TMPDIR/o/run.json" ]
    }
    try "subject 'pnpm' is provisioned by version: add 'subject pnpm@VERSION'" 'corpus npm' 'cell same-btrfs pnpm auto derive'
    try "no subject 'nosuch'" 'subject nosuch@1.0' 'cell same-btrfs linklab clone'
    try "subject 'linklab' has no provision line" 'subject linklab@1.0' 'cell same-btrfs linklab clone'
    try "subject 'pip' has no mode 'clone' (" 'cell same-btrfs pip clone derive'
    try "subject 'pnpm@12.4.1' consumes npm and the definition has no such corpus" 'subject pnpm@12.4.1' 'cell same-btrfs pnpm@12.4.1 auto derive'
    try "derive needs the subject's fallback chain for copy" 'subject mine cp -a {entries} {target}' 'cell same-btrfs mine copy derive'
    try "'../x' is no version" 'subject pnpm@../x' 'cell same-btrfs linklab clone'
    try "subject @1 names no subject" 'subject @1' 'cell same-btrfs linklab clone'
    try "subject NAME@VERSION takes nothing after it" 'subject pnpm@1.0 extra' 'cell same-btrfs linklab clone'
    try "subject NAME@VERSION takes nothing after it" 'subject uv@/path with spaces/uv' 'cell same-btrfs linklab clone'
    try "corpus NAME [SCALE]" 'corpus' 'cell same-btrfs linklab clone'
    try "runs takes a whole number from 1 up, not 0" 'runs 0' 'cell same-btrfs linklab clone'
    try "exit= is given twice (exit=0 and exit=1)" 'cell same-btrfs linklab clone exit=0 exit=1'
    try "warnings= is given twice (warnings=1 and warnings=0)" 'cell same-btrfs linklab clone derive warnings=1 warnings=0'
    # a definition saved with CRLF line ends reads the same
    printf 'corpus tiny\r\nsubject pnpm@../x\r\ncell same-btrfs linklab clone\r\n' >"$d"
    run "$LAB_TOP/bench/run" "$d" --out "$BATS_TEST_TMPDIR/o"
    [ "$status" -eq 2 ]
    [[ "$output" == *"'../x' is no version"* ]]
    try "'a/b' is no version" 'subject pnpm@a/b' 'cell same-btrfs linklab clone'
}

@test "source=unchanged, always on: an installer that damages its cache fails the cell, naming the file" {
    # copies, then empties one cache file: the next runs copy the damage
    cat >"$BATS_TEST_TMPDIR/d.conf" <<'EOF'
runs 1
warmup 0
corpus tiny
subject spoil sh -c 'cp -a --reflink=never "$@"; f=$(find {cache} -name "*.py" -size +0 | sort | head -n 1); : > "$f"' sh {entries} {target}
cell same-tmpfs spoil copy class=copied
cell same-tmpfs linklab copy derive
EOF
    run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/d.conf" --out "$BATS_TEST_TMPDIR/run"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"same-tmpfs.spoil.copy.tiny"*"FAIL"*"source=unchanged"* ]]
    python3 - "$BATS_TEST_TMPDIR/run/results.json" <<'PY'
import json, sys
cells = {c["cell"]: c for c in json.load(open(sys.argv[1]))["cells"]}
e = {x["expect"]: x for x in cells["same-tmpfs.spoil.copy.tiny"]["expectations"]}
s = e["source=unchanged"]
assert not s["pass"] and ".py: 0 bytes, was" in s["observed"], s
assert all(x["pass"] for x in cells["same-tmpfs.linklab.copy.tiny"]["expectations"]), cells["same-tmpfs.linklab.copy.tiny"]
PY
    assert_nothing_held
}

@test "source=unchanged holds the cache's modes too: an install that chmods through a hardlink fails the cell" {
    cat >"$BATS_TEST_TMPDIR/d.conf" <<'EOF'
runs 1
warmup 0
corpus tiny
subject chmodder sh -c 'cp -al "$@"; find {target} -name "*.py" -exec chmod 000 {} +' sh {entries} {target}
cell same-tmpfs chmodder hardlink class=hardlinked
EOF
    run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/d.conf" --out "$BATS_TEST_TMPDIR/run"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"same-tmpfs.chmodder.hardlink.tiny"*FAIL*"source=unchanged: "*"mode 0, was 644"* ]]
    assert_nothing_held
}

@test "imports=yes: a module the install lost fails the cell; an intact install imports from the target alone" {
    cat >"$BATS_TEST_TMPDIR/d.conf" <<'EOF'
runs 1
warmup 0
corpus real
subject lose sh -c 'cp -a --reflink=never "$@"; rm -f {target}/wheel/__init__.py {target}/pip/__init__.py' sh {entries} {target}
cell same-tmpfs lose copy imports=yes
cell same-tmpfs linklab copy imports=yes
EOF
    run "$LAB_TOP/bench/run" "$BATS_TEST_TMPDIR/d.conf" --out "$BATS_TEST_TMPDIR/run"
    echo "$output"
    [ "$status" -eq 1 ]
    python3 - "$BATS_TEST_TMPDIR/run/results.json" <<'PY'
import json, sys
cells = {c["cell"]: c for c in json.load(open(sys.argv[1]))["cells"]}
e = {x["expect"]: x for x in cells["same-tmpfs.lose.copy.real"]["expectations"]}["imports=yes"]
assert not e["pass"] and "wheel: imported as a namespace package: its __init__.py is not in the target" in e["observed"], e
e = {x["expect"]: x for x in cells["same-tmpfs.linklab.copy.real"]["expectations"]}["imports=yes"]
assert e["pass"] and "5 imported, 0 failed" in e["observed"], e
PY
    assert_nothing_held
}
