/* darwin.h - the macOS placement path: clonefile(2) of each top-level
 * entry of the wheel directory (whole directory trees at once); where the
 * destination exists, merge entry by entry (a file is cloned beside the old
 * one and renamed over it). The clone primitive is passed in: clonefile on
 * macOS; anything with its semantics elsewhere (destination must not exist:
 * EEXIST; EXDEV across volumes; ENOTSUP where unsupported). */
#ifndef LAB_DARWIN_H
#define LAB_DARWIN_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/cache.h"
#include "engine/install.h"

/* Clones src (file or directory tree) to dst, which must not exist.
 * Returns 0 or an errno value. */
typedef int (*clonefile_fn)(const char *src, const char *dst);

/* The real clonefile on macOS; ENOTSUP elsewhere. */
int darwin_clonefile(const char *src, const char *dst);

/* clonefile through labfs's LABFS_IOC_CLONE (lab/labfs.h), for
 * --platform darwin on Linux: ENOTSUP on any filesystem but labfs. */
int labfs_clonefile(const char *src, const char *dst);

/* Places the wheel at src_root into tgt_root. Fills res[i] (placed, used =
 * clone) for each manifest file placed. Returns 0 or the errno of the
 * first failure; *placed_any says whether anything had been placed by then
 * (a failure after that is an error, not a fallback). */
int darwin_clone_wheel(const char *src_root, const char *tgt_root, const struct manifest *m,
                       struct file_result *res, clonefile_fn clone, bool *placed_any);

#endif
