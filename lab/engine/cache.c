#include "engine/cache.h"
#include "engine/manifest.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/entryname.h"
#include "common/util.h"
#include "format/format.h"

static const char *const cache_dirs[] = {"wheels", "manifests", "index", "tmp"};

/* Removes unpacks left in tmp/ by processes that no longer run. */
static void remove_stale_tmp(struct cache *c)
{
    char *tmp = xasprintf("%s/tmp", c->root);
    DIR *d = opendir(tmp);
    if (!d) {
        free(tmp);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        /* names are KEY.PID.N: nothing else here is ever removed */
        char *last = strrchr(de->d_name, '.');
        if (!last || last == de->d_name || !last[1] || strspn(last + 1, "0123456789") != strlen(last + 1))
            continue;
        char *p = last - 1;
        while (p > de->d_name && *p != '.')
            p--;
        if (*p != '.' || p + 1 == last || strspn(p + 1, "0123456789") != (size_t)(last - p - 1))
            continue;
        if (process_gone(strtol(p + 1, NULL, 10))) {
            char *path = xasprintf("%s/%s", tmp, de->d_name);
            remove_tree(path);
            free(path);
        }
    }
    closedir(d);
    free(tmp);
}

int cache_open(const char *root, struct cache *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    /* made as the path resolves: "a/new/../c" makes a/c, not a/new too */
    char *future = root[0] ? path_resolve_future(root) : NULL;
    if (!future || mkdirat_p(AT_FDCWD, future, 0755) != 0) {
        snprintf(err, errlen, "cannot create cache directory '%s': %s", root,
                 root[0] ? strerror(errno) : "empty path");
        free(future);
        return -1;
    }
    char *abs = realpath(future, NULL);
    free(future);
    if (!abs) {
        snprintf(err, errlen, "cache directory %s: %s", root, strerror(errno));
        return -1;
    }
    c->root = abs;
    c->fd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (c->fd < 0) {
        snprintf(err, errlen, "cache directory %s: %s", abs, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < sizeof cache_dirs / sizeof cache_dirs[0]; i++) {
        if (mkdirat(c->fd, cache_dirs[i], 0755) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s/%s: %s", abs, cache_dirs[i], strerror(errno));
            return -1;
        }
        /* the cache's own directories are followed by path from here on:
         * one that is a symlink would lead writes and removals elsewhere */
        struct stat st = {0};
        if (fstatat(c->fd, cache_dirs[i], &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s/%s is %s, not a directory of the cache; refusing to use it", abs,
                     cache_dirs[i], S_ISLNK(st.st_mode) ? "a symlink" : "something else");
            return -1;
        }
    }
    remove_stale_tmp(c);
    return 0;
}

void cache_close(struct cache *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->root);
    c->root = NULL;
    c->fd = -1;
}

char *cache_entry_path(const struct cache *c, const char *key)
{
    return xasprintf("%s/wheels/%s", c->root, key);
}

/* index/ID: a digest of what identifies this wheel file as it is now. */
static char *index_name(const struct stat *st)
{
    char id[256], hex[65];
    int n = snprintf(id, sizeof id, "%llu:%llu:%lld:%lld.%09ld:%lld.%09ld",
                     (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
                     (long long)st->st_size, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
                     (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
    sha256_hex(id, (size_t)n, hex);
    return xasprintf("index/%.32s", hex);
}

static int entry_exists(const struct cache *c, const char *key)
{
    char *rel = xasprintf("wheels/%s", key);
    struct stat st;
    int ok = fstatat(c->fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    free(rel);
    return ok;
}

static char *lookup_index(const struct cache *c, const char *iname)
{
    char *path = xasprintf("%s/%s", c->root, iname);
    size_t len;
    char *key = read_file(path, 4096, &len);
    free(path);
    if (!key)
        return NULL;
    while (len > 0 && (key[len - 1] == '\n'))
        key[--len] = '\0';
    /* "2 KEY": an index of an older layout (other keys, manifests without
     * a digest) is a miss, and the wheel is read again */
    if (len < 3 || memcmp(key, "2 ", 2) != 0 || strchr(key + 2, '/') || key[2] == '.' ||
        !entry_exists(c, key + 2)) {
        free(key);
        return NULL;
    }
    memmove(key, key + 2, len - 1);
    return key;
}

static void store_index(const struct cache *c, const char *iname, const char *key)
{
    char *path = xasprintf("%s/%s", c->root, iname);
    char *line = xasprintf("2 %s\n", key);
    /* the index only saves time: failing to write it is not an error */
    write_file_atomic(path, line, strlen(line), 0644);
    free(line);
    free(path);
}

static enum cache_result unpack_into_cache(struct cache *c, const struct package *w, const char *key,
                                           char *err, size_t errlen)
{
    static unsigned counter;
    char *tmprel = xasprintf("tmp/%s.%ld.%u", key, (long)getpid(), counter++);
    char *tmpabs = xasprintf("%s/%s", c->root, tmprel);
    enum cache_result rc = CACHE_ERROR;
    int dfd = -1;
    if (mkdirat(c->fd, tmprel, 0755) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmpabs, strerror(errno));
        goto out;
    }
    dfd = openat(c->fd, tmprel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", tmpabs, strerror(errno));
        goto out;
    }
    if (w->format->extract(w, dfd, err, errlen) != 0)
        goto out;
    size_t mlen;
    char *mtext = manifest_format(w, &mlen);
    char *mpath = xasprintf("%s/manifests/%s", c->root, key);
    int mrc = write_file_atomic(mpath, mtext, mlen, 0644);
    int e = errno;
    free(mtext);
    if (mrc != 0) {
        snprintf(err, errlen, "cannot write %s: %s", mpath, strerror(e));
        free(mpath);
        goto out;
    }
    free(mpath);
    char *final = xasprintf("wheels/%s", key);
    if (renameat(c->fd, tmprel, c->fd, final) == 0) {
        rc = CACHE_UNPACKED;
    } else if (errno == EEXIST || errno == ENOTEMPTY) {
        rc = CACHE_HIT; /* another process finished the same entry first */
    } else if (errno == ENOTDIR) {
        snprintf(err, errlen, "cache entry %s/wheels/%s is in the way (a symlink or a file); remove "
                 "the cache entry %s", c->root, key, key);
    } else {
        snprintf(err, errlen, "cannot rename %s into the cache: %s", tmpabs, strerror(errno));
    }
    free(final);
out:
    if (dfd >= 0)
        close(dfd);
    if (rc != CACHE_UNPACKED)
        remove_tree(tmpabs);
    free(tmprel);
    free(tmpabs);
    return rc;
}

/* Whether a key from the index fits the wheel's file name (NAME-VERSION-
 * of both, compared case-insensitively with '.' and '_' alike): an index
 * file edited to point at another package's entry is not followed. A
 * wheel whose file name does not follow the convention only loses the
 * warm path. */
static bool key_fits(const char *key, const char *wheel)
{
    const char *base = strrchr(wheel, '/');
    base = base ? base + 1 : wheel;
    int dashes = 0;
    for (; *key && *base; key++, base++) {
        char a = *key == '.' ? '_' : (char)tolower((unsigned char)*key);
        char b = *base == '.' ? '_' : (char)tolower((unsigned char)*base);
        if (a != b)
            return false;
        if (*key == '-' && ++dashes == 2)
            return true;
    }
    return false;
}

enum cache_result cache_ensure(struct cache *c, const char *wheel, char **key, char *err, size_t errlen)
{
    struct stat st;
    if (stat(wheel, &st) != 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return CACHE_ERROR;
    }
    char *iname = index_name(&st);
    *key = lookup_index(c, iname);
    if (*key && !key_fits(*key, wheel)) {
        free(*key);
        *key = NULL;
    }
    if (*key) {
        free(iname);
        return CACHE_HIT;
    }
    struct package w;
    if (package_scan(wheel, &w, err, errlen) != 0) {
        package_free(&w);
        free(iname);
        return CACHE_ERROR;
    }
    char hex[65];
    sha256_hex(w.key_data, w.key_len, hex);
    *key = xasprintf("%s-%.16s", w.stem, hex);
    enum cache_result rc = CACHE_HIT;
    if (!entry_exists(c, *key))
        rc = unpack_into_cache(c, &w, *key, err, errlen);
    if (rc != CACHE_ERROR)
        store_index(c, iname, *key);
    else {
        free(*key);
        *key = NULL;
    }
    package_free(&w);
    free(iname);
    return rc;
}

int cache_manifest_load(const struct cache *c, const char *key, struct manifest *m, char *err,
                        size_t errlen)
{
    memset(m, 0, sizeof *m);
    char *path = xasprintf("%s/manifests/%s", c->root, key);
    size_t len;
    char *buf = read_file(path, (size_t)1 << 30, &len);
    if (!buf) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        free(path);
        return -1;
    }
    char why[256];
    int rc = manifest_parse(buf, len, m, why, sizeof why);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s; remove the cache entry %s", path, why, key);
    free(path);
    return rc;
}
