# tests/lib/lab.bash - helpers for the bats suites: build paths, loop-mounted
# images made inside the test, FIEMAP extents, event-log queries.
# shellcheck shell=bash

LAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LINKLAB=${LINKLAB:-$LAB_TOP/build/linklab}
export DEBIAN_WHEELS
DEBIAN_WHEELS=(/usr/share/python-wheels/pip-*.whl /usr/share/python-wheels/setuptools-*.whl /usr/share/python-wheels/wheel-*.whl)

need_root() {
    [ "$(id -u)" -eq 0 ] || skip "needs root for loop devices and mounts"
}

# The mounts a test file made, one per line, for lab_fs_cleanup.
_lab_ledger() { echo "$BATS_FILE_TMPDIR/mounts.ledger"; }

# lab_fs_mount TYPE NAME: makes a filesystem of TYPE (btrfs, xfs, ext4,
# tmpfs) mounted at $BATS_FILE_TMPDIR/NAME and prints that path. The loop
# device is detached lazily right after the mount, so the kernel frees it
# at unmount, also if the test dies and its mount namespace goes away.
lab_fs_mount() {
    local type=$1 name=$2 dir img loop
    dir=$BATS_FILE_TMPDIR/$name
    mkdir -p "$dir"
    case $type in
    tmpfs)
        mount -t tmpfs -o size=512m "lab-$name" "$dir" ;;
    btrfs | xfs | ext4)
        img=$BATS_FILE_TMPDIR/$name.img
        rm -f "$img"
        truncate -s 512M "$img"
        case $type in
        btrfs) mkfs.btrfs -q -f "$img" >/dev/null ;;
        xfs) mkfs.xfs -q -f -m reflink=1 "$img" >/dev/null ;;
        ext4) mkfs.ext4 -q -F "$img" >/dev/null ;;
        esac
        loop=$(losetup --find --show "$img")
        # btrfs keeps files under 2 KiB inline (no physical address): turn
        # that off so every non-empty file has extents FIEMAP can compare
        if [ "$type" = btrfs ]; then
            mount -o max_inline=0 "$loop" "$dir" || { losetup -d "$loop"; return 1; }
        else
            mount "$loop" "$dir" || { losetup -d "$loop"; return 1; }
        fi
        losetup -d "$loop" ;;
    *)
        echo "lab_fs_mount: unknown type $type" >&2
        return 1 ;;
    esac
    echo "$dir" >>"$(_lab_ledger)"
    echo "$dir"
}

# Unmounts, in reverse order, what lab_fs_mount mounted in this test file.
lab_fs_cleanup() {
    local ledger dir
    ledger=$(_lab_ledger)
    [ -f "$ledger" ] || return 0
    tac "$ledger" | while read -r dir; do
        # a FUSE mount whose daemon died fails mountpoint's stat: ask findmnt
        if findmnt -n --mountpoint "$dir" >/dev/null 2>&1; then
            umount "$dir" || umount -l "$dir"
        fi
    done
    rm -f "$ledger"
}

# extents FILE: "logical physical length" per data extent (in fs blocks),
# from FIEMAP with FIEMAP_FLAG_SYNC (filefrag -s -v).
extents() {
    filefrag -s -v "$1" | awk '/^ *[0-9]+:/ { gsub(/\.\./, "", $0); gsub(/:/, " ", $0); print $2, $4, $6 }'
}

# extent_flags FILE: the flags of every extent, one line each.
extent_flags() {
    filefrag -s -v "$1" | awk '/^ *[0-9]+:/ { print $NF }'
}

# cache_entry CACHE NAME-PREFIX: the unpacked tree of a wheel in the cache.
cache_entry() {
    local d
    for d in "$1"/wheels/"$2"-*; do
        [ -d "$d" ] && { echo "$d"; return 0; }
    done
    return 1
}

# tree_files DIR: every regular file, relative, sorted.
tree_files() {
    (cd "$1" && find . -type f -printf '%P\n' | LC_ALL=C sort)
}

# json_get FILE TYPE EXPR: evaluate a Python expression over the records of
# TYPE in a JSON Lines event log (r is the list of records).
json_get() {
    python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in r if x.get("type") == sys.argv[2]]
print(eval(sys.argv[3]))' "$1" "$2" "$3"
}

LABFS=${LABFS:-$LAB_TOP/build/labfs}

# lab_labfs_mount NAME BACKING_DIR OPTIONS: labfs over BACKING_DIR (made if
# missing) at $BATS_FILE_TMPDIR/NAME; unmounted by lab_fs_cleanup.
lab_labfs_mount() {
    local name=$1 backing=$2 opts=$3 dir
    dir=$BATS_FILE_TMPDIR/$name
    mkdir -p "$dir" "$backing"
    echo "$dir" >>"$(_lab_ledger)"
    "$LABFS" "$backing" "$dir" ${opts:+-o "$opts"}
    echo "$dir"
}

# make_wheel OUT.whl DIST VERSION PATH=CONTENT...: a valid wheel with a RECORD.
make_wheel() {
    python3 - "$@" <<'PY'
import base64, hashlib, sys, zipfile
out, dist, version, *files = sys.argv[1:]
di = f"{dist}-{version}.dist-info"
entries = [f.split("=", 1) for f in files] + [[f"{di}/METADATA", f"Name: {dist}\nVersion: {version}\n"]]
record = ""
with zipfile.ZipFile(out, "w") as z:
    for path, content in entries:
        data = content.encode()
        z.writestr(path, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\n"
    z.writestr(f"{di}/RECORD", record + f"{di}/RECORD,,\n")
PY
}
