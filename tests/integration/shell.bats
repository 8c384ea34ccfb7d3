#!/usr/bin/env bats
# scripts/lib/common.bash: the shell helpers with one owner each, and what
# the scripts that source it promise through it: --help from the header
# comment, one answer for a layout's profiles, subjects read from subjects/,
# JSON that parses, a machine state that counts only the caller's own.

load ../lib/lab

setup() {
    S=$(mktemp -d "${TMPDIR:-/var/tmp}/linklab-shell.XXXXXX")
}

teardown() {
    [ -z "${S:-}" ] || rm -rf "$S"
}

@test "--help of every script shows its header comment, exit 0, and never a line of code" {
    n=0
    for f in "$LAB_TOP"/scripts/* "$LAB_TOP"/bench/* "$LAB_TOP"/tests/run "$LAB_TOP"/tests/lib/lint-bats "$LAB_TOP"/.ci/run; do
        [ -x "$f" ] || continue
        [ -f "$f" ] || continue
        head -n 1 "$f" | grep -q '^#!/usr/bin/env bash' || continue
        run "$f" --help
        echo "$f: $output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"usage"* ]]
        [ -z "$(printf '%s\n' "$output" | grep -E 'set -euo|shellcheck (disable|source|shell)=|^#!|^[a-z_]+=\$')" ]
        n=$((n + 1))
    done
    # every bash script of scripts/ and bench/, tests/run, lint-bats, .ci/run
    [ "$n" -ge 12 ]
}

@test "usage_from_header: stops at the first line of code, drops linter directives" {
    printf '#!/usr/bin/env bash\n# shellcheck disable=SC2317\n# tool - does a thing\n#\n#   more\nset -e\n# not help\n' >"$S/tool"
    run usage_from_header "$S/tool"
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'tool - does a thing\n\n  more')" ]
}

@test "layout_profiles: one answer for scripts/images and bench/run; an ambiguous cross-A-B is refused" {
    run layout_profiles cross-xfs-noreflink-btrfs
    [ "$output" = "$(printf 'xfs-noreflink\nbtrfs')" ]
    run layout_profiles cross-xfs-xfs-noreflink
    [ "$output" = "$(printf 'xfs\nxfs-noreflink')" ]
    run "$LAB_TOP/scripts/images" profiles cross-xfs-xfs-noreflink
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'xfs\nxfs-noreflink')" ]
    run layout_profiles subvol-btrfs
    [ "$output" = btrfs ]
    run layout_profiles same-nosuch
    [ "$status" -eq 1 ]
    [ -z "$output" ]
    # names that look like paths are no profiles, whatever file they reach
    for l in same-../tests/fixtures/bench/one same-./tmpfs cross-tmpfs-../images/btrfs bind-/etc/passwd; do
        run "$LAB_TOP/scripts/images" profiles "$l"
        [ "$status" -eq 2 ]
        [[ "$output" == *"unknown layout"* ]]
    done
    # subvol-btrfs needs a btrfs profile
    mkdir "$S/nobtrfs"
    printf 'type=tmpfs\nsize=1M\n' >"$S/nobtrfs/tmpfs.conf"
    LINKLAB_PROFILES=$S/nobtrfs run "$LAB_TOP/scripts/images" profiles subvol-btrfs
    [ "$status" -eq 2 ]
    # profiles a, a-b, b-c, c: cross-a-b-c is a|b-c and a-b|c
    mkdir "$S/profiles"
    for p in a a-b b-c c; do printf 'type=tmpfs\nsize=1M\n' >"$S/profiles/$p.conf"; done
    run env LINKLAB_PROFILES="$S/profiles" "$LAB_TOP/scripts/images" profiles cross-a-b-c
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == "scripts/images: layout 'cross-a-b-c' splits into two profiles in more than one way"* ]]
    run env LINKLAB_PROFILES="$S/profiles" "$LAB_TOP/scripts/images" profiles cross-a-c
    [ "$output" = "$(printf 'a\nc')" ]
    run "$LAB_TOP/scripts/images" profiles cross-btrfs
    [ "$status" -eq 2 ]
    [[ "$output" == *"unknown layout 'cross-btrfs'"* ]]
}

@test "json_str and json_list: quotes, backslashes, control characters parse back as written" {
    s=$(printf 'a"b\\c\td\re\nf\001g\037h\177i')
    json_list "$s" "" plain >"$S/j.json"
    python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
assert v == [sys.argv[2], "", "plain"], v' "$S/j.json" "$s"
}

@test "subject_load: the subject files as written; an unknown statement or a second command names FILE:LINE" {
    subject_load "$LAB_TOP/subjects/linklab.conf"
    [[ "$SUBJ_command" == "{linklab} install --quiet --policy linklab {modeflags} "* ]]
    [ "$SUBJ_policy" = "linklab default warn-on-fallback" ]
    printf 'summary x # y\ncommand a {target}\ncommand b\n' >"$S/two.conf"
    run subject_load "$S/two.conf"
    [ "$status" -eq 1 ]
    [ "$output" = "linklab: $S/two.conf:3: a second command line" ]
    printf 'summary x\nrun a\n' >"$S/bad.conf"
    run subject_load "$S/bad.conf"
    [ "$status" -eq 1 ]
    [[ "$output" == "linklab: $S/bad.conf:2: unknown statement 'run'"* ]]
    run template_fill "a {x} {y} {x}" x=1 "y=two words"
    [ "$output" = "a 1 two words 1" ]
    # a value is never a template itself, and none of its characters is special
    run template_fill "{linklab} --target {target} {mode}" 'linklab=/x/ll&x' 'target=/r\&{mode}' mode=copy
    [ "$output" = '/x/ll&x --target /r\&{mode} copy' ]
    run template_unknown "a {mode} {target} {bogus} {x}" mode target
    [ "$output" = "{bogus}" ]
    printf 'summary x\npolicy\n' >"$S/bare.conf"
    run subject_load "$S/bare.conf"
    [ "$status" -eq 1 ]
    [ "$output" = "linklab: $S/bare.conf:2: policy with nothing after it" ]
    mkdir "$S/dir.conf"
    run subject_load "$S/dir.conf"
    [ "$status" -eq 1 ]
    [ "$output" = "linklab: $S/dir.conf: not a readable file" ]
    printf '\xef\xbb\xbf# a comment\r\nsummary y\r\n' >"$S/bom.conf"
    subject_load "$S/bom.conf"
    [ "$SUBJ_summary" = y ]
}

@test "bench/run takes its subjects from subjects/: a new file is a new subject, a broken one is a usage error" {
    need_root
    mkdir "$S/subjects"
    cp "$LAB_TOP"/subjects/*.conf "$S/subjects/"
    printf 'runs 1\ncorpus tiny\ncell same-tmpfs mycp copy class=copied\n' >"$S/d.conf"
    run env LINKLAB_SUBJECTS="$S/subjects" "$LAB_TOP/bench/run" "$S/d.conf" --out "$S/out1"
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"d.conf:3: unknown subject 'mycp' (subjects: bun cp linklab linklab-darwin linklab-pnpm11117 linklab-uv04 linklab-uv1444 linklab-uv17699 linklab-uv18181 linklab-uv4831 pip pnpm uv;"* ]]
    printf 'summary cp again\ncommand cp -a --reflink=never {entries} {target} {bogus}\n' >"$S/subjects/mycp.conf"
    run env LINKLAB_SUBJECTS="$S/subjects" "$LAB_TOP/bench/run" "$S/d.conf" --out "$S/out2"
    [ "$status" -eq 2 ]
    [[ "$output" == "bench/run: $S/subjects/mycp.conf: subject 'mycp': unknown placeholder {bogus} ("* ]]
    printf 'summary cp again\ncommand cp -a --reflink=never {entries} {target}\n' >"$S/subjects/mycp.conf"
    printf 'summary x\nbogus y\n' >"$S/subjects/broken.conf"
    run env LINKLAB_SUBJECTS="$S/subjects" "$LAB_TOP/bench/run" "$S/d.conf" --out "$S/out2"
    [ "$status" -eq 2 ]
    [ "$output" = "bench/run: $S/subjects/broken.conf:2: unknown statement 'bogus' (like, summary, command, policy, warns, consumes, provision, mode, chain, warn, copies, clones, own, mutable)" ]
    rm "$S/subjects/broken.conf"
    printf 'summary x\n' >"$S/subjects/my sub.conf"
    run env LINKLAB_SUBJECTS="$S/subjects" "$LAB_TOP/bench/run" "$S/d.conf" --out "$S/out2"
    [ "$status" -eq 2 ]
    [ "$output" = "bench/run: $S/subjects/my sub.conf: a subject's name takes letters, digits, '.', '_' and '-' only" ]
    rm "$S/subjects/my sub.conf"
    # a subject with only a policy (for linklab install --policy) is no cell's business
    printf 'summary only a policy\npolicy p9\n' >"$S/subjects/onlypolicy.conf"
    export LINKLAB_ROOT=$S/root
    run env LINKLAB_SUBJECTS="$S/subjects" "$LAB_TOP/bench/run" "$S/d.conf" --out "$S/out3" --no-report
    echo "$output"
    [ "$status" -eq 0 ]
    grep -q '"command":"cp -a --reflink=never ' "$S"/out3/cells/001-same-tmpfs.mycp.copy.tiny/cell.json
    "$LAB_TOP/scripts/images" leftovers
}

@test "linklab scenario --installer SUBJECT runs that subject's command; one it cannot fill is a usage error" {
    run "$LAB_TOP/bench/scenarios" run hostile --installer cp
    [ "$status" -eq 2 ]
    [ "$output" = "linklab scenario: subject 'cp': its command needs {entries}; the scenarios fill {mode}, {modeflags}, {cache}, {target} and {wheels} only" ]
    run "$LAB_TOP/bench/scenarios" run hostile --installer nosuch
    [ "$status" -eq 2 ]
    [[ "$output" == "linklab scenario: no subject 'nosuch' (subjects: "* ]]
    run "$LAB_TOP/bench/scenarios" run hostile --installer linklab-uv04 --modes copy --json "$S/h.json"
    echo "$output"
    [ "$status" -eq 0 ]
    python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["scenarios"][0]
assert (r["tried"], r["survived"], r["bytes_lost"], r["escapes"]) == (26, 26, 0, 0), r' "$S/h.json"
    run "$LAB_TOP/bench/scenarios" run hostile --modes copy,nosuch
    [ "$status" -eq 2 ]
}

@test "machine_state counts only what lies under the given directories" {
    need_root
    mkdir -p "$S/a/m" "$S/b/m"
    before=$(machine_state "$S/a")
    mount -t tmpfs lab-shell-a "$S/a/m"
    mount -t tmpfs lab-shell-b "$S/b/m"
    run machine_state "$S/a"
    umount "$S/a/m"
    umount "$S/b/m"
    [ "$output" = "$(printf '%s\n' "$before" "$S/a/m" | sed '/^$/d')" ]
    run machine_state "$S/a"
    [ "$output" = "$before" ]
    # a space in a path (mountinfo writes \040, losetup \x20)
    mkdir -p "$S/sp ace/m"
    mount -t tmpfs lab-shell-sp "$S/sp ace/m"
    run machine_state "$S/sp ace"
    umount "$S/sp ace/m"
    [ "$output" = "$S/sp ace/m" ]
    # no directory, or /, counts nothing rather than everything
    run machine_state
    [ "$status" -eq 2 ]
    run machine_state /
    [ "$status" -eq 2 ]
}

@test "template_argv: one parser: blanks split, quotes group, list values are words, nothing is re-parsed; shell_words round-trips" {
    . "$LAB_TOP/scripts/lib/common.bash"
    template_argv "cp {cpflags} \"a {x}\" 'q  b' {entries} {target} {log}" "cpflags=-a"$'\n'"--reflink=always" \
        "entries=/p 1/."$'\n'"/p2/." "target=/t 't' {x} \$HOME" "log=" "x=V"
    [ "${#ARGV[@]}" -eq 8 ]
    [ "$(printf '<%s>' "${ARGV[@]}")" = "<cp><-a><--reflink=always><a V><q  b></p 1/.></p2/.></t 't' {x} \$HOME>" ]
    line=$(shell_words "${ARGV[@]}")
    eval "again=($line)"
    [ "$(printf '<%s>' "${again[@]}")" = "$(printf '<%s>' "${ARGV[@]}")" ]
    template_argv 'x "y\"z" {log} w' "log=--log"$'\n'"/a b/e.jsonl"
    [ "$(printf '<%s>' "${ARGV[@]}")" = '<x><y"z><--log></a b/e.jsonl><w>' ]
    run template_argv "x 'unclosed"
    [ "$status" -eq 1 ]
    [ "$output" = "template has an unclosed ': x 'unclosed" ]
}

@test "derive: a subject's declared chain on a layout gives class, warnings, exit, from the profiles' capabilities" {
    # LAYOUT MODE CHAIN COPIES WARNSPEC => the words of DERIVED
    while IFS='|' read -r layout mode chain copies warnspec want; do
        derive "$layout" "$mode" "$chain" "$copies" "$warnspec"
        echo "$layout $chain $copies: ${DERIVED[*]} ($DERIVATION)"
        [ "${DERIVED[*]}" = "$want" ]
    done <<'T'
same-btrfs|auto|hardlink clone copy|copy_file_range||exit=0 complete=yes warnings=0 class=hardlinked fallback=no
same-btrfs|copy|copy|copy_file_range||exit=0 complete=yes warnings=0 class=cloned fallback=no
same-btrfs|copy|copy|readwrite||exit=0 complete=yes warnings=0 class=copied fallback=no
same-ext4|copy|copy|copy_file_range||exit=0 complete=yes warnings=0 class=copied fallback=no
same-ext4|clone|clone|copy_file_range||exit=1 warnings=0
same-ext4|clone|clone hardlink copy|readwrite|clone>hardlink=1 hardlink>copy=1|exit=0 complete=yes warnings=1 class=hardlinked fallback=yes
same-xfs-noreflink|clone|clone hardlink copy|readwrite|clone>hardlink=1|exit=0 complete=yes warnings=1 class=hardlinked fallback=yes
cross-btrfs-tmpfs|auto|hardlink clone copy|copy_file_range||exit=0 complete=yes warnings=0 class=copied fallback=yes
cross-btrfs-tmpfs|clone|clone hardlink copy|readwrite|clone>copy=1|exit=0 complete=yes warnings=1 class=copied fallback=yes
subvol-btrfs|hardlink|hardlink copy|copy_file_range||exit=0 complete=yes warnings=0 class=cloned fallback=yes
subvol-btrfs|hardlink|hardlink copy|readwrite|hardlink>copy=1|exit=0 complete=yes warnings=1 class=copied fallback=yes
bind-btrfs|clone|clone hardlink copy|readwrite|clone>hardlink=1|exit=0 complete=yes warnings=0 class=cloned fallback=no
bind-btrfs|hardlink|hardlink|readwrite||exit=1 warnings=0
same-xfs|symlink|symlink copy|readwrite||exit=0 complete=yes warnings=0 class=symlinked fallback=no
same-lowlinks|hardlink|hardlink copy|readwrite||exit=0 complete=yes warnings=0 class=hardlinked fallback=no
same-apfs-like|clone|clone|copy_file_range||exit=1 warnings=0
same-apfs-like|copy|copy|copy_file_range||exit=0 complete=yes warnings=0 class=copied fallback=no
T
    # a subject that clones with clonefile (linklab --platform darwin) clones on apfs-like
    derive same-apfs-like clone "clone copy" readwrite "" clonefile
    [ "${DERIVED[*]}" = "exit=0 complete=yes warnings=0 class=cloned fallback=no" ]
    derive cross-btrfs-ext4 hardlink "hardlink copy" copy_file_range ""
    [ "$DERIVATION" = "hardlink on cross-btrfs-ext4: hardlink: link(2) across filesystems gets EXDEV; copy: a copy works anywhere => copied, a fallback from hardlink to copy, 0 warning lines" ]
}

@test "linklab scenario hostile, a third-party installer: installing a hostile wheel contained survives, writing outside the box does not" {
    local safe="python3 -c 'import sys, zipfile; [zipfile.ZipFile(w).extractall(sys.argv[1]) for w in sys.argv[2:]]' {target} {wheels}"
    run "$LAB_TOP/bench/scenarios" run hostile --modes copy --installer "$safe"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"hostile          20        20           0        0 "* ]]
    # names joined as they are: ../../escaped.py lands outside the box
    local naive="python3 -c 'import os, sys, zipfile; [open(os.path.join(sys.argv[1], n), \"wb\").write(z.read(n)) for w in sys.argv[2:] for z in [zipfile.ZipFile(w)] for n in z.namelist() if not n.endswith(\"/\") and os.makedirs(os.path.dirname(os.path.join(sys.argv[1], n)), exist_ok=True) is None]' {target} {wheels}"
    run "$LAB_TOP/bench/scenarios" run hostile --modes copy --installer "$naive"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"hostile/dotdot (copy): something outside the cache and target changed"* ]]
    rm -f /tmp/linklab-escaped.py
    # exit 0 without installing a hostile wheel is a silent refusal, not containment
    local quiet="python3 -c 'import sys, zipfile; [zipfile.ZipFile(w).extractall(sys.argv[1]) for w in sys.argv[2:] if \"unlisted\" not in w]' {target} {wheels}"
    run "$LAB_TOP/bench/scenarios" run hostile --modes copy --installer "$quiet"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"hostile/unlisted (copy): exit 0, and nothing of the wheel in the target: a silent refusal"* ]]
    # and keeping only a hostile wheel's metadata is no containment either
    local meta="python3 -c 'import os, shutil, sys, zipfile; [zipfile.ZipFile(w).extractall(sys.argv[1]) for w in sys.argv[2:]]; [shutil.rmtree(os.path.join(sys.argv[1], n)) for n in os.listdir(sys.argv[1]) if \"unlisted\" in n and not n.endswith(\".dist-info\")]' {target} {wheels}"
    run "$LAB_TOP/bench/scenarios" run hostile --modes copy --installer "$meta"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"hostile/unlisted (copy): exit 0, and none of the wheel's files in the target, only its metadata"* ]]
}

@test "subject_load: the new statements' mistakes name FILE:LINE (a chain without its mode, a second warn, a huge count)" {
    printf 'summary x\ncommand a {target}\nchain auto hardlink copy\n' >"$S/c.conf"
    run subject_load "$S/c.conf"
    [ "$status" -eq 1 ]
    [ "$output" = "linklab: $S/c.conf:3: chain auto without a mode auto line" ]
    printf 'summary x\nwarn hardlink copy 1\nwarn hardlink copy 2\n' >"$S/w.conf"
    run subject_load "$S/w.conf"
    [ "$status" -eq 1 ]
    [ "$output" = "linklab: $S/w.conf:3: a second warn hardlink copy line" ]
    printf 'summary x\nwarn hardlink copy 99999999999999999999\n' >"$S/n.conf"
    run subject_load "$S/n.conf"
    [ "$status" -eq 1 ]
    [[ "$output" == "linklab: $S/n.conf:2: warn FROM TO N: FROM and TO are steps"* ]]
    printf 'summary x\nwarn auto copy 1\n' >"$S/m.conf"
    run subject_load "$S/m.conf"
    [ "$status" -eq 1 ]
    [[ "$output" == *"not modes"* ]]
    printf 'summary x\nprovision npm onlyname\n' >"$S/p.conf"
    run subject_load "$S/p.conf"
    [ "$status" -eq 1 ]
    [ "$output" = "linklab: $S/p.conf:2: provision npm PACKAGE BINPATH, debian PACKAGE or path COMMAND" ]
    subject_load "$LAB_TOP/subjects/pnpm.conf"
    [ "${SUBJ_chains[auto]}" = "hardlink clone copy" ]
    [ "${SUBJ_modes[copy]}" = "--package-import-method=copy" ]
    [ "$SUBJ_consumes" = npm ]
    [ "$SUBJ_copies" = copy_file_range ]
}

@test "tree_digest and source_changes: bytes, mode and owner of every file; mutable globs stop at '/' as --own's do" {
    mkdir -p "$S/st/v11/tmp/a" "$S/st/files/v11"
    echo one >"$S/st/files/v11/index.db"
    echo two >"$S/st/v11/index.db"
    echo three >"$S/st/v11/tmp/a/x"
    tree_digest $'v*/index.db\nv*/tmp/**/*' "$S/st" >"$S/before"
    # the mutable ones are left out; one deeper with the same name is not
    [ "$(wc -l <"$S/before")" -eq 1 ]
    grep -q " $S/st/files/v11/index.db\$" "$S/before"
    chmod 600 "$S/st/files/v11/index.db"
    echo changed >"$S/st/v11/index.db"
    tree_digest $'v*/index.db\nv*/tmp/**/*' "$S/st" >"$S/after"
    run source_changes "$S/before" "$S/after"
    [ "$output" = "{\"files\": 1, \"changed\": 1, \"first\": [\"$S/st/files/v11/index.db: mode 600, was 644\"], \"added\": 0, \"first_added\": []}" ]
    echo ONE >"$S/st/files/v11/index.db"
    tree_digest $'v*/index.db\nv*/tmp/**/*' "$S/st" >"$S/after"
    run source_changes "$S/before" "$S/after"
    [[ "$output" == *"index.db: other bytes, mode 600, was 644"* ]]
    # an extended attribute set through a hardlink, a link retargeted, a file added
    ln -s one "$S/st/files/link"
    tree_digest "" "$S/st/files" >"$S/before"
    python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.evil", b"1")' "$S/st/files/v11/index.db"
    ln -sfn /etc/passwd "$S/st/files/link"
    echo junk >"$S/st/files/JUNK"
    tree_digest "" "$S/st/files" >"$S/after"
    run source_changes "$S/before" "$S/after"
    echo "$output"
    [[ "$output" == *"index.db: other extended attributes"* ]]
    [[ "$output" == *"files/link: another link target"* ]]
    [[ "$output" == *'"added": 1, "first_added": ["'"$S"'/st/files/JUNK"]'* ]]
}

@test "no script ends a pipe in grep -q: under pipefail its early exit fails the writer with SIGPIPE, so the check would answer at random" {
    run grep -nE '\|[[:space:]]*grep[[:space:]]+-[A-Za-z]*q' "$LAB_TOP"/bench/run "$LAB_TOP"/bench/scenarios \
        "$LAB_TOP"/bench/images-up "$LAB_TOP"/bench/install-modes "$LAB_TOP"/bench/observe "$LAB_TOP"/scripts/images \
        "$LAB_TOP"/scripts/deps "$LAB_TOP"/scripts/fidelity "$LAB_TOP"/scripts/imports "$LAB_TOP"/scripts/lib/common.bash \
        "$LAB_TOP"/scripts/gen-policies "$LAB_TOP"/scripts/lint-workflows \
        "$LAB_TOP"/scripts/lib/supervise.bash "$LAB_TOP"/tests/run "$LAB_TOP"/.ci/run
    echo "$output"
    [ "$status" -eq 1 ]
}
