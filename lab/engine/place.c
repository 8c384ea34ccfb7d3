#include "engine/place.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/beneath.h"
#include "common/entryname.h"
#include "common/util.h"

#ifdef __linux__
#include <linux/fs.h> /* FICLONE */
#include <sys/sendfile.h>
#endif

#ifdef __APPLE__
/* macOS: clonefile(2) instead of FICLONE; the only Apple-specific code. */
#include <sys/clonefile.h>
#endif

static const char *const method_names[COPY_METHOD_COUNT] = {"rw", "sendfile", "copy_file_range"};

const char *copy_method_name(enum copy_method m) { return method_names[m]; }

int copy_method_parse(const char *name)
{
    for (int i = 0; i < COPY_METHOD_COUNT; i++)
        if (strcmp(name, method_names[i]) == 0)
            return i;
    return -1;
}

static int copy_rw(int in, int out, long long left)
{
    /* 1 MiB a thread: four 256 MiB files copied in 203 ms on ext4 and 72 ms
     * on XFS, against 240 and 118 ms with 64 KiB (bench/scaling's file-size
     * sweep, one hyperfine run); small files touch only what they use */
    static _Thread_local char buf[1 << 20];
    /* the manifest gives the size: stop there, without a read for EOF */
    while (left > 0) {
        ssize_t r = read(in, buf, left < (long long)sizeof buf ? (size_t)left : sizeof buf);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (r == 0)
            return ENODATA; /* the cache file is shorter than its manifest says */
        for (ssize_t done = 0; done < r;) {
            ssize_t w = write(out, buf + done, (size_t)(r - done));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return errno;
            }
            done += w;
        }
        left -= r;
    }
    return 0;
}

/* sendfile or copy_file_range; when the kernel cannot do it for these two
 * files (EXDEV: copy_file_range across filesystems before Linux 5.19 and
 * on some since; EINVAL, EOPNOTSUPP, ENOSYS) before anything was copied,
 * the plain read/write copy does it. */
static int copy_more(int in, int out, long long size, enum copy_method method)
{
    if (method == COPY_RW)
        return copy_rw(in, out, size);
    long long left = size;
    while (left > 0) {
        size_t chunk = left > (1LL << 30) ? (size_t)1 << 30 : (size_t)left;
#ifdef __linux__
        ssize_t n = method == COPY_SENDFILE ? sendfile(out, in, NULL, chunk)
                                            : copy_file_range(in, NULL, out, NULL, chunk, 0);
#else
        ssize_t n = -1;
        errno = ENOSYS;
#endif
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (left == size && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP ||
                                 errno == ENOSYS))
                return copy_rw(in, out, size);
            return errno;
        }
        if (n == 0)
            return ENODATA; /* shorter than its manifest says */
        left -= n;
    }
    return 0;
}

/* A copy of exactly the size the manifest gives: a cache file longer than
 * that (the manifest or the file was changed) is EUCLEAN, never a short
 * copy that looks whole; a shorter one is ENODATA. */
static int copy_data(int in, int out, long long size, enum copy_method method)
{
    int err = copy_more(in, out, size, method);
    if (err)
        return err;
    char extra;
    ssize_t n;
    while ((n = read(in, &extra, 1)) < 0 && errno == EINTR)
        ;
    return n > 0 ? EUCLEAN : 0;
}

/* Each worker thread keeps the parent directory it placed into last, on
 * both sides (beneath.h): one openat2 per directory, not per file. */
static _Thread_local struct beneath_dir tl_src = BENEATH_DIR_INIT, tl_tgt = BENEATH_DIR_INIT;

void place_thread_done(void)
{
    beneath_dir_release(&tl_src);
    beneath_dir_release(&tl_tgt);
}

/* rel's parent directory beneath root and rel's last component. */
struct end {
    int dir;
    const char *base;
};

static int resolve(struct beneath_dir *bd, int root, const char *rel, struct end *e)
{
    e->dir = beneath_parent(bd, root, rel, &e->base);
    return e->dir < 0 ? errno : 0;
}

/* "DIR/.BASE.TAG.PID.N" beside a name, as a base name in the same directory. */
static void temp_base(const char *base, const char *tag, char *out, size_t outlen)
{
    static unsigned counter;
    unsigned n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    snprintf(out, outlen, ".%.200s.%s.%ld.%u", base, tag, (long)getpid(), n);
}

/* Fills the new file name in dst.dir from src by FICLONE or a copy. The
 * file is created exclusively (O_EXCL): a file is only ever written under
 * a name this process created. On failure the name is removed only while
 * it is still this file (same device and inode): by then another process
 * may have put its own finished file there, which is not ours to remove. */
static int fill_new(const struct place_ctx *ctx, enum lab_mode mode, struct end src, struct end dst,
                    const char *name, unsigned perm, long long size)
{
    int in = openat(src.dir, src.base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0)
        return errno;
    int out = openat(dst.dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, perm);
    if (out < 0) {
        int e = errno;
        close(in);
        return e;
    }
    int err = 0;
    if (mode == MODE_CLONE) {
#ifdef FICLONE
        if (ioctl(out, FICLONE, in) != 0)
            err = errno;
#else
        err = EOPNOTSUPP;
#endif
    } else {
        err = copy_data(in, out, size, ctx->copy_method);
    }
    close(in);
    struct stat mine, there;
    bool have_mine = err && fstat(out, &mine) == 0;
    if (close(out) != 0 && !err) {
        err = errno; /* rare (a delayed write error): the name is removed as it is */
        unlinkat(dst.dir, name, 0);
        return err;
    }
    if (err && have_mine && fstatat(dst.dir, name, &there, AT_SYMLINK_NOFOLLOW) == 0 &&
        there.st_dev == mine.st_dev && there.st_ino == mine.st_ino)
        unlinkat(dst.dir, name, 0);
    return err;
}

/* Moves tmp over base in dir (rename(2): atomic, what was there is
 * replaced whole). The temporary name is gone either way. */
static int commit_temp(int dir, const char *tmp, const char *base)
{
    int err = renameat(dir, tmp, dir, base) == 0 ? 0 : errno;
    if (err)
        unlinkat(dir, tmp, 0);
    return err;
}

#ifdef __APPLE__
static int place_clonefile(const struct place_ctx *ctx, const char *rel, struct end dst, const char *name)
{
    char src[PATH_MAX];
    snprintf(src, sizeof src, "%s/%s", ctx->src_root, rel);
    return clonefileat(AT_FDCWD, src, dst.dir, name, CLONE_NOFOLLOW) != 0 ? errno : 0;
}
#endif

/* Creates name in dst.dir in one step, as a hard link or a symlink. */
static int link_in_one_step(const struct place_ctx *ctx, enum lab_mode mode, const char *rel, struct end src,
                            struct end dst, const char *name)
{
    if (mode == MODE_HARDLINK)
        return linkat(src.dir, src.base, dst.dir, name, 0) == 0 ? 0 : errno;
    char target[PATH_MAX];
    if ((size_t)snprintf(target, sizeof target, "%s/%s", ctx->src_root, rel) >= sizeof target)
        return ENAMETOOLONG;
    return symlinkat(target, dst.dir, name) == 0 ? 0 : errno;
}

void place_temp_name(const char *path, char *out, size_t outlen)
{
    const char *slash = strrchr(path, '/');
    int dlen = slash ? (int)(slash - path + 1) : 0;
    char base[NAME_MAX + 64];
    temp_base(slash ? slash + 1 : path, "lltmp", base, sizeof base);
    snprintf(out, outlen, "%.*s%s", dlen, path, base);
}

bool place_is_stale_temp(const char *name)
{
    long pid = entryname_temp_pid(name);
    return pid > 0 && process_gone(pid);
}

/* rel's ends in the cache entry and in the target. */
static int resolve_both(const struct place_ctx *ctx, const char *rel, struct end *src, struct end *dst)
{
    int err = resolve(&tl_src, ctx->src_dirfd, rel, src);
    return err ? err : resolve(&tl_tgt, ctx->tgt_dirfd, rel, dst);
}

int place_file(const struct place_ctx *ctx, enum lab_mode mode, const char *rel, unsigned perm,
               long long size, bool replace)
{
    if (mode != MODE_CLONE && mode != MODE_HARDLINK && mode != MODE_COPY && mode != MODE_SYMLINK)
        return EINVAL;
    struct end src, dst;
    int err = resolve_both(ctx, rel, &src, &dst);
    if (err)
        return err;
    /* a temporary name only where one is used: replacing */
    char tmp[NAME_MAX + 64];
    if (replace)
        temp_base(dst.base, "lltmp", tmp, sizeof tmp);
#ifdef __APPLE__
    if (mode == MODE_CLONE) {
        /* clonefile makes the file whole in one step (EEXIST if a file is there) */
        if (!replace)
            return place_clonefile(ctx, rel, dst, dst.base);
        err = place_clonefile(ctx, rel, dst, tmp);
        return err ? err : commit_temp(dst.dir, tmp, dst.base);
    }
#endif
    if (mode == MODE_CLONE || mode == MODE_COPY) {
        /* a new file is made at its name; one that replaces, under the
         * temporary name and renamed over the old */
        if (!replace)
            return fill_new(ctx, mode, src, dst, dst.base, perm, size);
        err = fill_new(ctx, mode, src, dst, tmp, perm, size);
        return err ? err : commit_temp(dst.dir, tmp, dst.base);
    }
    /* a link is made whole in one step: at its name when nothing is there */
    if (!replace)
        return link_in_one_step(ctx, mode, rel, src, dst, dst.base);
    err = link_in_one_step(ctx, mode, rel, src, dst, tmp);
    if (err)
        return err;
    err = commit_temp(dst.dir, tmp, dst.base);
    /* rename(2) does nothing when both names are links to one inode (a
     * hardlink install over itself): drop the temporary name then */
    if (!err && mode == MODE_HARDLINK)
        unlinkat(dst.dir, tmp, 0);
    return err;
}

int place_overwrite(const struct place_ctx *ctx, const char *rel, long long size)
{
    struct end src, dst;
    int err = resolve_both(ctx, rel, &src, &dst);
    if (err)
        return err;
    int in = openat(src.dir, src.base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0)
        return errno;
    int out = openat(dst.dir, dst.base, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (out < 0) {
        err = errno;
        close(in);
        return err;
    }
    err = copy_rw(in, out, size);
    close(in);
    if (close(out) != 0 && !err)
        err = errno;
    return err;
}

int place_reinode(const struct place_ctx *ctx, const char *rel, unsigned perm, long long size)
{
    struct end src;
    int err = resolve(&tl_src, ctx->src_dirfd, rel, &src);
    if (err)
        return err;
    char tmp[NAME_MAX + 64];
    temp_base(src.base, "llreinode", tmp, sizeof tmp);
    struct place_ctx c = *ctx;
    c.copy_method = COPY_RW; /* a fresh inode needs a real copy, never a reflink */
    err = fill_new(&c, MODE_COPY, src, src, tmp, perm, size);
    return err ? err : commit_temp(src.dir, tmp, src.base);
}

int place_clone_dir(int src_dirfd, int tgt_dirfd)
{
#ifdef FICLONE
    return ioctl(tgt_dirfd, FICLONE, src_dirfd) == 0 ? 0 : errno;
#else
    (void)src_dirfd;
    (void)tgt_dirfd;
    return EOPNOTSUPP;
#endif
}
