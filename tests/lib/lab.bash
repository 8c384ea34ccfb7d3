# tests/lib/lab.bash - helpers for the bats suites: build paths, loop-mounted
# images made inside the test, FIEMAP extents, event-log queries.
# shellcheck shell=bash

LAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib/common.bash
. "$LAB_TOP/scripts/lib/common.bash"
LINKLAB=${LINKLAB:-$LAB_TOP/build/linklab}
export DEBIAN_WHEELS
DEBIAN_WHEELS=(/usr/share/python-wheels/pip-*.whl /usr/share/python-wheels/setuptools-*.whl /usr/share/python-wheels/wheel-*.whl)

# lab_have root|fuse...: whether this machine has what a test file needs.
# setup_file calls it and makes nothing when it cannot (`lab_have root ||
# return 0`): a skip in setup_file fails the whole file in bats 1.8.2;
# setup() then skips each test, saying why (need_root, need_fuse).
lab_have() {
    local w
    for w in "$@"; do
        case $w in
        root) [ "$(id -u)" -eq 0 ] || return 1 ;;
        fuse) [ -c /dev/fuse ] || return 1 ;;
        *) echo "lab_have: unknown need $w" >&2; return 2 ;;
        esac
    done
}

need_root() {
    lab_have root || skip "needs root for loop devices and mounts"
}

need_fuse() {
    lab_have fuse || skip "no /dev/fuse: FUSE is not available"
}

# refute CMD [ARG...]: fails (status 1, naming CMD) when CMD succeeds, as git's
# test_must_fail does. bats ignores the status of `! CMD` unless it is a
# test's last line (bash's set -e does not apply to `!`), so tests use this
# (or `[ -z "$(A | grep B)" ]` for a pipeline) and never `! CMD`. CMD is a
# simple command: a function given here runs without set -e.
refute() {
    if "$@"; then
        echo "refute: this succeeded but must not: $*" >&2
        return 1
    fi
    return 0
}

# debian_wheel NAME: the one wheel of NAME that Debian ships, by glob, never
# by version (a point release changes the version).
debian_wheel() {
    local w=(/usr/share/python-wheels/"$1"-*.whl)
    if [ "${#w[@]}" -ne 1 ] || [ ! -f "${w[0]}" ]; then
        echo "debian_wheel: not exactly one $1 wheel: ${w[*]}" >&2
        return 1
    fi
    echo "${w[0]}"
}

# wheel_nv WHEEL: NAME-VERSION from the wheel's file name (pip-23.0.1).
wheel_nv() {
    local name version rest
    IFS=- read -r name version rest <<<"$(basename "$1")"
    [ -n "$rest" ] || { echo "wheel_nv: not a wheel name: $1" >&2; return 1; }
    echo "$name-$version"
}

# record_files [--nonempty] WHEEL...: how many files the wheels hold (the
# entries of their zip listing that are not directories, which linklab
# checks against RECORD), with --nonempty only those with data. Expected
# counts come from the wheels themselves, so that a Debian point release
# changes them along with the data instead of failing the tests.
record_files() {
    python3 - "$@" <<'PY'
import sys, zipfile
args = sys.argv[1:]
nonempty = args[:1] == ["--nonempty"]
wheels = args[1:] if nonempty else args
if not wheels:
    sys.exit("record_files: no wheel given")
n = 0
for w in wheels:
    with zipfile.ZipFile(w) as z:
        n += sum(1 for i in z.infolist() if not i.is_dir() and (i.file_size > 0 or not nonempty))
print(n)
PY
}

# wheel_toplevel WHEEL: how many top-level entries (directories and files)
# the wheel holds: what --platform darwin clones one clonefile each.
wheel_toplevel() {
    python3 - "$1" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    print(len({n.split("/")[0] for n in z.namelist()}))
PY
}

# pid_gone PID: true when PID has exited (no such process, or a zombie that
# only waits for its parent to reap it).
pid_gone() {
    local state
    [ -r "/proc/$1/stat" ] || return 0
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -z "$state" ] || [ "$state" = Z ]
}

# wait_gone PID [SECONDS]: waits until PID has exited (default 5 s); fails
# if it is still there.
wait_gone() {
    local i
    for ((i = 0; i < ${2:-5} * 10; i++)); do
        pid_gone "$1" && return 0
        sleep 0.1
    done
    pid_gone "$1"
}

# stop_pid PID [SECONDS]: for teardowns: ends one process the test started,
# by its pid: SIGTERM, SIGKILL when it is still there after SECONDS (default
# 5), then reaps it if it is this shell's child. An empty or gone pid is fine.
stop_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    if ! pid_gone "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        wait_gone "$pid" "${2:-5}" || kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 5 || echo "stop_pid: $pid outlived SIGKILL" >&2
    fi
    wait "$pid" 2>/dev/null || true
    return 0
}

# procs_naming STRING: pids of the processes whose command line contains
# STRING (read from /proc: procps may not be installed). For checks only:
# tests stop processes by the pid they know, never by name.
procs_naming() {
    local f cmd pid
    for f in /proc/[0-9]*/cmdline; do
        pid=${f#/proc/}
        pid=${pid%/cmdline}
        cmd=$(tr '\0' ' ' 2>/dev/null <"$f") || continue
        [[ $cmd != *"$1"* ]] || echo "$pid"
    done
    return 0
}

# The mounts a test file made, one per line, for lab_fs_cleanup.
_lab_ledger() { echo "$BATS_FILE_TMPDIR/mounts.ledger"; }

# lab_fs_mount TYPE NAME: makes a filesystem of TYPE (btrfs, xfs, ext4,
# tmpfs) mounted at $BATS_FILE_TMPDIR/NAME and prints that path. The loop
# device is detached lazily right after the mount, so the kernel frees it
# at unmount, also if the test dies and its mount namespace goes away.
lab_fs_mount() {
    local type=$1 name=$2 dir
    dir=$BATS_FILE_TMPDIR/$name
    mkdir -p "$dir"
    case $type in
    tmpfs)
        mount -t tmpfs -o size=512m "lab-$name" "$dir" ;;
    btrfs)
        # btrfs keeps files under 2 KiB inline (no physical address): turn
        # that off so every non-empty file has extents FIEMAP can compare
        loop_mount_image btrfs "$BATS_FILE_TMPDIR/$name.img" "$dir" 512M max_inline=0 ;;
    xfs | ext4)
        loop_mount_image "$type" "$BATS_FILE_TMPDIR/$name.img" "$dir" 512M ;;
    *)
        echo "lab_fs_mount: unknown type $type" >&2
        return 1 ;;
    esac
    echo "$dir" >>"$(_lab_ledger)"
    echo "$dir"
}

# Unmounts, in reverse order, what lab_fs_mount and lab_labfs_mount mounted
# in this test file, then makes sure that every labfs daemon they started is
# gone (each ends when its mount goes; one that does not is stopped by pid).
lab_fs_cleanup() {
    local ledger dir pid
    ledger=$(_lab_ledger)
    if [ -f "$ledger" ]; then
        tac "$ledger" | while read -r dir; do
            # a FUSE mount whose daemon died fails mountpoint's stat: ask findmnt
            if findmnt -n --mountpoint "$dir" >/dev/null 2>&1; then
                umount "$dir" || umount -l "$dir"
            fi
        done
        rm -f "$ledger"
    fi
    if [ -f "$(_lab_daemons)" ]; then
        while read -r pid dir; do
            wait_gone "$pid" 5 || stop_labfs "$pid" "$dir"
        done <"$(_lab_daemons)"
        rm -f "$(_lab_daemons)"
    fi
    return 0
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

# The labfs daemons a test file started ("PID MOUNTPOINT" per line).
_lab_daemons() { echo "$BATS_FILE_TMPDIR/labfs.daemons"; }

# labfs_pid MOUNTPOINT: the pid of the labfs daemon serving MOUNTPOINT, as it
# reports it in .labfs/stats.
labfs_pid() {
    local pid
    pid=$(awk '$1 == "pid" { print $2 }' "$1/.labfs/stats")
    [[ $pid =~ ^[0-9]+$ ]] || { echo "labfs_pid: no pid in $1/.labfs/stats" >&2; return 1; }
    echo "$pid"
}

# stop_labfs PID MOUNTPOINT: stops the labfs daemon PID if it still runs and
# is still the daemon of MOUNTPOINT (its command line names it: a pid that
# was reused by another process is left alone).
stop_labfs() {
    local cmd
    pid_gone "$1" && return 0
    cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 0
    [[ $cmd == *"$2"* ]] || return 0
    echo "stopping labfs daemon $1 of $2" >&2
    stop_pid "$1"
}

# lab_labfs_mount NAME BACKING_DIR OPTIONS: labfs over BACKING_DIR (made if
# missing) at $BATS_FILE_TMPDIR/NAME; unmounted, and its daemon stopped by
# pid, by lab_fs_cleanup.
lab_labfs_mount() {
    local name=$1 backing=$2 opts=$3 dir pid
    dir=$BATS_FILE_TMPDIR/$name
    mkdir -p "$dir" "$backing"
    echo "$dir" >>"$(_lab_ledger)"
    "$LABFS" "$backing" "$dir" ${opts:+-o "$opts"} || return 1
    pid=$(labfs_pid "$dir") || return 1
    echo "$pid $dir" >>"$(_lab_daemons)"
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
