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
# first): same-P, bind-P, overlay-P, subvol-btrfs, cross-A-B. Returns 1 with nothing
# printed for a name that is no layout, and 2 for a cross-A-B that splits
# into two profile pairs in more than one way.
is_profile() { # NAME: a profile name (as scripts/images takes them) with a file
    [[ $1 =~ ^[a-z0-9][a-z0-9-]*$ ]] && [ -f "$LAB_PROFILES_DIR/$1.conf" ]
}

layout_profiles() {
    local l=$1 p rest pairs=()
    case $l in
    same-* | bind-* | overlay-*) p=${l#*-}
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

subject_names() { names_in "$LAB_SUBJECTS_DIR" conf; }

# subject_check_name NAME: a subject's name is a file name of letters,
# digits, '.', '_' and '-' (it names cells and directories)
subject_check_name() {
    [[ $1 =~ ^[A-Za-z0-9._-]+$ ]] || {
        echo "${prog:-linklab}: $LAB_SUBJECTS_DIR/$1.conf: a subject's name takes letters, digits, '.', '_' and '-' only" >&2
        return 1
    }
}

# subject_load FILE: reads a subject file (format: subjects/README.md;
# nothing in it is executed) into SUBJ_summary, SUBJ_command, SUBJ_policy
# (the words after `policy`), SUBJ_policy_line, SUBJ_warns (the extended
# regex a warning line matches; default LAB_DEFAULT_WARNS), SUBJ_consumes
# (wheels or npm), SUBJ_provision (npm PACKAGE BINPATH | debian PACKAGE |
# path COMMAND; empty: nothing to provision), SUBJ_copies (readwrite or
# copy_file_range), SUBJ_own and SUBJ_mutable (globs, one a line), and the
# maps SUBJ_modes[MODE] (its option words), SUBJ_chains[MODE] (its steps)
# and SUBJ_warn[FROM>TO] (warning lines). `like NAME` loads NAME.conf first;
# {policy} in the command becomes the policy's name. A statement it does not know, a
# second one of a kind, or a wrong value is one line naming FILE:LINE on
# stderr, and status 1.
# shellcheck disable=SC2034 # SUBJ_* are read by the scripts that source this file
subject_load() {
    local f=$1 line lineno=0 w var rest s warns_line=0 statements=0
    local -A chain_line=() mine=()
    SUBJ_summary="" SUBJ_command="" SUBJ_policy="" SUBJ_policy_line=0 SUBJ_warns=""
    SUBJ_consumes="" SUBJ_provision="" SUBJ_copies="" SUBJ_clones="" SUBJ_own="" SUBJ_mutable=""
    declare -gA SUBJ_modes=() SUBJ_chains=() SUBJ_warn=()
    if [ ! -f "$f" ] || [ ! -r "$f" ]; then
        echo "${prog:-linklab}: $f: not a readable file" >&2
        return 1
    fi
    _subject_bad() { echo "${prog:-linklab}: $f:$lineno: $1" >&2; }
    while IFS= read -r line || [ -n "$line" ]; do
        lineno=$((lineno + 1))
        line=${line%$'\r'} # a file saved with CRLF line ends reads the same
        [ "$lineno" -ne 1 ] || line=${line#$'\xef\xbb\xbf'} # and one with a byte-order mark
        read -r -a w <<<"$line"
        if [ "${#w[@]}" -eq 0 ] || [[ ${w[0]} == '#'* ]]; then continue; fi
        statements=$((statements + 1))
        rest=${line#*"${w[0]}"}
        rest=${rest#"${rest%%[![:space:]]*}"}
        [ -n "$rest" ] || { _subject_bad "${w[0]} with nothing after it"; return 1; }
        # like NAME: NAME.conf (beside this file) first, then this file's
        # statements on top; its summary and policy are not taken
        if [ "${w[0]}" = like ]; then
            local base=${w[1]}.conf
            [[ $f != */* ]] || base=${f%/*}/$base
            [[ ${#w[@]} -eq 2 && ${w[1]} =~ ^[A-Za-z0-9._-]+$ ]] || { _subject_bad "like NAME (a subject beside this one)"; return 1; }
            [ "$statements" -eq 1 ] || { _subject_bad "like must be the first statement"; return 1; }
            [ -f "$base" ] || { _subject_bad "like ${w[1]}: no subject file $base"; return 1; }
            # one level: a base is a whole subject of its own
            [ -z "$(sed -n '/^[[:space:]]*like[[:space:]]/p' "$base")" ] ||
                { _subject_bad "like ${w[1]}: $base takes a like itself (a base must be a whole subject)"; return 1; }
            _SUBJ_LIKE=1 subject_load "$base" || return 1 # it said where
            _subject_bad() { echo "${prog:-linklab}: $f:$lineno: $1" >&2; }
            SUBJ_summary="" SUBJ_policy="" SUBJ_policy_line=0
            continue
        fi
        case ${w[0]} in
        summary | command | policy | warns | consumes | provision | copies | clones)
            var=SUBJ_${w[0]}
            [ -z "${mine[${w[0]}]:-}" ] || { _subject_bad "a second ${w[0]} line"; return 1; }
            mine[${w[0]}]=1
            printf -v "$var" '%s' "$rest"
            case ${w[0]} in
            policy) SUBJ_policy="${w[*]:1}" SUBJ_policy_line=$lineno
                [[ ${w[1]} =~ ^[A-Za-z0-9._-]+$ ]] || { _subject_bad "policy NAME [FLAG...]: '${w[1]}' is no policy name (letters, digits, . _ -)"; return 1; } ;;
            warns) warns_line=$lineno ;;
            consumes) [[ $rest =~ ^(wheels|npm)$ ]] || { _subject_bad "consumes wheels or npm, not '$rest'"; return 1; } ;;
            copies) [[ $rest =~ ^(readwrite|copy_file_range)$ ]] ||
                { _subject_bad "copies readwrite or copy_file_range, not '$rest'"; return 1; } ;;
            clones) [[ $rest =~ ^(ficlone|clonefile)$ ]] ||
                { _subject_bad "clones ficlone or clonefile, not '$rest'"; return 1; } ;;
            provision)
                case "${w[1]}:${#w[@]}" in
                npm:4 | debian:3 | path:3) SUBJ_provision="${w[*]:1}" ;;
                *) _subject_bad "provision npm PACKAGE BINPATH, debian PACKAGE or path COMMAND"; return 1 ;;
                esac ;;
            esac ;;
        mode)
            [[ ${w[1]} =~ ^(clone|hardlink|copy|symlink|auto)$ ]] ||
                { _subject_bad "mode takes a lab mode (clone, hardlink, copy, symlink, auto), not '${w[1]}'"; return 1; }
            [ -z "${mine[mode ${w[1]}]:-}" ] || { _subject_bad "a second mode ${w[1]} line"; return 1; }
            mine[mode ${w[1]}]=1
            SUBJ_modes[${w[1]}]="${w[*]:2}" ;;
        chain)
            [ "${#w[@]}" -ge 3 ] || { _subject_bad "chain MODE STEP... (steps: clone hardlink copy symlink)"; return 1; }
            [ -z "${mine[chain ${w[1]}]:-}" ] || { _subject_bad "a second chain ${w[1]} line"; return 1; }
            mine[chain ${w[1]}]=1
            for s in "${w[@]:2}"; do
                [[ $s =~ ^(clone|hardlink|copy|symlink)$ ]] ||
                    { _subject_bad "chain step '$s' is none of clone, hardlink, copy, symlink"; return 1; }
            done
            SUBJ_chains[${w[1]}]="${w[*]:2}" chain_line[${w[1]}]=$lineno ;;
        warn)
            [[ ${#w[@]} -eq 4 && ${w[1]} =~ ^(clone|hardlink|copy|symlink)$ && ${w[2]} =~ ^(clone|hardlink|copy|symlink|none)$ && ${w[3]} =~ ^[0-9]{1,6}$ ]] ||
                { _subject_bad "warn FROM TO N: FROM and TO are steps (clone, hardlink, copy, symlink; TO also none), not modes, and N a number: the warning lines when a chain that starts at step FROM lands on step TO"; return 1; }
            s="warn ${w[1]}>${w[2]}"
            [ -z "${mine[$s]:-}" ] || { _subject_bad "a second warn ${w[1]} ${w[2]} line"; return 1; }
            mine[$s]=1
            SUBJ_warn["${w[1]}>${w[2]}"]=${w[3]} ;;
        own | mutable)
            var=SUBJ_${w[0]}
            printf -v "$var" '%s' "${!var}$(printf '%s\n' "${w[@]:1}")"$'\n' ;;
        *) _subject_bad "unknown statement '${w[0]}' (like, summary, command, policy, warns, consumes, provision, mode, chain, warn, copies, clones, own, mutable)"
            return 1 ;;
        esac
    done <"$f"
    for s in "${!SUBJ_chains[@]}"; do
        [ -n "${SUBJ_modes[$s]+set}" ] || { echo "${prog:-linklab}: $f:${chain_line[$s]}: chain $s without a mode $s line" >&2; return 1; }
    done
    if [ -n "$SUBJ_warns" ]; then
        local rc=0
        grep -Eq -- "$SUBJ_warns" /dev/null 2>/dev/null || rc=$?
        [ "$rc" -le 1 ] || { echo "${prog:-linklab}: $f:$warns_line: warns '$SUBJ_warns' is not an extended regular expression" >&2; return 1; }
    fi
    # {policy} in the command is the subject's own policy name, filled here
    # (a subject taken `like` this one runs its own policy)
    if [[ $SUBJ_command == *'{policy}'* && ${_SUBJ_LIKE:-} != 1 ]]; then
        [ -n "$SUBJ_policy" ] || { echo "${prog:-linklab}: $f: its command has {policy} and it has no policy line" >&2; return 1; }
        SUBJ_command=${SUBJ_command//'{policy}'/${SUBJ_policy%% *}}
    fi
    [ -n "$SUBJ_warns" ] || SUBJ_warns=$LAB_DEFAULT_WARNS
    [ -n "$SUBJ_consumes" ] || SUBJ_consumes=wheels
    [ -n "$SUBJ_copies" ] || SUBJ_copies=readwrite
    [ -n "$SUBJ_clones" ] || SUBJ_clones=ficlone
}

# what a warning line matches when a subject does not say (grep -Ei)
LAB_DEFAULT_WARNS='warning'

# the flags a `policy` line takes (scripts/gen-policies; lab/policy/policy.h)
# shellcheck disable=SC2034 # read by scripts/gen-policies
LAB_POLICY_FLAGS="clone-whole-dir, warn-on-fallback, clone-exdev-fails, emlink-fails, clone-drops-mode, auto-probe-copies, overwrite-in-place"

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

# ------------------------------------------------------------- derive

# profile_get PROFILE KEY: the value of KEY= in images/PROFILE.conf (empty
# when the file or the key is not there)
profile_get() {
    local line
    [ -f "$LAB_PROFILES_DIR/$1.conf" ] || return 0
    while IFS= read -r line || [ -n "$line" ]; do
        [ "${line%%=*}" != "$2" ] || { printf '%s' "${line#*=}"; return 0; }
    done <"$LAB_PROFILES_DIR/$1.conf"
}

# layout_relation LAYOUT: same, bind, subvol or cross (how the cache and
# the target are related)
# layout_problem LAYOUT: why LAYOUT cannot be a cell's layout, as one
# phrase; nothing when it can (bench/run and bench/regressions ask it)
layout_problem() {
    local st=0
    layout_profiles "$1" >/dev/null || st=$?
    case $st in
    0) ;;
    2) echo "layout '$1' splits into two profiles in more than one way"; return 0 ;;
    *) echo "unknown layout '$1' (layouts: same-P, bind-P, overlay-P, subvol-btrfs, cross-A-B; profiles: $(profile_names | paste -sd ' '))"
        return 0 ;;
    esac
    # overlayfs takes no FUSE layer: its upper one needs trusted.* xattrs
    if [[ $1 == overlay-* ]] && [ "$(profile_get "${1#overlay-}" type)" = labfs ]; then
        echo "layout '$1': overlayfs cannot stack on ${1#overlay-}, a labfs (FUSE) profile; use a kernel filesystem's (btrfs, xfs, ext4, tmpfs)"
    fi
}

layout_relation() {
    case $1 in
    same-*) echo same ;;
    bind-*) echo bind ;;
    overlay-*) echo overlay ;;
    subvol-*) echo subvol ;;
    cross-*) echo cross ;;
    esac
}

# derive_step LAYOUT STEP COPIES [CLONES]: whether one step of a fallback chain
# works on the layout, as "CLASS|why" (CLASS empty: the step fails there),
# from the layout's relation and the cache profile's declared capabilities
# (images/*.conf: reflink, hardlink, labfs_options maxlinks=). COPIES is the
# subject's copy method: copy_file_range shares extents where FICLONE works;
# CLONES how it clones: ficlone (default), or clonefile, which also works on
# a profile with clonefile=yes (labfs's directory clones on apfs-like).
derive_step() {
    local layout=$1 step=$2 copies=$3 clones=${4:-ficlone} rel p reflink hardlink
    rel=$(layout_relation "$layout")
    local across=${rel/bind/mounts (a bind mount)} within=""
    [ "$rel" != overlay ] || within=" (through overlayfs, the cache in its lower layer: a link copies the file up first)"
    across=${across/subvol/btrfs subvolumes}
    p=$(layout_profiles "$layout" | head -n 1)
    reflink=$(profile_get "$p" reflink) hardlink=$(profile_get "$p" hardlink)
    case $step in
    clone)
        if [ "$rel" = cross ]; then echo "|a clone across filesystems gets EXDEV"
        elif [ "$clones" = clonefile ] && [ "$(profile_get "$p" clonefile)" = yes ]; then
            echo "cloned|clonefile works on $p$([ "$rel" = same ] || echo " across $across")"
        elif [ "$reflink" != yes ]; then echo "|$p has no reflink (reflink=$reflink in images/$p.conf): FICLONE fails"
        elif [ "$rel" = overlay ]; then echo "cloned|FICLONE works through overlayfs, its layers all on $p"
        else echo "cloned|FICLONE works on $p$([ "$rel" = same ] || echo " across $across")"
        fi ;;
    hardlink)
        if [ "$rel" != same ] && [ "$rel" != overlay ]; then echo "|link(2) across ${across/cross/filesystems} gets EXDEV"
        elif [ "$hardlink" != yes ]; then echo "|$p has no hard links"
        elif [[ ,$(profile_get "$p" labfs_options), =~ ,maxlinks=([0-9]+), ]] && [ "${BASH_REMATCH[1]}" -le 1 ]; then
            echo "|$p's link limit is ${BASH_REMATCH[1]} ($(profile_get "$p" labfs_options)): every link(2) gets EMLINK, also after the cache file gets a fresh inode"
        elif [[ $(profile_get "$p" labfs_options) == *maxlinks=* ]]; then
            # a cell's installs (each into an emptied target) stay far below it
            echo "hardlinked|link(2) works within $p up to its link limit ($(profile_get "$p" labfs_options)), which a cell's installs stay below"
        else echo "hardlinked|link(2) works within $p$within"
        fi ;;
    symlink) echo "symlinked|symlinks work anywhere" ;;
    copy)
        if [ "$copies" = copy_file_range ] && [ "$rel" != cross ] && [ "$reflink" = yes ]; then
            echo "cloned|its copy is copy_file_range, which shares extents on $p: on disk a clone"
        else echo "copied|a copy works anywhere"
        fi ;;
    esac
}

# derive LAYOUT MODE CHAIN COPIES WARNSPEC [CLONES]: the expectations a subject's
# declared fallback chain (CHAIN: its steps for MODE) and warning policy
# (WARNSPEC: FROM>TO=N words) give on a layout, as the words of DERIVED
# (class=, fallback=, warnings=, complete=, exit=), the reasoning as one
# line in DERIVATION, and in DERIVED_ASKS the class the chain's first step
# gives where it works (what fallback= is judged against)
# shellcheck disable=SC2034 # DERIVED_ASKS is read by the callers
derive() {
    local layout=$1 mode=$2 chain=$3 copies=$4 warnspec=$5 clones=${6:-ficlone} step res cls="" reasons=() first="" landed=none kv n=0
    DERIVED=() DERIVATION="" DERIVED_ASKS=""
    for step in $chain; do
        [ -n "$first" ] || first=$step
        res=$(derive_step "$layout" "$step" "$copies" "$clones")
        reasons+=("$step: ${res#*|}")
        if [ -n "${res%%|*}" ]; then
            cls=${res%%|*} landed=$step
            break
        fi
    done
    # the first step's own class, wherever it lands
    case $first in
    clone) DERIVED_ASKS=cloned ;;
    hardlink) DERIVED_ASKS=hardlinked ;;
    symlink) DERIVED_ASKS=symlinked ;;
    *) DERIVED_ASKS=copied
        [ "$copies" != copy_file_range ] || [ "$cls" != cloned ] || DERIVED_ASKS=cloned ;;
    esac
    for kv in $warnspec; do
        [ "${kv%%=*}" != "$first>$landed" ] || n=${kv#*=}
    done
    [ "$landed" != "$first" ] || n=0
    DERIVATION="$mode on $layout: $(printf '%s; ' "${reasons[@]}")"
    DERIVATION=${DERIVATION%; }
    if [ "$landed" = none ]; then
        DERIVED=(exit=1 "warnings=$n")
        DERIVATION+=" => no step works: the install fails"
        return 0
    fi
    DERIVED=(exit=0 complete=yes "warnings=$n")
    if [ "$cls" = mixed ]; then
        DERIVATION+=" => no one class (the link limit splits the files)"
    else
        DERIVED+=("class=$cls" "fallback=$([ "$landed" = "$first" ] && echo no || echo yes)")
        DERIVATION+=" => $cls"
    fi
    [ "$landed" = "$first" ] && DERIVATION+=", no fallback" || DERIVATION+=", a fallback from $first to $landed"
    DERIVATION+=", $n warning line$([ "$n" = 1 ] || echo s)"
    local p
    for p in $(layout_profiles "$layout"); do
        [ "$(profile_get "$p" case_sensitive)" != no ] ||
            DERIVATION+="; $p is case-insensitive: names that differ only by case are one file there, which complete=yes reports"
    done
}

# ------------------------------------------------------- npm registry

# the registry npm packages come from (a test points it somewhere that
# cannot answer)
LAB_NPM_REGISTRY=${LINKLAB_NPM_REGISTRY:-https://registry.npmjs.org}

# integrity_of FILE: the sha512 integrity string npm uses ("sha512-BASE64")
integrity_of() {
    python3 -c 'import base64, hashlib, sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$1"
}

# curl_said TEXT: curl's own error line in TEXT ("curl: (60) SSL
# certificate problem: ..."), not the advice it prints after it
curl_said() {
    local line
    line=$(grep -m 1 '^curl:' <<<"$1") || line=$(head -n 1 <<<"$1")
    printf '%s' "${line:-curl failed}"
}

# npm_download NAME VERSION INTEGRITY FILE: the registry's tarball of
# NAME@VERSION into FILE, checked against INTEGRITY (a pin; empty: the
# integrity the registry publishes for that version). 1 with the reason in
# NPM_ERR (unreachable registry, no such version, a tarball that does not
# match), FILE removed; NPM_MISSING=1 when the registry answered that it
# has no such version (a definition's mistake, not the network's); the
# integrity it checked in NPM_INTEGRITY.
# shellcheck disable=SC2034 # NPM_* are read by the callers
npm_download() {
    local name=$1 version=$2 integrity=$3 file=$4 url meta got code
    NPM_ERR="" NPM_MISSING=0
    if [ -z "$integrity" ]; then
        url=$LAB_NPM_REGISTRY/$name/$version
        code=$(curl -sSL --retry 2 --max-time 60 -o "$file.meta" -w '%{http_code}' "$url" 2>"$file.err") || code=${code:-000}
        if [ "$code" = 404 ]; then
            NPM_ERR="the npm registry has no $name at version $version ($url: 404)" NPM_MISSING=1
            rm -f "$file.meta" "$file.err"
            return 1
        elif [ "$code" != 200 ]; then
            NPM_ERR="$name@$version: the registry did not answer ($url: $(curl_said "$(cat "$file.err" 2>/dev/null)") HTTP $code)"
            rm -f "$file.meta" "$file.err"
            return 1
        fi
        integrity=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["dist"]["integrity"])' "$file.meta" 2>/dev/null) ||
            { NPM_ERR="$name@$version: the registry's answer at $url names no dist.integrity"; rm -f "$file.meta" "$file.err"; return 1; }
        rm -f "$file.meta" "$file.err"
    fi
    url=$LAB_NPM_REGISTRY/$name/-/${name##*/}-$version.tgz
    if ! meta=$(curl -fsSL --retry 2 --max-time 300 -o "$file" "$url" 2>&1); then
        rm -f "$file"
        NPM_ERR="$name@$version: download failed ($url: $(curl_said "$meta"))"
        return 1
    fi
    got=$(integrity_of "$file")
    if [ "$got" != "$integrity" ]; then
        rm -f "$file"
        NPM_ERR="$name@$version from $url does not match its integrity (expected $integrity, downloaded $got)"
        return 1
    fi
    NPM_INTEGRITY=$integrity
}

# npm_names TARBALL...: each registry tarball's package name (from the
# package.json at its top), one a line; 1 with a line on stderr for one
# that has none
npm_names() {
    python3 - "$@" <<'PY'
import json, sys, tarfile
for p in sys.argv[1:]:
    try:
        with tarfile.open(p) as t:
            m = next(m for m in t.getmembers() if m.isfile() and m.name.count("/") == 1 and m.name.endswith("/package.json"))
            print(json.load(t.extractfile(m))["name"])
    except Exception as e:
        sys.exit("%s: no package.json with a name at its top (%s)" % (p, e))
PY
}

# npm_unpack TARBALL DIR: the package's files (its one top directory
# stripped) into DIR, which is replaced
npm_unpack() {
    rm -rf "$2"
    mkdir -p "$2"
    tar -xzf "$1" -C "$2" --strip-components=1 --no-same-owner
}

# --------------------------------------------------- source=unchanged

# tree_digest GLOBS PATH...: "sha256+XATTRS size mode uid:gid path" of
# every regular file (and "link:sha256-of-target" of every symlink) under
# each PATH that is a directory (but those whose path
# under it matches one of GLOBS, one a line, as --own's: '*' stops at '/',
# a leading '**/' is any directories: files the installer rewrites on
# purpose, like a store's index) and of each PATH that is a file, sorted:
# what an install must leave as it was, bytes, mode and owner
tree_digest() {
    python3 - "$@" <<'PY'
import hashlib, os, re, sys
def glob_re(g):
    out, i = "", 0
    while i < len(g):
        if g.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif g[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif g[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(g[i]), i + 1
    return re.compile(out + r"\Z")
globs = [glob_re(g) for g in sys.argv[1].split("\n") if g]
def digest(path):
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
def xattrs(path):
    # every extended attribute, names and values, as one digest ("-": none)
    try:
        names = sorted(os.listxattr(path, follow_symlinks=False))
    except OSError:
        return "-"
    if not names:
        return "-"
    h = hashlib.sha256()
    for n in names:
        try:
            v = os.getxattr(path, n, follow_symlinks=False)
        except OSError:
            v = b"?"
        h.update(n.encode() + b"\0" + v + b"\0")
    return h.hexdigest()[:16]
out = {}
def add(path):
    st = os.lstat(path)
    if os.path.islink(path):
        # a link is its target
        out[path] = "%s %d %o %d:%d %s" % ("link:" + hashlib.sha256(os.readlink(path).encode()).hexdigest(), 0, 0, st.st_uid, st.st_gid, path)
    elif os.path.isfile(path):
        out[path] = "%s %d %o %d:%d %s" % (digest(path) + "+" + xattrs(path), st.st_size, st.st_mode & 0o7777, st.st_uid, st.st_gid, path)
for root in sys.argv[2:]:
    if not os.path.isdir(root) or os.path.islink(root):
        add(root)
        continue
    for d, dirs, files in os.walk(root):
        for n in files:
            p = os.path.join(d, n)
            if not any(g.match(os.path.relpath(p, root)) for g in globs):
                add(p)
print("\n".join(out[p] for p in sorted(out)))
PY
}

# source_changes BEFORE AFTER: the files of the BEFORE digest that AFTER
# does not hold as they were, as JSON: {"files": N, "changed": M,
# "first": ["PATH: why", ... up to 10], "added": N, "first_added": [...]}
source_changes() {
    python3 - "$1" "$2" <<'PY'
import json, sys
def load(p):
    d = {}
    for line in open(p):
        line = line.rstrip("\n")
        if line:
            h, size, mode, owner, path = line.split(" ", 4)
            d[path] = (h, int(size), mode, owner)
    return d
before, after = load(sys.argv[1]), load(sys.argv[2])
changed = []
added = sorted(set(after) - set(before))
for path, (h, size, mode, owner) in sorted(before.items()):
    if path not in after:
        changed.append(path + ": gone")
        continue
    h2, size2, mode2, owner2 = after[path]
    why = []
    if size2 != size:
        why.append("%d bytes, was %d" % (size2, size))
    elif h2.split("+")[0] != h.split("+")[0]:
        why.append("other bytes" if not h.startswith("link:") else "another link target")
    if h2.partition("+")[2] != h.partition("+")[2]:
        why.append("other extended attributes")
    if mode2 != mode:
        why.append("mode %s, was %s" % (mode2, mode))
    if owner2 != owner:
        why.append("owner %s, was %s" % (owner2, owner))
    if why:
        changed.append("%s: %s" % (path, ", ".join(why)))
# files added beside them are counted, not judged (an installer keeps its own
# cache beside the lab's), and named
print(json.dumps({"files": len(before), "changed": len(changed), "first": changed[:10],
                  "added": len(added), "first_added": added[:5]}))
PY
}
