#!/usr/bin/env bats
# linklab floor: the system-call floor of placing a tree (issue 16), on a
# btrfs image made here: each mode's bare calls give what they say on disk,
# with one thread or two; no fallback; one line per error.

load ../lib/lab

setup_file() {
    lab_have root || return 0 # setup skips each test, saying why
    export BTRFS TMPFS ENTRY
    BTRFS=$(lab_fs_mount btrfs btrfs)
    TMPFS=$(lab_fs_mount tmpfs tmpfs)
    "$LINKLAB" corpus --profile tiny --out "$BATS_FILE_TMPDIR/w" >/dev/null
    ENTRY=$("$LINKLAB" unpack --cache "$BTRFS/c" "$BATS_FILE_TMPDIR"/w/*.whl | awk 'NR == 1 { print $3 }')
    ln -s sub/target "$ENTRY/a-link"
}

teardown_file() {
    lab_fs_cleanup
}

setup() {
    need_root
}

@test "floor: clone, hardlink and copy, with one thread and two, are what the observer sees; the tree is whole" {
    local m j want
    for m in clone hardlink copy; do
        for j in 1 2; do
            run "$LINKLAB" floor --mode "$m" --jobs "$j" --source "$ENTRY" --target "$BTRFS/t-$m-$j"
            [ "$status" -eq 0 ]
            [[ "$output" =~ ^floor\ mode=$m\ jobs=$j\ dirs=[0-9]+\ files=[0-9]+\ bytes=[0-9]+\ seconds=[0-9.]+$ ]]
            diff -r --no-dereference "$ENTRY" "$BTRFS/t-$m-$j"
            [ "$(readlink "$BTRFS/t-$m-$j/a-link")" = sub/target ]
            case $m in clone) want=cloned ;; hardlink) want=hardlinked ;; copy) want=copied ;; esac
            run "$LINKLAB" observe --target "$BTRFS/t-$m-$j" --source "$ENTRY" --json "$BATS_TEST_TMPDIR/o.json"
            python3 - "$BATS_TEST_TMPDIR/o.json" "$want" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["summary"]["classes"]
want = sys.argv[2]
others = {k: v for k, v in c.items() if v and k not in (want, "inline", "empty", "symlinked", "symlinked-outside", "dangling")}
assert c[want] > 0 and not others, c
PY
        done
    done
    # exec bits as the source has them
    [ "$(find "$ENTRY" -type f -perm -u+x | wc -l)" -gt 0 ]
    [ "$(find "$BTRFS/t-copy-2" -type f -perm -u+x | wc -l)" -eq "$(find "$ENTRY" -type f -perm -u+x | wc -l)" ]
}

@test "floor: no fallback: a clone across filesystems fails with the call, the file and the errno text, exit 1" {
    run "$LINKLAB" floor --mode clone --source "$ENTRY" --target "$TMPFS/t-clone"
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == "linklab floor: FICLONE $TMPFS/t-clone/"*": "* ]]
    run "$LINKLAB" floor --mode hardlink --source "$ENTRY" --target "$TMPFS/t-link"
    [ "$status" -eq 1 ]
    [[ "$output" == *"link $TMPFS/t-link/"*": Invalid cross-device link" ]]
}

@test "floor: usage errors exit 2; an existing target or a missing source exit 1 and touch nothing" {
    run "$LINKLAB" floor --mode fast --source "$ENTRY" --target "$BTRFS/x"
    [ "$status" -eq 2 ]
    run "$LINKLAB" floor --mode copy --source "$ENTRY" --target "$BTRFS/x" --jobs 0
    [ "$status" -eq 2 ]
    run "$LINKLAB" floor --mode copy --source "$ENTRY"
    [ "$status" -eq 2 ]
    mkdir "$BTRFS/exists"
    run "$LINKLAB" floor --mode copy --source "$ENTRY" --target "$BTRFS/exists"
    [ "$status" -eq 1 ]
    [[ "$output" == *"--target $BTRFS/exists: it exists"* ]]
    [ -z "$(ls -A "$BTRFS/exists")" ]
    run "$LINKLAB" floor --mode copy --source "$BTRFS/nothing" --target "$BTRFS/y"
    [ "$status" -eq 1 ]
    [ ! -e "$BTRFS/y" ]
}

@test "floor: a source given with trailing slashes places into the target, nothing beside it; a target inside the source is refused" {
    need_root
    run "$LINKLAB" floor --mode copy --source "$ENTRY//" --target "$BTRFS/slash"
    echo "$output"
    [ "$status" -eq 0 ]
    diff -r --no-dereference "$ENTRY" "$BTRFS/slash"
    # nothing was made beside the target (a name glued to "slash")
    [ -z "$(find "$BTRFS" -maxdepth 1 -name 'slash?*')" ]
    run "$LINKLAB" floor --mode copy --source "$ENTRY" --target "$ENTRY/inner"
    [ "$status" -eq 2 ]
    [[ "$output" == *"lies inside --source"* ]]
    [ ! -e "$ENTRY/inner" ]
    # also through a bind mount of the source (a path check would miss it)
    mkdir -p "$BATS_TEST_TMPDIR/bind"
    mount --bind "$ENTRY" "$BATS_TEST_TMPDIR/bind"
    run "$LINKLAB" floor --mode copy --source "$ENTRY" --target "$BATS_TEST_TMPDIR/bind/inner"
    umount "$BATS_TEST_TMPDIR/bind"
    [ "$status" -eq 2 ]
    [ ! -e "$ENTRY/inner" ]
    # a target given as DIR/ is DIR
    run "$LINKLAB" floor --mode copy --source "$ENTRY" --target "$BTRFS/slash2/"
    [ "$status" -eq 0 ]
    [ -d "$BTRFS/slash2" ]
    run "$LINKLAB" floor --mode copy --source "$ENTRY" --target "$BTRFS/no/such/parent"
    [ "$status" -eq 1 ]
    [[ "$output" == *"its parent $BTRFS/no/such: No such file or directory" ]]
}
