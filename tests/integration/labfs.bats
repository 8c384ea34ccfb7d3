#!/usr/bin/env bats
# labfs, the APFS-like FUSE filesystem: case and normalization, directory
# clones through --platform darwin, faults (clone, quota, link limit),
# replayable fault sequences, and mounting through scripts/images.

load ../lib/lab

setup_file() {
    lab_have root fuse || return 0 # setup skips each test, saying why
    export BTRFS TMPFS APFS WHEELS
    BTRFS=$(lab_fs_mount btrfs btrfs)
    TMPFS=$(lab_fs_mount tmpfs tmpfs)
    APFS=$(lab_labfs_mount apfs "$BTRFS/apfs-data" casefold,normalize,dirclone)
    WHEELS=$BATS_FILE_TMPDIR/wheels
    "$LINKLAB" corpus --profile tiny --out "$WHEELS" >/dev/null
}

teardown_file() {
    lab_fs_cleanup
}

setup() {
    need_root
    need_fuse
}

# What a test started through scripts/images (only under its own
# LINKLAB_ROOT) is stopped also when the test fails: the labfs daemon by the
# pid it reported, then the profile taken down and purged. Mounts made with
# lab_labfs_mount are lab_fs_cleanup's (teardown_file).
teardown() {
    [ "$(id -u)" -eq 0 ] || return 0
    [ -n "${IMAGES_ROOT:-}" ] && [ "${LINKLAB_ROOT:-}" = "$IMAGES_ROOT" ] || return 0
    local pid
    for pid in ${IMAGES_DAEMONS:-}; do
        stop_labfs "$pid" "$IMAGES_ROOT/mnt/apfs-like"
    done
    "$LAB_TOP/scripts/images" down --purge >/dev/null 2>&1 || echo "teardown: images down --purge failed" >&2
    return 0
}

stat_calls() { # MOUNT OP: calls of OP so far
    awk -v op="$2" '$1 == op { print $2 }' "$1/.labfs/stats"
}

@test "case: Foo.py and foo.py from two wheels land in one file; driver and observer report it" {
    make_wheel "$BATS_TEST_TMPDIR/upper-1.0-py3-none-any.whl" upper 1.0 "shared/Foo.py=print('upper')"
    make_wheel "$BATS_TEST_TMPDIR/lower-1.0-py3-none-any.whl" lower 1.0 "shared/foo.py=print('lower')"
    run "$LINKLAB" install --mode copy --cache "$BTRFS/c-case" --target "$APFS/t-case" \
        "$BATS_TEST_TMPDIR"/upper-*.whl "$BATS_TEST_TMPDIR"/lower-*.whl
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"names differ only by case or normalization: shared/Foo.py ("*") and shared/foo.py ("*"): the target is case-insensitive, they are one file"* ]]
    # one entry (whichever wheel's spelling came first: the workers race), one inode
    [ "$(ls "$APFS/t-case/shared" | wc -l)" -eq 1 ]
    [ "$(stat -c %i "$APFS/t-case/shared/Foo.py")" = "$(stat -c %i "$APFS/t-case/shared/foo.py")" ]
    # the same wheels on btrfs: two files, and the driver says they would collide
    run "$LINKLAB" install --mode copy --cache "$BTRFS/c-case" --target "$BTRFS/t-case" \
        "$BATS_TEST_TMPDIR"/upper-*.whl "$BATS_TEST_TMPDIR"/lower-*.whl
    [ "$status" -eq 0 ]
    [[ "$output" == *"they collide on case-insensitive filesystems"* ]]
    [ "$(ls "$BTRFS/t-case/shared" | wc -l)" -eq 2 ]
    run "$LINKLAB" observe --target "$APFS/t-case" --wheel "$BATS_TEST_TMPDIR"/upper-*.whl \
        --wheel "$BATS_TEST_TMPDIR"/lower-*.whl --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 1 ] # incomplete: one wheel's file holds the other's bytes
    [[ "$output" == *"case-collision 1"* ]]
    [[ "$output" == *"case-collision: shared/foo.py: shared/Foo.py and shared/foo.py differ only by case or normalization: one file in this target"* ]]
    # one of the two is not what its wheel says: the other wheel's bytes won
    [[ "$output" == *"corrupt 1"* ]]
}

@test "normalization: names in NFC and NFD form resolve to one file" {
    nfc=$(printf 'caf\xc3\xa9.py') nfd=$(printf 'cafe\xcc\x81.py')
    echo nfc >"$APFS/$nfc"
    [ "$(cat "$APFS/$nfd")" = nfc ]
    [ "$(stat -c %i "$APFS/$nfc")" = "$(stat -c %i "$APFS/$nfd")" ]
    [ "$(ls "$APFS" | grep -c '^caf')" -eq 1 ]
    # creating the other spelling opens the same file, as APFS does
    echo nfd >"$APFS/$nfd"
    [ "$(cat "$APFS/$nfc")" = nfd ]
}

@test "clone: --platform darwin clones wheel directories (extents shared on the backing btrfs), then merges" {
    W=$(debian_wheel wheel)
    files=$(record_files "$W")
    "$LINKLAB" unpack --cache "$APFS/cache" "$W" >/dev/null
    before=$(stat_calls "$APFS" clone)
    run "$LINKLAB" install --platform darwin --mode clone --cache "$APFS/cache" --target "$APFS/t-dar" \
        --log "$BATS_TEST_TMPDIR/log" "$W"
    [ "$status" -eq 0 ]
    [[ "$output" != *warning* ]]
    # one clonefile per top-level entry (wheel/ and wheel-VERSION.dist-info/), not per file
    [ "$(wheel_toplevel "$W")" -lt "$files" ]
    [ "$(($(stat_calls "$APFS" clone) - before))" -eq "$(wheel_toplevel "$W")" ]
    [ "$(json_get "$BATS_TEST_TMPDIR/log" summary 'r[0]["files_by_mode"]["clone"]')" -eq "$files" ]
    [ "$(json_get "$BATS_TEST_TMPDIR/log" summary 'r[0]["platform"]')" = darwin ]
    run "$LINKLAB" observe --target "$APFS/t-dar" --source "$APFS/cache" --expect clone --wheel "$W"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"(fuse)"*"cloned "* ]]
    # again into the existing target: the merge path, entry by entry
    before=$(stat_calls "$APFS" clone)
    run "$LINKLAB" install --platform darwin --mode clone --cache "$APFS/cache" --target "$APFS/t-dar" "$W"
    [ "$status" -eq 0 ]
    [ "$(($(stat_calls "$APFS" clone) - before))" -gt "$files" ]
    run "$LINKLAB" observe --target "$APFS/t-dar" --source "$APFS/cache" --expect clone --wheel "$W"
    [ "$status" -eq 0 ]
    [ -z "$(find "$APFS/t-dar" -name '*lltmp*' -o -name '* 2')" ]
}

@test "clone: a cache on another filesystem falls back to copy with one warning" {
    W=$(debian_wheel wheel)
    run "$LINKLAB" install --platform darwin --mode clone --cache "$TMPFS/cache" --target "$APFS/t-x" "$W"
    [ "$status" -eq 0 ]
    [ "$(grep -c warning <<<"$output")" -eq 1 ]
    [[ "$output" == *"clone not possible (EXDEV)"*"used copy for 1 wheel"* ]]
    run "$LINKLAB" observe --target "$APFS/t-x" --source "$TMPFS/cache" --wheel "$W" --expect copy
    [ "$status" -eq 0 ]
    # and --platform darwin on a filesystem that is not labfs: ENOTSUP, copy
    run "$LINKLAB" install --platform darwin --mode clone --cache "$TMPFS/cache" --target "$TMPFS/t-x" "$W"
    [ "$status" -eq 0 ]
    [[ "$output" == *"clone not possible (EOPNOTSUPP)"* ]]
}

@test "faults: fail=clone:EIO@3 fails the install cleanly (EIO is a resource error, never a fallback)" {
    mnt=$(lab_labfs_mount f-clone "$BTRFS/f-clone-data" "casefold,dirclone,fail=clone:EIO@3")
    wheels=("${DEBIAN_WHEELS[@]}" "$WHEELS"/*.whl)
    "$LINKLAB" unpack --cache "$mnt/cache" "${wheels[@]}" >/dev/null
    # which wheel the third clonefile hits: the macOS path takes the wheels in
    # order, one clonefile per top-level entry (--jobs 1 all the same)
    calls=0
    for w in "${wheels[@]}"; do
        calls=$((calls + $(wheel_toplevel "$w")))
        [ "$calls" -lt 3 ] || break
    done
    [ "$calls" -ge 3 ]
    hit=$(wheel_nv "$w")
    run "$LINKLAB" install --platform darwin --mode clone --jobs 1 --cache "$mnt/cache" --target "$mnt/t" \
        --log "$BATS_TEST_TMPDIR/log" "${wheels[@]}"
    echo "$output"
    # the fault fired once, and the install stopped at it: no fourth clonefile
    [ "$(awk '$1 == "clone" { print $2, $3 }' "$mnt/.labfs/stats")" = "3 1" ]
    # EIO is not a capability error: no fallback, one line naming the wheel, exit 1
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" =~ ^"linklab install: $mnt/t/$hit-"[0-9a-f]{16}": clone failed: Input/output error (EIO)"$ ]]
    [[ "$output" != *warning* ]]
    # the event log says failed, with the same error; no wheel fell back
    [ "$(json_get "$BATS_TEST_TMPDIR/log" summary 'r[0]["status"]')" = failed ]
    [ "linklab install: $(json_get "$BATS_TEST_TMPDIR/log" summary 'r[0]["error"]')" = "$output" ]
    [ "$(json_get "$BATS_TEST_TMPDIR/log" summary 'r[0]["fallback_wheels"]')" -eq 0 ]
    [ "$(json_get "$BATS_TEST_TMPDIR/log" wheel "[x['status'] for x in r if '/$hit-' in x['wheel']]")" = "['failed']" ]
    # none of the wheel's files is called placed
    [ "$(json_get "$BATS_TEST_TMPDIR/log" file "sum(1 for x in r if '/$hit-' in x['wheel'] and x['status'] == 'ok')")" -eq 0 ]
}

@test "faults: quota= gives a clean ENOSPC failure naming the file and leaves the cache intact" {
    mnt=$(lab_labfs_mount f-quota "$BTRFS/f-quota-data" "quota=3000000")
    W=$(debian_wheel wheel)
    "$LINKLAB" unpack --cache "$mnt/cache" "$W" "$WHEELS"/tinylike1-*.whl >/dev/null
    run "$LINKLAB" install --mode copy --cache "$mnt/cache" --target "$mnt/t" \
        "$W" "$WHEELS"/tinylike1-*.whl
    echo "$output"
    # the cache alone is ~0.5 MB, copies of it several times would pass 3 MB: run until it fails
    for i in 2 3 4 5 6 7 8; do
        [ "$status" -eq 0 ] || break
        run "$LINKLAB" install --mode copy --cache "$mnt/cache" --target "$mnt/t$i" \
            "$W" "$WHEELS"/tinylike1-*.whl
    done
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"No space left on device (ENOSPC)"* ]]
    # labfs refused the write past the quota: the ENOSPC is the quota's
    [ "$(awk '$1 == "quota_refused" { print $2 }' "$mnt/.labfs/stats")" -gt 0 ]
    # every cached file still matches its RECORD
    for w in "$W" "$WHEELS"/tinylike1-*.whl; do
        name=$(basename "$w" | cut -d- -f1)
        run "$LINKLAB" observe --target "$(cache_entry "$mnt/cache" "$name")" --wheel "$w"
        [ "$status" -eq 0 ]
    done
}

@test "faults: maxlinks=3: hardlink installs of four targets succeed by re-inoding the cache file" {
    mnt=$(lab_labfs_mount f-links "$BTRFS/f-links-data" "maxlinks=3")
    W=$(debian_wheel wheel)
    files=$(record_files "$W")
    "$LINKLAB" unpack --cache "$mnt/cache" "$W" >/dev/null
    reinoded=0
    for i in 1 2 3 4; do
        run "$LINKLAB" install --mode hardlink --cache "$mnt/cache" --target "$mnt/t$i" --log "$BATS_TEST_TMPDIR/log$i" "$W"
        [ "$status" -eq 0 ]
        [[ "$output" != *warning* ]]
        reinoded=$((reinoded + $(json_get "$BATS_TEST_TMPDIR/log$i" file 'sum(x["reinoded"] for x in r)')))
        [ "$(json_get "$BATS_TEST_TMPDIR/log$i" summary 'r[0]["files_by_mode"]["hardlink"]')" -eq "$files" ]
        run "$LINKLAB" observe --target "$mnt/t$i" --wheel "$W"
        [ "$status" -eq 0 ]
    done
    [ "$reinoded" -gt 0 ]
    # the link limit was met: labfs refused links with EMLINK
    [ "$(awk '$1 == "maxlinks_refused" { print $2 }' "$mnt/.labfs/stats")" -gt 0 ]
    # one link per file and install, and more: the links after each re-inode
    [ "$(awk '$1 == "link" { print $2 }' "$mnt/.labfs/stats")" -gt $((4 * files)) ]
}

@test "replay: the same fail=...@rate:seed gives the same faults twice; another seed differs" {
    pattern() { # SEED
        local mnt i out=""
        mnt=$(lab_labfs_mount "replay-$1-$RANDOM" "$BTRFS/replay-$RANDOM" "fail=create:EIO@rate0.3:seed$1")
        for i in $(seq 1 60); do
            if : >"$mnt/f$i" 2>/dev/null; then out+=.; else out+=x; fi
        done
        echo "$out"
    }
    a=$(pattern 7) b=$(pattern 7) c=$(pattern 8)
    echo "$a"; echo "$b"; echo "$c"
    [ "$a" = "$b" ]
    [ "$a" != "$c" ]
    [[ "$a" == *x* && "$a" == *.* ]]
}

@test "scripts/images up apfs-like / down: no FUSE mount left behind, also after the daemon is killed" {
    export LINKLAB_ROOT=$BATS_TEST_TMPDIR/root
    IMAGES_ROOT=$LINKLAB_ROOT IMAGES_DAEMONS=""
    images=$LAB_TOP/scripts/images
    mnt=$LINKLAB_ROOT/mnt/apfs-like
    before=$(findmnt -rn -o TARGET,FSTYPE | sort)
    "$images" up apfs-like
    [ "$(findmnt -n -o FSTYPE --mountpoint "$mnt")" = fuse.labfs ]
    pid=$(labfs_pid "$mnt")
    IMAGES_DAEMONS="$pid"
    echo hi >"$mnt/Hello.txt"
    [ "$(cat "$mnt/HELLO.TXT")" = hi ]
    "$images" down
    [ "$(findmnt -rn -o TARGET,FSTYPE | sort)" = "$before" ]
    # the unmount ended the daemon
    wait_gone "$pid"
    "$images" up apfs-like
    pid=$(labfs_pid "$mnt")
    IMAGES_DAEMONS="$IMAGES_DAEMONS $pid"
    # exactly the daemon serving this mount, by the pid it reported
    [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == *"$mnt"* ]]
    # it takes SIGTERM (up's worker ignores it; the daemon must not inherit that)
    sigign=$(awk '/^SigIgn:/ { print $2 }' "/proc/$pid/status")
    [ $((0x$sigign & 0x4002)) -eq 0 ]
    kill -KILL "$pid"
    wait_gone "$pid"
    run "$images" status apfs-like
    [[ "$output" == *"stale: labfs daemon gone"* ]]
    "$images" down --purge
    [ "$(findmnt -rn -o TARGET,FSTYPE | sort)" = "$before" ]
    [ -z "$(losetup --list --noheadings --raw --output BACK-FILE | grep -F "$LINKLAB_ROOT/")" ]
    # no process of this lab root is left (read from /proc: no procps needed)
    [ -z "$(procs_naming "$LINKLAB_ROOT/")" ]
}
