#!/usr/bin/env bats
# linklab observe --trace on a btrfs image made in the test: a file that
# reaches its place inside a renamed directory (pnpm fills pkg_tmp_NNN/,
# then renames it) is attributed to the call that made its data, renamed.

load ../lib/lab

setup_file() {
    lab_have root || return 0 # setup skips each test, saying why
    export BTRFS
    BTRFS=$(lab_fs_mount btrfs btrfs)
}

teardown_file() {
    lab_fs_cleanup
}

setup() {
    need_root
}

# syscalls JSON: "path op renamed" per file of an observe --trace JSON, sorted.
syscalls() {
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for f in sorted(d["files"], key=lambda f: f["path"]):
    s = f["syscall"] or {"op": None, "renamed": None}
    print(f["path"], s["op"], s["renamed"])' "$1"
}

@test "--trace attributes the files of a directory renamed into place: clones and writes, nested, a rename chain" {
    local src=$BTRFS/src tgt=$BTRFS/target
    rm -rf "$src" "$tgt"
    mkdir -p "$src" "$tgt"
    head -c 200000 /dev/urandom >"$src/a.js"
    head -c 300000 /dev/urandom >"$src/b.js"
    printf 'module.exports = 1;\n' >"$src/c.js"
    # pkg1: relative names, nested directories, mv (renameat2 with AT_FDCWD);
    # pkg2: absolute names, renamed twice by rename(2) (perl's rename);
    # late.txt: written into pkg2 after its rename, so not renamed
    run "$LINKLAB" observe --target "$tgt" --source "$src" --json "$BATS_TEST_TMPDIR/t.json" --trace -- sh -c "
        set -e
        cd '$tgt'
        mkdir -p pkg_tmp_1/lib/sub
        cp --reflink=always '$src/a.js' pkg_tmp_1/lib/a.js
        cp --reflink=always '$src/b.js' pkg_tmp_1/lib/sub/b.js
        dd if='$src/c.js' of=pkg_tmp_1/lib/sub/c.js status=none
        printf '{\"name\": \"pkg1\"}\n' >pkg_tmp_1/package.json
        mv pkg_tmp_1 pkg1
        mkdir '$tgt/pkg_tmp_2'
        cp --reflink=always '$src/b.js' '$tgt/pkg_tmp_2/x.bin'
        printf 'y\n' >'$tgt/pkg_tmp_2/y.txt'
        perl -e 'rename(\$ARGV[0], \$ARGV[1]) or die \"\$!\"' '$tgt/pkg_tmp_2' '$tgt/pkg_tmp_2b'
        perl -e 'rename(\$ARGV[0], \$ARGV[1]) or die \"\$!\"' '$tgt/pkg_tmp_2b' '$tgt/pkg2'
        printf 'late\n' >'$tgt/pkg2/late.txt'"
    echo "$output"
    [ "$status" -eq 0 ]
    run syscalls "$BATS_TEST_TMPDIR/t.json"
    echo "$output"
    [ "$output" = "pkg1/lib/a.js FICLONE True
pkg1/lib/sub/b.js FICLONE True
pkg1/lib/sub/c.js write True
pkg1/package.json write True
pkg2/late.txt write False
pkg2/x.bin FICLONE True
pkg2/y.txt write True" ]
}
