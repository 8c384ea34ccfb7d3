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
};

const struct policy *policy_find(const char *name);
const struct policy *policy_default(void);
/* For --help: the table itself. */
const struct policy *policy_table(int *n);

#endif
