/* classify.c - what each installed file is, proved on disk: the walk of
 * the target, and each file's class against its source candidates
 * (FIEMAP physical extents, inodes; on labfs, the backing file). */
#include "observe/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/fiemap.h"
#include "common/util.h"

/* labfs (FUSE) names each file's backing file in this extended attribute,
 * since FIEMAP does not pass through FUSE. */
#define LABFS_BACKING_XATTR "user.labfs.backing"

static const char *const class_names[CLS_COUNT] = {
    "cloned", "partial", "shared-elsewhere", "hardlinked", "symlinked",
    "copied", "inline", "empty", "dangling", "unknown"};

const char *obs_class_name(enum obs_class c) { return class_names[c]; }

static const char *const pair_names[] = {NULL, "path", "content"};

const char *pair_name(enum pair_kind k) { return pair_names[k]; }

/* ------------------------------------------------------------- helpers */

static const struct fsident *fs_of(struct obs *ob, int fd, dev_t dev)
{
    for (size_t i = 0; i < ob->nfs; i++)
        if (ob->fs[i]->dev == dev)
            return &ob->fs[i]->id;
    ob->fs = xrealloc(ob->fs, (ob->nfs + 1) * sizeof *ob->fs);
    struct fs_cache *c = ob->fs[ob->nfs++] = xcalloc(1, sizeof *c);
    c->dev = dev;
    if (fsident_of(fd, &c->id) != 0)
        snprintf(c->id.id, sizeof c->id.id, "dev%llu", (unsigned long long)dev);
    return &c->id;
}

/* FIEMAP of path; on a FUSE mount, of the backing file labfs names. */
static int extents_of(struct obs *ob, const char *path, int fd, dev_t dev, struct extents *ex,
                      const struct fsident **id)
{
    *id = fs_of(ob, fd, dev);
    int err = fiemap_read(fd, ex);
    if (err && (*id)->fuse) {
        char backing[PATH_MAX];
        ssize_t n = getxattr(path, LABFS_BACKING_XATTR, backing, sizeof backing - 1);
        if (n > 0) {
            backing[n] = '\0';
            int bfd = open(backing, O_RDONLY | O_CLOEXEC);
            if (bfd >= 0) {
                struct stat bst;
                if (fstat(bfd, &bst) == 0) {
                    *id = fs_of(ob, bfd, bst.st_dev);
                    err = fiemap_read(bfd, ex);
                }
                close(bfd);
            }
        }
    }
    return err;
}

const char *file_hash(struct obs_file *f)
{
    return digest_file_cached(f->abs, &f->hash);
}

/* ------------------------------------------------------------ classify */

struct verdict {
    enum obs_class cls;
    uint64_t data, shared;
    const char *note;
};

/* How strongly a verdict ties the file to its source: the best candidate wins. */
static int strength(enum obs_class c)
{
    switch (c) {
    case CLS_HARDLINKED: return 5;
    case CLS_CLONED: return 4;
    case CLS_PARTIAL: return 3;
    default: return 0;
    }
}

/* The file judged against one source candidate (or none). tex is the
 * target's FIEMAP (terr its error), tid its filesystem. */
static struct verdict judge(struct obs *ob, const struct obs_file *f, const struct src_file *s,
                            const struct extents *tex, int terr, const struct fsident *tid)
{
    struct verdict v = {.cls = CLS_COPIED};
    if (s && s->dev == f->st.st_dev && s->ino == f->st.st_ino) {
        v.cls = CLS_HARDLINKED;
        return v;
    }
    if (!s && f->st.st_nlink > 1) {
        v.cls = CLS_HARDLINKED;
        v.note = "link count > 1, no source to compare";
        return v;
    }
    if (f->st.st_size == 0) {
        v.cls = CLS_EMPTY;
        return v;
    }
    if (terr) {
        if (tid->no_fiemap) {
            v.note = "tmpfs: no shared extents possible";
            return v;
        }
        v.cls = CLS_UNKNOWN;
        v.note = "the filesystem has no FIEMAP";
        return v;
    }
    v.data = extents_bytes(tex);
    if (tex->inline_data && v.data == 0) {
        v.cls = CLS_INLINE;
        return v;
    }
    if (s) {
        int sfd = open(s->abs, O_RDONLY | O_CLOEXEC);
        if (sfd >= 0) {
            struct extents sex;
            const struct fsident *sid;
            if (extents_of(ob, s->abs, sfd, s->dev, &sex, &sid) == 0) {
                if (strcmp(sid->id, tid->id) == 0)
                    v.shared = extents_overlap(tex, &sex);
                else
                    v.note = "source on another filesystem";
                extents_free(&sex);
            }
            close(sfd);
        }
        if (v.data > 0 && v.shared >= v.data) {
            v.cls = CLS_CLONED;
            return v;
        }
        if (v.shared > 0) {
            v.cls = CLS_PARTIAL;
            return v;
        }
    }
    if (tex->shared) {
        v.cls = CLS_SHARED_ELSEWHERE;
        if (!s)
            v.note = "shared extents, no source to compare";
    }
    return v;
}

static void classify_symlink(struct obs *ob, struct obs_file *f)
{
    struct stat st;
    if (stat(f->abs, &st) != 0) {
        f->cls = CLS_DANGLING;
        return;
    }
    f->cls = CLS_SYMLINKED;
    if (!ob->have_source)
        return;
    size_t first, n = src_index_by_path(&ob->src, f->rel, &first);
    for (size_t k = 0; k < n; k++) {
        const struct src_file *s = &ob->src.files[ob->src.keys[first + k].file];
        if (s->dev == st.st_dev && s->ino == st.st_ino) {
            f->source = s;
            f->paired = PAIR_PATH;
            return;
        }
    }
    /* by what it points at */
    for (size_t i = 0; i < ob->src.n; i++) {
        if (ob->src.files[i].dev == st.st_dev && ob->src.files[i].ino == st.st_ino) {
            f->source = &ob->src.files[i];
            f->paired = PAIR_CONTENT;
            return;
        }
    }
    f->note = "resolves outside the source";
}

void classify(struct obs *ob, struct obs_file *f)
{
    if (S_ISLNK(f->st.st_mode)) {
        classify_symlink(ob, f);
        return;
    }
    int fd = open(f->abs, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        f->cls = CLS_UNKNOWN;
        f->note = "cannot be opened";
        return;
    }
    struct extents tex = {0};
    const struct fsident *tid;
    int terr = extents_of(ob, f->abs, fd, f->st.st_dev, &tex, &tid);
    close(fd);
    struct verdict best = {.cls = CLS_COUNT};
    if (ob->have_source) {
        size_t first, n = src_index_by_path(&ob->src, f->rel, &first);
        enum pair_kind how = PAIR_PATH;
        struct src_file *cands[64];
        size_t nc = 0;
        for (size_t k = 0; k < n && nc < 64; k++)
            cands[nc++] = &ob->src.files[ob->src.keys[first + k].file];
        if (nc == 0) {
            /* another installer's cache layout: by content */
            how = PAIR_CONTENT;
            const char *h = file_hash(f);
            n = src_index_by_size(&ob->src, f->st.st_size, &first);
            for (size_t k = 0; h && k < n && nc < 64; k++) {
                struct src_file *s = &ob->src.files[ob->src.by_size[first + k].file];
                const char *sh = src_file_hash(s);
                if (sh && strcmp(sh, h) == 0)
                    cands[nc++] = s;
            }
        }
        for (size_t k = 0; k < nc; k++) {
            struct verdict v = judge(ob, f, cands[k], &tex, terr, tid);
            if (best.cls == CLS_COUNT || strength(v.cls) > strength(best.cls)) {
                best = v;
                f->source = cands[k];
                f->paired = how;
            }
        }
    }
    if (best.cls == CLS_COUNT)
        best = judge(ob, f, NULL, &tex, terr, tid);
    extents_free(&tex);
    f->cls = best.cls;
    f->bytes_data = best.data;
    f->bytes_shared = best.shared;
    f->note = best.note;
}

/* --------------------------------------------------------------- walk */

static int cmp_rel(const void *a, const void *b)
{
    return strcmp(((const struct obs_file *)a)->rel, ((const struct obs_file *)b)->rel);
}

int walk_target(struct obs *ob)
{
    char *const paths[] = {ob->target_abs, NULL};
    FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
    if (!fts) {
        lab_error("%s: %s", ob->target_abs, strerror(errno));
        return -1;
    }
    size_t cap = 0, rootlen = strlen(ob->target_abs);
    FTSENT *e;
    while ((e = fts_read(fts))) {
        if (e->fts_info == FTS_DNR || e->fts_info == FTS_ERR || e->fts_info == FTS_NS) {
            lab_error("%s: %s", e->fts_path, strerror(e->fts_errno));
            fts_close(fts);
            return -1;
        }
        if (e->fts_info != FTS_F && e->fts_info != FTS_SL && e->fts_info != FTS_SLNONE)
            continue;
        if (ob->n == cap)
            ob->files = xrealloc(ob->files, (cap = cap ? cap * 2 : 1024) * sizeof *ob->files);
        ob->files[ob->n++] = (struct obs_file){.rel = xstrdup(e->fts_path + rootlen + 1),
                                               .abs = xstrdup(e->fts_path),
                                               .st = *e->fts_statp};
    }
    fts_close(fts);
    sort_items(ob->files, ob->n, sizeof *ob->files, cmp_rel);
    return 0;
}

struct obs_file *find_file(struct obs *ob, const char *rel)
{
    struct obs_file key = {.rel = (char *)rel};
    return bsearch(&key, ob->files, ob->n, sizeof *ob->files, cmp_rel);
}
