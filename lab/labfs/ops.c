#include "labfs/ops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "labfs/labfs.h"
#include "labfs/clone.h"
#include "labfs/faults.h"

struct labfs_cfg labfs;

/* the stats file's text, made at open */
struct stats_buf {
    size_t len;
    char data[4096];
};

static bool is_stats_dir(const char *path) { return strcmp(path, "/.labfs") == 0; }
static bool is_stats(const char *path) { return strcmp(path, LABFS_STATS_PATH) == 0; }

static size_t stats_text(char *buf, size_t len)
{
    struct strbuf sb = STRBUF_INIT;
    faults_report(&sb);
    /* pid: the daemon's own, so that whoever mounted it can stop exactly it */
    strbuf_addf(&sb, "quota_written %llu\nquota_limit %llu\nquota_refused %lu\nmaxlinks_refused %lu\npid %ld\n",
                labfs.written, labfs.quota, labfs.quota_refused, labfs.maxlinks_refused, (long)getpid());
    size_t n = strbuf_copy(&sb, buf, len);
    strbuf_release(&sb);
    return n < len ? n : len - 1;
}

/* The backing path of a labfs path. */
static int bpath(const char *path, char *out, bool *exists)
{
    bool e;
    int err = names_resolve(&labfs.names, labfs.backing, path, out, PATH_MAX, exists ? exists : &e);
    return err ? -err : 0;
}

#define RESOLVE(path, var, exists)                 \
    char var[PATH_MAX];                            \
    do {                                           \
        int rc_ = bpath(path, var, exists);        \
        if (rc_)                                   \
            return rc_;                            \
    } while (0)

#define INJECT(op)                                 \
    do {                                           \
        int f_ = faults_check(op);                 \
        if (f_)                                    \
            return -f_;                            \
    } while (0)

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    (void)conn;
    cfg->use_ino = 1; /* real inode numbers: hardlinks stay visible */
    cfg->attr_timeout = 0;
    cfg->entry_timeout = 0;
    cfg->negative_timeout = 0; /* "FOO" must find "foo" made a moment ago */
    return NULL;
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    (void)fi;
    if (is_stats_dir(path) || is_stats(path)) {
        memset(st, 0, sizeof *st);
        st->st_mode = is_stats_dir(path) ? S_IFDIR | 0555 : S_IFREG | 0444;
        st->st_nlink = is_stats_dir(path) ? 2 : 1;
        if (is_stats(path)) {
            char buf[4096];
            st->st_size = (off_t)stats_text(buf, sizeof buf);
        }
        return 0;
    }
    RESOLVE(path, b, NULL);
    return lstat(b, st) == 0 ? 0 : -errno;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
    (void)off;
    (void)fi;
    (void)flags;
    RESOLVE(path, b, NULL);
    DIR *d = opendir(b);
    if (!d)
        return -errno;
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st = {.st_ino = de->d_ino, .st_mode = (mode_t)de->d_type << 12};
        if (fill(buf, de->d_name, &st, 0, 0))
            break;
    }
    closedir(d);
    return 0;
}

static int op_mkdir(const char *path, mode_t mode)
{
    INJECT(FOP_MKDIR);
    bool exists;
    RESOLVE(path, b, &exists);
    if (exists)
        return -EEXIST;
    return mkdir(b, mode) == 0 ? 0 : -errno;
}

static int op_unlink(const char *path)
{
    RESOLVE(path, b, NULL);
    return unlink(b) == 0 ? 0 : -errno;
}

static int op_rmdir(const char *path)
{
    RESOLVE(path, b, NULL);
    return rmdir(b) == 0 ? 0 : -errno;
}

static int op_symlink(const char *target, const char *path)
{
    bool exists;
    RESOLVE(path, b, &exists);
    if (exists)
        return -EEXIST;
    return symlink(target, b) == 0 ? 0 : -errno;
}

static int op_readlink(const char *path, char *buf, size_t size)
{
    RESOLVE(path, b, NULL);
    ssize_t n = readlink(b, buf, size - 1);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return 0;
}

static int op_rename(const char *from, const char *to, unsigned int flags)
{
    INJECT(FOP_RENAME);
    bool from_exists, to_exists;
    RESOLVE(from, bf, &from_exists);
    RESOLVE(to, bt, &to_exists);
    if (!from_exists)
        return -ENOENT;
    if (to_exists && (flags & RENAME_NOREPLACE))
        return -EEXIST;
    if (to_exists && strcmp(bf, bt) == 0) {
        /* a rename that changes only the spelling: store the new one */
        char spelled[PATH_MAX];
        const char *slash = strrchr(bt, '/'), *name = strrchr(to, '/');
        snprintf(spelled, sizeof spelled, "%.*s/%s", (int)(slash - bt), bt, name ? name + 1 : to);
        return rename(bf, spelled) == 0 ? 0 : -errno;
    }
    return renameat2(AT_FDCWD, bf, AT_FDCWD, bt, flags) == 0 ? 0 : -errno;
}

static int op_link(const char *from, const char *to)
{
    INJECT(FOP_LINK);
    bool to_exists;
    RESOLVE(from, bf, NULL);
    RESOLVE(to, bt, &to_exists);
    if (to_exists)
        return -EEXIST;
    struct stat st;
    if (lstat(bf, &st) != 0)
        return -errno;
    if (labfs.maxlinks && st.st_nlink >= labfs.maxlinks) {
        labfs.maxlinks_refused++;
        return -EMLINK;
    }
    return link(bf, bt) == 0 ? 0 : -errno;
}

static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    (void)fi;
    RESOLVE(path, b, NULL);
    return chmod(b, mode) == 0 ? 0 : -errno;
}

static int op_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
    (void)fi;
    RESOLVE(path, b, NULL);
    return lchown(b, uid, gid) == 0 ? 0 : -errno;
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    if (fi)
        return ftruncate((int)fi->fh, size) == 0 ? 0 : -errno;
    RESOLVE(path, b, NULL);
    return truncate(b, size) == 0 ? 0 : -errno;
}

static int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
    (void)fi;
    RESOLVE(path, b, NULL);
    return utimensat(AT_FDCWD, b, tv, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    INJECT(FOP_CREATE);
    bool exists;
    RESOLVE(path, b, &exists);
    int fd;
    if (exists) {
        /* APFS: creating "Foo.py" where "foo.py" exists opens "foo.py" */
        if (fi->flags & O_EXCL)
            return -EEXIST;
        fd = open(b, fi->flags & ~O_CREAT);
    } else {
        fd = open(b, fi->flags, mode);
    }
    if (fd < 0)
        return -errno;
    fi->fh = (uint64_t)fd;
    return 0;
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
    if (is_stats(path)) {
        struct stats_buf *s = malloc(sizeof *s);
        if (!s)
            return -ENOMEM;
        s->len = stats_text(s->data, sizeof s->data);
        fi->fh = (uint64_t)(uintptr_t)s;
        fi->direct_io = 1;
        return 0;
    }
    RESOLVE(path, b, NULL);
    int fd = open(b, fi->flags);
    if (fd < 0)
        return -errno;
    fi->fh = (uint64_t)fd;
    return 0;
}

static int op_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    if (is_stats(path)) {
        const struct stats_buf *s = (const struct stats_buf *)(uintptr_t)fi->fh;
        if ((size_t)off >= s->len)
            return 0;
        size_t n = s->len - (size_t)off < size ? s->len - (size_t)off : size;
        memcpy(buf, s->data + off, n);
        return (int)n;
    }
    ssize_t n = pread((int)fi->fh, buf, size, off);
    return n < 0 ? -errno : (int)n;
}

static int op_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)path;
    INJECT(FOP_WRITE);
    if (labfs.quota && labfs.written + size > labfs.quota) {
        labfs.quota_refused++;
        return -ENOSPC;
    }
    ssize_t n = pwrite((int)fi->fh, buf, size, off);
    if (n < 0)
        return -errno;
    labfs.written += (unsigned long long)n;
    return (int)n;
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
    if (is_stats(path))
        free((void *)(uintptr_t)fi->fh);
    else
        close((int)fi->fh);
    return 0;
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
    (void)path;
    INJECT(FOP_FSYNC);
    int rc = datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh);
    return rc == 0 ? 0 : -errno;
}

static int op_statfs(const char *path, struct statvfs *st)
{
    (void)path;
    return statvfs(labfs.backing, st) == 0 ? 0 : -errno;
}

static int op_getxattr(const char *path, const char *name, char *value, size_t size)
{
    bool exists;
    RESOLVE(path, b, &exists);
    if (!exists)
        return -ENOENT;
    if (strcmp(name, LABFS_BACKING_XATTR) == 0) {
        size_t len = strlen(b);
        if (size == 0)
            return (int)len;
        if (size < len)
            return -ERANGE;
        memcpy(value, b, len);
        return (int)len;
    }
    ssize_t n = lgetxattr(b, name, value, size);
    return n < 0 ? -errno : (int)n;
}

static int op_ioctl(const char *path, unsigned int cmd, void *arg, struct fuse_file_info *fi,
                    unsigned int flags, void *data)
{
    (void)arg;
    (void)fi;
    if (cmd != (unsigned int)LABFS_IOC_CLONE || !labfs.dirclone)
        return -ENOTTY;
    if (!(flags & FUSE_IOCTL_DIR))
        return -ENOTDIR;
    INJECT(FOP_CLONE);
    struct labfs_clone_args *a = data;
    a->src[sizeof a->src - 1] = '\0';
    a->name[sizeof a->name - 1] = '\0';
    size_t mlen = strlen(labfs.mountpoint);
    if (strncmp(a->src, labfs.mountpoint, mlen) != 0 || a->src[mlen] != '/')
        return -EXDEV; /* clonefile: across volumes */
    if (!a->name[0] || strchr(a->name, '/') || strcmp(a->name, ".") == 0 || strcmp(a->name, "..") == 0)
        return -EINVAL;
    bool src_exists, dst_exists;
    RESOLVE(a->src + mlen, bsrc, &src_exists);
    if (!src_exists)
        return -ENOENT;
    char dst[PATH_MAX];
    if ((size_t)snprintf(dst, sizeof dst, "%s/%s", strcmp(path, "/") == 0 ? "" : path, a->name) >= sizeof dst)
        return -ENAMETOOLONG;
    RESOLVE(dst, bdst, &dst_exists);
    if (dst_exists)
        return -EEXIST;
    return -clone_tree(bsrc, bdst);
}

const struct fuse_operations labfs_ops = {
    .init = op_init,
    .getattr = op_getattr,
    .readdir = op_readdir,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .readlink = op_readlink,
    .rename = op_rename,
    .link = op_link,
    .chmod = op_chmod,
    .chown = op_chown,
    .truncate = op_truncate,
    .utimens = op_utimens,
    .create = op_create,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .release = op_release,
    .fsync = op_fsync,
    .statfs = op_statfs,
    .getxattr = op_getxattr,
    .ioctl = op_ioctl,
};
