#!/usr/bin/env bats
# linklab observe --package with npm registry tarballs (lab/format/npm.c):
# each file is promised at node_modules/NAME/, where npm and bun place a
# real directory and pnpm a symlink into node_modules/.pnpm/; tampering is
# found there as with wheels (missing, corrupt, mode, extra, with
# node_modules/.bin installer-added), and unsafe tarballs are refused in
# one line. Tarballs are made here with python's tarfile and installed by
# hand as those installers lay them out: no mounts, no root.

load ../lib/lab

# npm_tgz OUT NAME [SPEC...]: a registry tarball at OUT whose package.json
# names NAME (version 1.0.0), holding package/index.js, package/bin/cli.js
# (mode 0755) and package/lib/a.js, then one entry per SPEC, "KIND PATH
# [DATA]": file (0644) or exec (0755) with DATA as its bytes, symlink or
# hardlink to DATA; or "json TEXT": TEXT replaces package.json.
# Entry names are the tar's own (package/...).
npm_tgz() {
    python3 - "$@" <<'PY'
import io, json, sys, tarfile
out, name, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
pj = json.dumps({"name": name, "version": "1.0.0"})
entries = [("file", "package/index.js", "module.exports = 1;\n"),
           ("exec", "package/bin/cli.js", "#!/usr/bin/env node\n"),
           ("file", "package/lib/a.js", "exports.a = 1;\n")]
for s in specs:
    kind, _, rest = s.partition(" ")
    if kind == "json":
        pj = rest
    else:
        path, _, data = rest.partition(" ")
        entries.append((kind, path, data))
with tarfile.open(out, "w:gz") as t:
    for kind, path, data in [("file", "package/package.json", pj)] + entries:
        i = tarfile.TarInfo(path)
        i.mode = 0o755 if kind == "exec" else 0o644
        body = None
        if kind in ("symlink", "hardlink"):
            i.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
            i.linkname = data
        else:
            body = data.encode()
            i.size = len(body)
        t.addfile(i, io.BytesIO(body) if body is not None else None)
PY
}

# install_npm TGZ TARGET NAME: as npm and bun do, the tarball without its
# top directory in TARGET/node_modules/NAME (a real directory).
install_npm() {
    mkdir -p "$2/node_modules/$3"
    tar -xzf "$1" -C "$2/node_modules/$3" --strip-components=1
}

# install_pnpm TGZ TARGET NAME: as pnpm does, the files in
# node_modules/.pnpm/NAME@1/node_modules/NAME ('/' in NAME as '+' in the
# first), and node_modules/NAME a relative symlink to that directory.
install_pnpm() {
    local store=.pnpm/${3//\//+}@1/node_modules/$3 up=
    mkdir -p "$2/node_modules/$store"
    tar -xzf "$1" -C "$2/node_modules/$store" --strip-components=1
    mkdir -p "$(dirname "$2/node_modules/$3")"
    [[ $3 != */* ]] || up=../
    ln -s "$up$store" "$2/node_modules/$3"
}

# findings JSON: "kind path" per finding, sorted.
findings() {
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for x in sorted(d["findings"], key=lambda x: (x["kind"], x["path"])):
    print(x["kind"], x["path"])' "$1"
}

# ojson FILE EXPR: EXPR (python, over the document d) of an observe JSON.
ojson() {
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# observe_pkg TARGET TGZ...: observe TARGET against the tarballs, JSON in $J.
observe_pkg() {
    local t=$1 args=() p
    shift
    for p in "$@"; do args+=(--package "$p"); done
    J=$BATS_TEST_TMPDIR/o.json
    run "$LINKLAB" observe --target "$t" "${args[@]}" --json "$J"
    echo "$output"
}

setup() {
    T=$BATS_TEST_TMPDIR/t
    D=$BATS_TEST_TMPDIR/demo.tgz
    S=$BATS_TEST_TMPDIR/scoped.tgz
    npm_tgz "$D" demo
    npm_tgz "$S" @scope/demo
}

@test "npm and bun layout: a package intact at node_modules/NAME/ (also a scoped one) is complete" {
    install_npm "$D" "$T" demo
    install_npm "$S" "$T" @scope/demo
    observe_pkg "$T" "$D" "$S"
    [ "$status" -eq 0 ]
    [[ "$output" == *"complete: 8 promised files; missing 0, corrupt 0, mode 0, extra 0, installer-added 0,"* ]]
    [ "$(ojson "$J" 'd["summary"]["completeness"]["record_files"]')" = 8 ]
    [ -z "$(findings "$J")" ]
    [ "$(ojson "$J" 'd["summary"]["verdict"]')" = pass ]
}

@test "pnpm layout: files reached through node_modules/NAME's symlink into .pnpm are checked there, and .pnpm's files are not extra" {
    install_pnpm "$D" "$T" demo
    install_pnpm "$S" "$T" @scope/demo
    [ -L "$T/node_modules/@scope/demo" ]
    observe_pkg "$T" "$D" "$S"
    [ "$status" -eq 0 ]
    [ -z "$(findings "$J")" ]
    rm "$T/node_modules/.pnpm/demo@1/node_modules/demo/lib/a.js"
    truncate -s 3 "$T/node_modules/.pnpm/@scope+demo@1/node_modules/@scope/demo/index.js"
    observe_pkg "$T" "$D" "$S"
    [ "$status" -eq 1 ]
    [ "$(findings "$J")" = "corrupt node_modules/@scope/demo/index.js
missing node_modules/demo/lib/a.js" ]
    [[ "$output" == *"corrupt: node_modules/@scope/demo/index.js: 3 bytes, the tarball says 20"* ]]
}

@test "tampered: a deleted file is missing, a truncated one corrupt, a lost exec bit mode, an added file extra, node_modules/.bin installer-added" {
    install_npm "$D" "$T" demo
    install_npm "$S" "$T" @scope/demo
    rm "$T/node_modules/demo/lib/a.js"
    truncate -s 3 "$T/node_modules/demo/index.js"
    chmod a-x "$T/node_modules/demo/bin/cli.js"
    echo 'added' >"$T/node_modules/demo/extra.js"
    echo 'added' >"$T/node_modules/@scope/demo/lib/extra.js"
    mkdir -p "$T/node_modules/demo/node_modules/.bin"
    echo 'link' >"$T/node_modules/demo/node_modules/.bin/x"
    # outside the packages' directories: no finding
    mkdir -p "$T/node_modules/other" "$T/node_modules/@scope/other"
    echo 'x' >"$T/node_modules/other/x.js"
    echo 'x' >"$T/node_modules/@scope/other/x.js"
    observe_pkg "$T" "$D" "$S"
    [ "$status" -eq 1 ]
    [[ "$output" == *"verdict: FAIL (files are missing, corrupt or of the wrong mode)"* ]]
    [ "$(findings "$J")" = "corrupt node_modules/demo/index.js
extra node_modules/@scope/demo/lib/extra.js
extra node_modules/demo/extra.js
installer-added node_modules/demo/node_modules/.bin/x
missing node_modules/demo/lib/a.js
mode node_modules/demo/bin/cli.js" ]
    [[ "$output" == *"mode: node_modules/demo/bin/cli.js: mode 644, the package has 755"* ]]
    [[ "$output" == *"corrupt: node_modules/demo/index.js: 3 bytes, the tarball says 20"* ]]
    # same size, other bytes
    printf 'module.exports = 2;\n' >"$T/node_modules/demo/index.js"
    observe_pkg "$T" "$D"
    [[ "$output" == *"corrupt: node_modules/demo/index.js: sha256 differs from the tarball"* ]]
}

@test "a file package.json names as a bin is promised executable, as npm installers make it; a repeated entry's last copy is promised" {
    npm_tgz "$D" demo 'json {"name": "demo", "version": "1.0.0", "bin": {"demo": "./lib/a.js"}}' \
        'exec package/index.js second copy' 'file package/bin/cli.js second copy'
    install_npm "$D" "$T" demo
    # tar extracts the last copy of each; npm chmods the bin
    [ "$(cat "$T/node_modules/demo/index.js")" = "second copy" ]
    chmod 755 "$T/node_modules/demo/lib/a.js"
    observe_pkg "$T" "$D"
    [ "$status" -eq 0 ]
    [ -z "$(findings "$J")" ]
    [ "$(ojson "$J" 'd["summary"]["completeness"]["record_files"]')" = 4 ]
    chmod 644 "$T/node_modules/demo/lib/a.js"
    observe_pkg "$T" "$D"
    [ "$status" -eq 1 ]
    [ "$(findings "$J")" = "mode node_modules/demo/lib/a.js" ]
}

# refused SPEC... -- WHY: a tarball of demo with the SPECs is refused by
# observe, exit 1, in one line ending in WHY (a pattern: '*' matches any).
refused() {
    local specs=() why
    while [ "$1" != -- ]; do specs+=("$1"); shift; done
    why=$2
    npm_tgz "$BATS_TEST_TMPDIR/bad.tgz" demo "${specs[@]}"
    run "$LINKLAB" observe --target "$BATS_TEST_TMPDIR" --package "$BATS_TEST_TMPDIR/bad.tgz"
    echo "$output"
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    # shellcheck disable=SC2053 # WHY is a pattern
    [[ "$output" == "linklab observe: $BATS_TEST_TMPDIR/bad.tgz: "$why ]]
}

@test "unsafe tarballs are refused in one line: '..', absolute names, symlink and hardlink entries, names that are no package's, no package.json" {
    refused 'file package/../x x' -- "entry package/../x: '..' component"
    refused 'file ../x x' -- "entry ../x: '..' component"
    refused 'file /x x' -- "entry /x: absolute path"
    refused 'symlink package/link index.js' -- "entry package/link: symlink entry"
    refused 'hardlink package/hl package/index.js' -- "entry package/hl: hardlink entry"
    refused 'file package/index.js/x x' -- \
        "entry node_modules/demo/index.js/x: its parent node_modules/demo/index.js is also a file entry"
    for name in ../evil /abs @scope/a/b @/a a/b .bin ''; do
        refused "json {\"name\": \"$name\", \"version\": \"1.0.0\"}" -- \
            "package.json: name '$name' is not a package name"
    done
    refused 'json {"version": "1.0.0"}' -- 'package.json: no "name" string'
    refused 'json {"name": "demo", "version": "1/0"}' -- "package.json: version '1/0' is not a version"
    refused 'json [1' -- 'package.json: not JSON: '*
    python3 -c 'import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w:gz")
i = tarfile.TarInfo("package/index.js")
t.addfile(i, io.BytesIO(b""))' "$BATS_TEST_TMPDIR/nojson.tgz"
    run "$LINKLAB" observe --target "$BATS_TEST_TMPDIR" --package "$BATS_TEST_TMPDIR/nojson.tgz"
    [ "$status" -eq 1 ]
    [ "$output" = "linklab observe: $BATS_TEST_TMPDIR/nojson.tgz: no package.json at the top of the tarball (package/package.json)" ]
    echo 'not a tarball' >"$BATS_TEST_TMPDIR/junk.tgz"
    run "$LINKLAB" observe --target "$BATS_TEST_TMPDIR" --package "$BATS_TEST_TMPDIR/junk.tgz"
    [ "$status" -eq 1 ]
    [[ "$output" == "linklab observe: $BATS_TEST_TMPDIR/junk.tgz: not a readable tarball: "* ]]
}

@test "the cache never takes an npm tarball: linklab unpack refuses it and leaves no entry" {
    run "$LINKLAB" unpack --cache "$BATS_TEST_TMPDIR/cache" "$D"
    echo "$output"
    [ "$status" -eq 1 ]
    [ "$output" = "linklab unpack: $D: npm packages are installed by npm installers (pnpm, bun), not by linklab install" ]
    [ -z "$(find "$BATS_TEST_TMPDIR/cache" -type f)" ]
}

@test "observe --help says how .tgz packages are checked" {
    run "$LINKLAB" observe --help
    [ "$status" -eq 0 ]
    [[ "$output" == *"--package FILE"* ]]
    [[ "$output" == *".tgz is an npm registry tarball"*"node_modules/NAME/"* ]]
}

@test "--own files pair with the source by what they share, never by path: a project's package.json is not a cache entry's" {
    # bun's cache: one directory per package, its package.json at the top;
    # the project's own package.json has the same relative path
    npm_tgz "$BATS_TEST_TMPDIR/demo.tgz" demo
    mkdir -p "$BATS_TEST_TMPDIR/cache/demo@1" "$BATS_TEST_TMPDIR/t"
    tar -xzf "$BATS_TEST_TMPDIR/demo.tgz" -C "$BATS_TEST_TMPDIR/cache/demo@1" --strip-components=1
    install_npm "$BATS_TEST_TMPDIR/demo.tgz" "$BATS_TEST_TMPDIR/t" demo
    echo '{"dependencies": {"demo": "file:demo.tgz"}}' >"$BATS_TEST_TMPDIR/t/package.json"
    touch "$BATS_TEST_TMPDIR/t/node_modules/demo/.bun-tag"
    run "$LINKLAB" observe --target "$BATS_TEST_TMPDIR/t" --source "$BATS_TEST_TMPDIR/cache" \
        --package "$BATS_TEST_TMPDIR/demo.tgz" --own package.json --own 'node_modules/*/.bun-tag' --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 0 ]
    python3 - "$BATS_TEST_TMPDIR/o.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
kinds = {(f["kind"], f["path"]) for f in o["findings"]}
assert ("corrupt", "package.json") not in kinds, kinds
assert ("installer-added", "node_modules/demo/.bun-tag") in kinds, kinds
assert not any(k == "extra" for k, _ in kinds), kinds
PY
    # without --own, the same path with other bytes is held to the cache's file
    run "$LINKLAB" observe --target "$BATS_TEST_TMPDIR/t" --source "$BATS_TEST_TMPDIR/cache" \
        --package "$BATS_TEST_TMPDIR/demo.tgz" --json "$BATS_TEST_TMPDIR/o2.json"
    [ "$status" -eq 1 ]
    python3 -c 'import json, sys; assert any(f["kind"] == "corrupt" and f["path"] == "package.json" for f in json.load(open(sys.argv[1]))["findings"])' "$BATS_TEST_TMPDIR/o2.json"
}

@test "a package reached only through a directory link out of the target is missing, not complete" {
    npm_tgz "$BATS_TEST_TMPDIR/demo.tgz" demo
    # the package lives in a store outside the target; node_modules/demo links there
    mkdir -p "$BATS_TEST_TMPDIR/store/demo" "$BATS_TEST_TMPDIR/t/node_modules"
    tar -xzf "$BATS_TEST_TMPDIR/demo.tgz" -C "$BATS_TEST_TMPDIR/store/demo" --strip-components=1
    ln -s "$BATS_TEST_TMPDIR/store/demo" "$BATS_TEST_TMPDIR/t/node_modules/demo"
    run "$LINKLAB" observe --target "$BATS_TEST_TMPDIR/t" --package "$BATS_TEST_TMPDIR/demo.tgz" \
        --own 'node_modules/*' --json "$BATS_TEST_TMPDIR/o.json"
    echo "$output"
    [ "$status" -eq 1 ]
    python3 - "$BATS_TEST_TMPDIR/o.json" "$BATS_TEST_TMPDIR/store/demo" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
missing = [f for f in o["findings"] if f["kind"] == "missing"]
assert len(missing) == 4, missing
assert all("reached only through a directory link out of the target, to " + sys.argv[2] in f["detail"] for f in missing), missing
PY
}
