/* labfs.h - the public interface of labfs, the lab's APFS-like FUSE
 * filesystem: the clone ioctl (clonefile(2) semantics) and the extended
 * attribute that names a file's backing file. */
#ifndef LAB_LABFS_H
#define LAB_LABFS_H

#include <sys/ioctl.h>

#define LABFS_PATH_MAX 1024
#define LABFS_NAME_MAX 256

/* Clone SRC (a file or a whole directory tree, given as an absolute path
 * that must lie inside the same labfs mount) to NAME in the directory the
 * ioctl is called on. Like clonefile(2): the destination must not exist
 * (EEXIST), the clone is atomic (built beside, then renamed), file data is
 * reflinked on the backing filesystem, modes are kept; EXDEV when SRC is
 * outside this labfs; ENOTTY on any other filesystem. */
struct labfs_clone_args {
    char src[LABFS_PATH_MAX];
    char name[LABFS_NAME_MAX];
};
#define LABFS_IOC_CLONE _IOW('L', 1, struct labfs_clone_args)

/* getxattr(path, LABFS_BACKING_XATTR) gives the file's backing path: FIEMAP
 * does not pass through FUSE, so the observer reads extents there. */
#define LABFS_BACKING_XATTR "user.labfs.backing"

/* Hidden from listings: counters of calls and injected faults. */
#define LABFS_STATS_PATH "/.labfs/stats"

#endif
