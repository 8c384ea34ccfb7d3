#!/usr/bin/env bats
# Nothing escapes, nothing is lost: one regression test per defect the
# adversarial review of unpack and install found (each reproduced on the
# code before the fix). Wheels come from tests/lib/hostile_wheels.py; the
# cache and targets live on a btrfs image and tmpfs made here.

load ../lib/lab

setup_file() {
    lab_have root || return 0 # setup skips each test, saying why
    export BTRFS TMPFS HW
    BTRFS=$(lab_fs_mount btrfs btrfs)
    TMPFS=$(lab_fs_mount tmpfs tmpfs)
    HW=$BATS_FILE_TMPDIR/hw
    python3 "$LAB_TOP/tests/lib/hostile_wheels.py" "$HW" >"$BATS_FILE_TMPDIR/cases"
}

teardown_file() {
    lab_fs_cleanup
}

setup() {
    need_root
    B=$BTRFS/$BATS_TEST_NUMBER
    mkdir -p "$B"
    echo "the user's own file" >"$B/important.txt"
}

teardown() {
    # also when a test failed half-way: what it mounted, by its own path
    if [ -n "${SMALL:-}" ] && mountpoint -q "$SMALL"; then umount "$SMALL"; fi
    [ -z "${B:-}" ] || rm -rf "$B"
}

@test "a name with a ' ..' component stays inside the target in every mode; a corrupt manifest is refused" {
    for mode in clone hardlink copy symlink auto; do
        run "$LINKLAB" install --quiet --mode "$mode" --cache "$B/cache" --target "$B/env-$mode" "$HW"/leadspace-*.whl
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(cat "$B/important.txt")" = "the user's own file" ]
        [ -f "$B/env-$mode/ ../important.txt" ] || [ -L "$B/env-$mode/ ../important.txt" ]
        [ "$(cat "$B/env-$mode/ ../important.txt")" = "print('hello')" ]
    done
    # a manifest edited to lead out of its entry: refused (its digest no
    # longer matches; the line itself would be refused too: test_manifest)
    m=$(echo "$B"/cache/manifests/leadspace-*)
    sed -i 's|^f 644 15  \.\./important\.txt$|f 644 15 ../important.txt|' "$m"
    grep -q '^f 644 15 \.\./important\.txt$' "$m"
    rm -rf "$B/env-copy"
    run "$LINKLAB" install --quiet --mode symlink --cache "$B/cache" --target "$B/env-copy" "$HW"/leadspace-*.whl
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"malformed: its digest does not match its lines (changed or cut short after it was written); remove the cache entry leadspace-1.0-"* ]]
    # a manifest cut short, or emptied: refused too
    for cut in "head -n 3" "head -n 0"; do
        "$LINKLAB" install --quiet --mode copy --cache "$B/cache2" --target "$B/ok" "$HW"/leadspace-*.whl
        m2=$(echo "$B"/cache2/manifests/leadspace-*)
        $cut "$m2" >"$m2.cut"
        mv "$m2.cut" "$m2"
        run "$LINKLAB" install --quiet --mode copy --cache "$B/cache2" --target "$B/cut" "$HW"/leadspace-*.whl
        [ "$status" -eq 1 ]
        [[ "$output" == *"manifests/leadspace-1.0-"*": malformed"* ]]
        rm -rf "$B/cache2" "$B/ok" "$B/cut"
    done
    [ "$(cat "$B/important.txt")" = "the user's own file" ]
    [ ! -L "$B/important.txt" ]
}

@test "a target that leads into the cache, or a cache inside the target, is a usage error; the cache is untouched" {
    "$LINKLAB" install --quiet --mode copy --cache "$B/cache" --target "$B/t0" "$HW"/extra/pk-1.0/*.whl
    k=$(cd "$B/cache/wheels" && echo pk-1.0-*)
    before=$(cd "$B/cache" && find . -type f -exec sha256sum {} + | sort)
    ln -s "$B/cache" "$B/link"
    for t in "$B/cache" "$B/cache/wheels/$k" "$B/cache/wheels/new" "$B/link/wheels/x" "$B/cache/wheels/../x"; do
        for mode in symlink copy; do
            run "$LINKLAB" install --quiet --mode "$mode" --cache "$B/cache" --target "$t" "$HW"/extra/pk-1.0/*.whl
            echo "$t: $output"
            [ "$status" -eq 2 ]
            [[ "${lines[0]}" == *"overlap (the target lies inside the cache)"* ]]
        done
    done
    run "$LINKLAB" install --quiet --mode copy --cache "$B/env/cache" --target "$B/env" "$HW"/extra/pk-1.0/*.whl
    [ "$status" -eq 2 ]
    [[ "${lines[0]}" == *"overlap (the cache lies inside the target)"* ]]
    [ ! -e "$B/env" ]
    [ "$(cd "$B/cache" && find . -type f -exec sha256sum {} + | sort)" = "$before" ]
    [ ! -e "$B/cache/wheels/new" ]
}

@test "a directory symlink in the target into another version's cache entry is refused, not written through" {
    "$LINKLAB" install --quiet --mode copy --cache "$B/cache" --target "$B/t0" "$HW"/extra/pk-1.0/*.whl
    k=$(cd "$B/cache/wheels" && echo pk-1.0-*)
    before=$(cd "$B/cache/wheels/$k" && find . -type f -exec sha256sum {} + | sort)
    mkdir "$B/env"
    ln -s "$B/cache/wheels/$k/pk" "$B/env/pk"
    for mode in copy clone hardlink symlink; do
        run "$LINKLAB" install --quiet --mode "$mode" --cache "$B/cache" --target "$B/env" "$HW"/extra/pk-2.0/*.whl
        echo "$output"
        [ "$status" -eq 1 ]
        [ "$output" = "linklab install: $B/env/pk: cannot create directory: a symlink is where a directory belongs (refusing to write through it)" ]
    done
    [ "$(cd "$B/cache/wheels/$k" && find . -type f -exec sha256sum {} + | sort)" = "$before" ]
    # pk-1.0 installs as 1.0
    "$LINKLAB" install --quiet --mode copy --cache "$B/cache" --target "$B/t1" "$HW"/extra/pk-1.0/*.whl
    grep -qx "VERSION = '1.0'" "$B/t1/pk/m7.py"
}

@test "a failed install never removes a file it did not create (the same file, two installs, a full tmpfs)" {
    command -v strace >/dev/null || skip "no strace (Debian package strace)"
    wheel=$(echo "$HW"/extra/big-1.0/*.whl)
    "$LINKLAB" unpack --cache "$B/cache" "$wheel" >/dev/null
    SMALL=$BATS_TEST_TMPDIR/small
    small=$SMALL
    mkdir -p "$small"
    mount -t tmpfs -o size=12m lab-contain-full "$small"
    for round in 1 2 3; do
        rm -rf "${small:?}"/*
        # (LeakSanitizer cannot run under ptrace: no leak check for the slowed one)
        ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 strace -f -qq -o /dev/null -e trace=write \
            -e inject=write:delay_enter=30000 "$LINKLAB" install --quiet --mode copy --cache "$B/cache" --target "$small" "$wheel" \
            >"$BATS_TEST_TMPDIR/slow" 2>&1 &
        slow=$!
        sleep 0.5
        "$LINKLAB" install --quiet --mode copy --cache "$B/cache" --target "$small" "$wheel" \
            >"$BATS_TEST_TMPDIR/fast" 2>&1 || true
        wait "$slow" || true
        cat "$BATS_TEST_TMPDIR/slow" "$BATS_TEST_TMPDIR/fast"
        # whichever ran out of room, the file one of them finished is there, whole
        [ "$(sha256sum <"$small/big/blob.bin")" = "$(sha256sum <"$(echo "$B"/cache/wheels/big-1.0-*)/big/blob.bin")" ]
        [ -z "$(find "$small" -name '.*lltmp*')" ]
    done
    umount "$small"
}

@test "installs into one target take turns: a held lock is waited for, and said" {
    python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(2)' "$B" "$B/locked" &
    holder=$!
    while [ ! -e "$B/locked" ]; do sleep 0.05; done
    rm "$B/locked"
    start=$(date +%s%N)
    run "$LINKLAB" install --quiet --mode copy --cache "$BATS_TEST_TMPDIR/cache" --target "$B" "$HW"/extra/pk-1.0/*.whl
    waited=$((($(date +%s%N) - start) / 1000000))
    wait "$holder"
    echo "$output (waited $waited ms)"
    [ "$status" -eq 0 ]
    [ "$output" = "linklab install: $B: another install into this target is running; waiting for it" ]
    [ "$waited" -ge 1000 ]
    [ -f "$B/pk/m0.py" ]
}

@test "two wheels that differ only by an exec bit get two cache entries and their own modes" {
    "$LINKLAB" install --quiet --mode copy --cache "$B/cache" --target "$B/a" "$HW"/extra/tool-644/*.whl
    "$LINKLAB" install --quiet --mode copy --cache "$B/cache" --target "$B/b" "$HW"/extra/tool-755/*.whl
    [ "$(stat -c %a "$B/a/tool/run.sh")" = 644 ]
    [ "$(stat -c %a "$B/b/tool/run.sh")" = 755 ]
    [ "$(find "$B/cache/wheels" -mindepth 1 -maxdepth 1 -name 'tool-1.0-*' | wc -l)" -eq 2 ]
}

@test "RECORD naming a file the wheel lacks is refused, also beside a RECORD.jws" {
    run "$LINKLAB" install --quiet --mode copy --cache "$B/cache" --target "$B/env" "$HW"/jws-*.whl
    [ "$status" -eq 1 ]
    [[ "$output" == *"jws-1.0-py3-none-any.whl: entry jws/ghost.py: listed in RECORD but missing from the wheel" ]]
    [ -z "$(find "$B/env" "$B/cache/wheels" -mindepth 1)" ]
}

@test "names reach the disk byte for byte: an NFD name installs as NFD; NFD in the zip and NFC in RECORD is refused" {
    run "$LINKLAB" install --quiet --mode copy --cache "$B/cache" --target "$B/env" "$HW"/nfd-*.whl
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(ls "$B/env/nfd" | od -An -tx1 | tr -d ' \n')" = "$(printf 'cafe\xcc\x81.py\n' | od -An -tx1 | tr -d ' \n')" ]
    run "$LINKLAB" observe --quiet --target "$B/env" --wheel "$HW"/nfd-*.whl
    [ "$status" -eq 0 ]
    run "$LINKLAB" install --quiet --mode copy --cache "$B/cache" --target "$B/env2" "$HW"/nfdmix-*.whl
    [ "$status" -eq 1 ]
    [[ "$output" == *"entry nfdmix/"*": not listed in RECORD" ]]
}

@test "--copy-method copy_file_range across filesystems copies; a wheel given twice is one wheel" {
    run "$LINKLAB" install --mode copy --copy-method copy_file_range --cache "$B/cache" --target "$TMPFS/cfr" \
        "$HW"/extra/pk-1.0/*.whl "$HW"/extra/pk-1.0/*.whl
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == "installed 1 wheel, 23 files, "* ]]
    "$LINKLAB" observe --quiet --target "$TMPFS/cfr" --wheel "$HW"/extra/pk-1.0/*.whl
}

@test "the cache's own directories and entries are never followed through a symlink" {
    mkdir -p "$B/victim/data.4000001.x" "$B/c/wheels"
    echo keep >"$B/victim/notes.4000000.1"
    echo keep >"$B/victim/data.4000001.x/f"
    for sub in tmp wheels manifests index; do
        rm -rf "$B/c"
        mkdir -p "$B/c"
        ln -s "$B/victim" "$B/c/$sub"
        run "$LINKLAB" unpack --cache "$B/c" "$HW"/extra/pk-1.0/*.whl
        echo "$output"
        [ "$status" -eq 1 ]
        [ "$output" = "linklab unpack: $B/c/$sub is a symlink, not a directory of the cache; refusing to use it" ]
    done
    [ "$(ls "$B/victim")" = "$(printf 'data.4000001.x\nnotes.4000000.1')" ]
    [ -f "$B/victim/data.4000001.x/f" ]
    # an entry replaced by a symlink to files outside: refused, not installed
    rm -rf "$B/c"
    "$LINKLAB" unpack --cache "$B/c" "$HW"/extra/pk-1.0/*.whl >/dev/null
    k=$(cd "$B/c/wheels" && echo pk-1.0-*)
    mv "$B/c/wheels/$k" "$B/outside"
    ln -s "$B/outside" "$B/c/wheels/$k"
    run "$LINKLAB" install --quiet --mode copy --cache "$B/c" --target "$B/t" "$HW"/extra/pk-1.0/*.whl
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cache entry $B/c/wheels/$k is in the way (a symlink or a file); remove the cache entry $k" ]]
    [ -f "$B/outside/pk/m0.py" ]
    [ ! -e "$B/t/pk" ]
}

@test "overlap by inode: a dangling symlink that becomes the cache, and a bind mount of an entry, are usage errors" {
    ln -s "$B/newc" "$B/tl"
    run "$LINKLAB" install --quiet --mode copy --cache "$B/newc" --target "$B/tl" "$HW"/extra/pk-1.0/*.whl
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"overlap (the target lies inside the cache)"* ]]
    [ -z "$(ls -A "$B/newc/wheels")" ]
    "$LINKLAB" install --quiet --mode copy --cache "$B/c" --target "$B/t0" "$HW"/extra/pk-1.0/*.whl
    k=$(cd "$B/c/wheels" && echo pk-1.0-*)
    SMALL=$B/bm
    mkdir -p "$SMALL"
    mount --bind "$B/c/wheels/$k" "$SMALL"
    run "$LINKLAB" install --quiet --mode copy --cache "$B/c" --target "$SMALL" "$HW"/extra/pk-2.0/*.whl
    umount "$SMALL"
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"overlap (the target is a cache entry (a bind mount of it?))"* ]]
    grep -qx "VERSION = '1.0'" "$B/c/wheels/$k/pk/m0.py"
    # an empty path is a usage error; a/new/../c makes a/c and nothing else
    run "$LINKLAB" unpack --cache "" "$HW"/extra/pk-1.0/*.whl
    [ "$status" -eq 2 ]
    mkdir "$B/a"
    "$LINKLAB" install --quiet --mode copy --cache "$B/a/new/../c2" --target "$B/a/x/../t2" "$HW"/extra/pk-1.0/*.whl
    [ "$(ls "$B/a")" = "$(printf 'c2\nt2')" ]
}

@test "a cache file that does not match its manifest is never copied short" {
    "$LINKLAB" unpack --cache "$B/c" "$HW"/extra/pk-1.0/*.whl >/dev/null
    k=$(cd "$B/c/wheels" && echo pk-1.0-*)
    echo "more" >>"$B/c/wheels/$k/pk/m5.py"
    run "$LINKLAB" install --quiet --mode copy --cache "$B/c" --target "$B/t" "$HW"/extra/pk-1.0/*.whl
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"pk/m5.py: copy failed: the cache file $B/c/wheels/$k/pk/m5.py is longer than its manifest says (EUCLEAN); remove the cache entry $k" ]]
    truncate -s 3 "$B/c/wheels/$k/pk/m5.py"
    run "$LINKLAB" install --quiet --mode copy --cache "$B/c" --target "$B/t2" "$HW"/extra/pk-1.0/*.whl
    [ "$status" -eq 1 ]
    [[ "$output" == *"pk/m5.py: copy failed: the cache file $B/c/wheels/$k/pk/m5.py is shorter than its manifest says (ENODATA); remove the cache entry $k" ]]
}

@test "names of the installer's own temporary files are refused; signatures and empty directories are part of the key; a forged index is not followed" {
    make_wheel "$B/tmpname-1.0-py3-none-any.whl" tmpname 1.0 "pkg/.cfg.lltmp.4000000.1=x"
    run "$LINKLAB" unpack --cache "$B/c" "$B/tmpname-1.0-py3-none-any.whl"
    [ "$status" -eq 1 ]
    [[ "$output" == *"entry pkg/.cfg.lltmp.4000000.1: a name of the form linklab gives its temporary files"* ]]
    # two wheels alike but for RECORD.jws's bytes: two entries, each its own
    for sig in A B; do
        mkdir -p "$B/sig$sig"
        python3 - "$B/sig$sig/signed-1.0-py3-none-any.whl" "$sig" <<'PY'
import base64, hashlib, sys, zipfile
def d(b): return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("signed/a.py", b"a\n")
    z.writestr("signed-1.0.dist-info/RECORD.jws", ("signature-of-" + sys.argv[2]).encode())
    z.writestr("signed-1.0.dist-info/RECORD", f"signed/a.py,{d(b'a' + bytes([10]))},2\nsigned-1.0.dist-info/RECORD,,\n")
PY
        "$LINKLAB" install --quiet --mode copy --cache "$B/c" --target "$B/t$sig" "$B/sig$sig/signed-1.0-py3-none-any.whl"
        [ "$(cat "$B/t$sig/signed-1.0.dist-info/RECORD.jws")" = "signature-of-$sig" ]
    done
    [ "$(find "$B/c/wheels" -mindepth 1 -maxdepth 1 -name 'signed-1.0-*' | wc -l)" -eq 2 ]
    # an index file edited to point at another package's entry
    "$LINKLAB" unpack --cache "$B/c" "$HW"/extra/pk-1.0/*.whl >/dev/null
    "$LINKLAB" unpack --cache "$B/c" "$HW"/extra/tool-644/*.whl >/dev/null
    ktool=$(cd "$B/c/wheels" && echo tool-1.0-*)
    for f in "$B"/c/index/*; do
        if grep -q '^pk-1.0-' "$f"; then echo "$ktool" >"$f"; fi
    done
    "$LINKLAB" install --quiet --mode copy --cache "$B/c" --target "$B/tpk" "$HW"/extra/pk-1.0/*.whl
    [ -f "$B/tpk/pk/m0.py" ]
    [ ! -e "$B/tpk/tool" ]
}
