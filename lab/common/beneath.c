/* beneath.c - see beneath.h. */
#include "common/beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

#ifdef __linux__
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif

/* The walk for systems without openat2: each directory component opened
 * with O_NOFOLLOW | O_DIRECTORY, no '.' or '..'. */
static int walk_open(int dirfd, const char *rel, int flags, mode_t mode)
{
    if (rel[0] == '/' || rel[0] == '\0') {
        errno = EXDEV;
        return -1;
    }
    char *copy = xstrdup(rel);
    int fd = dirfd, rc = -1;
    char *comp = copy;
    for (;;) {
        char *slash = strchr(comp, '/');
        if (slash)
            *slash = '\0';
        if (strcmp(comp, "..") == 0 || strcmp(comp, ".") == 0 || *comp == '\0') {
            errno = EXDEV;
            break;
        }
        int next = slash ? openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                         : openat(fd, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
        int e = errno;
        if (fd != dirfd)
            close(fd);
        errno = e;
        if (next < 0) {
            fd = dirfd;
            break;
        }
        fd = next;
        if (!slash) {
            rc = fd;
            break;
        }
        comp = slash + 1;
    }
    if (rc < 0 && fd != dirfd)
        close(fd);
    int e = errno;
    free(copy);
    errno = e;
    return rc;
}

int beneath_open(int dirfd, const char *rel, int flags, mode_t mode)
{
#if defined(__linux__) && defined(SYS_openat2)
    static int no_openat2;
    if (!__atomic_load_n(&no_openat2, __ATOMIC_RELAXED)) {
        struct open_how how = {.flags = (unsigned long long)(flags | O_NOFOLLOW | O_CLOEXEC),
                               .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                               .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                          RESOLVE_NO_MAGICLINKS};
        long fd;
        do
            fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
        while (fd < 0 && errno == EINTR);
        if (fd >= 0 || errno != ENOSYS)
            return (int)fd;
        __atomic_store_n(&no_openat2, 1, __ATOMIC_RELAXED);
    }
#endif
    return walk_open(dirfd, rel, flags, mode);
}

int beneath_parent(struct beneath_dir *bd, int root, const char *rel, const char **base)
{
    const char *slash = strrchr(rel, '/');
    size_t dlen = slash ? (size_t)(slash - rel) : 0;
    *base = slash ? slash + 1 : rel;
    if (!slash) {
        /* the root itself: nothing to open */
        return root;
    }
    if (bd->fd >= 0 && bd->root == root && strlen(bd->dir) == dlen && memcmp(bd->dir, rel, dlen) == 0)
        return bd->fd;
    if (bd->fd >= 0)
        close(bd->fd);
    bd->fd = -1;
    if (dlen + 1 > bd->cap) {
        bd->cap = dlen + 64;
        bd->dir = xrealloc(bd->dir, bd->cap);
    }
    memcpy(bd->dir, rel, dlen);
    bd->dir[dlen] = '\0';
    int fd = beneath_open(root, bd->dir, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0)
        return -1;
    bd->fd = fd;
    bd->root = root;
    return fd;
}

void beneath_dir_release(struct beneath_dir *bd)
{
    if (bd->fd >= 0)
        close(bd->fd);
    free(bd->dir);
    *bd = (struct beneath_dir)BENEATH_DIR_INIT;
}

/* Whether the directory dirfd is `want` or lies below it, walking up by
 * "..": device and inode, so a name that folds to the cache's on a
 * case-insensitive filesystem, or a symlink made meanwhile, is seen. */
bool dir_below(int dirfd, const struct stat *want)
{
    int fd = dup(dirfd);
    bool found = false;
    for (int depth = 0; fd >= 0 && depth < 4096; depth++) {
        struct stat st, up;
        if (fstat(fd, &st) != 0)
            break;
        if (st.st_dev == want->st_dev && st.st_ino == want->st_ino) {
            found = true;
            break;
        }
        int parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        close(fd);
        fd = parent;
        if (fd < 0 || (fstat(fd, &up) == 0 && up.st_dev == st.st_dev && up.st_ino == st.st_ino))
            break; /* the root */
    }
    if (fd >= 0)
        close(fd);
    return found;
}
