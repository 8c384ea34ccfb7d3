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
    subject_load "$LAB_TOP/subjects/linklab.subject"
    [[ "$SUBJ_command" == "{linklab} install --quiet --mode {mode} "* ]]
    [ "$SUBJ_policy" = "linklab default warn-on-fallback" ]
    printf 'summary x # y\ncommand a {target}\ncommand b\n' >"$S/two.subject"
    run subject_load "$S/two.subject"
    [ "$status" -eq 1 ]
    [ "$output" = "linklab: $S/two.subject:3: a second command line" ]
    printf 'summary x\nrun a\n' >"$S/bad.subject"
    run subject_load "$S/bad.subject"
    [ "$status" -eq 1 ]
    [[ "$output" == "linklab: $S/bad.subject:2: unknown statement 'run'"* ]]
    run template_fill "a {x} {y} {x}" x=1 "y=two words"
    [ "$output" = "a 1 two words 1" ]
    # a value is never a template itself, and none of its characters is special
    run template_fill "{linklab} --target {target} {mode}" 'linklab=/x/ll&x' 'target=/r\&{mode}' mode=copy
    [ "$output" = '/x/ll&x --target /r\&{mode} copy' ]
    run template_unknown "a {mode} {target} {bogus} {x}" mode target
    [ "$output" = "{bogus}" ]
    printf 'summary x\npolicy\n' >"$S/bare.subject"
    run subject_load "$S/bare.subject"
    [ "$status" -eq 1 ]
    [ "$output" = "linklab: $S/bare.subject:2: policy with nothing after it" ]
    mkdir "$S/dir.subject"
    run subject_load "$S/dir.subject"
    [ "$status" -eq 1 ]
    [ "$output" = "linklab: $S/dir.subject: not a readable file" ]
    printf '\xef\xbb\xbf# a comment\r\nsummary y\r\n' >"$S/bom.subject"
    subject_load "$S/bom.subject"
    [ "$SUBJ_summary" = y ]
}

@test "bench/run takes its subjects from subjects/: a new file is a new subject, a broken one is a usage error" {
    need_root
    mkdir "$S/subjects"
    cp "$LAB_TOP"/subjects/*.subject "$S/subjects/"
    printf 'runs 1\ncorpus tiny\ncell same-tmpfs mycp copy class=copied\n' >"$S/d.conf"
    run env LINKLAB_SUBJECTS="$S/subjects" "$LAB_TOP/bench/run" "$S/d.conf" --out "$S/out1"
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"d.conf:3: unknown subject 'mycp' (subjects: cp linklab linklab-darwin linklab-uv04 pip)"* ]]
    printf 'summary cp again\ncommand cp {cpflags} {entries} {target} {bogus}\n' >"$S/subjects/mycp.subject"
    run env LINKLAB_SUBJECTS="$S/subjects" "$LAB_TOP/bench/run" "$S/d.conf" --out "$S/out2"
    [ "$status" -eq 2 ]
    [[ "$output" == "bench/run: $S/subjects/mycp.subject: subject 'mycp': unknown placeholder {bogus} ("* ]]
    printf 'summary cp again\ncommand cp {cpflags} {entries} {target}\n' >"$S/subjects/mycp.subject"
    printf 'summary x\nbogus y\n' >"$S/subjects/broken.subject"
    run env LINKLAB_SUBJECTS="$S/subjects" "$LAB_TOP/bench/run" "$S/d.conf" --out "$S/out2"
    [ "$status" -eq 2 ]
    [ "$output" = "bench/run: $S/subjects/broken.subject:2: unknown statement 'bogus' (summary, command, policy, warns)" ]
    rm "$S/subjects/broken.subject"
    printf 'summary x\n' >"$S/subjects/my sub.subject"
    run env LINKLAB_SUBJECTS="$S/subjects" "$LAB_TOP/bench/run" "$S/d.conf" --out "$S/out2"
    [ "$status" -eq 2 ]
    [ "$output" = "bench/run: $S/subjects/my sub.subject: a subject's name takes letters, digits, '.', '_' and '-' only" ]
    rm "$S/subjects/my sub.subject"
    # a subject with only a policy (for linklab install --policy) is no cell's business
    printf 'summary only a policy\npolicy p9\n' >"$S/subjects/onlypolicy.subject"
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
    [ "$output" = "linklab scenario: subject 'cp': its command needs {cpflags}; the scenarios fill {mode}, {cache}, {target} and {wheels} only" ]
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
