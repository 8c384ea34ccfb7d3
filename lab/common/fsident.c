#include "common/fsident.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

const char *fs_type_name(long t)
{
    switch ((unsigned long)t) {
    case BTRFS_SUPER_MAGIC: return "btrfs";
    case XFS_SUPER_MAGIC: return "xfs";
    case EXT4_SUPER_MAGIC: return "ext4";
    case TMPFS_MAGIC: return "tmpfs";
    case FUSE_SUPER_MAGIC: return "fuse";
    case OVERLAYFS_SUPER_MAGIC: return "overlay";
    case NFS_SUPER_MAGIC: return "nfs";
    default: return "other";
    }
}

/* The device number of the superblock of the mount fd is on, as
 * /proc/self/mountinfo shows it (found by statx's mount id). Every mount
 * and subvolume of one btrfs shows one number there (their st_dev
 * differ); two filesystems never share one, whatever their UUIDs. */
static bool superblock_of(int fd, unsigned *major, unsigned *minor)
{
    struct statx sx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) != 0 || !(sx.stx_mask & STATX_MNT_ID))
        return false;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long long id;
        if (sscanf(line, "%llu %*u %u:%u", &id, major, minor) == 3 && id == sx.stx_mnt_id)
            found = true;
    }
    fclose(f);
    return found;
}

int fsident_of(int fd, struct fsident *out)
{
    memset(out, 0, sizeof *out);
    struct statfs sf;
    struct stat st;
    if (fstatfs(fd, &sf) != 0 || fstat(fd, &st) != 0)
        return errno;
    snprintf(out->type, sizeof out->type, "%s", fs_type_name((long)sf.f_type));
    unsigned long t = (unsigned long)sf.f_type;
    out->can_share = t == BTRFS_SUPER_MAGIC || t == XFS_SUPER_MAGIC;
    out->no_fiemap = t == TMPFS_MAGIC || t == RAMFS_MAGIC;
    out->fuse = t == FUSE_SUPER_MAGIC;
    out->layered = t == OVERLAYFS_SUPER_MAGIC;
    unsigned major, minor;
    if (superblock_of(fd, &major, &minor))
        snprintf(out->id, sizeof out->id, "%s:sb%u:%u", out->type, major, minor);
    else /* an older kernel: a btrfs subvolume then looks like another filesystem */
        snprintf(out->id, sizeof out->id, "%s:dev%u:%u", out->type, major(st.st_dev), minor(st.st_dev));
    return 0;
}
