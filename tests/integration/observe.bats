#!/usr/bin/env bats
# linklab observe on btrfs, XFS, ext4 and tmpfs images made in the test:
# trees made by cp (clone, hardlink, copy, symlink) and by pip are each
# classified correctly and completely; tampering is found exactly; --trace
# tells FICLONE from copy_file_range where FIEMAP cannot.

load ../lib/lab

setup_file() {
    lab_have root || return 0 # setup skips each test, saying why
    export BTRFS XFS EXT4 TMPFS WHEELS
    BTRFS=$(lab_fs_mount btrfs btrfs)
    XFS=$(lab_fs_mount xfs xfs)
    EXT4=$(lab_fs_mount ext4 ext4)
    TMPFS=$(lab_fs_mount tmpfs tmpfs)
    WHEELS=$BATS_FILE_TMPDIR/wheels
    "$LINKLAB" corpus --profile tiny --out "$WHEELS" >/dev/null
}

teardown_file() {
    lab_fs_cleanup
}

setup() {
    need_root
}

# classes FILE: "class=count ..." of the nonzero classes in an observe JSON.
classes() {
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(f"{k}={v}" for k, v in d["summary"]["classes"].items() if v))' "$1"
}

# ojson FILE EXPR: EXPR (python, over the document d) of an observe JSON.
ojson() {
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# pairing FILE: the set of paired_by values.
pairing() {
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted(set(str(f["paired_by"]) for f in d["files"]))))' "$1"
}

# cp_trees FS: unpacks pip into a cache on FS and makes the cp trees beside it.
cp_trees() {
    local fs=$1
    "$LINKLAB" unpack --cache "$fs/cache" "$(debian_wheel pip)" >/dev/null
    SRC=$(cache_entry "$fs/cache" pip)
    rm -rf "$fs"/cp-*
    cp -al "$SRC" "$fs/cp-hardlink"
    cp -a --reflink=never "$SRC" "$fs/cp-copy"
    cp -as "$SRC" "$fs/cp-symlink"
    cp -a --reflink=always "$SRC" "$fs/cp-clone" 2>/dev/null || rm -rf "$fs/cp-clone"
}

# observe_expect TREE SOURCE MODE: observe with --expect, save the JSON.
observe_expect() {
    run "$LINKLAB" observe --target "$1" --source "$2" --expect "$3" --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"verdict: pass"* ]]
}

@test "btrfs: cp clone, hardlink, copy and symlink trees are classified as such, paired by path" {
    cp_trees "$BTRFS"
    observe_expect "$BTRFS/cp-clone" "$SRC" clone
    [[ "$(classes "$BATS_TEST_TMPDIR/o.json")" == cloned=* ]]
    [ "$(pairing "$BATS_TEST_TMPDIR/o.json")" = path ]
    observe_expect "$BTRFS/cp-hardlink" "$SRC" hardlink
    [ "$(classes "$BATS_TEST_TMPDIR/o.json")" = "hardlinked=$(record_files "$(debian_wheel pip)")" ]
    observe_expect "$BTRFS/cp-copy" "$SRC" copy
    [[ "$(classes "$BATS_TEST_TMPDIR/o.json")" == copied=* ]]
    observe_expect "$BTRFS/cp-symlink" "$SRC" symlink
    [ "$(classes "$BATS_TEST_TMPDIR/o.json")" = "symlinked=$(record_files "$(debian_wheel pip)")" ]
    # the clone tree is not a copy, and the copy is not a clone
    run "$LINKLAB" observe --target "$BTRFS/cp-copy" --source "$SRC" --expect clone
    [ "$status" -eq 1 ]
    [[ "$output" == *"not cloned: "*"(copied)"* ]]
    [[ "$output" == *"verdict: FAIL"* ]]
}

@test "XFS: cp clone is cloned (every file: XFS keeps no inline data), copy is copied" {
    cp_trees "$XFS"
    observe_expect "$XFS/cp-clone" "$SRC" clone
    nonempty=$(find "$SRC" -type f -size +0 | wc -l)
    [[ "$(classes "$BATS_TEST_TMPDIR/o.json")" == "cloned=$nonempty empty="* ]]
    observe_expect "$XFS/cp-copy" "$SRC" copy
    observe_expect "$XFS/cp-hardlink" "$SRC" hardlink
    observe_expect "$XFS/cp-symlink" "$SRC" symlink
}

@test "ext4 and tmpfs: no clones possible; hardlink, copy and symlink trees classified" {
    for fs in "$EXT4" "$TMPFS"; do
        cp_trees "$fs"
        [ ! -e "$fs/cp-clone" ] # cp --reflink=always refuses there
        observe_expect "$fs/cp-copy" "$SRC" copy
        observe_expect "$fs/cp-hardlink" "$SRC" hardlink
        observe_expect "$fs/cp-symlink" "$SRC" symlink
    done
}

@test "pip install --target: copied and complete; paired by content against another cache layout" {
    W=("${DEBIAN_WHEELS[@]}")
    "$LINKLAB" unpack --cache "$BTRFS/cache" "${W[@]}" >/dev/null
    rm -rf "$BTRFS/pip" "$BTRFS/uvlike"
    python3 -m pip install -q --no-index --no-deps --no-compile --target "$BTRFS/pip" "${W[@]}" 2>/dev/null
    # against the linklab cache, the relative paths match
    run "$LINKLAB" observe --target "$BTRFS/pip" --source "$BTRFS/cache" --expect copy \
        --wheel "${W[0]}" --wheel "${W[1]}" --wheel "${W[2]}" --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"missing 0, corrupt 0, mode 0, extra 0, installer-added "* ]]
    # a uv-like cache (archive-v0/HASH/...): no path matches, content does
    for e in "$BTRFS"/cache/wheels/{pip,setuptools,wheel}-*; do
        mkdir -p "$BTRFS/uvlike/archive-v0"
        cp -a "$e" "$BTRFS/uvlike/archive-v0/$(basename "$e" | sha256sum | cut -c1-12)"
    done
    run "$LINKLAB" observe --target "$BTRFS/pip" --source "$BTRFS/uvlike" --expect copy --json "$BATS_TEST_TMPDIR/c.json"
    [ "$status" -eq 0 ]
    python3 - "$BATS_TEST_TMPDIR/o.json" "$BATS_TEST_TMPDIR/c.json" "${W[@]}" <<'EOF'
import json, sys, zipfile
d, c = (json.load(open(p)) for p in sys.argv[1:3])
# every file of the wheels, from the wheels themselves
wheel_files = set()
for w in sys.argv[3:]:
    with zipfile.ZipFile(w) as z:
        wheel_files |= {i.filename for i in z.infolist() if not i.is_dir()}
assert d["schema"] == 2 and d["target_fs"] == "btrfs" and d["source_fs"] == "btrfs", d
added = {x["path"].split("/")[-1] for x in d["findings"] if x["kind"] == "installer-added"}
assert "INSTALLER" in added, added
by_path = [f for f in d["files"] if f["paired_by"] == "path"]
by_content = [f for f in c["files"] if f["paired_by"] == "content"]
# against the linklab cache, each file of the wheels pairs by its path
assert {f["path"] for f in by_path} == wheel_files, sorted({f["path"] for f in by_path} ^ wheel_files)[:10]
# against the uv-like cache, by content, each but the RECORDs pip rewrote
wheel_files_kept = {p for p in wheel_files if not p.endswith(".dist-info/RECORD")}
assert wheel_files_kept <= {f["path"] for f in by_content}, sorted(wheel_files_kept - {f["path"] for f in by_content})[:10]
assert not [f for f in c["files"] if f["paired_by"] == "path"], len(by_content)
assert all("/archive-v0/" in f["source"] for f in by_content)
# pip rewrites RECORD and writes direct_url.json: no source has their bytes
# (INSTALLER, "pip\\n", pairs with pip's top_level.txt: content pairing matches bytes)
unpaired = {f["path"].split("/")[-1] for f in c["files"] if not f["paired_by"]}
assert {"direct_url.json", "RECORD"} <= unpaired, unpaired
EOF
}

@test "a tampered tree: one truncated, one deleted, one added, one chmod'ed yields exactly those four findings" {
    rm -rf "$BTRFS/tamper"
    "$LINKLAB" install --quiet --mode copy --cache "$BTRFS/cache" --target "$BTRFS/tamper" "$WHEELS"/tinylike1-*.whl
    run "$LINKLAB" observe --target "$BTRFS/tamper" --wheel "$WHEELS"/tinylike1-*.whl
    [ "$status" -eq 0 ]
    [[ "$output" == *"missing 0, corrupt 0, mode 0, extra 0"* ]]
    truncate -s 10 "$BTRFS/tamper/tinylike1/sub000/mod00001.py"
    rm "$BTRFS/tamper/tinylike1/sub000/mod00002.py"
    echo "print('added')" >"$BTRFS/tamper/tinylike1/sub000/added.py"
    chmod +x "$BTRFS/tamper/tinylike1/sub000/mod00003.py"
    run "$LINKLAB" observe --target "$BTRFS/tamper" --wheel "$WHEELS"/tinylike1-*.whl --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"verdict: FAIL (files are missing, corrupt or of the wrong mode)"* ]]
    run python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for x in sorted(d["findings"], key=lambda x: x["kind"]):
    print(x["kind"], x["path"])' "$BATS_TEST_TMPDIR/o.json"
    [ "$output" = "corrupt tinylike1/sub000/mod00001.py
extra tinylike1/sub000/added.py
missing tinylike1/sub000/mod00002.py
mode tinylike1/sub000/mod00003.py" ]
}

@test "--trace tells FICLONE from copy_file_range on btrfs, where FIEMAP sees two identical clones" {
    W=$(debian_wheel wheel)
    rm -rf "$BTRFS/tr1" "$BTRFS/tr2"
    # the traced linklab runs under ptrace, where LeakSanitizer cannot work
    ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 run "$LINKLAB" observe --target "$BTRFS/tr1" --source "$BTRFS/cache" --json "$BATS_TEST_TMPDIR/t1.json" \
        --trace -- "$LINKLAB" install --quiet --mode clone --cache "$BTRFS/cache" --target "$BTRFS/tr1" "$W"
    [ "$status" -eq 0 ]
    ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 run "$LINKLAB" observe --target "$BTRFS/tr2" --source "$BTRFS/cache" --json "$BATS_TEST_TMPDIR/t2.json" \
        --trace -- "$LINKLAB" install --quiet --mode copy --copy-method copy_file_range \
        --cache "$BTRFS/cache" --target "$BTRFS/tr2" "$W"
    [ "$status" -eq 0 ]
    python3 - "$BATS_TEST_TMPDIR/t1.json" "$BATS_TEST_TMPDIR/t2.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ca, cb = a["summary"]["classes"], b["summary"]["classes"]
assert ca == cb and ca["cloned"] > 0, (ca, cb)   # FIEMAP cannot tell them apart
def ops(d):
    return {f["path"]: f["syscall"]["op"] for f in d["files"] if f["class"] == "cloned"}
assert set(ops(a).values()) == {"FICLONE"}, ops(a)
assert set(ops(b).values()) == {"copy_file_range"}, ops(b)
EOF
}

@test "--trace sees link, symlink, write and a rename from a temporary name" {
    rm -rf "$BTRFS/tr3"
    mkdir -p "$BTRFS/tr3"
    src=$(cache_entry "$BTRFS/cache" pip)
    run "$LINKLAB" observe --target "$BTRFS/tr3" --json "$BATS_TEST_TMPDIR/t3.json" --trace -- sh -c "
        ln '$src/pip/__init__.py' '$BTRFS/tr3/linked.py' &&
        ln -s '$src/pip/__main__.py' '$BTRFS/tr3/sym.py' &&
        cp --reflink=never '$src/pip/__init__.py' '$BTRFS/tr3/written.py' &&
        cp --reflink=never '$src/pip/__init__.py' '$BTRFS/tr3/.tmp' && mv '$BTRFS/tr3/.tmp' '$BTRFS/tr3/renamed.py'"
    [ "$status" -eq 0 ]
    run python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["files"]:
    print(f["path"], f["syscall"]["op"], f["syscall"]["renamed"])' "$BATS_TEST_TMPDIR/t3.json"
    [ "$output" = "linked.py link False
renamed.py write True
sym.py symlink False
written.py write False" ]
}

@test "--isolation: clone and copy keep edits in the target; hardlink and symlink edits reach the cache" {
    src=$(cache_entry "$BTRFS/cache" pip)
    before=$(cd "$src" && find . -type f -exec sha256sum {} + | sort)
    for tree in cp-clone cp-copy cp-hardlink cp-symlink; do
        [ -d "$BTRFS/$tree" ] || cp_trees "$BTRFS"
    done
    local tree class result n=0
    while read -r tree class result; do
        run "$LINKLAB" observe --target "$BTRFS/$tree" --source "$src" --isolation
        [ "$status" -eq 0 ]
        [[ "$output" == *"isolation: $class ("*"): $result"* ]]
        n=$((n + 1))
    done <<'TREES'
cp-clone cloned isolated: edits stay in the target
cp-copy copied isolated: edits stay in the target
cp-hardlink hardlinked edits reach the cache
cp-symlink symlinked edits reach the cache
TREES
    [ "$n" -eq 4 ]
    # the probes worked on scratch files: cache and trees unchanged, nothing left
    [ "$(cd "$src" && find . -type f -exec sha256sum {} + | sort)" = "$before" ]
    [ -z "$(find "$BTRFS" -name '*.llisolation.*')" ]
}

@test "btrfs subvolumes: a clone across subvolumes (different st_dev, one filesystem) is cloned" {
    for sv in sv-cache sv-target; do
        [ -d "$BTRFS/$sv" ] || btrfs subvolume create "$BTRFS/$sv" >/dev/null
    done
    rm -rf "$BTRFS/sv-target/t"
    "$LINKLAB" install --quiet --mode clone --cache "$BTRFS/sv-cache" --target "$BTRFS/sv-target/t" "$WHEELS"/*.whl
    [ "$(stat -c %d "$BTRFS/sv-cache")" != "$(stat -c %d "$BTRFS/sv-target")" ]
    run "$LINKLAB" observe --target "$BTRFS/sv-target/t" --source "$BTRFS/sv-cache" --expect clone --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$(classes "$BATS_TEST_TMPDIR/o.json")" == cloned=* ]]
    [[ "$(classes "$BATS_TEST_TMPDIR/o.json")" != *shared-elsewhere* ]]
}

@test "without a source: hardlinks by link count, clones only as shared-elsewhere (nothing to prove against)" {
    [ -d "$BTRFS/cp-hardlink" ] || cp_trees "$BTRFS"
    run "$LINKLAB" observe --target "$BTRFS/cp-hardlink" --json "$BATS_TEST_TMPDIR/o.json"
    [ "$status" -eq 0 ]
    [ "$(classes "$BATS_TEST_TMPDIR/o.json")" = "hardlinked=$(record_files "$(debian_wheel pip)")" ]
    run "$LINKLAB" observe --target "$BTRFS/cp-clone" --json "$BATS_TEST_TMPDIR/o.json"
    [ "$status" -eq 0 ]
    [[ "$(classes "$BATS_TEST_TMPDIR/o.json")" == shared-elsewhere=* ]]
}

@test "the uv-0.4 regression is visible: clone requested, observer finds nothing cloned" {
    rm -rf "$BTRFS/uv"
    "$LINKLAB" install --quiet --mode clone --policy uv-0.4 --cache "$BTRFS/cache" --target "$BTRFS/uv" "${DEBIAN_WHEELS[@]}"
    run "$LINKLAB" observe --target "$BTRFS/uv" --source "$BTRFS/cache" --expect clone --json "$BATS_TEST_TMPDIR/o.json"
    [ "$status" -eq 1 ]
    [[ "$output" == *"(copied)"* ]]
    [[ "$(classes "$BATS_TEST_TMPDIR/o.json")" == copied=* ]]
    [[ "$(classes "$BATS_TEST_TMPDIR/o.json")" != *cloned=* ]]
}

@test "observe errors: no target is usage (2); a missing target is one line, exit 1" {
    run "$LINKLAB" observe
    [ "$status" -eq 2 ]
    run "$LINKLAB" observe --target "$BATS_TEST_TMPDIR/nope"
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"nope: No such file or directory"* ]]
    run "$LINKLAB" observe --target "$BATS_TEST_TMPDIR" --expect auto
    [ "$status" -eq 2 ]
}

# one_line_error STATUS TEXT CMD...: CMD exits STATUS with one line saying TEXT
one_line_error() {
    local want=$1 text=$2
    shift 2
    run "$@"
    echo "$output"
    [ "$status" -eq "$want" ]
    [ "${#lines[@]}" -le 2 ] # the line, and for usage the --help hint
    [[ "${lines[0]}" == *"$text"* ]]
}

@test "observe refuses meaningless combinations: no source to prove against, not directories, overlapping trees" {
    [ -d "$BTRFS/cp-clone" ] || cp_trees "$BTRFS"
    src=$(cache_entry "$BTRFS/cache" pip)
    one_line_error 2 "--expect needs --source" "$LINKLAB" observe --target "$BTRFS/cp-clone" --expect clone
    one_line_error 2 "--isolation needs --source" "$LINKLAB" observe --target "$BTRFS/cp-clone" --isolation
    one_line_error 1 "nonexistent: No such file or directory" \
        "$LINKLAB" observe --target "$BTRFS/cp-clone" --source "$BTRFS/nonexistent" --expect clone
    one_line_error 2 "not a directory" "$LINKLAB" observe --target "$BTRFS/cp-clone/pip/__init__.py" --source "$src"
    one_line_error 2 "not a directory" "$LINKLAB" observe --target "$BTRFS/cp-clone" --source "$src/pip/__init__.py"
    one_line_error 2 "nothing could be told apart" "$LINKLAB" observe --target "$src" --source "$src" --expect clone
    one_line_error 2 "nothing could be told apart" "$LINKLAB" observe --target "$src/pip" --source "$src"
    one_line_error 2 "nothing could be told apart" "$LINKLAB" observe --target "$BTRFS" --source "$src"
    # a --source that is a symlink to the cache is the cache
    ln -sfn "$src" "$BATS_TEST_TMPDIR/cache-link"
    run "$LINKLAB" observe --target "$BTRFS/cp-clone" --source "$BATS_TEST_TMPDIR/cache-link" --expect clone \
        --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$(classes "$BATS_TEST_TMPDIR/o.json")" == cloned=* ]]
    # an empty target proves nothing: it fails an expectation
    mkdir -p "$BTRFS/empty-target"
    run "$LINKLAB" observe --target "$BTRFS/empty-target" --source "$src" --expect clone
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"verdict: FAIL"*"no files to judge"* ]]
}

@test "a hardlink of another cache file is hardlinked (by inode) and corrupt; its edits reach the cache; a link outside is hardlinked-elsewhere" {
    src=$(cache_entry "$BTRFS/cache" pip)
    t=$BTRFS/links
    rm -rf "$t" "$BTRFS/outside"
    cp -a --reflink=never "$src" "$t"
    mkdir -p "$BTRFS/outside"
    # pip/__init__.py now shares the inode of the cache's pip/__main__.py (other bytes)
    ln -f "$src/pip/__main__.py" "$t/pip/__init__.py"
    # pip/py.typed shares its inode with a file outside the cache
    cp "$src/pip/py.typed" "$BTRFS/outside/x"
    ln -f "$BTRFS/outside/x" "$t/pip/py.typed"
    run "$LINKLAB" observe --target "$t" --source "$src" --expect copy --isolation --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"corrupt: pip/__init__.py: "*"its source "*"pip/__init__.py has"* ]]
    [[ "$output" == *"isolation: hardlinked (pip/__init__.py): edits reach the cache"* ]]
    [[ "$output" == *"isolation: hardlinked-elsewhere (pip/py.typed): edits reach another file"* ]]
    python3 - "$BATS_TEST_TMPDIR/o.json" "$src" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); src = sys.argv[2]
f = {x["path"]: x for x in d["files"]}
a = f["pip/__init__.py"]
assert a["class"] == "hardlinked" and a["paired_by"] == "inode" and a["source"] == src + "/pip/__main__.py", a
assert f["pip/py.typed"]["class"] == "hardlinked-elsewhere", f["pip/py.typed"]
assert [x["path"] for x in d["findings"] if x["kind"] == "corrupt"] == ["pip/__init__.py"], d["findings"]
assert d["summary"]["findings"]["corrupt"] == 1
EOF
}

@test "symlinks out of the source are symlinked-outside; --own lists an installer's layout links and bookkeeping apart" {
    src=$(cache_entry "$BTRFS/cache" pip)
    t=$BTRFS/pnpmlike
    rm -rf "$t"
    # pnpm's layout: hardlinks under node_modules/.pnpm/NAME/node_modules/NAME,
    # a top-level link to that directory, and its own bookkeeping file
    mkdir -p "$t/node_modules/.pnpm/pip@23/node_modules"
    cp -al "$src" "$t/node_modules/.pnpm/pip@23/node_modules/pip"
    ln -s .pnpm/pip@23/node_modules/pip "$t/node_modules/pip"
    echo "lockfileVersion: 9" >"$t/node_modules/.modules.yaml"
    ln -s /etc/hostname "$t/node_modules/.pnpm/pip@23/node_modules/pip/pip/outside"
    # the hardlinks pair by inode, wherever they are
    run "$LINKLAB" observe --target "$t" --source "$src" --expect hardlink --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"not hardlinked: node_modules/pip (symlinked-outside"* ]]
    [[ "$output" == *"not hardlinked: node_modules/.modules.yaml (copied"* ]]
    [[ "$output" == *"(symlinked-outside, resolves outside the source)"* ]]
    run "$LINKLAB" observe --target "$t" --source "$src" --expect hardlink --own 'node_modules/*' \
        --own 'node_modules/.*' --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 1 ] # the link to /etc is no layout link
    [[ "$output" == *"1 of "*" files deviate"* ]]
    [[ "$output" == *"the installer's own: symlinked-outside 1, copied 1"* ]]
    rm "$t/node_modules/.pnpm/pip@23/node_modules/pip/pip/outside"
    run "$LINKLAB" observe --target "$t" --source "$src" --expect hardlink --own 'node_modules/*' \
        --own 'node_modules/.*' --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 0 ]
    python3 - "$BATS_TEST_TMPDIR/o.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
assert s["own_files"] == 2 and s["own_classes"]["symlinked-outside"] == 1, s
assert s["classes"]["symlinked-outside"] == 0 and s["classes"]["hardlinked"] > 0, s
assert {f["path"] for f in d["files"] if f["own"]} == {"node_modules/pip", "node_modules/.modules.yaml"}
EOF
}

@test "byte accounting: bytes = shared + own, in file bytes, the same way for clones, hardlinks, copies and symlinks" {
    [ -d "$BTRFS/cp-clone" ] || cp_trees "$BTRFS"
    src=$(cache_entry "$BTRFS/cache" pip)
    total=$(find "$src" -type f -printf '%s\n' | awk '{ n += $1 } END { print n }')
    for tree in cp-clone cp-hardlink cp-copy cp-symlink; do
        run "$LINKLAB" observe --target "$BTRFS/$tree" --source "$src" --json "$BATS_TEST_TMPDIR/$tree.json"
        [ "$status" -eq 0 ]
    done
    python3 - "$BATS_TEST_TMPDIR" "$total" <<'EOF'
import json, sys
d = {t: json.load(open(f"{sys.argv[1]}/{t}.json"))["summary"] for t in ("cp-clone", "cp-hardlink", "cp-copy", "cp-symlink")}
total = int(sys.argv[2])
for t, s in d.items():
    assert s["bytes"] == total, (t, s["bytes"], total)
assert d["cp-clone"]["bytes_shared"] == total and d["cp-clone"]["bytes_own"] == 0, d["cp-clone"]
assert d["cp-hardlink"]["bytes_shared"] == total and d["cp-hardlink"]["bytes_own"] == 0, d["cp-hardlink"]
assert d["cp-copy"]["bytes_shared"] == 0 and d["cp-copy"]["bytes_own"] == total, d["cp-copy"]
assert d["cp-symlink"]["bytes_shared"] == total and d["cp-symlink"]["bytes_own"] == 0, d["cp-symlink"]
EOF
}

@test "what installers rewrite or add to a wheel is their own (listed, no deviation); unpaired files are counted; a FIFO is listed, never opened" {
    rm -rf "$BTRFS/own"
    "$LINKLAB" install --quiet --mode clone --cache "$BTRFS/cache" --target "$BTRFS/own" "$(debian_wheel wheel)"
    record=$(find "$BTRFS/own" -path '*.dist-info/RECORD')
    # as pip and uv do: RECORD rewritten, INSTALLER and bytecode added, a script generated
    cp --reflink=never "$record" "$BATS_TEST_TMPDIR/R"
    echo "wheel/x.pyc,," >>"$BATS_TEST_TMPDIR/R"
    cat "$BATS_TEST_TMPDIR/R" >"$record"
    echo pip >"$(dirname "$record")/INSTALLER"
    mkdir -p "$BTRFS/own/wheel/__pycache__"
    head -c 5000 /dev/urandom >"$BTRFS/own/wheel/__pycache__/cli.cpython-311.pyc"
    mkdir -p "$BTRFS/own/bin"
    printf '#!/bin/sh\n' >"$BTRFS/own/bin/wheel"
    run "$LINKLAB" observe --target "$BTRFS/own" --source "$BTRFS/cache" --expect clone --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 1 ] # bin/wheel: no source, no installer bookkeeping of a wheel
    [[ "$output" == *"1 of "*" files deviate"* ]]
    [[ "$output" == *"not cloned: bin/wheel (copied, no source file pairs with it)"* ]]
    [[ "$output" == *"unpaired: 1 files"* ]]
    run "$LINKLAB" observe --target "$BTRFS/own" --source "$BTRFS/cache" --expect clone --own 'bin/*' \
        --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 0 ]
    python3 - "$BATS_TEST_TMPDIR/o.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
own = sorted(f["path"].split("/")[-1] for f in d["files"] if f["own"])
assert own == ["INSTALLER", "RECORD", "cli.cpython-311.pyc", "wheel"], own
assert d["summary"]["unpaired"] == 0 and d["summary"]["own_files"] == 4, d["summary"]
EOF
    # a FIFO does not hang the observer: listed as unknown
    mkfifo "$BTRFS/own/wheel/fifo"
    run timeout 20 "$LINKLAB" observe --target "$BTRFS/own" --source "$BTRFS/cache" --expect clone --own 'bin/*'
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"not cloned: wheel/fifo (unknown, not a regular file"* ]]
    rm "$BTRFS/own/wheel/fifo"
}

@test "option errors are one usage line; an unwritable --json is said before any work" {
    for cmd in observe install unpack report corpus; do
        run "$LINKLAB" "$cmd" --no-such-option
        [ "$status" -eq 2 ]
        [ "${lines[0]}" = "linklab $cmd: unknown option '--no-such-option'" ]
        [ "${#lines[@]}" -eq 2 ]
    done
    run "$LINKLAB" observe --target
    [ "$status" -eq 2 ]
    [ "${lines[0]}" = "linklab observe: --target needs a value" ]
    run "$LINKLAB" observe --target "$BATS_TEST_TMPDIR" --trace -- /no/such/installer
    [ "$status" -eq 1 ]
    [ "$output" = "linklab observe: --trace: /no/such/installer: No such file or directory" ]
    [ -d "$BTRFS/cp-copy" ] || cp_trees "$BTRFS"
    run "$LINKLAB" observe --target "$BTRFS/cp-copy" --source "$BTRFS/cache" --json "$BATS_TEST_TMPDIR/no/such/dir/o.json"
    echo "$output"
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"--json "*"o.json: No such file or directory"* ]]
}

@test "the cache seen through a bind mount or labfs is refused, not passed as an install (both ways); a directory link to the wrong source directory is corrupt" {
    src=$(cache_entry "$BTRFS/cache" pip)
    mkdir -p "$BATS_TEST_TMPDIR/view"
    mount --bind "$src" "$BATS_TEST_TMPDIR/view"
    run "$LINKLAB" observe --target "$BATS_TEST_TMPDIR/view" --source "$src" --expect hardlink
    umount "$BATS_TEST_TMPDIR/view"
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"shows the source's own directories"*"a bind mount"* ]]
    if lab_have fuse; then
        rm -rf "$BTRFS/lfs-back"
        mkdir -p "$BTRFS/lfs-back"
        cp -a --reflink=never "$src" "$BTRFS/lfs-back/cache"
        lfs=$(lab_labfs_mount lfsview "$BTRFS/lfs-back")
        run "$LINKLAB" observe --target "$lfs/cache" --source "$BTRFS/lfs-back/cache" --expect clone
        echo "$output"
        [ "$status" -eq 2 ]
        [[ "$output" == *"shows the source's own directories"* ]]
        run "$LINKLAB" observe --target "$BTRFS/lfs-back/cache" --source "$lfs/cache" --expect clone
        echo "$output"
        [ "$status" -eq 2 ]
        # labfs over two subvolumes: the same inode numbers, other files: copies, never hardlinks
        btrfs subvolume create "$BTRFS/lfs-back/sa" >/dev/null
        btrfs subvolume create "$BTRFS/lfs-back/sb" >/dev/null
        printf 'one\n' >"$BTRFS/lfs-back/sa/f"
        printf 'one\n' >"$BTRFS/lfs-back/sb/f"
        [ "$(stat -c %i "$lfs/sa/f")" = "$(stat -c %i "$lfs/sb/f")" ]
        run "$LINKLAB" observe --target "$lfs/sb" --source "$lfs/sa" --json "$BATS_TEST_TMPDIR/o.json"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(ojson "$BATS_TEST_TMPDIR/o.json" 'd["files"][0]["class"]')" != hardlinked ]
    fi
    # links to package directories: the right one passes, another package's is corrupt
    rm -rf "$BTRFS/dirlinks"
    mkdir -p "$BTRFS/dirlinks"
    ln -s "$src/pip" "$BTRFS/dirlinks/pip"
    run "$LINKLAB" observe --target "$BTRFS/dirlinks" --source "$BTRFS/cache" --expect symlink
    echo "$output"
    [ "$status" -eq 0 ]
    rm "$BTRFS/dirlinks/pip"
    ln -s "$(cache_entry "$BTRFS/cache" setuptools)/setuptools" "$BTRFS/dirlinks/pip"
    run "$LINKLAB" observe --target "$BTRFS/dirlinks" --source "$BTRFS/cache" --expect symlink
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"corrupt: pip: a link to the source's directory "*"setuptools, which is not this path's"* ]]
}

@test "XFS: a clone of a source with preallocated (unwritten) extents is cloned; a clone at shifted offsets is partial, not shared-elsewhere" {
    rm -rf "$XFS/unw"
    mkdir -p "$XFS/unw/src" "$XFS/unw/tgt"
    fallocate -l 1M "$XFS/unw/src/a"
    head -c 4096 /dev/urandom | dd of="$XFS/unw/src/a" bs=4096 seek=10 conv=notrunc status=none
    cp --reflink=always "$XFS/unw/src/a" "$XFS/unw/tgt/a"
    head -c 524288 /dev/urandom >"$XFS/unw/src/b"
    xfs_io -f -c "reflink $XFS/unw/src/b 0 262144 262144" -c "reflink $XFS/unw/src/b 262144 0 262144" "$XFS/unw/tgt/b" >/dev/null
    run "$LINKLAB" observe --target "$XFS/unw/tgt" --source "$XFS/unw/src" --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$(ojson "$BATS_TEST_TMPDIR/o.json" '{f["path"]: f["class"] for f in d["files"]}["a"]')" = cloned ]
    [ "$(ojson "$BATS_TEST_TMPDIR/o.json" '{f["path"]: f["class"] for f in d["files"]}["b"]')" = partial ]
    [[ "$output" == *"corrupt: b: other bytes than its source"* ]]
}

@test "with --wheel: a FIFO at a promised path does not hang; a cache file that differs from RECORD is cache-corrupt, not the target's fault" {
    rm -rf "$BTRFS/cc" "$BTRFS/cc-cache"
    W=("$WHEELS"/*.whl)
    "$LINKLAB" install --quiet --mode copy --cache "$BTRFS/cc-cache" --target "$BTRFS/cc" "${W[0]}"
    victim=$(cd "$BTRFS/cc" && find . -name '*.py' -size +1k | head -n 1)
    victim=${victim#./}
    entry=$(find "$BTRFS/cc-cache" -path "*/$victim" | head -n 1)
    [ -n "$entry" ]
    printf 'X' | dd of="$entry" bs=1 seek=10 conv=notrunc status=none
    run "$LINKLAB" observe --target "$BTRFS/cc" --source "$BTRFS/cc-cache" --wheel "${W[0]}" --expect copy \
        --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"cache-corrupt: $victim: matches "*"RECORD; the cache's file differs from every wheel's"* ]]
    [ "$(ojson "$BATS_TEST_TMPDIR/o.json" 'd["summary"]["completeness"]["corrupt"]')" = 0 ]
    [ "$(ojson "$BATS_TEST_TMPDIR/o.json" 'd["summary"]["completeness"]["bytes_lost"]')" = 0 ]
    rm "$BTRFS/cc/$victim"
    mkfifo "$BTRFS/cc/$victim"
    run timeout 30 "$LINKLAB" observe --target "$BTRFS/cc" --source "$BTRFS/cc-cache" --wheel "${W[0]}" --expect copy
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"not copied: $victim (unknown, not a regular file"* ]]
}

@test "views of the cache with linked files (labfs over it, an overlay on it) are refused; a hardlink install seen from labfs's backing side is hardlinked" {
    src=$(cache_entry "$BTRFS/cache" pip)
    [ "$(stat -c %h "$src/pip/__init__.py")" -ge 2 ] || ln -f "$src/pip/__init__.py" "$BTRFS/extra-link"
    # an overlay whose lower layer is the cache entry: its files are the cache's until copied up
    mkdir -p "$BATS_TEST_TMPDIR/up" "$BATS_TEST_TMPDIR/work" "$BATS_TEST_TMPDIR/ovl"
    mount -t overlay -o "lowerdir=$src,upperdir=$BATS_TEST_TMPDIR/up,workdir=$BATS_TEST_TMPDIR/work" ovl "$BATS_TEST_TMPDIR/ovl"
    run "$LINKLAB" observe --target "$BATS_TEST_TMPDIR/ovl" --source "$BTRFS/cache" --expect copy
    umount "$BATS_TEST_TMPDIR/ovl"
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"is an overlay whose lower layer"*"holds or is within --source"* ]]
    need_fuse
    rm -rf "$BTRFS/lfs2"
    mkdir -p "$BTRFS/lfs2"
    cp -a --reflink=never "$src" "$BTRFS/lfs2/cache"
    cp -al "$BTRFS/lfs2/cache" "$BTRFS/lfs2/env" # every cache file now has two links
    lfs=$(lab_labfs_mount lfsview2 "$BTRFS/lfs2")
    run "$LINKLAB" observe --target "$lfs/cache" --source "$BTRFS/lfs2/cache" --expect hardlink
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"shows the source's own directories"* ]]
    # a real hardlink install, observed from the backing side against the cache through labfs
    run "$LINKLAB" observe --target "$BTRFS/lfs2/env" --source "$lfs/cache" --expect hardlink
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "what installers may rewrite is still checked: a RECORD that drops or changes rows, a vendored RECORD, a package's own bytecode" {
    src=$BTRFS/rw-src
    t=$BTRFS/rw
    rm -rf "$t" "$src"
    cp -a --reflink=never "$(cache_entry "$BTRFS/cache" setuptools)" "$src"
    record=$(cd "$src" && find . -maxdepth 2 -path '*.dist-info/RECORD')
    record=${record#./}
    # a vendored project's metadata, as setuptools ships in newer releases
    vendored=setuptools/_vendor/foo-1.0.dist-info/RECORD
    mkdir -p "$src/${vendored%/RECORD}"
    head -n 5 "$src/$record" >"$src/$vendored"
    mkdir -p "$src/setuptools/__pycache__"
    head -c 3000 /dev/urandom >"$src/setuptools/__pycache__/shipped.cpython-311.pyc"
    cp -a --reflink=always "$src" "$t"
    # an installer's rewrite: rows added, none dropped: its own
    cp --reflink=never "$t/$record" "$BATS_TEST_TMPDIR/R"
    echo "x/y.pyc,," >>"$BATS_TEST_TMPDIR/R"
    cat "$BATS_TEST_TMPDIR/R" >"$t/$record"
    run "$LINKLAB" observe --target "$t" --source "$src" --expect clone
    echo "$output"
    [ "$status" -eq 0 ]
    # one row's hash changed in the wheel's RECORD and in the vendored one: corrupt
    sed -i '1s/sha256=./sha256=Z/' "$t/$record"
    sed -i '1s/sha256=./sha256=Z/' "$t/$vendored"
    # a package's own bytecode replaced by a FIFO is no installer's file
    rm "$t/setuptools/__pycache__/shipped.cpython-311.pyc"
    mkfifo "$t/setuptools/__pycache__/shipped.cpython-311.pyc"
    run "$LINKLAB" observe --target "$t" --source "$src" --expect clone
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"corrupt: $record: drops or changes rows of its source"* ]]
    [[ "$output" == *"corrupt: $vendored: drops or changes rows of its source"* ]]
    [[ "$output" == *"not cloned: setuptools/__pycache__/shipped.cpython-311.pyc (unknown"* ]]
    # the wheel's RECORD emptied: corrupt too
    : >"$t/$record"
    run "$LINKLAB" observe --target "$t" --source "$src" --expect clone
    [ "$status" -eq 1 ]
    [[ "$output" == *"corrupt: $record: "* ]]
}

@test "seventy cache files answer to one path: the right one is found; directory links into a two-level cache layout pass" {
    s=$BTRFS/many-src
    t=$BTRFS/many-tgt
    rm -rf "$s" "$t"
    for i in $(seq 1 70); do
        mkdir -p "$s/v$i/pkg"
        head -c 20000 /dev/urandom >"$s/v$i/pkg/mod.py"
    done
    mkdir -p "$t/pkg"
    cp --reflink=always "$s/v70/pkg/mod.py" "$t/pkg/mod.py"
    run "$LINKLAB" observe --target "$t" --source "$s" --expect clone
    echo "$output"
    [ "$status" -eq 0 ]
    # uv's layout: archive-v0/HASH/PACKAGE; a symlink install links PACKAGE there
    rm -rf "$t"
    mkdir -p "$s/archive-v0/0123abcd/demo" "$t"
    echo "x = 1" >"$s/archive-v0/0123abcd/demo/mod.py"
    ln -s "$s/archive-v0/0123abcd/demo" "$t/demo"
    run "$LINKLAB" observe --target "$t" --source "$s" --expect symlink
    echo "$output"
    [ "$status" -eq 0 ]
}
