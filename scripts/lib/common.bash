# scripts/lib/common.bash - the shell helpers more than one script needs,
# each with one owner: messages, --help from the header comment, JSON
# strings, the lab's machine state, private mount namespaces, loop-mounted
# scratch images, layout names and subject files.
# shellcheck shell=bash
#
# Sourced by scripts/images, scripts/gen-policies, bench/* and tests/. The
# sourcing script sets `prog` (the name its messages start with) first.

LAB_LIB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# ------------------------------------------------------------- messages

die() { # MESSAGE [STATUS]: one line on stderr, exit STATUS (default 1)
    echo "${prog:-linklab}: $1" >&2
    exit "${2:-1}"
}

say() { echo "${prog:-linklab}: $*" >&2; }

# usage_from_header FILE: the script's header comment (from line 2 up to
# the first line that is not a comment), without the "# " and without the
# linter's directive lines: --help shows what the file says, never a line
# of code
usage_from_header() {
    sed -n '1d; /^#/!q; /^# *shellcheck /d; s/^# \{0,1\}//; p' "$1"
}

need_root() { # WHAT: exit 2 unless root
    [ "$(id -u)" -eq 0 ] || die "$1 needs root (loop devices and mounts are machine state); run it with sudo" 2
}

# ----------------------------------------------------------------- JSON

json_str() { # STRING -> a JSON string literal
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\t'/\\t}
    s=${s//$'\r'/\\r}
    s=${s//$'\n'/\\n}
    printf '"%s"' "$s"
}

json_list() { # ITEMS... -> ["a","b"]
    local first=1 x
    printf '['
    for x in "$@"; do
        [ "$first" = 1 ] || printf ','
        first=0
        json_str "$x"
    done
    printf ']'
}

# ------------------------------------------------------ machine state

# machine_state DIR...: the loop devices backed by files under any DIR and
# the mounts under any DIR, one sorted line each. Loop devices are global
# state: only the ones this caller's directories back are its to count.
machine_state() {
    local dirs
    dirs=$(printf '%s/\n' "$@")
    losetup --list --noheadings --raw --output NAME,BACK-FILE |
        awk -v dirs="$dirs" 'BEGIN { n = split(dirs, d, "\n") }
            { for (i = 1; i <= n; i++) if (d[i] != "" && index($2, d[i]) == 1) { print; next } }' | sort
    awk -v dirs="$dirs" 'BEGIN { n = split(dirs, d, "\n") }
        { for (i = 1; i <= n; i++) if (d[i] != "" && index($5, d[i]) == 1) { print $5; next } }' \
        /proc/self/mountinfo | sort
}

# in_private_mount_ns VAR COMMAND...: unless VAR is set in the environment,
# re-executes COMMAND (usually "$0" and its arguments) with VAR=1 in a
# private mount namespace, so whatever it mounts goes away with it.
in_private_mount_ns() {
    local var=$1
    shift
    [ -z "${!var:-}" ] || return 0
    export "$var=1"
    exec unshare -m --propagation private "$@"
}

# loop_mount_image TYPE IMAGE DIR SIZE [MOUNT_OPTIONS]: makes a fresh TYPE
# (btrfs, xfs with reflink, ext4) image file of SIZE, loop-mounts it on DIR
# and detaches the loop device at once (lazily: the kernel frees it at
# unmount, also when a private mount namespace goes away).
loop_mount_image() {
    local type=$1 img=$2 dir=$3 size=$4 loop mount_opts=()
    [ -z "${5:-}" ] || mount_opts=(-o "$5")
    rm -f "$img"
    truncate -s "$size" "$img"
    case $type in
    btrfs) mkfs.btrfs -q -f "$img" >/dev/null ;;
    xfs) mkfs.xfs -q -f -m reflink=1 "$img" >/dev/null ;;
    ext4) mkfs.ext4 -q -F "$img" >/dev/null ;;
    *) echo "loop_mount_image: unknown type $type" >&2; return 1 ;;
    esac
    mkdir -p "$dir"
    loop=$(losetup --find --show "$img")
    mount "${mount_opts[@]}" "$loop" "$dir" || { losetup -d "$loop"; return 1; }
    losetup -d "$loop"
}

# ------------------------------------------------------------- layouts

LAB_PROFILES_DIR=${LINKLAB_PROFILES:-$LAB_LIB_TOP/images}

names_in() { # DIR EXT: the names of DIR/*.EXT without the ending, one a line
    local f
    for f in "$1"/*."$2"; do
        [ -e "$f" ] || continue
        f=${f##*/}
        echo "${f%."$2"}"
    done
}

profile_names() { names_in "$LAB_PROFILES_DIR" conf; }

# layout_profiles LAYOUT: the profiles a layout uses, one a line (cache's
# first): same-P, bind-P, subvol-btrfs, cross-A-B. Returns 1 with nothing
# printed for a name that is no layout, and 2 for a cross-A-B that splits
# into two profile pairs in more than one way.
layout_profiles() {
    local l=$1 p rest pairs=()
    case $l in
    same-* | bind-*) p=${l#*-}
        [ -f "$LAB_PROFILES_DIR/$p.conf" ] || return 1
        echo "$p" ;;
    subvol-btrfs) echo btrfs ;;
    cross-*)
        rest=${l#cross-}
        for p in $(profile_names); do
            if [[ $rest == "$p"-* ]] && [ -f "$LAB_PROFILES_DIR/${rest#"$p"-}.conf" ]; then
                pairs+=("$p" "${rest#"$p"-}")
            fi
        done
        case ${#pairs[@]} in
        0) return 1 ;;
        2) printf "%s\n" "${pairs[@]}" ;;
        *) return 2 ;;
        esac ;;
    *) return 1 ;;
    esac
}

# ------------------------------------------------------------- subjects

LAB_SUBJECTS_DIR=${LINKLAB_SUBJECTS:-$LAB_LIB_TOP/subjects}
# shellcheck disable=SC2034 # read by the scripts that source this file
SUBJ_summary="" SUBJ_command="" SUBJ_policy="" SUBJ_policy_line=0

subject_names() { names_in "$LAB_SUBJECTS_DIR" subject; }

# subject_load FILE: reads a subject file (format: subjects/README.md;
# nothing in it is executed) into SUBJ_summary, SUBJ_command, SUBJ_policy
# (the words after `policy`) and SUBJ_policy_line (its line number). A
# statement it does not know, or a second one of a kind, is one line
# naming FILE:LINE on stderr, and status 1.
# shellcheck disable=SC2034 # SUBJ_* are read by the scripts that source this file
subject_load() {
    local f=$1 line lineno=0 w
    SUBJ_summary="" SUBJ_command="" SUBJ_policy="" SUBJ_policy_line=0
    [ -r "$f" ] || { echo "${prog:-linklab}: $f: cannot read" >&2; return 1; }
    while IFS= read -r line || [ -n "$line" ]; do
        lineno=$((lineno + 1))
        line=${line%$'\r'} # a file saved with CRLF line ends reads the same
        read -r -a w <<<"$line"
        if [ "${#w[@]}" -eq 0 ] || [[ ${w[0]} == '#'* ]]; then continue; fi
        local rest=${line#*"${w[0]}"}
        rest=${rest#"${rest%%[![:space:]]*}"}
        case ${w[0]} in
        summary) SUBJ_summary=$rest ;;
        command)
            [ -z "$SUBJ_command" ] || { echo "${prog:-linklab}: $f:$lineno: a second command line" >&2; return 1; }
            SUBJ_command=$rest ;;
        policy)
            [ -z "$SUBJ_policy" ] || { echo "${prog:-linklab}: $f:$lineno: a second policy line" >&2; return 1; }
            SUBJ_policy="${w[*]:1}" SUBJ_policy_line=$lineno ;;
        *) echo "${prog:-linklab}: $f:$lineno: unknown statement '${w[0]}' (summary, command, policy)" >&2
            return 1 ;;
        esac
    done <"$f"
}

# template_fill TEMPLATE NAME=VALUE...: TEMPLATE with every {NAME} replaced
# by its VALUE; a placeholder no pair names is left as it is.
template_fill() {
    local t=$1 kv
    shift
    for kv in "$@"; do
        t=${t//\{${kv%%=*}\}/${kv#*=}}
    done
    printf '%s' "$t"
}
