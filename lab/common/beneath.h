/* beneath.h - paths that cannot leave their directory. Every file the
 * installer writes, and every cache file it reads, is reached from a
 * directory descriptor with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS):
 * no '..', no absolute path, no symlink on the way (a symlinked directory
 * planted in a target, or a corrupt manifest, ends in ELOOP or EXDEV, never
 * in a write elsewhere). Where openat2 is missing (ENOSYS: Linux before
 * 5.6, other systems) the same rule is kept by a walk, one component at a
 * time with O_NOFOLLOW. */
#ifndef LAB_BENEATH_H
#define LAB_BENEATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* open(2) of rel beneath dirfd; -1 with errno (ELOOP for a symlink on the
 * way, EXDEV for a path that would leave dirfd). The last component is not
 * followed either. */
int beneath_open(int dirfd, const char *rel, int flags, mode_t mode);

/* The parent directory of rel beneath a root, opened once and kept while
 * the next names share it (files come directory by directory). */
struct beneath_dir {
    int root;  /* the descriptor this cache was filled from, or -1 */
    int fd;    /* the parent directory, or -1 */
    char *dir; /* its path under root ("" for root itself) */
    size_t cap;
};

#define BENEATH_DIR_INIT {-1, -1, NULL, 0}

/* A descriptor of rel's parent directory beneath root (owned by bd; valid
 * until the next call), with *base set to rel's last component; -1 with
 * errno. */
int beneath_parent(struct beneath_dir *bd, int root, const char *rel, const char **base);
void beneath_dir_release(struct beneath_dir *bd);

/* Whether the directory dirfd is the directory `want` (device and inode)
 * or lies below it, walking up by "..": a bind mount, a symlink or a name
 * that folds to it on a case-insensitive filesystem is seen as it. */
bool dir_below(int dirfd, const struct stat *want);

#endif
