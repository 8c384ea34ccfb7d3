/* completeness.c - the target against what the packages promise: every
 * promised file there, whole, with its exec bit; what is extra; names that
 * collide on a case-insensitive target; which package won a shared path.
 * Packages are read through their format (lab/format/format.h). */
#include "observe/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/entryname.h"
#include "common/util.h"
#include "format/format.h"

/* One file a package promises. */
struct promise {
    char *path;
    const char *wheel;            /* the package's file */
    const struct format *format;  /* how findings name it (wheel, RECORD) */
    char *algo, *hash; /* NULL: RECORD gives none (RECORD itself) */
    long long size;
    unsigned mode;
};

static int cmp_promise(const void *a, const void *b)
{
    return strcmp(((const struct promise *)a)->path, ((const struct promise *)b)->path);
}

/* A missing or corrupt file: the bytes its package promised are lost. */
static void add_loss(struct obs *ob, enum finding_kind kind, const struct promise *p, char *detail)
{
    /* a file corrupt against its source is already one finding: say it once,
     * naming the wheel */
    struct finding *x = kind == FIND_CORRUPT ? find_unnamed_finding(ob, kind, p->path) : NULL;
    if (x) {
        x->wheel = p->wheel;
        free(detail);
        return;
    }
    add_finding(ob, kind, p->path, p->wheel, detail)->bytes = p->size;
}

/* Reads what a package promises, and its top-level directories (the
 * format's: a wheel's first components, an npm package's
 * node_modules/NAME). */
static int read_promises(const char *wheel, struct promise **pr, size_t *npr, char ***tops, size_t *ntops)
{
    struct package w;
    char err[4096];
    if (package_scan(wheel, &w, err, sizeof err) != 0) {
        lab_error("%s: %s", wheel, err);
        package_free(&w);
        return -1;
    }
    for (size_t i = 0; i < w.n; i++) {
        const struct pkg_entry *e = &w.entries[i];
        size_t len = package_top_len(&w, e->name, e->is_dir);
        if (len) {
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
        const char *algo, *hash;
        w.format->promise(&w, e->name, &algo, &hash);
        *pr = xrealloc(*pr, (*npr + 1) * sizeof **pr);
        (*pr)[(*npr)++] = (struct promise){
            .path = xstrdup(e->name), .wheel = wheel, .format = w.format, .algo = algo ? xstrdup(algo) : NULL,
            .hash = hash ? xstrdup(hash) : NULL, .size = e->size, .mode = e->mode};
    }
    package_free(&w);
    return 0;
}

/* Checks the target file at a path against every wheel that promises it:
 * with several wheels (a namespace __init__.py), it must hold one of their
 * versions whole; which one won is reported as "overwritten". */
static void check_path(struct obs *ob, struct promise *g, size_t n)
{
    struct obs_file *f = find_file(ob, g[0].path);
    const struct format *fmt = g[0].format; /* how the findings name the packages */
    /* not listed under this spelling: a case-insensitive target may
     * still have it under another one */
    char *abs = f ? xstrdup(f->abs) : xasprintf("%s/%s", ob->target_abs, g[0].path);
    struct stat st;
    if (stat(abs, &st) != 0) {
        add_loss(ob, FIND_MISSING, &g[0], NULL);
        free(abs);
        return;
    }
    /* a path the walk did not list is reached through a directory link
     * (pnpm's node_modules/NAME): the file it leads to must be in the
     * target, or the package is not installed here at all */
    if (!f) {
        char *real = realpath(abs, NULL);
        size_t tl = strlen(ob->target_abs);
        if (!real || strncmp(real, ob->target_abs, tl) != 0 || real[tl] != '/') {
            add_loss(ob, FIND_MISSING, &g[0],
                     xasprintf("reached only through a directory link out of the target, to %s", real ? real : "?"));
            free(real);
            free(abs);
            return;
        }
        free(real);
    }
    if (!S_ISREG(st.st_mode)) { /* a FIFO or device is never opened */
        add_loss(ob, FIND_CORRUPT, &g[0], xstrdup("not a regular file"));
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
        add_loss(ob, FIND_CORRUPT, &g[0], xasprintf("cannot read: %s", strerror(read_err)));
    else if (!match && st.st_size != g[0].size)
        add_loss(ob, FIND_CORRUPT, &g[0], xasprintf("%lld bytes, %s says %lld", (long long)st.st_size,
                                                    fmt->listing, g[0].size));
    else if (!match && any_hash) {
        char *every = n > 1 ? xasprintf(" of every %s that writes it", fmt->noun) : xstrdup("");
        add_loss(ob, FIND_CORRUPT, &g[0], xasprintf("%s differs from %s%s", g[0].algo, fmt->listing, every));
        free(every);
    }
    struct finding *x = match && match->hash ? find_unnamed_finding(ob, FIND_CORRUPT, g[0].path) : NULL;
    if (x) {
        /* the file is what a wheel says, its cache file is not the same:
         * another wheel's version of a shared path (said as overwritten),
         * or else the cache is what is damaged */
        char sh[128];
        bool hashed = f && f->source && digest_file_b64(f->source->abs, "sha256", sh, sizeof sh, NULL) == 0;
        bool cache_has_a_version = false;
        for (size_t k = 0; hashed && k < n; k++)
            cache_has_a_version |= g[k].hash && strcmp(g[k].algo, "sha256") == 0 && strcmp(g[k].hash, sh) == 0;
        if (cache_has_a_version) {
            remove_finding(ob, x);
        } else {
            retype_finding(ob, x, FIND_CACHE_CORRUPT,
                           xasprintf("matches %s's %s; the cache's file differs from every %s's (%s)",
                                     match->wheel, fmt->listing, fmt->noun, x->detail ? x->detail : ""));
            x->bytes = 0;
            x->wheel = match->wheel;
        }
    }
    if (match && n > 1) {
        bool differ = false;
        for (size_t k = 0; k < n; k++)
            differ |= !g[k].hash || !match->hash || strcmp(g[k].hash, match->hash) != 0;
        if (differ)
            add_finding(ob, FIND_OVERWRITTEN, g[0].path, match->wheel,
                        xasprintf("written by %zu %ss with different bytes; holds %s's version, whole", n,
                                  fmt->noun, match->wheel));
    }
    const struct promise *ref = match ? match : &g[0];
    bool want_exec = (ref->mode & 0111) != 0, is_exec = (st.st_mode & 0111) != 0;
    if (want_exec != is_exec)
        add_finding(ob, FIND_MODE, g[0].path, ref->wheel,
                    xasprintf("mode %03o, the %s has %03o", st.st_mode & 0777, ref->format->noun, ref->mode));
    free(abs);
}

struct collision_ctx {
    struct obs *ob;
    const struct promise *pr;
};

static void one_collision(size_t a, size_t b, void *ctx)
{
    struct collision_ctx *c = ctx;
    const char *pa = c->pr[a].path, *pb = c->pr[b].path;
    char *x = xasprintf("%s/%s", c->ob->target_abs, pa);
    char *y = xasprintf("%s/%s", c->ob->target_abs, pb);
    struct stat sa, sb;
    bool one = stat(x, &sa) == 0 && stat(y, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    add_finding(c->ob, FIND_CASE_COLLISION, pb, NULL,
                xasprintf("%s and %s differ only by case or normalization%s", pa, pb,
                          one ? ": one file in this target" : ""));
    free(x);
    free(y);
}

/* Promised names (of all the packages, sorted by path) that differ only by
 * case or Unicode normalization: one file on a case-insensitive target. */
static void case_collisions(struct obs *ob, const struct promise *pr, size_t n)
{
    const char **names = xmalloc((n ? n : 1) * sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = pr[i].path;
    struct collision_ctx ctx = {ob, pr};
    entryname_collisions(names, n, one_collision, &ctx);
    free(names);
}

int check_completeness(struct obs *ob)
{
    char **tops = NULL;
    size_t ntops = 0, npr = 0;
    struct promise *pr = NULL;
    int rc = 0;
    for (int k = 0; k < ob->o->npackages && rc == 0; k++)
        rc = read_promises(ob->o->packages[k], &pr, &npr, &tops, &ntops);
    /* the summary says "RECORD files" when every package is a wheel */
    ob->promised_files = "RECORD";
    for (size_t i = 0; i < npr; i++)
        if (strcmp(pr[i].format->listing, "RECORD") != 0)
            ob->promised_files = "promised";
    if (rc == 0) {
        sort_items(pr, npr, sizeof *pr, cmp_promise);
        case_collisions(ob, pr, npr);
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
            bool in_top = false;
            for (size_t t = 0; t < ntops && !in_top; t++) {
                size_t len = strlen(tops[t]);
                in_top = strncmp(tops[t], rel, len) == 0 && rel[len] == '/';
            }
            struct promise key = {.path = (char *)rel};
            if (!in_top || bsearch(&key, pr, npr, sizeof *pr, cmp_promise))
                continue;
            /* what the format knows installers add, or what this one
             * names as its own (--own: bun's .bun-tag) */
            bool added = format_installer_added(rel) || ob->files[i].own;
            add_finding(ob, added ? FIND_INSTALLER_ADDED : FIND_EXTRA, rel, NULL, NULL);
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
