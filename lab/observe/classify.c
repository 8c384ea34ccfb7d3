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
#include "format/format.h"

/* labfs (FUSE) names each file's backing file in this extended attribute,
 * since FIEMAP does not pass through FUSE. */
#define LABFS_BACKING_XATTR "user.labfs.backing"

static const char *const class_names[CLS_COUNT] = {
    [CLS_CLONED] = "cloned",
    [CLS_PARTIAL] = "partial",
    [CLS_SHARED_ELSEWHERE] = "shared-elsewhere",
    [CLS_HARDLINKED] = "hardlinked",
    [CLS_HARDLINKED_ELSEWHERE] = "hardlinked-elsewhere",
    [CLS_SYMLINKED] = "symlinked",
    [CLS_SYMLINKED_OUTSIDE] = "symlinked-outside",
    [CLS_COPIED] = "copied",
    [CLS_INLINE] = "inline",
    [CLS_EMPTY] = "empty",
    [CLS_DANGLING] = "dangling",
    [CLS_UNKNOWN] = "unknown",
};

const char *obs_class_name(enum obs_class c) { return class_names[c]; }

static const char *const pair_names[] = {NULL, "path", "content", "inode"};

const char *pair_name(enum pair_kind k) { return pair_names[k]; }

/* ------------------------------------------------------------- helpers */

static const struct fsident *fs_cached(const struct obs *ob, dev_t dev)
{
    for (size_t i = 0; i < ob->nfs; i++)
        if (ob->fs[i]->dev == dev)
            return &ob->fs[i]->id;
    return NULL;
}

static const struct fsident *fs_of(struct obs *ob, int fd, dev_t dev)
{
    const struct fsident *id = fs_cached(ob, dev);
    if (id)
        return id;
    ob->fs = xrealloc(ob->fs, (ob->nfs + 1) * sizeof *ob->fs);
    struct fs_cache *c = ob->fs[ob->nfs++] = xcalloc(1, sizeof *c);
    c->dev = dev;
    if (fsident_of(fd, &c->id) != 0)
        snprintf(c->id.id, sizeof c->id.id, "dev%llu", (unsigned long long)dev);
    return &c->id;
}

static const struct fsident *fs_of_path(struct obs *ob, const char *path, dev_t dev)
{
    const struct fsident *id = fs_cached(ob, dev);
    if (id)
        return id;
    int fd = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    id = fs_of(ob, fd, dev);
    close(fd);
    return id;
}

/* On labfs (FUSE), the backing path of path (a file or a directory), as
 * labfs names it in an extended attribute; false when there is none. */
static bool backing_path(const char *path, char out[PATH_MAX])
{
    ssize_t n = getxattr(path, LABFS_BACKING_XATTR, out, PATH_MAX - 1);
    if (n <= 0)
        return false;
    out[n] = '\0';
    return true;
}

/* The backing file that holds path's data: opened, with its stat in *st;
 * -1 when there is none (or it is not the same size: then it is not this
 * file's data). */
static int open_backing(const char *path, off_t size, struct stat *st)
{
    char backing[PATH_MAX];
    int bfd = backing_path(path, backing) ? open_regular(backing, O_NOFOLLOW, st) : -1;
    if (bfd >= 0 && st->st_size != size) {
        close(bfd);
        bfd = -1;
    }
    return bfd;
}

/* The (device, inode) that really holds the file's data: on labfs the
 * backing file's, else its own. */
static void real_inode(const struct fsident *id, const char *path, const struct stat *st, struct stat *real)
{
    *real = *st;
    if (!id->fuse)
        return;
    int bfd = open_backing(path, st->st_size, real);
    if (bfd >= 0)
        close(bfd);
    else
        *real = *st;
}

/* FIEMAP of path; on a FUSE mount, of the backing file labfs names. *real
 * gets the stat of the file whose extents were read. */
static int extents_of(struct obs *ob, const char *path, int fd, const struct stat *st, struct extents *ex,
                      const struct fsident **id, struct stat *real)
{
    *id = fs_of(ob, fd, st->st_dev);
    *real = *st;
    int err = fiemap_read(fd, ex);
    if (err && (*id)->fuse) {
        struct stat bst;
        int bfd = open_backing(path, st->st_size, &bst);
        if (bfd >= 0) {
            *id = fs_of(ob, bfd, bst.st_dev);
            *real = bst;
            err = fiemap_read(bfd, ex);
            close(bfd);
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
    uint64_t shared; /* file bytes stored in the source's blocks */
    bool whole;      /* the same stored data as the source at every offset */
    bool same_file;  /* the source file itself (a FUSE view of the cache) */
    const char *note;
};

/* How strongly a verdict ties the file to its source: the best candidate wins. */
static int strength(const struct verdict *v)
{
    switch (v->cls) {
    case CLS_HARDLINKED: return 5;
    case CLS_CLONED: return 4;
    case CLS_PARTIAL: return 3;
    default: return 0;
    }
}

/* Whether source file s, on labfs, is backed by the installed file's real
 * inode (treal): then they are one file (or hardlinks of one). */
static bool source_is_target(struct obs *ob, const struct src_file *s, const struct stat *treal)
{
    struct stat sst, sreal;
    const struct fsident *sid = fs_of_path(ob, s->abs, s->dev); /* cached: no system call */
    if (!sid || !sid->fuse || lstat(s->abs, &sst) != 0)
        return false;
    real_inode(sid, s->abs, &sst, &sreal);
    return sreal.st_dev == treal->st_dev && sreal.st_ino == treal->st_ino;
}

/* The file's data against one source candidate (or none). tex is the
 * target's FIEMAP (terr its error), tid its filesystem. Hardlinks are
 * settled before, by inode against every source file. */
static struct verdict judge(struct obs *ob, const struct obs_file *f, const struct src_file *s,
                            const struct extents *tex, int terr, const struct fsident *tid,
                            const struct stat *treal)
{
    struct verdict v = {.cls = CLS_COPIED};
    if (s && source_is_target(ob, s, treal)) {
        /* the source's own backing file, seen through labfs */
        v.cls = CLS_HARDLINKED;
        v.same_file = f->st.st_nlink < 2;
        v.shared = (uint64_t)f->st.st_size;
        v.whole = true;
        return v;
    }
    if (f->st.st_size == 0) {
        v.cls = CLS_EMPTY;
        v.whole = s && s->size == 0;
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
    if (tex->inline_data && extents_bytes(tex) == 0) {
        v.cls = CLS_INLINE;
        return v;
    }
    if (s) {
        int sfd = open(s->abs, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        /* what the index knows (no fstat per file); a FIFO put there since
         * is opened without blocking, and FIEMAP fails on it */
        struct stat sst = {.st_dev = s->dev, .st_ino = s->ino, .st_size = s->size, .st_mode = S_IFREG}, sreal;
        if (sfd >= 0) {
            struct extents sex;
            const struct fsident *sid;
            if (extents_of(ob, s->abs, sfd, &sst, &sex, &sid, &sreal) == 0) {
                uint64_t same = 0;
                bool encoded = false;
                if (tid->layered || sid->layered)
                    v.note = "overlayfs: addresses belong to its layers, not comparable";
                else if (strcmp(sid->id, tid->id) == 0) {
                    extents_compare(tex, &sex, (uint64_t)f->st.st_size, &v.shared, &same, &encoded);
                    if (v.shared == 0 && (v.shared = extents_physical_overlap(tex, &sex)) > 0) {
                        /* a clone of the source's blocks at other offsets */
                        if (v.shared > (uint64_t)f->st.st_size)
                            v.shared = (uint64_t)f->st.st_size;
                        v.note = "shares the source's blocks at other offsets";
                        same = 0;
                    }
                } else
                    v.note = "source on another filesystem";
                v.whole = v.shared > 0 && same == (uint64_t)f->st.st_size && s->size == f->st.st_size;
                if (v.whole && encoded) /* compressed extents: the bytes confirm it */
                    v.whole = files_equal(f->abs, s->abs) == 1;
                extents_free(&sex);
            }
        } else {
            v.note = "its source cannot be opened";
        }
        if (sfd >= 0)
            close(sfd);
        if (v.whole) {
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

/* The source files the installed file answers to by its relative path
 * (malloc'd, *n of them; NULL for none). */
static struct src_file **path_candidates(struct obs *ob, const struct obs_file *f, size_t *n)
{
    size_t first;
    /* a file the installer names as its own (--own) is paired by what it
     * shares with the source, never by its path: a project's package.json
     * is not the package.json of a cache entry */
    *n = ob->have_source && !f->own ? src_index_by_path(&ob->src, f->rel, &first) : 0;
    if (*n == 0)
        return NULL;
    struct src_file **cands = xmalloc(*n * sizeof *cands);
    for (size_t k = 0; k < *n; k++)
        cands[k] = &ob->src.files[ob->src.keys[first + k].file];
    return cands;
}

static bool is_candidate(struct src_file *const *cands, size_t nc, const struct src_file *s)
{
    for (size_t k = 0; k < nc; k++)
        if (cands[k] == s)
            return true;
    return false;
}

/* Whether the file at path (stat st) holds the same bytes as source s: 1,
 * 0, or -1 when they cannot be compared (errno says why). */
static int same_bytes(const char *path, const struct stat *st, const struct src_file *s)
{
    if (st->st_dev == s->dev && st->st_ino == s->ino)
        return 1;
    if (st->st_size != s->size)
        return 0;
    return files_equal(path, s->abs);
}

/* A paired file must hold its source's bytes (one of them, when several
 * packages give the path), or be an installer's rewrite of them that keeps
 * what they say (a wheel's RECORD): else it is corrupt, whatever its
 * class. */
static void check_bytes(struct obs *ob, struct obs_file *f, struct src_file *const *cands, size_t nc, bool proven)
{
    if (nc == 0 || proven || f->cls == CLS_DANGLING)
        return;
    struct stat st;
    if (stat(f->abs, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    bool rewritable = format_installer_rewrites(f->rel);
    int unreadable = 0;
    for (size_t k = 0; k < nc; k++) {
        int rc = same_bytes(f->abs, &st, cands[k]);
        if (rc == 1)
            return;
        if (rc < 0)
            unreadable = errno ? errno : EIO;
        else if (rewritable && format_rewrite_keeps(f->rel, f->abs, cands[k]->abs)) {
            f->rewritten = true;
            return;
        }
    }
    char *detail = unreadable ? xasprintf("cannot be compared with its source %s: %s", cands[0]->abs,
                                          strerror(unreadable))
                   : rewritable ? xasprintf("drops or changes rows of its source %s", cands[0]->abs)
                   : st.st_size != cands[0]->size
                       ? xasprintf("%lld bytes, its source %s has %lld", (long long)st.st_size, cands[0]->abs,
                                   cands[0]->size)
                       : xasprintf("other bytes than its source %s", cands[0]->abs);
    add_finding(ob, FIND_CORRUPT, f->rel, NULL, detail)->bytes = cands[0]->size;
}

/* Whether the directory a link resolves to (real, under the source root)
 * is a source directory for the link's path: DIR/REL, or DIR/.../REL under
 * the directories of any cache layout (DIR/NAME/REL, DIR/wheels/NAME/REL,
 * DIR/archive-v0/HASH/REL). */
static bool directory_pairs(const char *root, const char *real, const char *rel)
{
    size_t n = strlen(root);
    if (strncmp(real, root, n) != 0 || (real[n] != '/' && real[n] != '\0'))
        return false;
    const char *in = real[n] ? real + n + 1 : real + n;
    size_t li = strlen(in), lr = strlen(rel);
    /* REL itself, or REL under any directories of the cache's layout */
    return strcmp(in, rel) == 0 || (li > lr && in[li - lr - 1] == '/' && strcmp(in + li - lr, rel) == 0);
}

/* A link to a directory of the source must reach the directory its own
 * path pairs with: else the files under it are another package's. */
static void check_directory_link(struct obs *ob, struct obs_file *f)
{
    char *real = realpath(f->abs, NULL);
    if (real && !directory_pairs(ob->src.root, real, f->rel))
        add_finding(ob, FIND_CORRUPT, f->rel, NULL,
                    xasprintf("a link to the source's directory %s, which is not this path's", real));
    free(real);
}

static void classify_symlink(struct obs *ob, struct obs_file *f)
{
    struct stat st;
    if (stat(f->abs, &st) != 0) {
        f->cls = CLS_DANGLING;
        return;
    }
    f->cls = CLS_SYMLINKED;
    f->bytes = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    f->bytes_shared = f->bytes;
    if (!ob->have_source) {
        f->note = "no source to compare";
        return;
    }
    size_t nc;
    struct src_file **cands = path_candidates(ob, f, &nc);
    struct src_file *s = src_index_by_inode(&ob->src, st.st_dev, st.st_ino);
    if (s) {
        f->source = s;
        f->paired = is_candidate(cands, nc, s) ? PAIR_PATH : PAIR_INODE;
    } else if (S_ISDIR(st.st_mode) && paths_overlap(f->abs, ob->src.root) == 1) {
        f->note = "a directory of the source";
        if (!f->own) /* an installer's own layout link may go anywhere in its store */
            check_directory_link(ob, f);
    } else {
        f->cls = CLS_SYMLINKED_OUTSIDE;
        f->bytes_shared = 0;
        f->note = "resolves outside the source";
        if (nc > 0) {
            f->source = cands[0];
            f->paired = PAIR_PATH;
        }
    }
    check_bytes(ob, f, cands, nc, false);
    free(cands);
}

/* The file is the source file s itself, not a link of it: seen through a
 * bind mount or a FUSE view of the cache. Nothing can be told then. */
static void same_file(struct obs *ob, struct obs_file *f, const struct src_file *s)
{
    if (!ob->view_of_source) {
        ob->view_of_source = f;
        ob->view_source = s;
    }
}

/* A source file that is the installed file itself (same real inode), or NULL.
 * On labfs the FUSE inode numbers are those of the backing files, which may
 * repeat across the backing filesystem's subvolumes: the backing files
 * decide. */
static struct src_file *same_inode(struct obs *ob, const struct obs_file *f, const struct fsident *tid,
                                   const struct stat *treal)
{
    struct src_file *s = src_index_by_inode(&ob->src, f->st.st_dev, f->st.st_ino);
    if (s && tid->fuse && !source_is_target(ob, s, treal))
        s = NULL;
    if (!s && (treal->st_dev != f->st.st_dev || treal->st_ino != f->st.st_ino))
        s = src_index_by_inode(&ob->src, treal->st_dev, treal->st_ino); /* the cache is labfs's backing */
    return s;
}

void classify(struct obs *ob, struct obs_file *f)
{
    if (S_ISLNK(f->st.st_mode)) {
        classify_symlink(ob, f);
        return;
    }
    if (!S_ISREG(f->st.st_mode)) {
        f->cls = CLS_UNKNOWN;
        f->note = "not a regular file (a FIFO, socket or device node)";
        return;
    }
    f->bytes = (uint64_t)f->st.st_size;
    /* what was a file when walked may be a FIFO by now */
    int fd = open_regular(f->abs, O_NOFOLLOW, NULL);
    if (fd < 0) {
        f->cls = CLS_UNKNOWN;
        f->note = errno == EINVAL ? "no longer a regular file" : "cannot be opened";
        return;
    }
    struct extents tex = {0};
    const struct fsident *own_fs = fs_of(ob, fd, f->st.st_dev), *tid; /* tid: where the data is */
    struct stat treal;
    int terr = extents_of(ob, f->abs, fd, &f->st, &tex, &tid, &treal);
    if (terr) /* no FIEMAP: still, on labfs the backing file is the real inode */
        real_inode(own_fs, f->abs, &f->st, &treal);
    close(fd);
    size_t nc;
    struct src_file **cands = path_candidates(ob, f, &nc);
    if (ob->have_source) {
        /* a hardlink of any source file, whatever path pairs it */
        struct src_file *s = same_inode(ob, f, own_fs, &treal);
        if (s) {
            if (f->st.st_nlink < 2)
                same_file(ob, f, s);
            f->cls = CLS_HARDLINKED;
            f->source = s;
            f->paired = is_candidate(cands, nc, s) ? PAIR_PATH : PAIR_INODE;
            if (f->paired == PAIR_INODE && nc > 0)
                f->note = "a hardlink of another source file";
            f->bytes_shared = f->bytes;
            extents_free(&tex);
            check_bytes(ob, f, cands, nc, f->paired == PAIR_PATH);
            free(cands);
            return;
        }
    }
    struct verdict best = {.cls = CLS_COUNT};
    if (ob->have_source) {
        enum pair_kind how = PAIR_PATH;
        struct src_file **judged = cands;
        size_t nj = nc;
        if (nj == 0) {
            /* another installer's cache layout: by content */
            how = PAIR_CONTENT;
            const char *h = file_hash(f);
            size_t first, n = src_index_by_size(&ob->src, f->st.st_size, &first);
            judged = n ? xmalloc(n * sizeof *judged) : NULL;
            for (size_t k = 0; h && k < n; k++) {
                struct src_file *s = &ob->src.files[ob->src.by_size[first + k].file];
                const char *sh = src_file_hash(s);
                if (sh && strcmp(sh, h) == 0)
                    judged[nj++] = s;
            }
        }
        for (size_t k = 0; k < nj; k++) {
            struct verdict v = judge(ob, f, judged[k], &tex, terr, tid, &treal);
            if (v.same_file)
                same_file(ob, f, judged[k]);
            if (best.cls == CLS_COUNT || strength(&v) > strength(&best)) {
                best = v;
                f->source = judged[k];
                f->paired = how;
            }
        }
        if (judged != cands)
            free(judged);
    }
    if (best.cls == CLS_COUNT)
        best = judge(ob, f, NULL, &tex, terr, tid, &treal);
    extents_free(&tex);
    f->cls = best.cls;
    f->bytes_shared = best.shared;
    f->note = best.note;
    if (best.cls == CLS_HARDLINKED) {
        /* the source's backing inode, proved through labfs: a hardlink */
    } else if (f->st.st_nlink > 1 && ob->have_source) {
        /* linked to something no source file is: edits reach it */
        f->cls = CLS_HARDLINKED_ELSEWHERE;
        f->note = "link count > 1, no source file has this inode";
        f->bytes_shared = 0;
    } else if (f->st.st_nlink > 1) {
        f->cls = CLS_HARDLINKED;
        f->note = "link count > 1, no source to compare";
    }
    check_bytes(ob, f, cands, nc, best.whole || f->paired == PAIR_CONTENT);
    free(cands);
    if (ob->have_source && !f->source && !f->note)
        f->note = "no source file pairs with it";
}

/* --------------------------------------------------------------- walk */

static int cmp_rel(const void *a, const void *b)
{
    return strcmp(((const struct obs_file *)a)->rel, ((const struct obs_file *)b)->rel);
}

/* Whether a target directory is one of the source's. On FUSE by its labfs
 * backing directory: labfs shows backing inode numbers, which repeat across
 * btrfs subvolumes. */
static bool directory_of_source(struct obs *ob, const FTSENT *e)
{
    if (strcmp(ob->target_fs, "fuse") != 0)
        return src_index_has_dir(&ob->src, e->fts_statp->st_dev, e->fts_statp->st_ino);
    char backing[PATH_MAX];
    struct stat st;
    return backing_path(e->fts_path, backing) && stat(backing, &st) == 0 && S_ISDIR(st.st_mode) &&
           src_index_has_dir(&ob->src, st.st_dev, st.st_ino);
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
        /* a directory of the source itself: the target is a view of the
         * cache (a bind mount, or labfs over it), not an install of it */
        if (e->fts_info == FTS_D && ob->have_source && !ob->view_dir && directory_of_source(ob, e))
            ob->view_dir = xstrdup(e->fts_path);
        /* files, symlinks and what is neither (FIFOs, sockets, devices: listed, never opened) */
        if (e->fts_info != FTS_F && e->fts_info != FTS_SL && e->fts_info != FTS_SLNONE && e->fts_info != FTS_DEFAULT)
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
    if (ob->n == 0) /* an empty target: no array to search (bsearch wants one) */
        return NULL;
    struct obs_file key = {.rel = (char *)rel};
    return bsearch(&key, ob->files, ob->n, sizeof *ob->files, cmp_rel);
}
