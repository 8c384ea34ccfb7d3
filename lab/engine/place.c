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

static int copy_data(int in, int out, long long size, enum copy_method method)
{
    long long left = size;
    if (method == COPY_RW) {
        char buf[1 << 16];
        /* the manifest gives the size: stop there, without a read for EOF */
        while (left > 0) {
            ssize_t r = read(in, buf, left < (long long)sizeof buf ? (size_t)left : sizeof buf);
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                return errno;
            }
            if (r == 0)
                return EIO; /* the cache file is shorter than its manifest says */
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
#ifndef __linux__
    return ENOTSUP; /* sendfile and copy_file_range are Linux calls */
#endif
    while (left > 0) {
        size_t chunk = left > (1LL << 30) ? (size_t)1 << 30 : (size_t)left;
#ifdef __linux__
        ssize_t n = method == COPY_SENDFILE ? sendfile(out, in, NULL, chunk)
                                            : copy_file_range(in, NULL, out, NULL, chunk, 0);
#else
        ssize_t n = -1;
        errno = ENOTSUP;
#endif
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            return EIO;
        left -= n;
    }
    return 0;
}

/* Opens the cache file and creates the target exclusively with the source's
 * mode (the process umask is 0 during installs). */
static int open_pair(const struct place_ctx *ctx, const char *rel, const char *name, unsigned perm,
                     int *in, int *out)
{
    *in = openat(ctx->src_dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (*in < 0)
        return errno;
    *out = openat(ctx->tgt_dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, perm);
    if (*out < 0) {
        int e = errno;
        close(*in);
        return e;
    }
    return 0;
}

static int finish_pair(const struct place_ctx *ctx, const char *name, int in, int out, int err)
{
    close(in);
    if (close(out) != 0 && !err)
        err = errno;
    if (err)
        unlinkat(ctx->tgt_dirfd, name, 0);
    return err;
}

static int place_clone(const struct place_ctx *ctx, const char *rel, const char *name, unsigned perm)
{
#ifdef __APPLE__
    char src[PATH_MAX];
    snprintf(src, sizeof src, "%s/%s", ctx->src_root, rel);
    if (clonefileat(AT_FDCWD, src, ctx->tgt_dirfd, name, CLONE_NOFOLLOW) != 0)
        return errno;
    (void)perm;
    return 0;
#else
    int in = -1, out = -1;
    int err = open_pair(ctx, rel, name, perm, &in, &out);
    if (err)
        return err;
    if (ioctl(out, FICLONE, in) != 0)
        err = errno;
    return finish_pair(ctx, name, in, out, err);
#endif
}

static int place_copy(const struct place_ctx *ctx, const char *rel, const char *name, unsigned perm,
                      long long size, int tgt_dirfd)
{
    struct place_ctx c = *ctx;
    c.tgt_dirfd = tgt_dirfd;
    int in = -1, out = -1;
    int err = open_pair(&c, rel, name, perm, &in, &out);
    if (err)
        return err;
    err = copy_data(in, out, size, ctx->copy_method);
    return finish_pair(&c, name, in, out, err);
}

static int place_direct(const struct place_ctx *ctx, enum lab_mode mode, const char *rel,
                        const char *name, unsigned perm, long long size)
{
    switch (mode) {
    case MODE_CLONE:
        return place_clone(ctx, rel, name, perm);
    case MODE_HARDLINK:
        return linkat(ctx->src_dirfd, rel, ctx->tgt_dirfd, name, 0) == 0 ? 0 : errno;
    case MODE_COPY:
        return place_copy(ctx, rel, name, perm, size, ctx->tgt_dirfd);
    case MODE_SYMLINK: {
        char src[PATH_MAX];
        if ((size_t)snprintf(src, sizeof src, "%s/%s", ctx->src_root, rel) >= sizeof src)
            return ENAMETOOLONG;
        return symlinkat(src, ctx->tgt_dirfd, name) == 0 ? 0 : errno;
    }
    default:
        return EINVAL;
    }
}

/* "dir/.base.ll.PID.N" beside rel. */
static void temp_name(const char *rel, const char *tag, char *out, size_t outlen)
{
    static unsigned counter;
    unsigned n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    const char *slash = strrchr(rel, '/');
    int dlen = slash ? (int)(slash - rel + 1) : 0;
    const char *base = slash ? slash + 1 : rel;
    snprintf(out, outlen, "%.*s.%.200s.%s.%ld.%u", dlen, rel, base, tag, (long)getpid(), n);
}

void place_temp_name(const char *path, char *out, size_t outlen)
{
    temp_name(path, "lltmp", out, outlen);
}

bool place_is_stale_temp(const char *name)
{
    const char *mark = name[0] == '.' ? strstr(name, ".lltmp.") : NULL;
    if (!mark)
        return false;
    char *end;
    long pid = strtol(mark + 7, &end, 10);
    return *end == '.' && process_gone(pid);
}

int place_file(const struct place_ctx *ctx, enum lab_mode mode, const char *rel, unsigned perm,
               long long size, bool replace)
{
    if (!replace)
        return place_direct(ctx, mode, rel, rel, perm, size);
    char tmp[PATH_MAX];
    place_temp_name(rel, tmp, sizeof tmp);
    int err = place_direct(ctx, mode, rel, tmp, perm, size);
    if (err)
        return err;
    if (renameat(ctx->tgt_dirfd, tmp, ctx->tgt_dirfd, rel) != 0) {
        err = errno;
        unlinkat(ctx->tgt_dirfd, tmp, 0);
        return err;
    }
    /* rename(2) does nothing when both names are links to one inode
     * (a hardlink install over itself): drop the temporary name then */
    if (mode == MODE_HARDLINK)
        unlinkat(ctx->tgt_dirfd, tmp, 0);
    return 0;
}

int place_reinode(const struct place_ctx *ctx, const char *rel, unsigned perm, long long size)
{
    char tmp[PATH_MAX];
    temp_name(rel, "llreinode", tmp, sizeof tmp);
    struct place_ctx c = *ctx;
    c.copy_method = COPY_RW; /* a fresh inode needs a real copy, never a reflink */
    int err = place_copy(&c, rel, tmp, perm, size, ctx->src_dirfd);
    if (err)
        return err;
    if (renameat(ctx->src_dirfd, tmp, ctx->src_dirfd, rel) != 0) {
        err = errno;
        unlinkat(ctx->src_dirfd, tmp, 0);
        return err;
    }
    return 0;
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
