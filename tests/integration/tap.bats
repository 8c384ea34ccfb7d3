#!/usr/bin/env bats
# The test runner's accounting (tests/lib/tap.bash, used by tests/run): a
# runner that crashes after its last ok, dies before its planned tests,
# reports no plan or times out is a failure; skips are counted apart.

load ../lib/lab

# account STATUS TAP-TEXT: "passed failed skipped" after one TAP stream
account() {
    printf '%s\n' "$2" >"$BATS_TEST_TMPDIR/s.tap"
    (
        # shellcheck source=../lib/tap.bash
        . "$LAB_TOP/tests/lib/tap.bash"
        tap_result runner "$BATS_TEST_TMPDIR/s.tap" "$1" >"$BATS_TEST_TMPDIR/said"
        echo "$passed $failed $skipped"
    )
}

@test "tap: a clean stream passes, skips count apart" {
    [ "$(account 0 $'1..3\nok 1 a\nok 2 b # skip no FUSE\nok 3 c')" = "2 0 1" ]
    [ ! -s "$BATS_TEST_TMPDIR/said" ]
}

# accounts_as STATUS TAP-TEXT COUNTS SAID: the counts, and a line saying why
accounts_as() {
    [ "$(account "$1" "$2")" = "$3" ] || return 1
    grep -q "$4" "$BATS_TEST_TMPDIR/said"
}

@test "tap: a runner that exits non-zero after its last ok (a sanitizer report) fails" {
    accounts_as 1 $'1..2\nok 1 a\nok 2 b\n==4242==ERROR: LeakSanitizer: detected memory leaks' "2 1 0" \
        'exited with status 1 though every test passed'
}

@test "tap: fewer results than the plan (a runner that died mid-run) fails" {
    accounts_as 0 $'1..5\nok 1 a\nok 2 b' "2 1 0" '5 tests planned, 2 reported'
}

@test "tap: no plan at all fails, also with status 0" {
    accounts_as 0 'Segmentation fault' "0 1 0" 'no TAP plan'
}

@test "tap: a timeout fails" {
    accounts_as 124 $'1..2\nok 1 a' "1 1 0" 'timed out'
}

@test "tap: a failing test counts once, with its runner's non-zero status" {
    [ "$(account 1 $'1..2\nok 1 a\nnot ok 2 b')" = "1 1 0" ]
}

@test "tap: several plans (cmocka groups) add up" {
    [ "$(account 0 $'1..1\nok 1 a\n1..2\nok 1 b\nok 2 c')" = "3 0 0" ]
    [ "$(account 0 $'1..1\nok 1 a\n1..2\nok 1 b')" = "2 1 0" ]
}

@test "one_check: the skip status it is given is a skip that says why; any other failure fails" {
    run bash -c '. "$1"
        one_check --skip-status 3 lint sh -c "echo tool missing; exit 3"
        one_check shellcheck sh -c "echo bad flag; exit 3"
        one_check other false
        echo "$passed $failed $skipped"' _ "$LAB_TOP/tests/lib/tap.bash"
    echo "$output"
    [ "${lines[0]}" = "ok - lint # SKIP tool missing" ]
    [ "${lines[1]}" = "bad flag" ]
    [ "${lines[2]}" = "not ok - shellcheck" ]
    [ "${lines[3]}" = "not ok - other" ]
    [ "${lines[-1]}" = "0 2 1" ]
}

# lint FILE-TEXT: tests/lib/lint-bats over a bats file of that text
lint() {
    printf '%s\n' "$1" >"$BATS_TEST_TMPDIR/x.bats"
    run "$LAB_TOP/tests/lib/lint-bats" "$BATS_TEST_TMPDIR/x.bats"
    echo "$output"
}

@test "lint-bats: every form of a check bats ignores is found" {
    for bad in '! grep -q x f' 'if true; then ! true; fi' '[ 1 -eq 2 ] && [ 2 -eq 2 ]' \
        '[ -e /nonexistent ] && grep -q x f' 'test 1 -eq 2 && test 2 -eq 2' $'[ 1 -eq 2 ] &&\n    [ 2 -eq 2 ]' \
        'x=1; ! false' 'if true; then [ 1 = 2 ] && [ 2 = 2 ]; fi' 'while :; do [ 1 = 2 ] && [ 2 = 2 ]; break; done' \
        '[ 1 = 2 ] && [ 2 = 2 ]; x=1 || true' '[ 1 = 2 ] && [ 2 = 2 ] || echo oops'; do
        lint "@test x {
    $bad
}"
        [ "$status" -eq 1 ]
        [[ "$output" == *"x.bats:2: "* ]]
    done
    # what looks like a heredoc or a quote does not hide the lines after it
    for opener in 'size=$((1 << n))' 'tr a b <<< hello' 'echo "x << y"' "x=\$'it\\'s'"; do
        lint "@test x {
    $opener
    [ 1 = 2 ] && [ 2 = 2 ]
}"
        [ "$status" -eq 1 ]
        [[ "$output" == *"x.bats:3: "* ]]
    done
}

@test "lint-bats: checks that can fail, conditions, heredocs and strings are left alone" {
    lint '@test x {
    run ! true
    refute grep -q x f
    [ "$a" != "!" ]
    [[ -n "$a" && -n "$b" ]]
    x=$(cd /tmp && ls)
    [ -s f ] && break
    if [ -n "$a" ] && [ -n "$b" ]; then :; fi
    if [ -n "$a" ] \
        && [ -n "$b" ]; then :; fi
    while [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done
    [ -n "$a" ] && [ -n "$b" ] || return 1
    [ -n "$a" ] && [ "$a" = "$b" ] || { echo differs >&2; false; }
    helper() { [ "$1" = a ] && [ "$2" = b ]; }
    sh -c "a &&
        ! b"
    cat <<TXT
! not code && more
TXT
}'
    [ "$status" -eq 0 ]
}
