#include "engine/darwin.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "labfs/labfs.h"
#include "engine/place.h"
#include "common/util.h"

#ifdef __APPLE__
#include <sys/clonefile.h>
int darwin_clonefile(const char *src, const char *dst)
{
    return clonefile(src, dst, CLONE_NOFOLLOW) == 0 ? 0 : errno;
}
#else
int darwin_clonefile(const char *src, const char *dst)
{
    (void)src;
    (void)dst;
    return ENOTSUP;
}
#endif

int labfs_clonefile(const char *src, const char *dst)
{
    struct labfs_clone_args a;
    memset(&a, 0, sizeof a);
    char *abs = realpath(src, NULL);
    if (!abs)
        return errno;
    const char *slash = strrchr(dst, '/');
    size_t plen = slash ? (size_t)(slash - dst) : 0;
    const char *name = slash ? slash + 1 : dst;
    int err = 0;
    if (strlen(abs) >= sizeof a.src || strlen(name) >= sizeof a.name) {
        err = ENAMETOOLONG;
    } else {
        memcpy(a.src, abs, strlen(abs) + 1);
        memcpy(a.name, name, strlen(name) + 1);
        char *parent = plen ? xstrndup(dst, plen) : xstrdup(slash ? "/" : ".");
        int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        err = fd < 0 ? errno : ioctl(fd, LABFS_IOC_CLONE, &a) == 0 ? 0 : errno;
        if (fd >= 0)
            close(fd);
        free(parent);
        /* not labfs: no such operation, as clonefile says where it has none */
        if (err == ENOTTY || err == ENOSYS)
            err = ENOTSUP;
    }
    free(abs);
    return err;
}

struct darwin_run {
    const char *src_root, *tgt_root;
    const struct manifest *m;
    struct file_result *res;
    clonefile_fn clone;
    bool placed_any;
    uint64_t t0;
    struct sorted_item {
        const char *path;
        size_t index; /* in the manifest */
    } *sorted;        /* the manifest's files, sorted by path */
    size_t nsorted;
};

static int cmp_item(const void *a, const void *b)
{
    return strcmp(((const struct sorted_item *)a)->path, ((const struct sorted_item *)b)->path);
}

/* Marks the manifest files at rel or below it as cloned. In path order,
 * they follow rel, among names that merely start with it ("rel-x" sorts
 * before "rel/"). */
static void mark(struct darwin_run *d, const char *rel)
{
    size_t len = strlen(rel), lo = 0, hi = d->nsorted;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(d->sorted[mid].path, rel) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint64_t ns = now_ns() - d->t0;
    for (size_t k = lo; k < d->nsorted; k++) {
        size_t i = d->sorted[k].index;
        const char *p = d->sorted[k].path;
        if (strncmp(p, rel, len) != 0)
            break;
        if ((p[len] == '\0' || p[len] == '/') && !d->res[i].placed)
            d->res[i] = (struct file_result){.used = MODE_CLONE, .placed = true, .ns = ns};
    }
    d->placed_any = true;
    d->t0 = now_ns();
}

static int clone_entry(struct darwin_run *d, const char *rel)
{
    char *src = xasprintf("%s/%s", d->src_root, rel);
    char *dst = xasprintf("%s/%s", d->tgt_root, rel);
    int err = d->clone(src, dst);
    if (err == 0) {
        mark(d, rel);
    } else if (err == EEXIST) {
        struct stat st;
        if (lstat(src, &st) != 0) {
            err = errno;
        } else if (S_ISDIR(st.st_mode)) {
            /* merge: each child on its own */
            DIR *dir = opendir(src);
            struct dirent *de;
            err = dir ? 0 : errno;
            while (err == 0 && dir && (de = readdir(dir))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                    continue;
                char *child = xasprintf("%s/%s", rel, de->d_name);
                err = clone_entry(d, child);
                free(child);
            }
            if (dir)
                closedir(dir);
        } else {
            /* an existing file: clone beside it, rename over it */
            /* the engine's temporary name, so a killed run's leftover is swept */
            char tmp[PATH_MAX];
            place_temp_name(dst, tmp, sizeof tmp);
            err = d->clone(src, tmp);
            if (err == 0 && rename(tmp, dst) != 0) {
                err = errno;
                unlink(tmp);
            }
            if (err == 0)
                mark(d, rel);
        }
    }
    free(src);
    free(dst);
    return err;
}

int darwin_clone_wheel(const char *src_root, const char *tgt_root, const struct manifest *m,
                       struct file_result *res, clonefile_fn clone, bool *placed_any)
{
    struct darwin_run d = {.src_root = src_root, .tgt_root = tgt_root, .m = m, .res = res,
                           .clone = clone, .t0 = now_ns()};
    d.nsorted = m->n - m->ndirs;
    d.sorted = xmalloc((d.nsorted ? d.nsorted : 1) * sizeof *d.sorted);
    for (size_t i = 0; i < d.nsorted; i++)
        d.sorted[i] = (struct sorted_item){m->items[m->ndirs + i].path, m->ndirs + i};
    sort_items(d.sorted, d.nsorted, sizeof *d.sorted, cmp_item);
    DIR *dir = opendir(src_root);
    if (!dir) {
        *placed_any = false;
        free(d.sorted);
        return errno;
    }
    struct dirent *de;
    int err = 0;
    while (err == 0 && (de = readdir(dir))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        err = clone_entry(&d, de->d_name);
    }
    closedir(dir);
    free(d.sorted);
    *placed_any = d.placed_any;
    return err;
}
