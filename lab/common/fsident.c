#include "common/fsident.h"

#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

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

/* The line of /proc/self/mountinfo for the mount fd is on (found by
 * statx's mount id), malloc'd; NULL when there is none. */
static char *mountinfo_line(int fd)
{
    struct statx sx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) != 0 || !(sx.stx_mask & STATX_MNT_ID))
        return NULL;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return NULL;
    char *line = NULL;
    size_t cap = 0;
    unsigned long long id;
    while (getline(&line, &cap, f) > 0)
        if (sscanf(line, "%llu", &id) == 1 && id == sx.stx_mnt_id) {
            fclose(f);
            return line;
        }
    free(line);
    fclose(f);
    return NULL;
}

/* The device number of the superblock of the mount fd is on, as
 * /proc/self/mountinfo shows it (found by statx's mount id). Every mount
 * and subvolume of one btrfs shows one number there (their st_dev
 * differ); two filesystems never share one, whatever their UUIDs. */
static bool superblock_of(int fd, unsigned *major, unsigned *minor)
{
    char *line = mountinfo_line(fd);
    bool found = line && sscanf(line, "%*u %*u %u:%u", major, minor) == 2;
    free(line);
    return found;
}

/* Decodes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

/* The layer directories of the overlay mount fd is on, as its mountinfo
 * options name them: the lower and data layers, and with upper also the
 * upper one; *mountpoint where it is mounted. */
static char **overlay_dirs(int fd, size_t *n, char **mountpoint, bool upper)
{
    *n = 0;
    *mountpoint = NULL;
    char *line = mountinfo_line(fd), **dirs = NULL;
    char *dash = line ? strstr(line, " - ") : NULL;
    if (dash) {
        char mp[4096];
        if (sscanf(line, "%*u %*u %*u:%*u %*s %4095s", mp) == 1) {
            *mountpoint = xstrdup(mp);
            unescape(*mountpoint);
        }
        /* " - overlay SOURCE SUPEROPTS" */
        char *save = NULL, *type = strtok_r(dash + 3, " \n", &save);
        char *source = type ? strtok_r(NULL, " \n", &save) : NULL;
        char *opts = source ? strtok_r(NULL, " \n", &save) : NULL;
        for (char *o2 = NULL, *opt = opts ? strtok_r(opts, ",", &o2) : NULL; opt; opt = strtok_r(NULL, ",", &o2)) {
            const char *v = strncmp(opt, "lowerdir=", 9) == 0          ? opt + 9
                            : strncmp(opt, "lowerdir+=", 10) == 0       ? opt + 10
                            : strncmp(opt, "datadir+=", 9) == 0         ? opt + 9
                            : upper && strncmp(opt, "upperdir=", 9) == 0 ? opt + 9
                                                                        : NULL;
            char *copy = v ? xstrdup(v) : NULL;
            for (char *o3 = NULL, *d = copy ? strtok_r(copy, ":", &o3) : NULL; d; d = strtok_r(NULL, ":", &o3)) {
                dirs = xrealloc(dirs, (*n + 1) * sizeof *dirs);
                dirs[*n] = xstrdup(d);
                unescape(dirs[(*n)++]);
            }
            free(copy);
        }
    }
    free(line);
    return dirs;
}

char **overlay_lower_dirs(int fd, size_t *n, char **mountpoint)
{
    return overlay_dirs(fd, n, mountpoint, false);
}

/* An overlay whose every layer (lower, data and upper directories, as
 * mountinfo names them) is on one filesystem: FIEMAP through it answers
 * with that filesystem's addresses, whichever layer holds a file, so they
 * compare with any other file's there. Its identity then is that
 * filesystem's (out->id, out->can_share); true when so. */
static bool overlay_on_one_fs(int fd, struct fsident *out)
{
    size_t n = 0;
    char *mp = NULL, **dirs = overlay_dirs(fd, &n, &mp, true);
    bool one = n > 0;
    char first[80] = "";
    for (size_t i = 0; i < n; i++) {
        int dfd = one && dirs[i][0] == '/' ? open(dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
        struct fsident real;
        one = dfd >= 0 && fsident_of(dfd, &real) == 0 && !real.layered && !real.fuse && !real.no_fiemap &&
              (i == 0 || strcmp(first, real.id) == 0);
        if (one && i == 0) {
            snprintf(first, sizeof first, "%s", real.id);
            out->can_share = real.can_share;
        }
        if (dfd >= 0)
            close(dfd);
        free(dirs[i]);
    }
    free(dirs);
    free(mp);
    if (one)
        snprintf(out->id, sizeof out->id, "%s", first);
    return one;
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
    if (out->layered && overlay_on_one_fs(fd, out)) {
        out->layered = false;
        return 0;
    }
    unsigned major, minor;
    if (superblock_of(fd, &major, &minor))
        snprintf(out->id, sizeof out->id, "%s:sb%u:%u", out->type, major, minor);
    else /* an older kernel: a btrfs subvolume then looks like another filesystem */
        snprintf(out->id, sizeof out->id, "%s:dev%u:%u", out->type, major(st.st_dev), minor(st.st_dev));
    return 0;
}
