#!/usr/bin/env bats
# The front door: the real Makefile's top-level targets on a machine where
# pkg-config finds the lab's libraries only once the deps step has run (a
# stand-in deps makes them appear), and without root, where a missing
# package or library is one line and exit 2, never a linker error.

load ../lib/lab

setup() {
    [ "${LINKLAB_VARIANT:-normal}" = normal ] ||
        skip "the front door is checked once, in the normal build (this is $LINKLAB_VARIANT)"
    command -v pkg-config >/dev/null || skip "pkg-config is not installed"
    # a directory that nobody (uid 65534) can use too
    W=$(mktemp -d "${TMPDIR:-/var/tmp}/linklab-front.XXXXXX")
    chmod 755 "$W"
    mkdir "$W/pc"
    # the stand-in deps: the libraries' .pc files appear only when it runs
    cat >"$W/deps" <<SH
#!/bin/sh
echo "\$1" >>"$W/deps.called"
for d in \$(echo "$(pkg-config --variable pc_path pkg-config)" | tr : ' '); do
    [ -d "\$d" ] && ln -sf "\$d"/*.pc "$W/pc/" 2>/dev/null
done
exit 0
SH
    chmod +x "$W/deps"
}

teardown() {
    [ -z "${W:-}" ] || rm -rf "$W"
}

# front_make ARGS...: the real Makefile, as a newcomer's first make: no
# make variables inherited from the make that runs this suite, pkg-config
# looking only in the stand-in's directory
front_make() {
    env -u LINKLAB_DEPS_DONE -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u LINKLAB -u LABFS -u LINKLAB_LABFS \
        PKG_CONFIG_LIBDIR="$W/pc" PKG_CONFIG_PATH= make -C "$LAB_TOP" --no-print-directory DEPS="$W/deps" BUILD="$W/build" "$@"
}

@test "make: the libraries appear only when deps runs; the build works on the first try" {
    [ -z "$(ls -A "$W/pc")" ]
    run front_make all
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(cat "$W/deps.called")" = build ] # plain make asks only for the build packages
    run "$W/build/linklab" --version
    [ "$status" -eq 0 ]
    [ -x "$W/build/labfs" ]
}

@test "make unit and make lab: deps first (all packages), then the build and the job" {
    need_root
    run front_make unit
    echo "$output"
    [ "$status" -eq 0 ]
    [ -x "$W/build/unit/test_record" ]
    export LINKLAB_ROOT=$W/root
    run front_make lab LAB_CONF=tests/fixtures/bench/one.conf LAB_ARGS="--out $W/run"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(sort -u "$W/deps.called")" = all ]
    [[ "${lines[-1]}" == "sign-off: PASS (1 pass, 0 fail, 0 not run, 0 regressions)" ]]
    # the job ran the linklab this make built
    grep -qF "\"command\":\"$W/build/linklab install" "$W"/run/cells/*/cell.json
}

# nobody_make [VAR=VALUE...] [-- GOAL...]: the real Makefile as nobody (goal
# all unless given), with the real scripts/deps, in an environment of
# VAR=VALUE
nobody_make() {
    local vars=() goals=(all)
    while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
    [ $# -eq 0 ] || { shift; goals=("$@"); }
    chmod 777 "$W"
    run setpriv --reuid=65534 --regid=65534 --clear-groups \
        env -u LINKLAB_DEPS_DONE -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${vars[@]}" \
        make -s -C "$LAB_TOP" --no-print-directory BUILD="$W/build" "${goals[@]}"
    echo "$output"
}

@test "make without root: a library pkg-config cannot find is one line and exit 2" {
    need_root # to become nobody
    # the real deps (everything it checks is installed here) and no .pc files
    nobody_make PKG_CONFIG_LIBDIR="$W/pc"
    [ "$status" -eq 2 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"pkg-config finds no libarchive libcrypto jansson libutf8proc fuse3 (searching $W/pc); scripts/deps found their Debian packages installed, so look at pkg-config's search path"* ]]
    [ ! -e "$W/build/linklab" ]
}

@test "make without root: a missing Debian package is one line naming it and the command, exit 2" {
    need_root
    printf '%s\n' '# a package no machine has' 'linklab-no-such-package build test' >"$W/packages"
    nobody_make LINKLAB_PACKAGES="$W/packages"
    [ "$status" -eq 2 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"missing Debian packages: linklab-no-such-package; install them with: sudo make deps"* ]]
    # make deps says the same, in one line too
    nobody_make LINKLAB_PACKAGES="$W/packages" -- deps
    [ "$status" -eq 2 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"missing Debian packages: linklab-no-such-package; install them with: sudo make deps"* ]]
}

@test "make lab, bench and check without root: one line before anything is built, exit 2" {
    need_root
    for goal in lab bench check; do
        nobody_make -- "$goal"
        [ "$status" -eq 2 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"make $goal needs root (it makes loop devices and mounts): run sudo make $goal"* ]]
        [ ! -e "$W/build" ]
    done
}

@test "make clean all, also with -j2: clean is done before anything is built" {
    run front_make all
    [ "$status" -eq 0 ]
    for i in 1 2 3; do
        run front_make -j2 clean all
        echo "$output"
        [ "$status" -eq 0 ]
        [ -x "$W/build/linklab" ]
        [ -x "$W/build/labfs" ]
    done
}
