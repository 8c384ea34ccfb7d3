#!/usr/bin/env bats
# linklab unpack/install on real filesystems: a btrfs image loop-mounted
# inside the test, and tmpfs. Checks what is on disk (FIEMAP, inodes,
# hashes), not what the driver says.

load ../lib/lab

setup_file() {
    lab_have root || return 0 # setup skips each test, saying why
    export BTRFS TMPFS WHEELS
    BTRFS=$(lab_fs_mount btrfs btrfs)
    TMPFS=$(lab_fs_mount tmpfs tmpfs)
    WHEELS=$BATS_FILE_TMPDIR/wheels
    "$LINKLAB" corpus --profile tiny --out "$WHEELS" >/dev/null
    "$LINKLAB" corpus --profile namespace --out "$WHEELS/ns" >/dev/null
}

teardown_file() {
    lab_fs_cleanup
}

setup() {
    need_root
}

# Every file of the cache entries named (default: the Debian wheels), in
# the target, byte-identical to the cache.
assert_complete() { # CACHE TARGET [ENTRY-GLOB]
    local cache=$1 target=$2 glob=${3:-"{pip,setuptools,wheel}-*"} entry rel n=0
    for entry in $(eval echo "$cache/wheels/$glob/"); do
        # a pattern that matched no entry stays as it is: that entry is missing
        [ -d "$entry" ] || { echo "no cache entry: $entry" >&2; return 1; }
        while read -r rel; do
            cmp -s "$entry/$rel" "$target/$rel" || { echo "differs or missing: $rel" >&2; return 1; }
            n=$((n + 1))
        done < <(tree_files "$entry")
    done
    [ "$n" -gt 0 ]
}

@test "unpack: Debian wheels unpack once, then come from the cache" {
    run "$LINKLAB" unpack --cache "$BTRFS/c-unpack" "${DEBIAN_WHEELS[@]}"
    [ "$status" -eq 0 ]
    [ "$(grep -c ' unpacked ' <<<"$output")" -eq "${#DEBIAN_WHEELS[@]}" ]
    run "$LINKLAB" unpack --cache "$BTRFS/c-unpack" "${DEBIAN_WHEELS[@]}"
    [ "$status" -eq 0 ]
    [ "$(grep -c ' cached ' <<<"$output")" -eq "${#DEBIAN_WHEELS[@]}" ]
    # the unpacked pip has exactly the files its RECORD lists
    entry=$(cache_entry "$BTRFS/c-unpack" pip)
    recorded=$(unzip -Z1 "$(debian_wheel pip)" | grep -v '/$' | LC_ALL=C sort)
    [ "$(tree_files "$entry")" = "$recorded" ]
    [ -z "$(ls -A "$BTRFS/c-unpack/tmp")" ]
}

@test "unpack: two processes unpacking the same wheel both succeed and leave one entry" {
    pip=$(debian_wheel pip)
    for i in 1 2 3 4; do
        "$LINKLAB" unpack --cache "$BTRFS/c-race" "$pip" >"$BATS_TEST_TMPDIR/out$i" 2>&1 3>&- &
        pids[i]=$!
    done
    # each one's own exit status (wait -n would not say which failed)
    for i in 1 2 3 4; do wait "${pids[i]}"; done
    cat "$BATS_TEST_TMPDIR"/out*
    [ "$(ls "$BTRFS/c-race/wheels" | wc -l)" -eq 1 ]
    [ -z "$(ls -A "$BTRFS/c-race/tmp")" ]
    [ "$(cat "$BATS_TEST_TMPDIR"/out* | grep -cF "$(wheel_nv "$pip")-")" -eq 4 ]
}

@test "clone on btrfs: every non-empty file shares its cache file's physical extents, exec bits kept" {
    run "$LINKLAB" install --mode clone --cache "$BTRFS/cache" --target "$BTRFS/t-clone" \
        --log "$BATS_TEST_TMPDIR/log" "${DEBIAN_WHEELS[@]}" "$WHEELS"/*.whl
    [ "$status" -eq 0 ]
    [[ "$output" != *warning* ]]
    assert_complete "$BTRFS/cache" "$BTRFS/t-clone" "*"
    checked=0 execs=0
    for entry in "$BTRFS"/cache/wheels/*/; do
        while read -r rel; do
            src=$entry/$rel dst=$BTRFS/t-clone/$rel
            [ "$(stat -c %a "$src")" = "$(stat -c %a "$dst")" ]
            [ "$(stat -c %a "$dst")" != 755 ] || execs=$((execs + 1))
            [ "$(stat -c %i "$src")" != "$(stat -c %i "$dst")" ]
            [ -s "$src" ] || continue
            a=$(extents "$src") b=$(extents "$dst")
            [ -n "$a" ] && [ "$a" = "$b" ] || { echo "not cloned: $rel: [$a] vs [$b]" >&2; false; }
            checked=$((checked + 1))
        done < <(tree_files "$entry")
    done
    echo "checked $checked files, $execs executable"
    # every non-empty file of the wheels, counted from the wheels themselves
    [ "$checked" -eq "$(record_files --nonempty "${DEBIAN_WHEELS[@]}" "$WHEELS"/*.whl)" ]
    [ "$execs" -gt 0 ]
    [ "$(json_get "$BATS_TEST_TMPDIR/log" summary 'r[0]["files_by_mode"]["clone"]')" -eq \
        "$(record_files "${DEBIAN_WHEELS[@]}" "$WHEELS"/*.whl)" ]
}

@test "hardlink on btrfs: every file is the cache file's inode" {
    run "$LINKLAB" install --mode hardlink --cache "$BTRFS/cache" --target "$BTRFS/t-hl" "${DEBIAN_WHEELS[@]}"
    [ "$status" -eq 0 ]
    [[ "$output" != *warning* ]]
    n=0
    for entry in "$BTRFS"/cache/wheels/{pip,setuptools,wheel}-*/; do
        while read -r rel; do
            [ "$(stat -c %d:%i "$entry/$rel")" = "$(stat -c %d:%i "$BTRFS/t-hl/$rel")" ]
            n=$((n + 1))
        done < <(tree_files "$entry")
    done
    [ "$n" -eq "$(record_files "${DEBIAN_WHEELS[@]}")" ]
}

@test "copy on btrfs: no shared extents, identical SHA-256, no warning" {
    run "$LINKLAB" install --mode copy --cache "$BTRFS/cache" --target "$BTRFS/t-copy" "${DEBIAN_WHEELS[@]}"
    [ "$status" -eq 0 ]
    [[ "$output" != *warning* ]]
    n=0 nonempty=0
    for entry in "$BTRFS"/cache/wheels/pip-*/; do
        while read -r rel; do
            [ "$(sha256sum <"$entry/$rel")" = "$(sha256sum <"$BTRFS/t-copy/$rel")" ]
            [ "$(stat -c %i "$entry/$rel")" != "$(stat -c %i "$BTRFS/t-copy/$rel")" ]
            n=$((n + 1))
            [ -s "$entry/$rel" ] || continue
            # its own extents (max_inline=0: every non-empty file has one), none shared
            flags=$(extent_flags "$BTRFS/t-copy/$rel")
            [ -n "$flags" ]
            [[ "$flags" != *shared* ]] || { echo "shared extent in the copy: $rel: $flags" >&2; false; }
            [ "$(extents "$entry/$rel")" != "$(extents "$BTRFS/t-copy/$rel")" ]
            nonempty=$((nonempty + 1))
        done < <(tree_files "$entry")
    done
    [ "$n" -eq "$(record_files "$(debian_wheel pip)")" ]
    [ "$nonempty" -eq "$(record_files --nonempty "$(debian_wheel pip)")" ]
}

@test "copy --copy-method=copy_file_range reflinks by itself on btrfs (the trap the default avoids)" {
    run "$LINKLAB" install --mode copy --copy-method copy_file_range --cache "$BTRFS/cache" \
        --target "$BTRFS/t-cfr" "$(debian_wheel wheel)"
    [ "$status" -eq 0 ]
    entry=$(cache_entry "$BTRFS/cache" wheel)
    shared=0
    while read -r rel; do
        [ -s "$entry/$rel" ] || continue
        [ "$(extents "$entry/$rel")" != "$(extents "$BTRFS/t-cfr/$rel")" ] || shared=$((shared + 1))
    done < <(tree_files "$entry")
    echo "files sharing extents after copy_file_range: $shared"
    [ "$shared" -gt 0 ]
}

@test "symlink: one symlink per file to the cache file, directories real" {
    run "$LINKLAB" install --mode symlink --cache "$BTRFS/cache" --target "$BTRFS/t-sym" "${DEBIAN_WHEELS[@]}"
    [ "$status" -eq 0 ]
    [ -z "$(find "$BTRFS/t-sym" -type f)" ]
    [ -z "$(find "$BTRFS/t-sym" -type l -path '*/pip' )" ]
    [ -d "$BTRFS/t-sym/pip/_internal" ]
    [ ! -L "$BTRFS/t-sym/pip/_internal" ]
    entry=$(cache_entry "$BTRFS/cache" pip)
    [ "$(readlink "$BTRFS/t-sym/pip/__init__.py")" = "$entry/pip/__init__.py" ]
    [ "$(find "$BTRFS/t-sym" -type l | wc -l)" -eq "$(find "$BTRFS"/cache/wheels/{pip,setuptools,wheel}-* -type f | wc -l)" ]
    [ "$(find "$BTRFS/t-sym" -type l | wc -l)" -eq "$(record_files "${DEBIAN_WHEELS[@]}")" ]
}

@test "clone from btrfs into tmpfs: exactly one warning, a complete copied tree" {
    run "$LINKLAB" install --mode clone --cache "$BTRFS/cache" --target "$TMPFS/t-x" \
        --log "$BATS_TEST_TMPDIR/log" "${DEBIAN_WHEELS[@]}"
    [ "$status" -eq 0 ]
    [ "$(grep -c 'warning' <<<"$output")" -eq 1 ]
    [[ "$output" == *"clone not possible (EXDEV), hardlink not possible (EXDEV), used copy for ${#DEBIAN_WHEELS[@]} wheels"* ]]
    [[ "$output" == *"$BTRFS/cache"* && "$output" == *"$TMPFS/t-x"* ]]
    assert_complete "$BTRFS/cache" "$TMPFS/t-x"
    [ "$(json_get "$BATS_TEST_TMPDIR/log" summary 'r[0]["files_by_mode"]["copy"]')" -eq "$(record_files "${DEBIAN_WHEELS[@]}")" ]
    [ "$(json_get "$BATS_TEST_TMPDIR/log" file 'sorted(set(x["fallback"] for x in r))')" = "['clone>hardlink>copy']" ]
    [ "$(json_get "$BATS_TEST_TMPDIR/log" file 'sorted(set(x["errno"] for x in r))')" = "['EXDEV']" ]
}

@test "hardlink from btrfs into tmpfs falls back to copy with one warning; --strict refuses" {
    run "$LINKLAB" install --mode hardlink --cache "$BTRFS/cache" --target "$TMPFS/t-hx" "${DEBIAN_WHEELS[@]}"
    [ "$status" -eq 0 ]
    [ "$(grep -c 'warning' <<<"$output")" -eq 1 ]
    [[ "$output" == *"hardlink not possible (EXDEV), used copy"* ]]
    run "$LINKLAB" install --mode hardlink --strict --cache "$BTRFS/cache" --target "$TMPFS/t-strict" "${DEBIAN_WHEELS[@]}"
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"hardlink not possible from $BTRFS/cache/wheels/"*"(EXDEV: Invalid cross-device link); --strict forbids a fallback"* ]]
}

@test "--policy uv-0.4 on btrfs: clone requested, nothing cloned (the regression, shown)" {
    run "$LINKLAB" install --mode clone --policy uv-0.4 --cache "$BTRFS/cache" --target "$BTRFS/t-uv" \
        --log "$BATS_TEST_TMPDIR/log" "${DEBIAN_WHEELS[@]}"
    [ "$status" -eq 0 ]
    [[ "$output" != *warning* ]] # uv 0.4 was silent about it
    [ "$(json_get "$BATS_TEST_TMPDIR/log" summary 'r[0]["files_by_mode"]["clone"]')" -eq 0 ]
    [ "$(json_get "$BATS_TEST_TMPDIR/log" wheel 'sorted(set(x["fallback"] for x in r))')" = "['clone>copy']" ]
    cloned=0 checked=0
    for entry in "$BTRFS"/cache/wheels/{pip,setuptools,wheel}-*/; do
        while read -r rel; do
            [ -s "$entry/$rel" ] || continue
            [ "$(extents "$entry/$rel")" != "$(extents "$BTRFS/t-uv/$rel")" ] || cloned=$((cloned + 1))
            checked=$((checked + 1))
        done < <(tree_files "$entry")
    done
    [ "$cloned" -eq 0 ]
    [ "$checked" -eq "$(record_files --nonempty "${DEBIAN_WHEELS[@]}")" ]
    assert_complete "$BTRFS/cache" "$BTRFS/t-uv"
}

@test "reinstall over a hardlinked tree replaces files atomically and never truncates the cache" {
    "$LINKLAB" install --mode hardlink --cache "$BTRFS/cache" --target "$BTRFS/t-re" "$WHEELS"/*.whl
    before=$(cd "$BTRFS/cache/wheels" && find . -type f -exec sha256sum {} + | sort)
    run "$LINKLAB" install --mode copy --cache "$BTRFS/cache" --target "$BTRFS/t-re" --log "$BATS_TEST_TMPDIR/log" "$WHEELS"/*.whl
    [ "$status" -eq 0 ]
    after=$(cd "$BTRFS/cache/wheels" && find . -type f -exec sha256sum {} + | sort)
    [ "$before" = "$after" ]
    entry=$(cache_entry "$BTRFS/cache" tinylike1)
    n=0
    while read -r rel; do
        [ "$(stat -c %i "$entry/$rel")" != "$(stat -c %i "$BTRFS/t-re/$rel")" ]
        cmp -s "$entry/$rel" "$BTRFS/t-re/$rel"
        n=$((n + 1))
    done < <(tree_files "$entry")
    [ "$n" -eq "$(record_files "$WHEELS"/tinylike1-*.whl)" ]
    [ "$(json_get "$BATS_TEST_TMPDIR/log" file 'all(x["replaced"] for x in r)')" = True ]
    [ -z "$(find "$BTRFS/t-re" -name '*.lltmp.*')" ]
    # hardlink over the same hardlinks: nothing changes, no temporary names left
    run "$LINKLAB" install --mode hardlink --cache "$BTRFS/cache" --target "$BTRFS/t-re2" "$WHEELS"/*.whl
    [ "$status" -eq 0 ]
    run "$LINKLAB" install --mode hardlink --cache "$BTRFS/cache" --target "$BTRFS/t-re2" "$WHEELS"/*.whl
    [ "$status" -eq 0 ]
    [ -z "$(find "$BTRFS/t-re2" -name '*.lltmp.*')" ]
}

@test "namespace wheels written in parallel: the shared __init__.py is one wheel's version, whole" {
    for i in 1 2 3; do
        rm -rf "$BTRFS/t-ns"
        run "$LINKLAB" install --mode copy --jobs 4 --cache "$BTRFS/cache" --target "$BTRFS/t-ns" "$WHEELS"/ns/*.whl
        [ "$status" -eq 0 ]
        got=$(sha256sum <"$BTRFS/t-ns/labns/__init__.py")
        match=0
        for entry in "$BTRFS"/cache/wheels/labns_part*/; do
            [ "$(sha256sum <"$entry/labns/__init__.py")" != "$got" ] || match=1
        done
        [ "$match" -eq 1 ]
    done
}

@test "event log: a schema-versioned record per file, per wheel and a summary" {
    run "$LINKLAB" install --mode auto --jobs 2 --cache "$BTRFS/cache" --target "$BTRFS/t-log" \
        --log "$BATS_TEST_TMPDIR/log" "$WHEELS"/*.whl
    [ "$status" -eq 0 ]
    files=$(find "$BTRFS"/cache/wheels/tinylike*/ -type f | wc -l)
    [ "$files" -eq "$(record_files "$WHEELS"/*.whl)" ]
    [ "$(json_get "$BATS_TEST_TMPDIR/log" file 'len(r)')" -eq "$files" ]
    [ "$(json_get "$BATS_TEST_TMPDIR/log" wheel 'len(r)')" -eq 2 ]
    [ "$(json_get "$BATS_TEST_TMPDIR/log" summary 'len(r)')" -eq 1 ]
    python3 - "$BATS_TEST_TMPDIR/log" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert r["schema"] == 1, r
    if r["type"] == "file":
        assert {"path", "requested", "used", "fallback", "errno", "bytes", "ns"} <= r.keys(), r
        assert r["requested"] == "auto" and r["used"] == "clone" and r["status"] == "ok", r
EOF
}

@test "errors: usage is exit 2; a bad wheel is one line naming file and entry, exit 1, nothing left behind" {
    run "$LINKLAB" install --cache "$BTRFS/cache" --target "$BTRFS/t" "$WHEELS"/*.whl
    [ "$status" -eq 2 ]
    [[ "$output" == *"--mode is required"* ]]
    run "$LINKLAB" install --mode teleport --cache x --target y z
    [ "$status" -eq 2 ]
    run "$LINKLAB" frobnicate
    [ "$status" -eq 2 ]
    # a wheel whose RECORD hash does not match one file
    bad=$BATS_TEST_TMPDIR/bad-1.0-py3-none-any.whl
    python3 - "$bad" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("bad/__init__.py", "print('hi')\n")
    z.writestr("bad-1.0.dist-info/RECORD",
               "bad/__init__.py,sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,12\n"
               "bad-1.0.dist-info/RECORD,,\n")
EOF
    run "$LINKLAB" unpack --cache "$BTRFS/c-bad" "$bad"
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"$bad: entry bad/__init__.py: sha256 mismatch"* ]]
    [ -z "$(find "$BTRFS/c-bad/wheels" "$BTRFS/c-bad/tmp" -mindepth 1)" ]
    # an entry that climbs out of the target
    evil=$BATS_TEST_TMPDIR/evil-1.0-py3-none-any.whl
    python3 - "$evil" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("../../escaped.py", "x\n")
    z.writestr("evil-1.0.dist-info/RECORD", "evil-1.0.dist-info/RECORD,,\n")
EOF
    run "$LINKLAB" install --mode copy --cache "$BTRFS/c-bad" --target "$BTRFS/t-evil" "$evil"
    [ "$status" -eq 1 ]
    [[ "$output" == *"entry ../../escaped.py: '..' component"* ]]
    [ ! -e "$BTRFS/escaped.py" ]
    [ ! -e "$BATS_FILE_TMPDIR/escaped.py" ]
    [ -z "$(ls -A "$BTRFS/t-evil")" ]
    # a good wheel still installs afterwards
    run "$LINKLAB" install --mode copy --cache "$BTRFS/c-bad" --target "$BTRFS/t-evil" "$(debian_wheel wheel)"
    [ "$status" -eq 0 ]
}

@test "warm cache: installing does not read the wheel again" {
    "$LINKLAB" unpack --cache "$BTRFS/c-warm" "$WHEELS"/tinylike1-*.whl >/dev/null
    cp "$WHEELS"/tinylike1-*.whl "$BATS_TEST_TMPDIR/"
    w=$(echo "$BATS_TEST_TMPDIR"/tinylike1-*.whl)
    "$LINKLAB" unpack --cache "$BTRFS/c-warm" "$w" >/dev/null
    # LeakSanitizer cannot run under ptrace; leaks are checked in every other test
    ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 run strace -f -e trace=openat -o "$BATS_TEST_TMPDIR/trace" "$LINKLAB" install --mode hardlink \
        --cache "$BTRFS/c-warm" --target "$BTRFS/t-warm" "$w"
    [ "$status" -eq 0 ]
    # the trace works: it shows the install reading the cache's index
    grep -qF "$BTRFS/c-warm/index" "$BATS_TEST_TMPDIR/trace"
    refute grep -F "\"$w\"" "$BATS_TEST_TMPDIR/trace"
}
