#!/usr/bin/env bats
# What a linklab process loads when it starts (issue 16): libarchive (with
# libxml2, ICU and libstdc++ behind it) took 2.3 ms of every start, so it is
# loaded only when a package is read (lab/format/lazyarchive.c): an install
# from a warm cache, the floor and a report never load it; unpack does, and
# reads the wheel as before.

load ../lib/lab

# loads CMD...: the shared objects CMD opens (strace), one per line
loads() {
    # LeakSanitizer cannot run under ptrace (the ASan build): no leak check here
    ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 strace -f -e trace=openat -o "$BATS_TEST_TMPDIR/trace" "$@" \
        >/dev/null 2>&1 || return 1
    grep -o '"[^"]*\.so[^"]*"' "$BATS_TEST_TMPDIR/trace" | grep -v ENOENT | tr -d '"' || true
}

setup() {
    "$LINKLAB" corpus --profile tiny --out "$BATS_TEST_TMPDIR/w" >/dev/null
}

@test "startup: linklab is not linked against libarchive; unpack loads it and reads the wheels" {
    [ -z "$(ldd "$LINKLAB" | grep -E 'libarchive|libxml2|libicu')" ]
    run loads "$LINKLAB" unpack --cache "$BATS_TEST_TMPDIR/c" "$BATS_TEST_TMPDIR"/w/*.whl
    [ "$status" -eq 0 ]
    [[ "$output" == *libarchive.so* ]]
    [ "$(find "$BATS_TEST_TMPDIR/c/wheels" -type f | wc -l)" -ge 60 ]
}

@test "startup: an install from a warm cache, the floor, --version and a report never load libarchive" {
    "$LINKLAB" unpack --cache "$BATS_TEST_TMPDIR/c" "$BATS_TEST_TMPDIR"/w/*.whl >/dev/null
    run loads "$LINKLAB" install --quiet --mode copy --cache "$BATS_TEST_TMPDIR/c" --target "$BATS_TEST_TMPDIR/t" \
        "$BATS_TEST_TMPDIR"/w/*.whl
    [ "$status" -eq 0 ]
    [[ "$output" != *libarchive* ]]
    [ -d "$BATS_TEST_TMPDIR/t" ]
    entry=$(find "$BATS_TEST_TMPDIR/c/wheels" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    run loads "$LINKLAB" floor --mode copy --source "$entry" --target "$BATS_TEST_TMPDIR/f"
    [ "$status" -eq 0 ]
    [[ "$output" != *libarchive* ]]
    run loads "$LINKLAB" --version
    [[ "$output" != *libarchive* ]]
    run loads "$LINKLAB" report "$LAB_TOP/tests/fixtures/report/run-a" --out "$BATS_TEST_TMPDIR/r"
    [[ "$output" != *libarchive* ]]
    [ -f "$BATS_TEST_TMPDIR/r/report.md" ]
}
