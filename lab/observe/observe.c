#include "observe/observe.h"

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/fs.h>

#include "common/digest.h"
#include "common/entryname.h"
#include "engine/fallback.h"
#include "common/fiemap.h"
#include "common/fsident.h"
#include "observe/pairing.h"
#include "observe/trace.h"
#include "common/util.h"
#include "format/wheel.h"

/* labfs (FUSE) names each file's backing file in this extended attribute,
 * since FIEMAP does not pass through FUSE. */
#define LABFS_BACKING_XATTR "user.labfs.backing"

static const char *const class_names[CLS_COUNT] = {
    "cloned", "partial", "shared-elsewhere", "hardlinked", "symlinked",
    "copied", "inline", "empty", "dangling", "unknown"};

const char *obs_class_name(enum obs_class c) { return class_names[c]; }

enum pair_kind { PAIR_NONE, PAIR_PATH, PAIR_CONTENT };
static const char *const pair_names[] = {NULL, "path", "content"};

struct obs_file {
    char *rel;
    char *abs;
    struct stat st; /* lstat */
    enum obs_class cls;
    enum pair_kind paired;
    const struct src_file *source;
    uint64_t bytes_data, bytes_shared;
    const char *note;
    char *hash; /* sha256 b64, when computed */
    const struct trace_entry *trace;
};

struct finding {
    const char *kind; /* missing, corrupt, mode, extra, installer-added, case-collision, overwritten */
    char *path;
    char *detail;
    const char *wheel;
    long long bytes; /* what RECORD promised, for missing and corrupt files */
};

struct fs_cache {
    dev_t dev;
    struct fsident id;
};

struct obs {
    const struct observe_opts *o;
    char *target_abs;
    struct obs_file *files;
    size_t n;
    struct src_index src;
    bool have_source;
    struct fs_cache **fs; /* each entry allocated alone: fs_of hands out pointers */
    size_t nfs;
    struct finding *findings;
    size_t nfindings;
    size_t counts[CLS_COUNT];
    uint64_t bytes_shared, bytes_copied;
    int record_files;
    char target_fs[24], source_fs[24];
    json_t *isolation;
};

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

static const char *file_hash(struct obs_file *f)
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

static void classify(struct obs *ob, struct obs_file *f)
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

static int walk_target(struct obs *ob)
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

static struct obs_file *find_file(struct obs *ob, const char *rel)
{
    struct obs_file key = {.rel = (char *)rel};
    return bsearch(&key, ob->files, ob->n, sizeof *ob->files, cmp_rel);
}

/* -------------------------------------------------------- completeness */

/* One file a wheel's RECORD promises. */
struct promise {
    char *path;
    const char *wheel;
    char *algo, *hash; /* NULL: RECORD gives none (RECORD itself) */
    long long size;
    unsigned mode;
};

static int cmp_promise(const void *a, const void *b)
{
    return strcmp(((const struct promise *)a)->path, ((const struct promise *)b)->path);
}

static void add_finding(struct obs *ob, const char *kind, const char *path, const char *wheel,
                        char *detail)
{
    ob->findings = xrealloc(ob->findings, (ob->nfindings + 1) * sizeof *ob->findings);
    ob->findings[ob->nfindings++] = (struct finding){kind, xstrdup(path), detail, wheel, 0};
}

/* A missing or corrupt file: the bytes its RECORD promised are lost. */
static void add_loss(struct obs *ob, const char *kind, const struct promise *p, char *detail)
{
    add_finding(ob, kind, p->path, p->wheel, detail);
    ob->findings[ob->nfindings - 1].bytes = p->size;
}

/* Files installers add to a wheel's directories on purpose. */
static bool installer_added(const char *rel)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    if (strstr(rel, ".dist-info/") &&
        (strcmp(base, "INSTALLER") == 0 || strcmp(base, "REQUESTED") == 0 ||
         strcmp(base, "direct_url.json") == 0 || strcmp(base, "uv_cache.json") == 0))
        return true;
    size_t n = strlen(base);
    return strstr(rel, "__pycache__/") && n > 4 && strcmp(base + n - 4, ".pyc") == 0;
}

/* Reads a wheel's RECORD into promises, and its top-level directories. */
static int read_promises(const char *wheel, struct promise **pr, size_t *npr, char ***tops, size_t *ntops)
{
    struct wheel_info w;
    char err[4096];
    if (wheel_scan(wheel, &w, err, sizeof err) != 0) {
        lab_error("%s: %s", wheel, err);
        wheel_free(&w);
        return -1;
    }
    for (size_t i = 0; i < w.n; i++) {
        const struct wheel_entry *e = &w.entries[i];
        const char *slash = strchr(e->name, '/');
        if (slash || e->is_dir) {
            size_t len = slash ? (size_t)(slash - e->name) : strlen(e->name);
            bool seen = false;
            for (size_t t = 0; t < *ntops && !seen; t++)
                seen = strlen((*tops)[t]) == len && strncmp((*tops)[t], e->name, len) == 0;
            if (!seen) {
                *tops = xrealloc(*tops, (*ntops + 1) * sizeof **tops);
                (*tops)[(*ntops)++] = xstrndup(e->name, len);
            }
        }
        if (e->is_dir)
            continue;
        const struct record_row *row = record_find(&w.record, e->name);
        *pr = xrealloc(*pr, (*npr + 1) * sizeof **pr);
        (*pr)[(*npr)++] = (struct promise){
            .path = xstrdup(e->name), .wheel = wheel,
            .algo = row && row->algo ? xstrdup(row->algo) : NULL,
            .hash = row && row->hash ? xstrdup(row->hash) : NULL, .size = e->size, .mode = e->mode};
    }
    wheel_free(&w);
    return 0;
}

/* Checks the target file at a path against every wheel that promises it:
 * with several wheels (a namespace __init__.py), it must hold one of their
 * versions whole; which one won is reported as "overwritten". */
static void check_path(struct obs *ob, struct promise *g, size_t n)
{
    struct obs_file *f = find_file(ob, g[0].path);
    /* not listed under this spelling: a case-insensitive target may
     * still have it under another one */
    char *abs = f ? xstrdup(f->abs) : xasprintf("%s/%s", ob->target_abs, g[0].path);
    struct stat st;
    if (stat(abs, &st) != 0) {
        add_loss(ob, "missing", &g[0], NULL);
        free(abs);
        return;
    }
    const struct promise *match = NULL;
    int read_err = 0;
    bool any_hash = false;
    for (size_t k = 0; k < n && !match; k++) {
        if (!g[k].hash) {
            match = &g[k]; /* RECORD itself: no hash to hold it to, and installers rewrite it */
            continue;
        }
        any_hash = true;
        char got[128];
        long long size = st.st_size;
        int rc = 0;
        if (f && strcmp(g[k].algo, "sha256") == 0) {
            const char *h = file_hash(f);
            if (h)
                snprintf(got, sizeof got, "%s", h);
            else
                rc = errno ? errno : EIO;
        } else {
            rc = digest_file_b64(abs, g[k].algo, got, sizeof got, &size);
        }
        if (rc)
            read_err = rc;
        else if (size == g[k].size && strcmp(got, g[k].hash) == 0)
            match = &g[k];
    }
    if (!match && read_err)
        add_loss(ob, "corrupt", &g[0], xasprintf("cannot read: %s", strerror(read_err)));
    else if (!match && st.st_size != g[0].size)
        add_loss(ob, "corrupt", &g[0], xasprintf("%lld bytes, RECORD says %lld", (long long)st.st_size, g[0].size));
    else if (!match && any_hash)
        add_loss(ob, "corrupt", &g[0],
                 xasprintf("%s differs from RECORD%s", g[0].algo, n > 1 ? " of every wheel that writes it" : ""));
    if (match && n > 1) {
        bool differ = false;
        for (size_t k = 0; k < n; k++)
            differ |= !g[k].hash || !match->hash || strcmp(g[k].hash, match->hash) != 0;
        if (differ)
            add_finding(ob, "overwritten", g[0].path, match->wheel,
                        xasprintf("written by %zu wheels with different bytes; holds %s's version, whole", n,
                                  match->wheel));
    }
    const struct promise *ref = match ? match : &g[0];
    bool want_exec = (ref->mode & 0111) != 0, is_exec = (st.st_mode & 0111) != 0;
    if (want_exec != is_exec)
        add_finding(ob, "mode", g[0].path, ref->wheel,
                    xasprintf("mode %03o, the wheel has %03o", st.st_mode & 0777, ref->mode));
    free(abs);
}

struct fold_row {
    char *key;
    const char *path;
};

static int cmp_fold_row(const void *a, const void *b)
{
    int c = strcmp(((const struct fold_row *)a)->key, ((const struct fold_row *)b)->key);
    return c ? c : strcmp(((const struct fold_row *)a)->path, ((const struct fold_row *)b)->path);
}

/* RECORD names (of all the wheels) that differ only by case or Unicode
 * normalization: one file on a case-insensitive target. */
static void report_case_collisions(struct obs *ob, const struct promise *pr, size_t n)
{
    struct fold_row *rows = xmalloc((n ? n : 1) * sizeof *rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = (struct fold_row){entryname_fold(pr[i].path), pr[i].path};
    sort_items(rows, n, sizeof *rows, cmp_fold_row);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(rows[i].key, rows[i - 1].key) != 0 || strcmp(rows[i].path, rows[i - 1].path) == 0)
            continue;
        char *a = xasprintf("%s/%s", ob->target_abs, rows[i - 1].path);
        char *b = xasprintf("%s/%s", ob->target_abs, rows[i].path);
        struct stat sa, sb;
        bool one = stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
        add_finding(ob, "case-collision", rows[i].path, NULL,
                    xasprintf("%s and %s differ only by case or normalization%s", rows[i - 1].path,
                              rows[i].path, one ? ": one file in this target" : ""));
        free(a);
        free(b);
    }
    for (size_t i = 0; i < n; i++)
        free(rows[i].key);
    free(rows);
}

static int check_completeness(struct obs *ob)
{
    char **tops = NULL;
    size_t ntops = 0, npr = 0;
    struct promise *pr = NULL;
    int rc = 0;
    for (int k = 0; k < ob->o->nwheels && rc == 0; k++)
        rc = read_promises(ob->o->wheels[k], &pr, &npr, &tops, &ntops);
    if (rc == 0) {
        report_case_collisions(ob, pr, npr);
        sort_items(pr, npr, sizeof *pr, cmp_promise);
        size_t paths = 0;
        for (size_t i = 0; i < npr;) {
            size_t j = i + 1;
            while (j < npr && strcmp(pr[j].path, pr[i].path) == 0)
                j++;
            check_path(ob, &pr[i], j - i);
            paths++;
            i = j;
        }
        ob->record_files = (int)paths;
        for (size_t i = 0; i < ob->n; i++) {
            const char *rel = ob->files[i].rel;
            const char *slash = strchr(rel, '/');
            if (!slash)
                continue;
            bool in_top = false;
            for (size_t t = 0; t < ntops && !in_top; t++)
                in_top = strlen(tops[t]) == (size_t)(slash - rel) &&
                         strncmp(tops[t], rel, (size_t)(slash - rel)) == 0;
            struct promise key = {.path = (char *)rel};
            if (!in_top || bsearch(&key, pr, npr, sizeof *pr, cmp_promise))
                continue;
            add_finding(ob, installer_added(rel) ? "installer-added" : "extra", rel, NULL, NULL);
        }
    }
    for (size_t i = 0; i < npr; i++) {
        free(pr[i].path);
        free(pr[i].algo);
        free(pr[i].hash);
    }
    free(pr);
    for (size_t t = 0; t < ntops; t++)
        free(tops[t]);
    free(tops);
    return rc;
}

/* ----------------------------------------------------------- isolation */

static int copy_path(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return errno;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        int e = errno;
        close(in);
        return e;
    }
    char buf[1 << 16];
    ssize_t r;
    int err = 0;
    while ((r = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)r) != r) {
            err = errno ? errno : EIO;
            break;
        }
    if (r < 0)
        err = errno;
    close(in);
    if (close(out) != 0 && !err)
        err = errno;
    return err;
}

static int clone_path(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return errno;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    int err = out < 0 ? errno : (ioctl(out, FICLONE, in) != 0 ? errno : 0);
    close(in);
    if (out >= 0)
        close(out);
    return err;
}

/* Recreates the file's relation to its source on scratch files (a scratch
 * source S' beside the source, a scratch installed file T' beside the
 * installed one), writes to T' and says whether S' changed: the real tree
 * and cache are never written. */
static const char *isolation_probe(const struct obs_file *f, char *why, size_t whylen)
{
    char *s2 = xasprintf("%s.llisolation.%ld", f->source->abs, (long)getpid());
    char *t2 = xasprintf("%s.llisolation.%ld", f->abs, (long)getpid());
    const char *result = NULL;
    int err = f->cls == CLS_CLONED ? clone_path(f->source->abs, s2) : copy_path(f->source->abs, s2);
    if (!err) {
        switch (f->cls) {
        case CLS_CLONED: err = clone_path(s2, t2); break;
        case CLS_HARDLINKED: err = link(s2, t2) == 0 ? 0 : errno; break;
        case CLS_SYMLINKED: err = symlink(s2, t2) == 0 ? 0 : errno; break;
        default: err = copy_path(s2, t2); break;
        }
    }
    char before[128], after[128];
    if (!err)
        err = digest_file_b64(s2, NULL, before, sizeof before, NULL);
    if (!err) {
        int fd = open(t2, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0 || write(fd, "linklab isolation probe\n", 24) != 24)
            err = errno ? errno : EIO;
        if (fd >= 0)
            close(fd);
    }
    if (!err)
        err = digest_file_b64(s2, NULL, after, sizeof after, NULL);
    if (err) {
        snprintf(why, whylen, "probe failed: %s", strerror(err));
        result = why;
    } else {
        result = strcmp(before, after) == 0 ? "isolated: edits stay in the target"
                                            : "edits reach the cache";
    }
    unlink(t2);
    unlink(s2);
    free(s2);
    free(t2);
    return result;
}

static void run_isolation(struct obs *ob)
{
    static const enum obs_class probed[] = {CLS_CLONED, CLS_PARTIAL, CLS_HARDLINKED, CLS_SYMLINKED, CLS_COPIED};
    ob->isolation = json_object();
    for (size_t c = 0; c < sizeof probed / sizeof probed[0]; c++) {
        for (size_t i = 0; i < ob->n; i++) {
            const struct obs_file *f = &ob->files[i];
            if (f->cls != probed[c] || !f->source || f->source->size == 0)
                continue;
            char why[256];
            const char *r = isolation_probe(f, why, sizeof why);
            json_object_set_new(ob->isolation, obs_class_name(f->cls),
                                json_pack("{s:s,s:s}", "file", f->rel, "result", r));
            if (!ob->o->quiet)
                printf("isolation: %s (%s): %s\n", obs_class_name(f->cls), f->rel, r);
            break;
        }
    }
}

/* -------------------------------------------------------------- report */

static enum obs_class expected_class(int mode)
{
    switch (mode) {
    case MODE_CLONE: return CLS_CLONED;
    case MODE_HARDLINK: return CLS_HARDLINKED;
    case MODE_SYMLINK: return CLS_SYMLINKED;
    default: return CLS_COPIED;
    }
}

static size_t count_findings(const struct obs *ob, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < ob->nfindings; i++)
        n += strcmp(ob->findings[i].kind, kind) == 0;
    return n;
}

static json_t *summary_json(const struct obs *ob, size_t deviations, bool pass)
{
    json_t *classes = json_object();
    for (int c = 0; c < CLS_COUNT; c++)
        json_object_set_new(classes, obs_class_name((enum obs_class)c), json_integer((json_int_t)ob->counts[c]));
    json_t *s = json_pack("{s:i,s:o,s:I,s:I}", "files", (json_int_t)ob->n, "classes", classes,
                          "bytes_shared", (json_int_t)ob->bytes_shared, "bytes_copied",
                          (json_int_t)ob->bytes_copied);
    if (ob->o->nwheels > 0) {
        json_object_set_new(s, "completeness",
                            json_pack("{s:i,s:I,s:I,s:I,s:I,s:I}", "record_files", ob->record_files,
                                      "missing", (json_int_t)count_findings(ob, "missing"),
                                      "corrupt", (json_int_t)count_findings(ob, "corrupt"),
                                      "mode", (json_int_t)count_findings(ob, "mode"),
                                      "extra", (json_int_t)count_findings(ob, "extra"),
                                      "installer_added", (json_int_t)count_findings(ob, "installer-added")));
        json_object_set_new(json_object_get(s, "completeness"), "case_collisions",
                            json_integer((json_int_t)count_findings(ob, "case-collision")));
        json_object_set_new(json_object_get(s, "completeness"), "overwritten",
                            json_integer((json_int_t)count_findings(ob, "overwritten")));
        long long lost = 0;
        for (size_t i = 0; i < ob->nfindings; i++)
            lost += ob->findings[i].bytes;
        json_object_set_new(json_object_get(s, "completeness"), "bytes_lost", json_integer(lost));
    }
    json_object_set_new(s, "expect", ob->o->expect >= 0 ? json_string(mode_name((enum lab_mode)ob->o->expect)) : json_null());
    json_object_set_new(s, "deviations", json_integer((json_int_t)deviations));
    json_object_set_new(s, "verdict", json_string(pass ? "pass" : "fail"));
    return s;
}

static int write_json(const struct obs *ob, size_t deviations, bool pass)
{
    json_t *files = json_array();
    for (size_t i = 0; i < ob->n; i++) {
        const struct obs_file *f = &ob->files[i];
        json_t *r = json_pack("{s:s,s:s,s:I,s:I,s:I}", "path", f->rel, "class", obs_class_name(f->cls),
                              "bytes", (json_int_t)f->st.st_size, "bytes_data", (json_int_t)f->bytes_data,
                              "bytes_shared", (json_int_t)f->bytes_shared);
        json_object_set_new(r, "source", f->source ? json_string(f->source->abs) : json_null());
        json_object_set_new(r, "paired_by", f->paired ? json_string(pair_names[f->paired]) : json_null());
        json_object_set_new(r, "inode", json_integer((json_int_t)f->st.st_ino));
        json_object_set_new(r, "nlink", json_integer((json_int_t)f->st.st_nlink));
        json_object_set_new(r, "mode", json_integer((json_int_t)(f->st.st_mode & 07777)));
        json_object_set_new(r, "note", f->note ? json_string(f->note) : json_null());
        if (ob->o->trace_argv)
            json_object_set_new(r, "syscall", f->trace ? json_pack("{s:s,s:b}", "op", f->trace->op,
                                                                  "renamed", f->trace->renamed)
                                                       : json_null());
        json_array_append_new(files, r);
    }
    json_t *findings = json_array();
    for (size_t i = 0; i < ob->nfindings; i++) {
        const struct finding *x = &ob->findings[i];
        json_array_append_new(findings, json_pack("{s:s,s:s,s:o,s:o,s:I}", "kind", x->kind, "path", x->path,
                                                  "wheel", x->wheel ? json_string(x->wheel) : json_null(),
                                                  "detail", x->detail ? json_string(x->detail) : json_null(),
                                                  "bytes", (json_int_t)x->bytes));
    }
    json_t *doc = json_pack("{s:i,s:s,s:s,s:o,s:s,s:o}", "schema", OBSERVE_SCHEMA, "tool", "linklab observe",
                            "target", ob->target_abs, "source",
                            ob->o->source ? json_string(ob->o->source) : json_null(), "target_fs",
                            ob->target_fs, "source_fs",
                            ob->source_fs[0] ? json_string(ob->source_fs) : json_null());
    json_object_set_new(doc, "summary", summary_json(ob, deviations, pass));
    json_object_set_new(doc, "isolation", ob->isolation ? json_incref(ob->isolation) : json_null());
    json_object_set_new(doc, "files", files);
    json_object_set_new(doc, "findings", findings);
    int rc = json_dump_file(doc, ob->o->json_path, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (rc != 0) {
        lab_error("%s: cannot write: %s", ob->o->json_path, strerror(errno));
        return -1;
    }
    return 0;
}

static void fs_type_of(const char *path, char *out, size_t len)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct fsident id;
    snprintf(out, len, "%s", fd >= 0 && fsident_of(fd, &id) == 0 ? id.type : "?");
    if (fd >= 0)
        close(fd);
}

static void print_report(const struct obs *ob)
{
    printf("observe: %s (%s)", ob->target_abs, ob->target_fs);
    if (ob->o->source)
        printf(" against %s (%s)", ob->o->source, ob->source_fs);
    printf(": %zu files\n ", ob->n);
    for (int c = 0; c < CLS_COUNT; c++)
        if (ob->counts[c])
            printf(" %s %zu", obs_class_name((enum obs_class)c), ob->counts[c]);
    printf("\n  bytes shared with the source %llu, copied %llu\n", (unsigned long long)ob->bytes_shared,
           (unsigned long long)ob->bytes_copied);
    if (ob->o->nwheels > 0) {
        printf("  complete: %d RECORD files; missing %zu, corrupt %zu, mode %zu, extra %zu, "
               "installer-added %zu, case-collision %zu, overwritten %zu\n", ob->record_files,
               count_findings(ob, "missing"), count_findings(ob, "corrupt"), count_findings(ob, "mode"),
               count_findings(ob, "extra"), count_findings(ob, "installer-added"),
               count_findings(ob, "case-collision"), count_findings(ob, "overwritten"));
        for (size_t i = 0; i < ob->nfindings; i++)
            if (strcmp(ob->findings[i].kind, "installer-added") != 0)
                printf("  %s: %s%s%s\n", ob->findings[i].kind, ob->findings[i].path,
                       ob->findings[i].detail ? ": " : "", ob->findings[i].detail ? ob->findings[i].detail : "");
    }
}

/* ---------------------------------------------------------------- run */

int observe_run(const struct observe_opts *o)
{
    struct obs ob = {.o = o};
    int status = LAB_EXIT_OK;
    struct trace_map tmap = {0};
    if (o->trace_argv) {
        char err[4096];
        int cmd_status = 0;
        if (trace_run(o->trace_argv, &tmap, &cmd_status, err, sizeof err) != 0) {
            lab_error("%s", err);
            return LAB_EXIT_FAIL;
        }
        if (cmd_status != 0) {
            lab_error("the traced command %s exited with status %d", o->trace_argv[0], cmd_status);
            status = LAB_EXIT_FAIL;
        }
    }
    ob.target_abs = realpath(o->target, NULL);
    if (!ob.target_abs) {
        lab_error("%s: %s", o->target, strerror(errno));
        trace_free(&tmap);
        return LAB_EXIT_FAIL;
    }
    fs_type_of(ob.target_abs, ob.target_fs, sizeof ob.target_fs);
    if (o->source) {
        char err[4096];
        if (src_index_build(o->source, &ob.src, err, sizeof err) != 0) {
            lab_error("%s", err);
            status = LAB_EXIT_FAIL;
            goto out;
        }
        ob.have_source = true;
        fs_type_of(o->source, ob.source_fs, sizeof ob.source_fs);
    }
    if (walk_target(&ob) != 0) {
        status = LAB_EXIT_FAIL;
        goto out;
    }
    for (size_t i = 0; i < ob.n; i++) {
        struct obs_file *f = &ob.files[i];
        classify(&ob, f);
        ob.counts[f->cls]++;
        ob.bytes_shared += f->bytes_shared;
        if (f->cls == CLS_COPIED || f->cls == CLS_PARTIAL)
            ob.bytes_copied += (uint64_t)f->st.st_size - f->bytes_shared;
        if (o->trace_argv)
            f->trace = trace_lookup(&tmap, f->abs);
    }
    if (o->nwheels > 0 && check_completeness(&ob) != 0) {
        status = LAB_EXIT_FAIL;
        goto out;
    }
    if (!o->quiet)
        print_report(&ob);
    if (o->isolation)
        run_isolation(&ob);
    size_t deviations = 0;
    if (o->expect >= 0) {
        enum obs_class want = expected_class(o->expect);
        for (size_t i = 0; i < ob.n; i++) {
            const struct obs_file *f = &ob.files[i];
            if (f->cls == want || f->cls == CLS_INLINE || f->cls == CLS_EMPTY)
                continue;
            if (deviations < 10 && !o->quiet)
                printf("  not %s: %s (%s%s%s)\n", obs_class_name(want), f->rel, obs_class_name(f->cls),
                       f->note ? ", " : "", f->note ? f->note : "");
            deviations++;
        }
    }
    bool incomplete = count_findings(&ob, "missing") + count_findings(&ob, "corrupt") +
                      count_findings(&ob, "mode") > 0;
    bool pass = deviations == 0 && !incomplete;
    if (!pass && (o->expect >= 0 || o->nwheels > 0))
        status = LAB_EXIT_FAIL;
    if ((o->expect >= 0 || o->nwheels > 0) && !o->quiet) {
        printf("verdict: %s", pass ? "pass" : "FAIL");
        if (o->expect >= 0)
            printf(" (expect %s: %zu of %zu files deviate%s)", mode_name((enum lab_mode)o->expect),
                   deviations, ob.n, incomplete ? "; the tree is incomplete" : "");
        else if (incomplete)
            printf(" (the tree is incomplete)");
        printf("\n");
    }
    if (o->json_path && write_json(&ob, deviations, pass) != 0)
        status = LAB_EXIT_FAIL;
out:
    for (size_t i = 0; i < ob.n; i++) {
        free(ob.files[i].rel);
        free(ob.files[i].abs);
        free(ob.files[i].hash);
    }
    free(ob.files);
    for (size_t i = 0; i < ob.nfindings; i++) {
        free(ob.findings[i].path);
        free(ob.findings[i].detail);
    }
    free(ob.findings);
    for (size_t i = 0; i < ob.nfs; i++)
        free(ob.fs[i]);
    free(ob.fs);
    json_decref(ob.isolation);
    src_index_free(&ob.src);
    trace_free(&tmap);
    free(ob.target_abs);
    return status;
}
