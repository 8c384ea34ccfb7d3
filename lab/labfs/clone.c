#include "labfs/clone.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

static int clone_file(const char *src, const char *dst, mode_t mode)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return errno;
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
    if (out < 0) {
        int e = errno;
        close(in);
        return e;
    }
    int err = ioctl(out, FICLONE, in) == 0 ? 0 : errno;
    if (!err && fchmod(out, mode & 07777) != 0)
        err = errno;
    close(in);
    close(out);
    return err;
}

static int clone_any(const char *src, const char *dst)
{
    struct stat st;
    if (lstat(src, &st) != 0)
        return errno;
    if (S_ISREG(st.st_mode))
        return clone_file(src, dst, st.st_mode);
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(src, target, sizeof target - 1);
        if (n < 0)
            return errno;
        target[n] = '\0';
        return symlink(target, dst) == 0 ? 0 : errno;
    }
    if (!S_ISDIR(st.st_mode))
        return EINVAL;
    if (mkdir(dst, st.st_mode & 07777) != 0)
        return errno;
    DIR *d = opendir(src);
    if (!d)
        return errno;
    struct dirent *de;
    int err = 0;
    while (!err && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char s[4096], t[4096];
        if ((size_t)snprintf(s, sizeof s, "%s/%s", src, de->d_name) >= sizeof s ||
            (size_t)snprintf(t, sizeof t, "%s/%s", dst, de->d_name) >= sizeof t) {
            err = ENAMETOOLONG;
            break;
        }
        err = clone_any(s, t);
    }
    closedir(d);
    if (!err && chmod(dst, st.st_mode & 07777) != 0)
        err = errno;
    return err;
}

int clone_tree(const char *src, const char *dst)
{
    struct stat st;
    if (lstat(dst, &st) == 0)
        return EEXIST;
    char tmp[4096];
    static unsigned counter;
    const char *slash = strrchr(dst, '/');
    int dlen = slash ? (int)(slash - dst) : 0;
    if ((size_t)snprintf(tmp, sizeof tmp, "%.*s/.labfs-clone.%ld.%u", dlen, dst, (long)getpid(), counter++) >= sizeof tmp)
        return ENAMETOOLONG;
    int err = clone_any(src, tmp);
    if (!err) {
        /* RENAME_NOREPLACE: a destination made meanwhile is EEXIST, not replaced */
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) != 0)
            err = errno;
    }
    if (err)
        remove_tree(tmp);
    return err;
}
