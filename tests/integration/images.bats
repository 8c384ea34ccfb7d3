#!/usr/bin/env bats
# scripts/images: profiles up and down, layouts, the ledger, and the rule
# that the lab releases exactly what it made and nothing else.

load ../lib/lab

IMAGES=$LAB_TOP/scripts/images

setup() {
    need_root
    export LINKLAB_ROOT=$BATS_TEST_TMPDIR/root
}

# Also when a test fails: a background `up` it started is stopped by its pid
# (before anything is taken down under it), a foreign mount and loop device
# it made are released, and then everything under its LINKLAB_ROOT.
teardown() {
    [ "$(id -u)" -eq 0 ] || return 0
    stop_pid "${UP_PID:-}"
    if [ -n "${FOREIGN:-}" ]; then
        if [ "$(findmnt -n -o SOURCE --mountpoint "$LINKLAB_ROOT/mnt/ext4" 2>/dev/null)" = someone-else ]; then
            umount "$LINKLAB_ROOT/mnt/ext4" || echo "teardown: cannot unmount $LINKLAB_ROOT/mnt/ext4" >&2
        fi
        if mountpoint -q "$FOREIGN/mnt"; then
            umount "$FOREIGN/mnt" || echo "teardown: cannot unmount $FOREIGN/mnt" >&2
        fi
        # the loop device only while it is still the one backed by our image
        if [ -n "${FOREIGN_LOOP:-}" ] && [ "$(losetup -n -O BACK-FILE "$FOREIGN_LOOP" 2>/dev/null)" = "$FOREIGN/img" ]; then
            losetup -d "$FOREIGN_LOOP" || echo "teardown: cannot detach $FOREIGN_LOOP" >&2
        fi
    fi
    "$IMAGES" down --purge >/dev/null 2>&1 || echo "teardown: images down --purge failed" >&2
    return 0
}

# Loop devices are global: only those backed by this bats run's files or
# the default lab root count (another job's come and go); the mounts are
# this run's private namespace's.
images_state() {
    machine_state "$BATS_RUN_TMPDIR" /var/lib/linklab
    findmnt -rn -o TARGET,SOURCE | sort
}

# What the lab still holds under this test's root.
assert_nothing_held() {
    run "$IMAGES" leftovers
    [ "$status" -eq 0 ] || { echo "leftovers: $output" >&2; return 1; }
    [ -z "$(losetup --list --noheadings --raw --output BACK-FILE | grep -F "$LINKLAB_ROOT/")" ]
    [ -z "$(findmnt -rn -o TARGET | grep -F "$LINKLAB_ROOT/")" ]
}

@test "up brings every available profile up, xfs-ci is unavailable (not a failure), down restores the machine" {
    before=$(images_state)
    run "$IMAGES" up
    [ "$status" -eq 0 ]
    [[ "$output" == *"xfs-ci: unavailable: kernel does not mount XFS ASCII case-insensitivity"* ]]
    for p in btrfs xfs xfs-noreflink ext4 tmpfs; do
        [ "$(findmnt -n -o FSTYPE --mountpoint "$LINKLAB_ROOT/mnt/$p")" = "${p%-noreflink}" ]
    done
    # btrfs without background discard (it punched holes in the image file
    # during the next cell's timed runs)
    [[ ",$(findmnt -n -o OPTIONS --mountpoint "$LINKLAB_ROOT/mnt/btrfs")," != *,discard* ]]
    run "$IMAGES" down
    [ "$status" -eq 0 ]
    [ "$(images_state)" = "$before" ]
    assert_nothing_held
}

@test "status --json parses and carries state, loop, free space and provenance" {
    "$IMAGES" up btrfs xfs tmpfs xfs-ci 2>/dev/null
    run "$IMAGES" status --json
    [ "$status" -eq 0 ]
    python3 - "$output" <<'EOF'
import json, sys
doc = json.loads(sys.argv[1])
p = {x["profile"]: x for x in doc["profiles"]}
assert doc["kernel"], doc
b = p["btrfs"]
assert b["state"] == "up" and b["available"] and b["loop"].startswith("/dev/loop"), b
assert b["free_bytes"] > 100 << 20, b
prov = b["provenance"]
for k in ("kernel", "mkfs_tool", "mkfs_version", "mkfs_options", "mount_options", "image_size", "created"):
    assert k in prov, (k, prov)
assert prov["mkfs_tool"] == "mkfs.btrfs" and "btrfs-progs" in prov["mkfs_version"], prov
assert p["xfs"]["provenance"]["mkfs_options"] == "-q -f -m reflink=1", p["xfs"]
assert p["xfs"]["expects"]["reflink"] is True and p["xfs-noreflink"]["expects"]["reflink"] is False
assert p["tmpfs"]["state"] == "up" and p["tmpfs"]["loop"] is None
assert p["xfs-ci"]["available"] is False and p["xfs-ci"]["state"].startswith("unavailable: "), p["xfs-ci"]
assert p["ext4"]["state"] == "down", p["ext4"]
EOF
}

@test "up is idempotent; a stale profile (mount lost, loop lost) is repaired" {
    "$IMAGES" up btrfs ext4
    loop=$(findmnt -n -o SOURCE --mountpoint "$LINKLAB_ROOT/mnt/btrfs")
    echo hello >"$LINKLAB_ROOT/mnt/btrfs/keep"
    run "$IMAGES" up btrfs ext4
    [ "$status" -eq 0 ]
    [ "$(findmnt -n -o SOURCE --mountpoint "$LINKLAB_ROOT/mnt/btrfs")" = "$loop" ]
    # lose the mount: image and loop without mount
    umount "$LINKLAB_ROOT/mnt/btrfs"
    run "$IMAGES" status btrfs
    [[ "$output" == *"stale: loop device without mount"* ]]
    "$IMAGES" up btrfs
    [ "$(cat "$LINKLAB_ROOT/mnt/btrfs/keep")" = hello ]
    # lose mount and loop: the image alone
    umount "$LINKLAB_ROOT/mnt/ext4"
    losetup -d "$(losetup -j "$LINKLAB_ROOT/images/ext4.img" | cut -d: -f1)"
    "$IMAGES" up ext4
    [ "$(findmnt -n -o FSTYPE --mountpoint "$LINKLAB_ROOT/mnt/ext4")" = ext4 ]
    [ "$(losetup -j "$LINKLAB_ROOT/images/ext4.img" | wc -l)" -eq 1 ]
}

@test "20 up/down cycles, one SIGKILLed in the middle of up, leave no lab loop device or mount" {
    before=$(images_state)
    for i in $(seq 1 20); do
        if [ "$i" -eq 7 ]; then
            # until the kill lands while up is still running
            killed=0
            for delay in 0.3 0.2 0.1 0.05 0.02 0.01 0; do
                "$IMAGES" down --purge >/dev/null 2>&1 # so that up has mkfs work to be killed in
                # its own process group: up is a supervisor and a worker
                # (scripts/lib/supervise.bash); a crash kills both
                setsid "$IMAGES" up btrfs xfs ext4 tmpfs >/dev/null 2>&1 3>&- &
                pid=$! UP_PID=$!
                sleep "$delay"
                if kill -KILL -- "-$pid" 2>/dev/null; then killed=1; fi
                wait "$pid" || true
                UP_PID=
                [ "$killed" -eq 0 ] || break
            done
            [ "$killed" -eq 1 ]
            sleep 0.5 # children of the killed script (mkfs, mount) finish
            echo "killed up after ${delay}s; left: $("$IMAGES" leftovers | tr '\n' ' ')"
        else
            "$IMAGES" up btrfs xfs ext4 tmpfs >/dev/null 2>&1
        fi
        "$IMAGES" down >/dev/null
        assert_nothing_held
    done
    [ "$(images_state)" = "$before" ]
}

@test "SIGTERM during up leaves each profile either whole or not made at all" {
    # up of these three takes about 0.15 s here: the signals land within it
    interrupted=0
    for delay in 0 0.01 0.02 0.04 0.06 0.08; do
        "$IMAGES" down --purge >/dev/null 2>&1
        "$IMAGES" up btrfs xfs ext4 >"$BATS_TEST_TMPDIR/up.log" 2>&1 3>&- &
        pid=$! UP_PID=$!
        sleep "$delay"
        kill -TERM "$pid" 2>/dev/null || true
        up_status=0
        wait "$pid" || up_status=$?
        UP_PID=""
        # 0: up had finished before the signal; 130: it stopped after the
        # profile in progress; 143: the signal came before the supervisor's
        # trap was set. Anything else (bash 5.2's "trap: unexpected EOF"
        # when a trap runs inside a command substitution) fails.
        if [ "$up_status" -ne 0 ]; then
            interrupted=$((interrupted + 1))
            case $up_status in
            130 | 143) ;;
            *) echo "up exited $up_status after SIGTERM at ${delay}s: $(cat "$BATS_TEST_TMPDIR/up.log")" >&2; false ;;
            esac
        fi
        [ -z "$(grep 'trap:' "$BATS_TEST_TMPDIR/up.log")" ]
        for p in btrfs xfs ext4; do
            loops=$(losetup -j "$LINKLAB_ROOT/images/$p.img" 2>/dev/null | wc -l)
            if mountpoint -q "$LINKLAB_ROOT/mnt/$p"; then
                [ "$loops" -eq 1 ] # whole: mounted through its one loop
            else
                [ "$loops" -eq 0 ] || { echo "$p: loop without mount after SIGTERM" >&2; false; }
            fi
        done
    done
    echo "SIGTERM interrupted up $interrupted times of 6"
    [ "$interrupted" -ge 3 ] # else little or nothing was tested
    "$IMAGES" down
    assert_nothing_held
}

@test "a foreign loop device and mount survive down, even one sitting on a lab mount point" {
    foreign=$BATS_TEST_TMPDIR/foreign
    FOREIGN=$foreign # for teardown, should the test fail
    mkdir -p "$foreign/mnt"
    truncate -s 64M "$foreign/img"
    mkfs.ext4 -q -F "$foreign/img"
    floop=$(losetup --find --show "$foreign/img")
    FOREIGN_LOOP=$floop
    mount "$floop" "$foreign/mnt"
    "$IMAGES" up btrfs tmpfs
    # someone else's tmpfs where the ext4 profile would mount
    mkdir -p "$LINKLAB_ROOT/mnt/ext4"
    mount -t tmpfs someone-else "$LINKLAB_ROOT/mnt/ext4"
    run "$IMAGES" down
    [ "$status" -eq 0 ]
    mountpoint -q "$foreign/mnt"
    losetup "$floop" >/dev/null
    [ "$(findmnt -n -o SOURCE --mountpoint "$LINKLAB_ROOT/mnt/ext4")" = someone-else ]
    refute mountpoint -q "$LINKLAB_ROOT/mnt/btrfs"
    # up ext4 will not mount over it either
    run "$IMAGES" up ext4
    [ "$status" -ne 0 ]
    [[ "$output" == *"something the lab did not mount"* ]]
    umount "$LINKLAB_ROOT/mnt/ext4"
    umount "$foreign/mnt"
    losetup -d "$floop"
    FOREIGN=""
}

@test "layouts put cache and target on the filesystems they claim" {
    "$IMAGES" up btrfs xfs ext4 tmpfs >/dev/null 2>&1
    check() { # LAYOUT CACHE-FS TARGET-FS SAME-DEV(yes/no)
        local layout
        layout=$("$IMAGES" layout "$1") # a failing layout fails here (eval "$(...)" would not)
        eval "$layout"
        [ -d "$CACHE" ]
        [ -d "$TARGET" ]
        [ "$(stat -f -c %T "$CACHE")" = "$2" ] || { echo "$1: cache on $(stat -f -c %T "$CACHE")" >&2; return 1; }
        [ "$(stat -f -c %T "$TARGET")" = "$3" ] || { echo "$1: target on $(stat -f -c %T "$TARGET")" >&2; return 1; }
        if [ "$4" = yes ]; then
            [ "$(stat -c %d "$CACHE")" = "$(stat -c %d "$TARGET")" ]
        else
            [ "$(stat -c %d "$CACHE")" != "$(stat -c %d "$TARGET")" ]
        fi
        head -c 65536 /dev/urandom >"$CACHE/f"
    }
    check same-btrfs btrfs btrfs yes
    ln "$CACHE/f" "$TARGET/f"
    check same-xfs xfs xfs yes
    cp --reflink=always "$CACHE/f" "$TARGET/f"
    # bind: same filesystem and st_dev, another mount: clone works, link gets EXDEV
    check bind-btrfs btrfs btrfs yes
    mountpoint -q "$TARGET"
    cp --reflink=always "$CACHE/f" "$TARGET/f"
    run ln "$CACHE/f" "$TARGET/g"
    [[ "$output" == *"Invalid cross-device link"* ]]
    # subvolumes: different st_dev, one filesystem: clone works, link gets EXDEV
    check subvol-btrfs btrfs btrfs no
    cp --reflink=always "$CACHE/f" "$TARGET/f"
    run ln "$CACHE/f" "$TARGET/g"
    [[ "$output" == *"Invalid cross-device link"* ]]
    check cross-btrfs-ext4 btrfs ext2/ext3 no
    check cross-xfs-tmpfs xfs tmpfs no
    run cp --reflink=always "$CACHE/f" "$TARGET/f"
    [ "$status" -ne 0 ]
    # a layout over an unavailable profile is a not-run (exit 3)
    "$IMAGES" up xfs-ci 2>/dev/null
    run "$IMAGES" layout same-xfs-ci
    [ "$status" -eq 3 ]
    [[ "$output" == *unavailable* ]]
    run "$IMAGES" layout same-ext9
    [ "$status" -eq 2 ]
    "$IMAGES" down
    assert_nothing_held
}

@test "overlay-P: the merged view of a lower layer; layer moves what it holds into the lower one; down unmounts it" {
    "$IMAGES" up btrfs >/dev/null 2>&1
    layout=$("$IMAGES" layout overlay-btrfs)
    eval "$layout"
    [ "$(stat -f -c %T "$CACHE")" = overlayfs ]
    [ "$CACHE" = "$LINKLAB_ROOT/overlays/overlay-btrfs/cache" ]
    base=$LINKLAB_ROOT/mnt/btrfs/layouts/overlay-btrfs
    mkdir -p "$CACHE/pkg/sub"
    head -c 65536 /dev/urandom >"$CACHE/pkg/sub/f"
    echo old >"$CACHE/gone"
    [ -f "$base/upper/cache/pkg/sub/f" ]
    "$IMAGES" layer overlay-btrfs
    # now the lower layer's, the upper one empty, and the same view
    [ -f "$base/lower/cache/pkg/sub/f" ]
    [ -z "$(ls -A "$base/upper")" ]
    cmp "$CACHE/pkg/sub/f" "$base/lower/cache/pkg/sub/f"
    # a link to a lower file copies it up first; renaming a lower directory gets EXDEV
    ln "$CACHE/pkg/sub/f" "$TARGET/f"
    [ -f "$base/upper/cache/pkg/sub/f" ]
    [ "$(stat -c %i "$CACHE/pkg/sub/f")" = "$(stat -c %i "$TARGET/f")" ]
    run python3 -c 'import os, sys; os.rename(sys.argv[1], sys.argv[2])' "$CACHE/pkg" "$CACHE/pkg2"
    [[ "$output" == *"Invalid cross-device link"* ]]
    # a removal in the view removes it from the lower layer at the next
    # layer; a lower directory's owner, times and xattrs changed in the view stay
    rm "$CACHE/gone" "$TARGET/f"
    chown 4321:4321 "$CACHE/pkg"
    touch -d 2001-01-01 "$CACHE/pkg"
    python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.mark", b"kept")' "$CACHE/pkg"
    "$IMAGES" layer overlay-btrfs
    [ "$(stat -c '%u %Y' "$base/lower/cache/pkg")" = "4321 $(date -d 2001-01-01 +%s)" ]
    [ "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.mark").decode())' "$base/lower/cache/pkg")" = kept ]
    # a mount someone made inside it is named, and left alone
    mkdir "$CACHE/m"
    mount -t tmpfs someone "$CACHE/m"
    run "$IMAGES" layer overlay-btrfs
    umount "$CACHE/m"
    [ "$status" -eq 1 ]
    [[ "$output" == *"mounted inside it, not by the lab: $CACHE/m (unmount that first)"* ]]
    "$IMAGES" layer overlay-btrfs
    [ ! -e "$base/lower/cache/gone" ]
    [ -z "$(find "$base/lower" -type c)" ]
    [ -f "$base/lower/cache/pkg/sub/f" ]
    # the observer compares addresses through it (its layers are on one btrfs)
    cp --reflink=always "$CACHE/pkg/sub/f" "$TARGET/c"
    mkdir -p "$TARGET/t"
    mv "$TARGET/c" "$TARGET/t/f"
    run "$LINKLAB" observe --target "$TARGET/t" --source "$CACHE/pkg/sub"
    [[ "$output" == *"cloned 1"* ]]
    run "$IMAGES" layer same-btrfs
    [ "$status" -eq 2 ]
    "$IMAGES" down btrfs
    [ -z "$(findmnt -rn -o TARGET | grep -F "$LINKLAB_ROOT/overlays/")" ]
    [ -z "$(grep overlay "$LINKLAB_ROOT/ledger")" ]
    # down of every profile releases a mounted overlay too (its ledger name is a layout's)
    "$IMAGES" up btrfs >/dev/null 2>&1
    "$IMAGES" layout overlay-btrfs >/dev/null
    run "$IMAGES" down
    [ "$status" -eq 0 ]
    assert_nothing_held
}

@test "not root: one clear line and exit 2" {
    for verb in up down "layout same-btrfs"; do
        # shellcheck disable=SC2086
        run setpriv --reuid=65534 --regid=65534 --clear-groups "$IMAGES" $verb
        [ "$status" -eq 2 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"needs root"*"sudo"* ]]
    done
}

@test "a missing mkfs tool names the Debian package; a symlinked image is refused" {
    profiles=$BATS_TEST_TMPDIR/profiles
    mkdir -p "$profiles"
    sed 's/^mkfs=.*/mkfs=mkfs.linklab-missing/' "$LAB_TOP/images/xfs.conf" >"$profiles/xfs.conf"
    LINKLAB_PROFILES=$profiles run "$IMAGES" up xfs
    [ "$status" -eq 1 ]
    [[ "$output" == *"mkfs.linklab-missing not found: install the Debian package xfsprogs"* ]]
    # an image path that is a symlink to a file outside the lab root
    mkdir -p "$LINKLAB_ROOT/images"
    echo precious >"$BATS_TEST_TMPDIR/precious"
    ln -s "$BATS_TEST_TMPDIR/precious" "$LINKLAB_ROOT/images/ext4.img"
    run "$IMAGES" up ext4
    [ "$status" -eq 1 ]
    [[ "$output" == *"is a symlink"*"refusing to format it"* ]]
    [ "$(cat "$BATS_TEST_TMPDIR/precious")" = precious ]
    rm "$LINKLAB_ROOT/images/ext4.img"
}

@test "down releases what the ledger names even when its profile came from another LINKLAB_PROFILES (a btrfs and a labfs one)" {
    need_fuse
    before=$(images_state)
    mine=$BATS_TEST_TMPDIR/profiles
    mkdir -p "$mine"
    cp "$LAB_TOP"/images/*.conf "$mine/"
    sed 's/^mount_options=.*/mount_options=compress=zstd/' "$LAB_TOP/images/btrfs.conf" >"$mine/btrfs-zstd.conf"
    cp "$LAB_TOP/images/apfs-like.conf" "$mine/apfs-two.conf"
    LINKLAB_PROFILES=$mine run "$IMAGES" up btrfs-zstd apfs-two
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(findmnt -n -o FSTYPE --mountpoint "$LINKLAB_ROOT/mnt/btrfs-zstd")" = btrfs ]
    [[ "$(findmnt -n -o OPTIONS --mountpoint "$LINKLAB_ROOT/mnt/btrfs-zstd")" == *compress=zstd* ]]
    # without LINKLAB_PROFILES: the ledger's word is enough
    run "$IMAGES" down --purge
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"ledger names apfs-two, a profile not in"* ]]
    [ "$(images_state)" = "$before" ]
    run "$IMAGES" leftovers
    [ "$status" -eq 0 ]
    # an unknown name that the ledger does not know is still refused
    run "$IMAGES" down no-such-profile
    [ "$status" -eq 2 ]
}
