/* policy.h - placement algorithms of the reference installer, as one
 * table. "linklab" is the lab's own algorithm; others reproduce what a given
 * installer release did, so the lab can show its behaviour.
 *
 * The rows come from subjects/NAME.conf (their `policy` lines; the build
 * turns them into policies.inc with scripts/gen-policies): a new policy is
 * a subject file, and a new kind of behaviour is a flag here, read by the
 * engine (lab/engine/). */
#ifndef LAB_POLICY_H
#define LAB_POLICY_H

#include <stdbool.h>

struct policy {
    const char *name;
    const char *subject; /* the subjects/ file that defines it */
    const char *summary;
    /* clone: first reflink the whole wheel directory (which Linux cannot
     * do); when that fails, copy the whole tree */
    bool clone_whole_dir;
    /* print the one-line-per-kind fallback warnings */
    bool warn_on_fallback;
    /* clone: EXDEV from FICLONE fails the install instead of stepping down
     * (uv #1444) */
    bool clone_exdev_fails;
    /* hardlink: EMLINK fails the install instead of giving the cache file a
     * fresh inode (uv #17699) */
    bool emlink_fails;
    /* clone: the new file is created with the default mode (0644), not the
     * file's own, so exec bits are lost (uv #18181) */
    bool clone_drops_mode;
    /* auto: a clone that fails with EOPNOTSUPP/EINVAL goes straight to copy,
     * silently, never trying hardlinks (pnpm #11117) */
    bool auto_probe_copies;
    /* copy: a file another wheel placed already is written over where it
     * stands, without truncation or a lock, so a shorter file leaves the
     * longer one's tail (uv #4831) */
    bool overwrite_in_place;
};

const struct policy *policy_find(const char *name);
const struct policy *policy_default(void);
/* For --help: the table itself. */
const struct policy *policy_table(int *n);

#endif
