#include "observe/pairing.h"

#include <errno.h>
#include <fts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/digest.h"
#include "common/util.h"

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const struct src_key *)a)->key, ((const struct src_key *)b)->key);
}

static int cmp_size(const void *a, const void *b)
{
    long long x = ((const struct src_size *)a)->size, y = ((const struct src_size *)b)->size;
    return (x > y) - (x < y);
}

static int cmp_inode(const void *a, const void *b)
{
    const struct src_inode *x = a, *y = b;
    if (x->dev != y->dev)
        return (x->dev > y->dev) - (x->dev < y->dev);
    return (x->ino > y->ino) - (x->ino < y->ino);
}

static void add_key(struct src_index *ix, size_t *cap, const char *key, size_t file)
{
    if (!*key)
        return;
    if (ix->nkeys == *cap)
        ix->keys = xrealloc(ix->keys, (*cap = *cap ? *cap * 2 : 1024) * sizeof *ix->keys);
    ix->keys[ix->nkeys++] = (struct src_key){key, file};
}

int src_index_build(char *root, struct src_index *ix, char *err, size_t errlen)
{
    memset(ix, 0, sizeof *ix);
    ix->root = root;
    char *const paths[] = {root, NULL};
    FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
    if (!fts) {
        snprintf(err, errlen, "%s: %s", root, strerror(errno));
        return -1;
    }
    size_t cap = 0, kcap = 0, dcap = 0, rootlen = strlen(root);
    while (root[rootlen - 1] == '/' && rootlen > 1)
        rootlen--;
    FTSENT *e;
    while ((e = fts_read(fts))) {
        if (e->fts_info == FTS_DNR || e->fts_info == FTS_ERR) {
            snprintf(err, errlen, "%s: %s", e->fts_path, strerror(e->fts_errno));
            fts_close(fts);
            return -1;
        }
        if (e->fts_info == FTS_D) {
            if (ix->ndirs == dcap)
                ix->dirs = xrealloc(ix->dirs, (dcap = dcap ? dcap * 2 : 64) * sizeof *ix->dirs);
            ix->dirs[ix->ndirs++] = (struct src_inode){e->fts_statp->st_dev, e->fts_statp->st_ino, 0};
        }
        if (e->fts_info != FTS_F)
            continue;
        if (ix->n == cap)
            ix->files = xrealloc(ix->files, (cap = cap ? cap * 2 : 1024) * sizeof *ix->files);
        ix->files[ix->n++] = (struct src_file){.abs = xstrdup(e->fts_path),
                                               .size = e->fts_statp->st_size,
                                               .dev = e->fts_statp->st_dev,
                                               .ino = e->fts_statp->st_ino};
    }
    fts_close(fts);
    /* each file answers to its path under the source, under its first
     * directory (DIR/WHEEL/...), and under wheels/WHEEL/ (a linklab cache) */
    for (size_t i = 0; i < ix->n; i++) {
        const char *rel = ix->files[i].abs + rootlen + 1;
        add_key(ix, &kcap, rel, i);
        const char *slash = strchr(rel, '/');
        if (slash) {
            add_key(ix, &kcap, slash + 1, i);
            if (strncmp(rel, "wheels/", 7) == 0 && (slash = strchr(slash + 1, '/')))
                add_key(ix, &kcap, slash + 1, i);
        }
    }
    sort_items(ix->keys, ix->nkeys, sizeof *ix->keys, cmp_key);
    ix->by_size = xmalloc((ix->n ? ix->n : 1) * sizeof *ix->by_size);
    for (size_t i = 0; i < ix->n; i++)
        ix->by_size[i] = (struct src_size){ix->files[i].size, i};
    sort_items(ix->by_size, ix->n, sizeof *ix->by_size, cmp_size);
    ix->by_inode = xmalloc((ix->n ? ix->n : 1) * sizeof *ix->by_inode);
    for (size_t i = 0; i < ix->n; i++)
        ix->by_inode[i] = (struct src_inode){ix->files[i].dev, ix->files[i].ino, i};
    sort_items(ix->by_inode, ix->n, sizeof *ix->by_inode, cmp_inode);
    sort_items(ix->dirs, ix->ndirs, sizeof *ix->dirs, cmp_inode);
    return 0;
}

void src_index_free(struct src_index *ix)
{
    for (size_t i = 0; i < ix->n; i++) {
        free(ix->files[i].abs);
        free(ix->files[i].hash);
    }
    free(ix->files);
    free(ix->keys);
    free(ix->by_size);
    free(ix->by_inode);
    free(ix->dirs);
    free(ix->root);
    memset(ix, 0, sizeof *ix);
}

size_t src_index_by_path(const struct src_index *ix, const char *rel, size_t *first)
{
    size_t lo = 0, hi = ix->nkeys;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(ix->keys[mid].key, rel) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < ix->nkeys && strcmp(ix->keys[lo + n].key, rel) == 0)
        n++;
    *first = lo;
    return n;
}

size_t src_index_by_size(const struct src_index *ix, long long size, size_t *first)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ix->by_size[mid].size < size)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < ix->n && ix->by_size[lo + n].size == size)
        n++;
    *first = lo;
    return n;
}

struct src_file *src_index_by_inode(const struct src_index *ix, dev_t dev, ino_t ino)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct src_inode *f = &ix->by_inode[mid];
        if (f->dev < dev || (f->dev == dev && f->ino < ino))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < ix->n && ix->by_inode[lo].dev == dev && ix->by_inode[lo].ino == ino)
        return &ix->files[ix->by_inode[lo].file];
    return NULL;
}

bool src_index_has_dir(const struct src_index *ix, dev_t dev, ino_t ino)
{
    struct src_inode key = {dev, ino, 0};
    return ix->ndirs && bsearch(&key, ix->dirs, ix->ndirs, sizeof *ix->dirs, cmp_inode);
}

const char *src_file_hash(struct src_file *f)
{
    return digest_file_cached(f->abs, &f->hash);
}
