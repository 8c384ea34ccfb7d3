#!/usr/bin/env bats
# subjects/: one file per installer under test. Its `policy` lines are the
# reference installer's policy table (scripts/gen-policies at build time):
# a subject file it cannot read stops the build with one FILE:LINE line,
# what it emits always compiles, and a new policy is one new file.

load ../lib/lab

setup() {
    S=$(mktemp -d "${TMPDIR:-/var/tmp}/linklab-subjects.XXXXXX")
}

teardown() {
    [ -z "${S:-}" ] || rm -rf "$S"
}

# the generated rows, compiled as lab/policy/policy.c includes them
compiles() { # INC
    cat >"$S/try.c" <<C
#include <stdbool.h>
struct policy { const char *name, *subject, *summary; bool clone_whole_dir, warn_on_fallback, clone_exdev_fails,
                emlink_fails, clone_drops_mode, auto_probe_copies, overwrite_in_place; };
static const struct policy policies[] = {
#include "$1"
};
const struct policy *first(void) { return &policies[0]; }
C
    cc -std=c11 -Wall -Wextra -Werror -c -o "$S/try.o" "$S/try.c"
}

@test "gen-policies: the project's subjects give linklab (default, first), uv-0.4 and the gallery's policies" {
    "$LAB_TOP/scripts/gen-policies" "$LAB_TOP"/subjects/*.conf >"$S/p.inc"
    compiles "$S/p.inc"
    run grep -c '^{.name' "$S/p.inc"
    [ "$output" -eq 7 ]
    grep -q '.name = "uv-18181", .subject = "linklab-uv18181", .*.clone_drops_mode = true' "$S/p.inc"
    head -n 2 "$S/p.inc" | tail -n 1 | grep -q '^{.name = "linklab", .subject = "linklab",'
    grep -q '.name = "uv-0.4", .subject = "linklab-uv04", .summary = "uv before PR #7620 on Linux' "$S/p.inc"
}

@test "gen-policies: quotes, backslashes, comment marks and CRLF in a summary still compile, kept as written" {
    cp "$LAB_TOP/subjects/linklab.conf" "$S/"
    printf '%s\r\n' 'summary say "hi" \n C:\dir */ /* #1 done' 'policy odd clone-whole-dir' \
        'command {linklab} install --policy odd {wheels}' >"$S/odd.conf"
    "$LAB_TOP/scripts/gen-policies" "$S"/*.conf >"$S/p.inc"
    compiles "$S/p.inc"
    grep -qF '.summary = "say \"hi\" \\n C:\\dir */ /* #1 done"' "$S/p.inc"
}

@test "gen-policies: an unknown flag, a second default, a bad name, no summary: one line naming the file, exit 1" {
    cp "$LAB_TOP/subjects/linklab.conf" "$S/"
    local bad
    for bad in 'policy x fast' 'policy x default' 'policy "x;y"' ''; do
        { echo '# a subject'; [ -z "$bad" ] || echo 'summary s'; echo "${bad:-policy x}"; } >"$S/x.conf"
        run "$LAB_TOP/scripts/gen-policies" "$S/linklab.conf" "$S/x.conf"
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "scripts/gen-policies: $S/x.conf"* ]]
    done
    run "$LAB_TOP/scripts/gen-policies" "$LAB_TOP/subjects/cp.conf"
    [ "$status" -eq 1 ]
    [[ "$output" == *"exactly one policy line must carry the flag 'default' (found 0)"* ]]
}

@test "a new policy is one subject file: the build lists it and install takes it" {
    [ "${LINKLAB_VARIANT:-normal}" = normal ] ||
        skip "built once, in the normal variant (this is $LINKLAB_VARIANT)"
    printf '%s\n' '# a policy added as one file' 'summary mine: clone the whole directory, quietly' \
        'policy mine clone-whole-dir' \
        'command {linklab} install --quiet --policy mine --mode {mode} --cache {cache} --target {target} {wheels}' \
        >"$S/mine.conf"
    run make -C "$LAB_TOP" -s LINKLAB_DEPS_DONE=1 BUILD="$S/build" \
        SUBJECTS="$(ls "$LAB_TOP"/subjects/*.conf | tr '\n' ' ') $S/mine.conf" "$S/build/linklab"
    [ "$status" -eq 0 ]
    run "$S/build/linklab" install --help
    [[ "$output" == *"mine     mine: clone the whole directory, quietly"* ]]
    [[ "$output" == *"uv-0.4   uv before PR #7620"* ]]
    wheel=$(ls /usr/share/python-wheels/wheel-*.whl | head -n 1)
    run "$S/build/linklab" install --policy mine --mode copy --cache "$S/cache" --target "$S/t" "$wheel"
    [ "$status" -eq 0 ]
    [ -n "$(find "$S/t" -name '*.py' | head -n 1)" ]
    run "$S/build/linklab" install --policy theirs --mode copy --cache "$S/cache" --target "$S/t2" "$wheel"
    [ "$status" -eq 2 ]
}
