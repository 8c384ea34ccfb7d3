# tests/lib/tap.bash - the test runner's accounting (sourced by tests/run,
# unit-tested by tests/integration/tap.bats): TAP streams and one-off checks
# add to passed, failed and skipped; failures lists what failed.
# shellcheck shell=bash

passed=0 failed=0 skipped=0
failures=()

fail() { # NAME: a failure that is not a TAP line of its own
    echo "not ok - $1"
    failed=$((failed + 1))
    failures+=("$1")
}

# tap_result NAME FILE STATUS: adds a TAP stream's results to the totals.
# The runner's exit status and the plan count too: a runner that crashed
# after its last test (a sanitizer report at exit), died before reporting
# every planned test, or timed out is a failure, whatever its ok lines say.
tap_result() {
    local name=$1 file=$2 status=$3 p f s planned plans
    p=$(grep -cE '^ok ' "$file" || true)
    s=$(grep -cE '^ok .*# [Ss][Kk][Ii][Pp]' "$file" || true)
    f=$(grep -cE '^not ok ' "$file" || true)
    plans=$(grep -cE '^1\.\.[0-9]+$' "$file" || true)
    planned=$(sed -n 's/^1\.\.\([0-9]\+\)$/\1/p' "$file" | awk '{ n += $1 } END { print n + 0 }')
    passed=$((passed + p - s))
    skipped=$((skipped + s))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        while IFS= read -r line; do failures+=("$name: $line"); done < <(grep -E '^not ok ' "$file")
    fi
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        fail "$name: timed out (status $status)"
    elif [ "$plans" -eq 0 ]; then
        fail "$name: no TAP plan: the runner ended before it started (status $status)"
    elif [ $((p + f)) -ne "$planned" ]; then
        fail "$name: $planned tests planned, $((p + f)) reported (status $status)"
    elif [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        fail "$name: exited with status $status though every test passed (a crash or a sanitizer report at exit?)"
    fi
}

# one_check [--skip-status N] NAME COMMAND...: a check that is one test.
# With --skip-status, the command's exit status N is a skip (for a tool
# that says it could not run), whose last line of output says why; without
# it every failure fails.
one_check() {
    local skip_status=-1 name status=0 tap_scratch
    if [ "$1" = --skip-status ]; then
        skip_status=$2
        shift 2
    fi
    name=$1
    shift
    tap_scratch=$(mktemp)
    "$@" >"$tap_scratch" 2>&1 || status=$?
    if [ "$status" -eq 0 ]; then
        echo "ok - $name"
        passed=$((passed + 1))
    elif [ "$status" -eq "$skip_status" ]; then
        echo "ok - $name # SKIP $(tail -n 1 "$tap_scratch")"
        skipped=$((skipped + 1))
    else
        cat "$tap_scratch"
        fail "$name"
    fi
    rm -f "$tap_scratch"
}
