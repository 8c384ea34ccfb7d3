/* fsident.h - which filesystem a file is on, as an identity that two
 * files share exactly when FIEMAP physical addresses of one can be
 * compared with the other's: the mounted superblock (statx's mount id,
 * then that mount's device number in /proc/self/mountinfo), never a UUID,
 * since an image copied with cp, or XFS mounted -o nouuid, gives two
 * filesystems one UUID. Also the filesystem's type name. */
#ifndef LAB_FSIDENT_H
#define LAB_FSIDENT_H

#include <stdbool.h>
#include <stddef.h>

struct fsident {
    char id[80];
    char type[24];
    bool can_share; /* the filesystem type can share extents (reflink) */
    bool no_fiemap; /* tmpfs and friends: no FIEMAP, and no sharing either */
    bool fuse;
    bool layered;   /* overlayfs: FIEMAP answers for the file in whichever layer
                       holds it, so addresses of two files need not be comparable;
                       false for an overlay whose layers are all on one
                       filesystem, whose id it then has */
};

/* 0 or an errno value. */
int fsident_of(int fd, struct fsident *out);
const char *fs_type_name(long f_type);
/* The lower (and data) layers of the overlay mount fd is on, as its
 * mountinfo options name them; malloc'd, *n of them (NULL, 0: none, or not
 * an overlay), and *mountpoint where it is mounted (malloc'd, or NULL). */
char **overlay_lower_dirs(int fd, size_t *n, char **mountpoint);

#endif
