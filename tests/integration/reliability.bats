#!/usr/bin/env bats
# The reliability suite: hostile and broken wheels, killed installs,
# concurrent installs and unpacks, full disks; nothing lost, nothing left.

load ../lib/lab

setup_file() {
    export HOSTILE=$BATS_FILE_TMPDIR/hostile
    python3 "$LAB_TOP/tests/lib/hostile_wheels.py" "$HOSTILE" >"$BATS_FILE_TMPDIR/cases"
}

@test "hostile wheels: one line naming the entry, exit 1, nothing written outside, no partial entry, a good wheel still works" {
    n=0
    while read -r case what; do
        sandbox=$BATS_TEST_TMPDIR/$case
        mkdir -p "$sandbox"
        wheel=$(echo "$HOSTILE/$case"-*.whl)
        run "$LINKLAB" install --mode copy --cache "$sandbox/cache" --target "$sandbox/target" "$wheel"
        echo "$case: $output"
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "linklab install: $wheel: "* ]]
        case $case in
        truncated | empty) [[ "$output" == *"not a readable zip"* ]] ;;
        longpath) [[ "$output" == *"entry longpath/"*"name longer than 1024 bytes"* ]] ;;
        *) [[ "$output" == *"entry $what"* ]] ;;
        esac
        # nothing but the cache and the target, and in them no entry, no partial unpack
        [ "$(ls "$sandbox")" = "$(printf 'cache\ntarget')" ]
        [ -z "$(find "$sandbox/cache/wheels" "$sandbox/cache/tmp" "$sandbox/target" -mindepth 1)" ]
        [ ! -e "$BATS_TEST_TMPDIR/escaped.py" ] && [ ! -e /tmp/linklab-escaped.py ]
        # and the same cache and target still take a good wheel
        run "$LINKLAB" install --mode copy --cache "$sandbox/cache" --target "$sandbox/target" \
            /usr/share/python-wheels/wheel-*.whl
        [ "$status" -eq 0 ]
        n=$((n + 1))
    done <"$BATS_FILE_TMPDIR/cases"
    [ "$n" -eq 15 ]
}

@test "killed installs: SIGKILL at 50 seeded moments; every re-run completes the tree, no temporary names left" {
    "$LINKLAB" corpus --profile many-small --out "$BATS_TEST_TMPDIR/w" >/dev/null
    wheel=$(echo "$BATS_TEST_TMPDIR"/w/*.whl)
    RANDOM=20261121 # seeded: the same moments every run
    killed=0 stale=0
    for i in $(seq 1 50); do
        cache=$BATS_TEST_TMPDIR/cache
        [ "$i" -gt 5 ] || cache=$BATS_TEST_TMPDIR/cache-$i # the first kills land in the unpack
        target=$BATS_TEST_TMPDIR/t$i
        mode=copy
        [ $((i % 5)) -ne 0 ] || mode=hardlink
        # even rounds: kill a reinstall over a whole tree, which replaces every
        # file through a temporary name that the next run must sweep away
        if [ $((i % 2)) -eq 0 ]; then
            "$LINKLAB" install --quiet --mode "$mode" --cache "$cache" --target "$target" "$wheel"
        fi
        "$LINKLAB" install --quiet --mode "$mode" --jobs 2 --cache "$cache" --target "$target" "$wheel" &
        pid=$!
        sleep "0.$(printf '%03d' $((RANDOM % 250)))"
        if kill -KILL "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
        wait "$pid" || true
        left=$(find "$target" -name '.*.lltmp.*' | wc -l)
        stale=$((stale + left))
        run "$LINKLAB" install --quiet --mode "$mode" --cache "$cache" --target "$target" "$wheel"
        [ "$status" -eq 0 ] || { echo "re-run $i: $output" >&2; false; }
        run "$LINKLAB" observe --quiet --target "$target" --wheel "$wheel"
        [ "$status" -eq 0 ] || { echo "observe $i: $output" >&2; false; }
        [ -z "$(find "$target" -name '.*.lltmp.*')" ]
        [ -z "$(find "$cache/tmp" -mindepth 1)" ]
        rm -rf "$target"
    done
    echo "# $killed of 50 kills landed while the install ran; they left $stale temporary names, all swept" >&3
    [ "$killed" -ge 25 ]
    [ "$stale" -gt 0 ] # the sweep had something to do
}
