# scripts/lib/supervise.bash - Ctrl-C and SIGTERM for long-running scripts,
# without the bash 5.2 trap bug. Sourced by bench/run and scripts/images.
# shellcheck shell=bash
#
# bash 5.2 (Debian 12's 5.2.15) parses a trap's command while it is still
# inside a command substitution when the signal lands during one: the trap
# fails with "trap: line 2: unexpected EOF while looking for matching `)'",
# the script exits 2 without its cleanup, or hangs. A script whose loop
# runs $(...) all the time cannot take signals safely itself. So it runs
# as two processes: the supervisor, which only ever waits (a trap there
# parses cleanly), and the worker, which ignores INT and TERM (its children
# inherit that, so the unit of work in progress finishes) and checks
# between units whether a stop was asked for.

# supervise COMMAND...: runs COMMAND (the worker: usually this script again)
# in the background with LINKLAB_STOP naming a file that appears when this
# process gets SIGINT or SIGTERM, waits for it, and returns its status.
supervise() {
    local status child
    LINKLAB_STOP=$(mktemp -u "${TMPDIR:-/tmp}/linklab-stop.XXXXXX")
    export LINKLAB_STOP
    trap ': >"$LINKLAB_STOP"' INT TERM
    "$@" &
    child=$!
    while :; do
        status=0
        wait "$child" || status=$?
        # wait returns early (above 128) when a trapped signal arrives
        kill -0 "$child" 2>/dev/null || break
    done
    trap - INT TERM
    rm -f "$LINKLAB_STOP"
    return "$status"
}

# worker_ignores_signals: in the worker, before its work
worker_ignores_signals() {
    trap '' INT TERM
}

# stop_requested: whether the supervisor was asked to stop
stop_requested() {
    [ -n "${LINKLAB_STOP:-}" ] && [ -e "$LINKLAB_STOP" ]
}
