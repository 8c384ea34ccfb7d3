/* observe.h - what an installed tree really is, file by file: cloned,
 * hardlinked, symlinked or copied, proved on disk (FIEMAP physical extents,
 * inodes), independently of who made it; and whether it is complete
 * against what its packages promise (a wheel's RECORD, an npm tarball's
 * files). */
#ifndef LAB_OBSERVE_H
#define LAB_OBSERVE_H

#include <stdbool.h>

#define OBSERVE_SCHEMA 2

enum obs_class {
    CLS_CLONED,               /* its source's size, and every byte stored where the
                                 source stores the same byte (a whole clone) */
    CLS_PARTIAL,              /* some bytes stored where the source's are, not all */
    CLS_SHARED_ELSEWHERE,     /* FIEMAP says shared, but not with the source */
    CLS_HARDLINKED,           /* the device and inode of a source file */
    CLS_HARDLINKED_ELSEWHERE, /* link count > 1, no source file has its inode */
    CLS_SYMLINKED,            /* a symlink resolving to a source file (or directory) */
    CLS_SYMLINKED_OUTSIDE,    /* a symlink resolving outside the source */
    CLS_COPIED,               /* own data, no shared extents */
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
    char **packages;     /* --wheel, --package: files whose promises the target is checked against */
    int npackages;
    int expect;          /* an enum lab_mode, or -1 */
    const char *json_path;
    bool isolation;
    char **trace_argv;   /* --trace -- COMMAND...: run it under strace first */
    bool quiet;
    char **own;          /* globs of the installer's own files (layout links,
                            bookkeeping): listed, never deviations */
    int nown;
};

/* Returns the exit status: 0, 1 (an expectation failed, the tree is
 * incomplete, or an error), 2 (usage). */
int observe_run(const struct observe_opts *o);

#endif
