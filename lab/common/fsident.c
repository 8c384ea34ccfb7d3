#include "common/fsident.h"

#include <errno.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

/* Linux 6.5's FS_IOC_GETFSUUID, not in older headers. */
struct lab_fsuuid2 {
    unsigned char len;
    unsigned char uuid[16];
};
#define LAB_FS_IOC_GETFSUUID _IOR(0x15, 0, struct lab_fsuuid2)

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

static void hex(char *out, size_t outlen, const unsigned char *b, size_t n)
{
    size_t pos = 0;
    for (size_t i = 0; i < n && pos + 3 < outlen; i++, pos += 2)
        snprintf(out + pos, 3, "%02x", b[i]);
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
    char h[40] = "";
    struct btrfs_ioctl_fs_info_args bi;
    struct lab_fsuuid2 u = {0};
    memset(&bi, 0, sizeof bi);
    if (t == BTRFS_SUPER_MAGIC && ioctl(fd, BTRFS_IOC_FS_INFO, &bi) == 0) {
        hex(h, sizeof h, bi.fsid, sizeof bi.fsid);
        snprintf(out->id, sizeof out->id, "btrfs:%s", h);
    } else if (ioctl(fd, LAB_FS_IOC_GETFSUUID, &u) == 0 && u.len > 0 && u.len <= 16) {
        hex(h, sizeof h, u.uuid, u.len);
        snprintf(out->id, sizeof out->id, "%s:%s", out->type, h);
    } else {
        snprintf(out->id, sizeof out->id, "%s:dev%llu", out->type, (unsigned long long)st.st_dev);
    }
    return 0;
}
