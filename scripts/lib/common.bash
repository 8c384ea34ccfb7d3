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

json_str() { # STRING -> a JSON string literal (every control character escaped)
    local s=$1 out="" c i
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\t'/\\t}
    s=${s//$'\r'/\\r}
    s=${s//$'\n'/\\n}
    if [[ $s == *[$'\001'-$'\037'$'\177']* ]]; then
        for ((i = 0; i < ${#s}; i++)); do
            c=${s:i:1}
            case $c in
            [$'\001'-$'\037'$'\177']) printf -v c '\\u%04x' "'$c" ;;
            esac
            out+=$c
        done
        s=$out
    fi
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
    local dirs="" d
    for d in "$@"; do
        if [ -z "$d" ] || [ "$d" = / ]; then
            echo "machine_state: '$d' is no directory to count under" >&2
            return 2
        fi
        dirs+="${d%/}/"$'\n'
    done
    [ -n "$dirs" ] || { echo "machine_state: which directories?" >&2; return 2; }
    # losetup --raw writes a space in a path as \x20, mountinfo as \040
    losetup --list --noheadings --raw --output NAME,BACK-FILE |
        awk -v dirs="$dirs" 'BEGIN { n = split(dirs, d, "\n") }
            { p = $0; sub(/^[^ ]* /, "", p); gsub(/\\x20/, " ", p); gsub(/\\x5c/, "\\", p)
              for (i = 1; i <= n; i++) if (d[i] != "" && index(p, d[i]) == 1) { print $1 " " p; next } }' | sort
    awk -v dirs="$dirs" 'BEGIN { n = split(dirs, d, "\n") }
        { p = $5; gsub(/\\040/, " ", p); gsub(/\\011/, "\t", p); gsub(/\\012/, "\n", p); gsub(/\\134/, "\\", p)
          for (i = 1; i <= n; i++) if (d[i] != "" && index(p, d[i]) == 1) { print p; next } }' \
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
    local type=$1 img=$2 dir=$3 size=$4
    rm -f "$img"
    truncate -s "$size" "$img"
    case $type in
    btrfs) mkfs.btrfs -q -f "$img" >/dev/null || return 1 ;;
    xfs) mkfs.xfs -q -f -m reflink=1 "$img" >/dev/null || return 1 ;;
    ext4) mkfs.ext4 -q -F "$img" >/dev/null || return 1 ;;
    *) echo "loop_mount_image: unknown type $type" >&2; return 1 ;;
    esac
    loop_mount_file "$img" "$dir" "${5:-}"
}

# loop_mount_file IMAGE DIR [MOUNT_OPTIONS]: loop-mounts an existing image
# file (a copy of one, say) on DIR, the loop device detached at once as
# loop_mount_image does. When mount fails (its words on stderr), the loop
# device is released and the status is 1.
loop_mount_file() {
    local img=$1 dir=$2 loop mount_opts=()
    [ -z "${3:-}" ] || mount_opts=(-o "$3")
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
is_profile() { # NAME: a profile name (as scripts/images takes them) with a file
    [[ $1 =~ ^[a-z0-9][a-z0-9-]*$ ]] && [ -f "$LAB_PROFILES_DIR/$1.conf" ]
}

layout_profiles() {
    local l=$1 p rest pairs=()
    case $l in
    same-* | bind-*) p=${l#*-}
        is_profile "$p" || return 1
        echo "$p" ;;
    subvol-btrfs)
        is_profile btrfs || return 1
        echo btrfs ;;
    cross-*)
        rest=${l#cross-}
        while read -r p; do
            if [[ $rest == "$p"-* ]] && is_profile "$p" && is_profile "${rest#"$p"-}"; then
                pairs+=("$p" "${rest#"$p"-}")
            fi
        done < <(profile_names)
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

# subject_check_name NAME: a subject's name is a file name of letters,
# digits, '.', '_' and '-' (it names cells and directories)
subject_check_name() {
    [[ $1 =~ ^[A-Za-z0-9._-]+$ ]] || {
        echo "${prog:-linklab}: $LAB_SUBJECTS_DIR/$1.subject: a subject's name takes letters, digits, '.', '_' and '-' only" >&2
        return 1
    }
}

# subject_load FILE: reads a subject file (format: subjects/README.md;
# nothing in it is executed) into SUBJ_summary, SUBJ_command, SUBJ_policy
# (the words after `policy`), SUBJ_policy_line (its line number) and
# SUBJ_warns (the extended regex a warning line matches; default
# LAB_DEFAULT_WARNS). A
# statement it does not know, or a second one of a kind, is one line
# naming FILE:LINE on stderr, and status 1.
# shellcheck disable=SC2034 # SUBJ_* are read by the scripts that source this file
subject_load() {
    local f=$1 line lineno=0 w
    SUBJ_summary="" SUBJ_command="" SUBJ_policy="" SUBJ_policy_line=0 SUBJ_warns=""
    if [ ! -f "$f" ] || [ ! -r "$f" ]; then
        echo "${prog:-linklab}: $f: not a readable file" >&2
        return 1
    fi
    while IFS= read -r line || [ -n "$line" ]; do
        lineno=$((lineno + 1))
        line=${line%$'\r'} # a file saved with CRLF line ends reads the same
        [ "$lineno" -ne 1 ] || line=${line#$'\xef\xbb\xbf'} # and one with a byte-order mark
        read -r -a w <<<"$line"
        if [ "${#w[@]}" -eq 0 ] || [[ ${w[0]} == '#'* ]]; then continue; fi
        local rest=${line#*"${w[0]}"}
        rest=${rest#"${rest%%[![:space:]]*}"}
        case ${w[0]} in
        summary | command | policy | warns)
            local var=SUBJ_${w[0]}
            [ -z "${!var}" ] || { echo "${prog:-linklab}: $f:$lineno: a second ${w[0]} line" >&2; return 1; }
            [ -n "$rest" ] || { echo "${prog:-linklab}: $f:$lineno: ${w[0]} with nothing after it" >&2; return 1; }
            printf -v "$var" '%s' "$rest"
            [ "${w[0]}" != policy ] || SUBJ_policy="${w[*]:1}" SUBJ_policy_line=$lineno ;;
        *) echo "${prog:-linklab}: $f:$lineno: unknown statement '${w[0]}' (summary, command, policy, warns)" >&2
            return 1 ;;
        esac
    done <"$f"
    if [ -n "$SUBJ_warns" ]; then
        local rc=0
        grep -Eq -- "$SUBJ_warns" /dev/null 2>/dev/null || rc=$?
        [ "$rc" -le 1 ] || { echo "${prog:-linklab}: $f: warns '$SUBJ_warns' is not an extended regular expression" >&2; return 1; }
    fi
    [ -n "$SUBJ_warns" ] || SUBJ_warns=$LAB_DEFAULT_WARNS
}

# what a warning line matches when a subject does not say (grep -Ei)
LAB_DEFAULT_WARNS='warning'

# count_warnings REGEX FILE...: the lines of the files (the installer's
# stdout and stderr) that REGEX matches, case-insensitively
count_warnings() {
    local re=$1
    shift
    cat -- "$@" | grep -Eci -- "$re" || true
}

# template_fill TEMPLATE NAME=VALUE...: TEMPLATE with every {NAME} replaced
# by its VALUE, in one pass from left to right (a value is never read as a
# template itself, and no character in it is special); a placeholder no
# pair names is left as it is.
template_fill() {
    local t=$1 out="" kv name found
    shift
    while [[ $t == *\{* ]]; do
        out+=${t%%\{*}
        t=${t#*\{}
        name=${t%%\}*}
        found=0
        if [[ $t == *\}* ]]; then
            for kv in "$@"; do
                if [ "${kv%%=*}" = "$name" ]; then
                    out+=${kv#*=}
                    found=1
                    break
                fi
            done
        fi
        if [ "$found" = 1 ]; then
            t=${t#*\}}
        else
            out+="{"
        fi
    done
    printf '%s' "$out$t"
}

# template_argv TEMPLATE NAME=VALUE...: the command a subject's template
# makes, as the words of the array ARGV; one parser for every run of it
# (bench/run times it and observes it with the very same words). The
# template is split at blanks; '...' and "..." quote (nothing is expanded;
# inside "...", \" and \\ are the only escapes). Then each {name} is filled
# in its word, one pass: a word that is just {name} becomes one word per
# line of VALUE (none when VALUE is empty, as {log} in a timed run), a
# {name} inside a longer word takes VALUE whole. Values are never split at
# blanks or re-parsed: a path with spaces, quotes or {x} stays one word.
# An unknown {x} stays as written (template_unknown finds it first). 1 with
# a message for an unclosed quote.
template_argv() {
    local t=$1 i c q="" word="" have=0 w name kv line
    shift
    local -a words=()
    for ((i = 0; i < ${#t}; i++)); do
        c=${t:i:1}
        if [ "$q" = "'" ]; then
            if [ "$c" = "'" ]; then q=""; else word+=$c; fi
        elif [ "$q" = '"' ]; then
            if [ "$c" = "\\" ] && [[ ${t:i+1:1} == [\"\\] ]]; then
                word+=${t:i+1:1}
                i=$((i + 1))
            elif [ "$c" = '"' ]; then q=""; else word+=$c; fi
        elif [[ $c == [\'\"] ]]; then
            q=$c have=1
        elif [[ $c == [[:blank:]] ]]; then
            [ "$have" = 0 ] || words+=("$word")
            word="" have=0
        else
            word+=$c have=1
        fi
    done
    if [ -n "$q" ]; then
        echo "template has an unclosed $q: $t" >&2
        return 1
    fi
    [ "$have" = 0 ] || words+=("$word")
    ARGV=()
    for w in "${words[@]}"; do
        if [[ $w =~ ^\{([A-Za-z_][A-Za-z0-9_]*)\}$ ]]; then
            name=${BASH_REMATCH[1]}
            for kv in "$@"; do
                [ "${kv%%=*}" = "$name" ] || continue
                while IFS= read -r line; do ARGV+=("$line"); done <<<"${kv#*=}"
                [ -n "${kv#*=}" ] || unset 'ARGV[-1]' # <<< of "" gives one empty line
                continue 2
            done
        fi
        ARGV+=("$(template_fill "$w" "$@")")
    done
}

# shell_words WORD...: the words as one line that a POSIX shell, or
# hyperfine -N, splits back into exactly these words (single quotes where
# needed, ' as '\'').
shell_words() {
    local w out="" q="'\\''"
    for w in "$@"; do
        if [[ -n $w && $w != *[!A-Za-z0-9_@%+=:,./-]* ]]; then
            out+="$w "
        else
            out+="'${w//\'/$q}' "
        fi
    done
    printf '%s' "${out% }"
}

# template_unknown TEMPLATE NAME...: the first {WORD} placeholder of TEMPLATE
# that is none of NAME, or nothing
template_unknown() {
    local t=$1 n p
    shift
    while [[ $t =~ \{([A-Za-z_][A-Za-z0-9_]*)\} ]]; do
        p=${BASH_REMATCH[1]}
        t=${t#*"${BASH_REMATCH[0]}"}
        for n in "$@"; do [ "$n" != "$p" ] || continue 2; done
        echo "{$p}"
        return 0
    done
}
