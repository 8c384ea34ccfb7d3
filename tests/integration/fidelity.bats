#!/usr/bin/env bats
# scripts/fidelity, the observer's ground truth: on every filesystem, trees
# made by known system calls (tests/fidelity/cases) are classified exactly
# (a diagonal confusion matrix); and the suite itself cannot pass falsely: an
# observer that crashes, writes no JSON or leaves a file out fails it, one
# that tells the truth passes it.

load ../lib/lab

FIDELITY=$LAB_TOP/scripts/fidelity

setup_file() {
    lab_have root || return 0 # setup skips each test, saying why
    export FIDELITY_JSON FIDELITY_OUT FIDELITY_STATUS=0
    FIDELITY_JSON=$BATS_FILE_TMPDIR/fidelity.json
    FIDELITY_OUT=$BATS_FILE_TMPDIR/fidelity.out
    "$FIDELITY" --json "$FIDELITY_JSON" >"$FIDELITY_OUT" 2>&1 || FIDELITY_STATUS=$?
}

setup() {
    need_root
}

# fs_field FS EXPR: a Python expression over the filesystem's record r in
# the run's JSON
fs_field() {
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = [x for x in d["filesystems"] if x["fs"] == sys.argv[2]]
if len(r) != 1:
    sys.exit(f"{sys.argv[2]}: {len(r)} records in the JSON")
r = r[0]
print(eval(sys.argv[3]))' "$FIDELITY_JSON" "$1" "$2"
}

# matrix_built FS: the filesystem ran (else skip, with its reason), every
# case of the table is accounted for (made and observed, or not applicable),
# more than none was observed, and its matrix is diagonal
matrix_built() {
    local fs=$1 status reason table
    [ -s "$FIDELITY_JSON" ] || { cat "$FIDELITY_OUT"; false; } # no run: its words
    status=$(fs_field "$fs" 'r["status"]')
    if [ "$status" = skipped ]; then
        skip "$fs: $(fs_field "$fs" 'r["reason"]')"
    fi
    sed -n "/^== $fs /,/^\$/p" "$FIDELITY_OUT"
    [ "$status" != failed ]
    [ "$(fs_field "$fs" 'r["cases"]')" -gt 0 ]
    [ "$(fs_field "$fs" 'sum(sum(v.values()) for v in r["matrix"].values())')" = "$(fs_field "$fs" 'r["cases"]')" ]
    table=$(grep -cvE '^(#|fs |columns |$)' "$LAB_TOP/tests/fidelity/cases")
    [ "$(fs_field "$fs" 'r["cases"] + len(r["not_applicable"])')" -eq "$table" ]
    reason=$(fs_field "$fs" '"; ".join(o["case"] + ": " + o["truth"] + " observed " + o["observed"] for o in r["off_diagonal"])')
    [ -z "$reason" ] || echo "off the diagonal: $reason"
    [ "$status" = diagonal ]
}

@test "scripts/fidelity: every filesystem's confusion matrix is diagonal (exit 0)" {
    cat "$FIDELITY_OUT"
    [ "$FIDELITY_STATUS" -eq 0 ]
    [ "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["verdict"])' "$FIDELITY_JSON")" = pass ]
}

@test "fidelity on btrfs" { matrix_built btrfs; }
@test "fidelity on btrfs -o compress=zstd" { matrix_built btrfs-zstd; }
@test "fidelity on btrfs -o compress-force=zstd" { matrix_built btrfs-zstd-force; }
@test "fidelity on XFS with reflink" { matrix_built xfs; }
@test "fidelity on ext4" { matrix_built ext4; }
@test "fidelity on tmpfs" { matrix_built tmpfs; }
@test "fidelity on labfs over btrfs" { matrix_built labfs; }
@test "fidelity on two ext4 images of one UUID" { matrix_built ext4-copy; }
@test "fidelity on two XFS images of one UUID (-o nouuid)" { matrix_built xfs-copy; }
@test "fidelity on two btrfs images of one fsid" { matrix_built btrfs-copy; }

@test "fidelity: what cannot be made is not applicable, with the error; FICLONE on ext4 is" {
    [ "$(fs_field ext4 'r["status"]')" != skipped ] || skip "ext4: $(fs_field ext4 'r["reason"]')"
    run fs_field ext4 '[n["reason"] for n in r["not_applicable"] if n["case"] == "clone-whole"][0]'
    echo "$output"
    [[ "$output" == *"FICLONE"*"Operation not supported"* ]]
    # and nothing not applicable is counted in the matrix
    [ "$(fs_field ext4 '"clone-whole" in [x["case"] for x in r["results"]]')" = False ]
}

# fake_observer FILE MODE: a stand-in for `linklab observe` that answers for
# tmpfs: truth (every file's label from the table's noclone column), drop
# (one file left out), extra (one file too many), nojson (exit 0, no JSON),
# crash (SIGSEGV), misclass (one file called cloned)
fake_observer() {
    cat >"$1" <<EOF
#!/bin/sh
exec python3 - "$2" "$LAB_TOP/tests/fidelity/cases" "\$@" <<'PY'
import json, os, signal, sys
mode, cases, *args = sys.argv[1:]
if mode == "crash":
    os.kill(os.getpid(), signal.SIGSEGV)
if mode == "nojson":
    sys.exit(0)
target = args[args.index("--target") + 1]
out = args[args.index("--json") + 1]
cols, labels = [], {}
for line in open(cases):
    w = line.split()
    if not w or w[0].startswith("#") or w[0] == "fs":
        continue
    if w[0] == "columns":
        cols = w[1:]
        continue
    labels[w[0]] = w[3 + cols.index("noclone")]
files, findings = [], []
for name in sorted(os.listdir(target)):
    label = labels[name]
    if label.endswith("+corrupt"):
        label = label[: -len("+corrupt")]
        findings.append({"kind": "corrupt", "path": name, "wheel": None, "detail": "fake"})
    files.append({"path": name, "class": label})
if mode == "drop":
    files.pop()
if mode == "extra":
    files.append({"path": "nobody-made-me", "class": "copied"})
if mode == "misclass":
    files[0]["class"] = "cloned"
json.dump({"schema": 1, "files": files, "findings": findings}, open(out, "w"))
PY
EOF
    chmod +x "$1"
}

@test "fidelity: an observer that tells the truth passes the suite (exit 0, a diagonal matrix)" {
    fake_observer "$BATS_TEST_TMPDIR/observe" truth
    run env LINKLAB="$BATS_TEST_TMPDIR/observe" "$FIDELITY" --fs tmpfs --json "$BATS_TEST_TMPDIR/f.json"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"fidelity: pass: 1 of 1 filesystems diagonal"* ]]
    [ "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))["filesystems"][0]; print(d["status"], d["cases"] > 0)' "$BATS_TEST_TMPDIR/f.json")" = "diagonal True" ]
}

@test "fidelity: an observer that crashes, writes no JSON, leaves a file out, adds one or misclassifies one fails the suite" {
    local mode
    for mode in crash nojson drop extra misclass; do
        fake_observer "$BATS_TEST_TMPDIR/observe" "$mode"
        run env LINKLAB="$BATS_TEST_TMPDIR/observe" "$FIDELITY" --fs tmpfs
        echo "$mode: $status"
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"fidelity: fail: 0 of 1 filesystems diagonal"* ]]
        case $mode in
        crash) [[ "$output" == *"FAIL: observe exited 139"* ]] ;;
        nojson) [[ "$output" == *"FAIL: observe exited 0 and wrote no JSON"* ]] ;;
        drop) [[ "$output" == *"observed (missing)"* ]] ;;
        extra) [[ "$output" == *"FAIL: nobody-made-me: in the observer's files[], but no case made it"* ]] ;;
        misclass) [[ "$output" == *"observed cloned"* ]] ;;
        esac
    done
}

@test "fidelity: a case that cannot be made where the table expects a label fails; one made where it says n/a fails" {
    local cases=$BATS_TEST_TMPDIR/cases
    fake_observer "$BATS_TEST_TMPDIR/observe" truth
    printf 'fs tmpfs noclone\ncolumns noclone\ncopy 512k copy copied\nclone-whole 512k clone cloned\n' >"$cases"
    run env LINKLAB="$BATS_TEST_TMPDIR/observe" "$FIDELITY" --fs tmpfs --cases "$cases"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"FAIL: clone-whole: could not be made: FICLONE (cp --reflink=always): cp: failed to clone"* ]]
    printf 'fs tmpfs noclone\ncolumns noclone\ncopy 512k copy n/a\n' >"$cases"
    run env LINKLAB="$BATS_TEST_TMPDIR/observe" "$FIDELITY" --fs tmpfs --cases "$cases"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"FAIL: copy: made, but the table says n/a here"* ]]
    [[ "$output" == *"FAIL: no case was made"* ]]
}

@test "fidelity: usage errors exit 2 with one line" {
    run "$FIDELITY" --fs nosuchfs
    [ "$status" -eq 2 ]
    [ "$output" = "scripts/fidelity: --fs: unknown filesystem 'nosuchfs' (filesystems: btrfs btrfs-zstd btrfs-zstd-force xfs ext4 tmpfs labfs ext4-copy xfs-copy btrfs-copy)" ]
    run "$FIDELITY" --json
    [ "$status" -eq 2 ]
    [ "${#lines[@]}" -eq 1 ]
    printf 'fs tmpfs noclone\ncolumns noclone\ncopy 512k copy copyed\n' >"$BATS_TEST_TMPDIR/cases"
    run "$FIDELITY" --cases "$BATS_TEST_TMPDIR/cases"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cases:3: label 'copyed'"* ]]
}
