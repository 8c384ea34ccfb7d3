/* fsident.h - which filesystem a file is on, as an identity that two
 * files share exactly when FIEMAP physical addresses of one can be
 * compared with the other's: the btrfs fsid (the same for every subvolume,
 * whose st_dev differ), the filesystem UUID (FS_IOC_GETFSUUID), or else the
 * device number. Also the filesystem's type name. */
#ifndef LAB_FSIDENT_H
#define LAB_FSIDENT_H

#include <stdbool.h>

struct fsident {
    char id[80];
    char type[24];
    bool can_share; /* the filesystem type can share extents (reflink) */
    bool no_fiemap; /* tmpfs and friends: no FIEMAP, and no sharing either */
    bool fuse;
};

/* 0 or an errno value. */
int fsident_of(int fd, struct fsident *out);
const char *fs_type_name(long f_type);

#endif
