/* observe.h - what an installed tree really is, file by file: cloned,
 * hardlinked, symlinked or copied, proved on disk (FIEMAP physical extents,
 * inodes), independently of who made it; and whether it is complete
 * against the wheels' RECORDs. */
#ifndef LAB_OBSERVE_H
#define LAB_OBSERVE_H

#include <stdbool.h>

#define OBSERVE_SCHEMA 1

enum obs_class {
    CLS_CLONED,           /* every data extent at a physical address of its source's */
    CLS_PARTIAL,          /* some extents shared with the source, some not */
    CLS_SHARED_ELSEWHERE, /* FIEMAP says shared, but with no extent of the source */
    CLS_HARDLINKED,       /* the source's device and inode */
    CLS_SYMLINKED,        /* a symlink resolving to the source */
    CLS_COPIED,           /* own data, no shared extents */
    CLS_INLINE,           /* data kept in metadata: sharing cannot be proved */
    CLS_EMPTY,            /* no data at all */
    CLS_DANGLING,         /* a symlink that resolves to nothing */
    CLS_UNKNOWN,          /* the filesystem cannot tell (no FIEMAP) */
    CLS_COUNT
};

const char *obs_class_name(enum obs_class c);

struct observe_opts {
    const char *target;
    const char *source;  /* NULL: classify each file by what it shows alone */
    char **wheels;
    int nwheels;
    int expect;          /* an enum lab_mode, or -1 */
    const char *json_path;
    bool isolation;
    char **trace_argv;   /* --trace -- COMMAND...: run it under strace first */
    bool quiet;
};

/* Returns the exit status: 0, 1 (an expectation failed, the tree is
 * incomplete, or an error), 2 (usage). */
int observe_run(const struct observe_opts *o);

#endif
