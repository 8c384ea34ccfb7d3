#include "engine/install.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/beneath.h"
#include "engine/cache.h"
#include "engine/darwin.h"
#include "common/strbuf.h"
#include "common/entryname.h"
#include "engine/eventlog.h"
#include "common/util.h"

enum wheel_state { WHEEL_PENDING, WHEEL_SETTLED, WHEEL_FAILED };

struct wheel_job {
    const char *wheel;
    char *key;
    char *src_root;
    bool unpacked;
    struct manifest m;
    struct place_ctx ctx;
    struct fb_state st; /* written by the probe only, read after settling */
    size_t probe;       /* index in m.items of the file that settles the mode */
    bool placed_whole;  /* the darwin path placed every file already */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    enum wheel_state state;
    struct file_result *res; /* one per manifest item */
    uint64_t ns;
};

struct task {
    uint32_t wheel;
    uint32_t item;
};

struct run {
    const struct install_opts *o;
    struct cache cache;
    char *target_abs;
    int tgt_dirfd;
    struct wheel_job *w;
    int nw;
    struct task *tasks;
    size_t ntasks;
    size_t nprobes;
    size_t next; /* atomic */
    int failed;  /* atomic */
    pthread_mutex_t err_mu;
    char *error; /* the first error, for the log */
    bool usage;  /* the error is the caller's (exit 2) */
    bool made_target;
    int case_collisions;
};

static void fail_run(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail_run(struct run *r, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    __atomic_store_n(&r->failed, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_lock(&r->err_mu);
    if (!r->error) {
        r->error = xstrdup(msg);
        lab_error("%s", msg);
    }
    pthread_mutex_unlock(&r->err_mu);
}

static void set_state(struct wheel_job *w, enum wheel_state s)
{
    pthread_mutex_lock(&w->mu);
    w->state = s;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static enum wheel_state wait_settled(struct wheel_job *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->state == WHEEL_PENDING)
        pthread_cond_wait(&w->cv, &w->mu);
    enum wheel_state s = w->state;
    pthread_mutex_unlock(&w->mu);
    return s;
}

static void describe_failure(struct run *r, struct wheel_job *w, const struct fb_state *st,
                             const char *rel, int err)
{
    if (st->strict && fb_is_capability_error(err) && !st->settled)
        fail_run(r, "%s/%s: %s not possible from %s (%s: %s); --strict forbids a fallback",
                 r->target_abs, rel, mode_name(st->current), w->src_root, errno_name(err),
                 strerror(err));
    else if (st->settled && fb_is_capability_error(err))
        fail_run(r, "%s/%s: %s failed after it had worked for this wheel (%s: %s); "
                 "refusing a mixed tree", r->target_abs, rel, mode_name(st->current),
                 errno_name(err), strerror(err));
    else if (err == EUCLEAN || err == ENODATA)
        fail_run(r, "%s/%s: %s failed: the cache file %s/%s is %s than its manifest says (%s); "
                 "remove the cache entry %s", r->target_abs, rel, mode_name(st->current), w->src_root,
                 rel, err == EUCLEAN ? "longer" : "shorter", errno_name(err), w->key);
    else
        fail_run(r, "%s/%s: %s failed: %s (%s)", r->target_abs, rel, mode_name(st->current),
                 strerror(err), errno_name(err));
}

/* Places one file; the probe drives the wheel's state machine, the others
 * use a private copy of the settled state. */
static void place_item(struct run *r, struct wheel_job *w, size_t i, bool probe)
{
    const struct manifest_item *it = &w->m.items[i];
    struct fb_state local;
    struct fb_state *st = probe ? &w->st : &local;
    if (!probe)
        local = w->st;
    struct fb_file ff = {0};
    bool replace = false;
    uint64_t t0 = now_ns();
    const struct policy *pol = r->o->policy;
    for (;;) {
        /* uv #18181: a clone made with the default mode, not the file's */
        unsigned perm = st->current == MODE_CLONE && pol->clone_drops_mode ? 0644 : it->mode;
        int err;
        if (replace && st->current == MODE_COPY && pol->overwrite_in_place)
            err = place_overwrite(&w->ctx, it->path, it->size); /* uv #4831 */
        else
            err = place_file(&w->ctx, st->current, it->path, perm, it->size, replace);
        enum fb_action act;
        if ((err == EXDEV && st->current == MODE_CLONE && pol->clone_exdev_fails) ||
            (err == EMLINK && st->current == MODE_HARDLINK && pol->emlink_fails))
            act = FB_FAIL; /* uv #1444, uv #17699 */
        else
            act = fb_next(st, &ff, err);
        /* pnpm #11117: auto's clone probe copies where clone is unsupported */
        if (act == FB_STEP_DOWN && pol->auto_probe_copies && st->requested == MODE_AUTO &&
            st->current == MODE_HARDLINK && (err == EOPNOTSUPP || err == EINVAL || err == ENOTTY))
            st->current = MODE_COPY;
        switch (act) {
        case FB_DONE:
            w->res[i] = (struct file_result){.used = st->current, .ns = now_ns() - t0,
                                             .replaced = ff.replaced, .reinoded = ff.reinoded,
                                             .placed = true};
            if (probe)
                set_state(w, WHEEL_SETTLED);
            return;
        case FB_REPLACE:
            replace = true;
            continue;
        case FB_REINODE: {
            int e = place_reinode(&w->ctx, it->path, it->mode, it->size);
            if (e) {
                fail_run(r, "%s/%s: cannot give the cache file a fresh inode at the link "
                         "limit: %s", w->src_root, it->path, strerror(e));
                break;
            }
            continue;
        }
        case FB_STEP_DOWN:
            replace = false;
            continue;
        case FB_FAIL:
            describe_failure(r, w, st, it->path, err);
            break;
        }
        break;
    }
    w->res[i].err = 1;
    if (probe)
        set_state(w, WHEEL_FAILED);
}

static void run_task(struct run *r, size_t t)
{
    struct wheel_job *w = &r->w[r->tasks[t].wheel];
    size_t i = r->tasks[t].item;
    if (t < r->nprobes) {
        place_item(r, w, i, true);
        return;
    }
    if (wait_settled(w) != WHEEL_SETTLED)
        return;
    place_item(r, w, i, false);
}

static void *worker(void *arg)
{
    struct run *r = arg;
    for (;;) {
        if (__atomic_load_n(&r->failed, __ATOMIC_RELAXED))
            break;
        size_t t = __atomic_fetch_add(&r->next, 1, __ATOMIC_RELAXED);
        if (t >= r->ntasks)
            break;
        run_task(r, t);
    }
    /* wake anyone waiting on a probe that will now never run */
    for (int k = 0; k < r->nw; k++) {
        struct wheel_job *w = &r->w[k];
        pthread_mutex_lock(&w->mu);
        if (w->state == WHEEL_PENDING && __atomic_load_n(&r->failed, __ATOMIC_RELAXED)) {
            w->state = WHEEL_FAILED;
            pthread_cond_broadcast(&w->cv);
        }
        pthread_mutex_unlock(&w->mu);
    }
    place_thread_done();
    return NULL;
}

/* Unpacks what is missing and loads each wheel's manifest. */
static int prepare_wheels(struct run *r)
{
    char err[4096];
    int given = r->nw;
    r->nw = 0;
    for (int g = 0; g < given; g++) {
        struct wheel_job *w = &r->w[r->nw];
        w->wheel = r->o->wheels[g];
        enum cache_result cr = cache_ensure(&r->cache, w->wheel, &w->key, err, sizeof err);
        if (cr == CACHE_ERROR) {
            fail_run(r, "%s: %s", w->wheel, err);
            return -1;
        }
        /* the same wheel given twice (or two files with one content) is one wheel */
        bool again = false;
        for (int j = 0; j < r->nw && !again; j++)
            again = strcmp(r->w[j].key, w->key) == 0;
        if (again) {
            free(w->key);
            w->key = NULL;
            continue;
        }
        r->nw++;
        w->unpacked = cr == CACHE_UNPACKED;
        if (cache_manifest_load(&r->cache, w->key, &w->m, err, sizeof err) != 0) {
            fail_run(r, "%s: %s", w->wheel, err);
            return -1;
        }
        w->src_root = cache_entry_path(&r->cache, w->key);
        char *rel = xasprintf("wheels/%s", w->key);
        int fd = beneath_open(r->cache.fd, rel, O_RDONLY | O_DIRECTORY, 0);
        free(rel);
        if (fd < 0) {
            fail_run(r, "%s: cannot open cache entry %s: %s; remove the cache entry %s", w->wheel,
                     w->src_root, errno == ELOOP ? "it is a symlink" : strerror(errno), w->key);
            return -1;
        }
        w->ctx = (struct place_ctx){.src_dirfd = fd, .src_root = w->src_root,
                                    .tgt_dirfd = r->tgt_dirfd,
                                    .copy_method = r->o->copy_method};
        w->res = xcalloc(w->m.n, sizeof *w->res);
        fb_init(&w->st, r->o->mode, r->o->strict);
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->cv, NULL);
        /* settle on the first non-empty file: an empty one proves little */
        w->probe = w->m.n;
        for (size_t i = w->m.ndirs; i < w->m.n; i++) {
            if (w->probe == w->m.n)
                w->probe = i;
            if (w->m.items[i].size > 0) {
                w->probe = i;
                break;
            }
        }
        w->state = w->probe == w->m.n ? WHEEL_SETTLED : WHEEL_PENDING;
    }
    return 0;
}

/* Temporary names (place_temp_name) that a killed install left in a
 * directory of the target: removed when their process is gone. */
static void sweep_stale_temps(int parentfd, const char *dir)
{
    int fd = strcmp(dir, ".") == 0 ? openat(parentfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                                   : beneath_open(parentfd, dir, O_RDONLY | O_DIRECTORY, 0);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)))
        if (place_is_stale_temp(de->d_name))
            unlinkat(dirfd(d), de->d_name, 0);
    closedir(d);
}

/* Each directory of each wheel, parents first, made beneath the target: a
 * symlink where a directory belongs is refused, never followed (it could
 * lead into the cache or anywhere else). */
static int walk_directories(struct run *r, bool make)
{
    if (make)
        sweep_stale_temps(r->tgt_dirfd, ".");
    struct beneath_dir bd = BENEATH_DIR_INIT;
    int rc = 0;
    for (int k = 0; k < r->nw && rc == 0; k++) {
        struct wheel_job *w = &r->w[k];
        for (size_t i = 0; i < w->m.ndirs && rc == 0; i++) {
            const char *d = w->m.items[i].path, *base;
            struct stat st;
            int pfd = beneath_parent(&bd, r->tgt_dirfd, d, &base);
            if (!make && pfd < 0 && errno == ENOENT)
                continue; /* not there yet: nothing to be in the way */
            if (!make && pfd >= 0 && fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
                continue;
            if (make && pfd >= 0 && mkdirat(pfd, base, 0755) == 0)
                continue;
            int e = (make || pfd < 0) ? errno : EEXIST;
            if (pfd >= 0 && e == EEXIST && fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISDIR(st.st_mode)) {
                if (make)
                    sweep_stale_temps(r->tgt_dirfd, d); /* only directories that were there */
                continue;
            }
            const char *why = strerror(e);
            if (pfd >= 0 && e == EEXIST)
                why = S_ISLNK(st.st_mode) ? "a symlink is where a directory belongs (refusing to "
                                            "write through it)"
                                          : "a file of that name is in the way";
            else if (e == ELOOP || e == EXDEV)
                why = "a symlink on the way (refusing to write through it)";
            fail_run(r, "%s/%s: cannot create directory: %s", r->target_abs, d, why);
            rc = -1;
        }
    }
    beneath_dir_release(&bd);
    return rc;
}

static int make_directories(struct run *r) { return walk_directories(r, true); }

/* A policy such as uv-0.4 first tries to clone each wheel directory as a
 * whole; on failure it copies every file. */
static void whole_dir_clone(struct run *r)
{
    if (!r->o->policy->clone_whole_dir || r->o->mode != MODE_CLONE)
        return;
    for (int k = 0; k < r->nw; k++) {
        struct wheel_job *w = &r->w[k];
        int err = place_clone_dir(w->ctx.src_dirfd, r->tgt_dirfd);
        if (err)
            fb_force_step(&w->st, MODE_CLONE, err, MODE_COPY);
    }
}

struct folded_name {
    char *key;
    const char *path;
    int wheel;
};

static int cmp_folded_name(const void *a, const void *b)
{
    const struct folded_name *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : x->wheel - y->wheel;
}

static size_t top_len(const char *path)
{
    const char *slash = strchr(path, '/');
    return slash ? (size_t)(slash - path) : strlen(path);
}

/* Whether names that differ only by case become one file in the target. */
static bool target_folds_case(struct run *r)
{
    char probe[64], upper[64];
    snprintf(probe, sizeof probe, ".llcase.%ld", (long)getpid());
    snprintf(upper, sizeof upper, ".LLCASE.%ld", (long)getpid());
    int fd = openat(r->tgt_dirfd, probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    close(fd);
    bool folds = faccessat(r->tgt_dirfd, upper, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
    unlinkat(r->tgt_dirfd, probe, 0);
    return folds;
}

struct collision_ctx {
    struct run *r;
    const struct folded_name *names;
    int shown;
    bool probed, folds;
};

static void one_collision(size_t a, size_t b, void *vctx)
{
    struct collision_ctx *c = vctx;
    struct run *r = c->r;
    if (!c->probed) {
        c->folds = target_folds_case(r);
        c->probed = true;
    }
    r->case_collisions++;
    if (c->shown++ < 10)
        lab_warn("names differ only by case or normalization: %s (%s) and %s (%s): %s", c->names[a].path,
                 r->w[c->names[a].wheel].wheel, c->names[b].path, r->w[c->names[b].wheel].wheel,
                 c->folds ? "the target is case-insensitive, they are one file"
                          : "they collide on case-insensitive filesystems");
}

/* Files of different wheels whose names differ only by case or Unicode
 * normalization collide on case-insensitive filesystems (each wheel's own
 * names were checked at unpack). Only trees under top-level names that two
 * wheels share are folded, so a plain install pays nothing. */
static void report_case_collisions(struct run *r)
{
    if (r->nw < 2)
        return;
    size_t ntops = 0, cap = 16;
    struct folded_name *tops = xmalloc(cap * sizeof *tops);
    for (int k = 0; k < r->nw; k++) {
        const struct manifest *m = &r->w[k].m;
        for (size_t i = 0; i < m->n; i++) {
            if (strchr(m->items[i].path, '/'))
                continue;
            if (ntops == cap)
                tops = xrealloc(tops, (cap *= 2) * sizeof *tops);
            tops[ntops++] = (struct folded_name){entryname_fold(m->items[i].path), m->items[i].path, k};
        }
    }
    sort_items(tops, ntops, sizeof *tops, cmp_folded_name);
    size_t nnames = 0, ncap = 64;
    struct folded_name *names = xmalloc(ncap * sizeof *names);
    for (size_t i = 0; i < ntops; i++) {
        bool shared = (i > 0 && strcmp(tops[i].key, tops[i - 1].key) == 0 && tops[i].wheel != tops[i - 1].wheel) ||
                      (i + 1 < ntops && strcmp(tops[i].key, tops[i + 1].key) == 0 && tops[i].wheel != tops[i + 1].wheel);
        if (!shared)
            continue;
        const struct manifest *m = &r->w[tops[i].wheel].m;
        size_t tl = strlen(tops[i].path);
        for (size_t j = m->ndirs; j < m->n; j++) {
            const char *p = m->items[j].path;
            if (top_len(p) != tl || strncmp(p, tops[i].path, tl) != 0)
                continue;
            if (nnames == ncap)
                names = xrealloc(names, (ncap *= 2) * sizeof *names);
            names[nnames++] = (struct folded_name){NULL, p, tops[i].wheel};
        }
    }
    const char **paths = xmalloc((nnames ? nnames : 1) * sizeof *paths);
    for (size_t i = 0; i < nnames; i++)
        paths[i] = names[i].path;
    struct collision_ctx ctx = {r, names, 0, false, false};
    entryname_collisions(paths, nnames, one_collision, &ctx);
    free(paths);
    int shown = ctx.shown;
    if (shown > 10)
        lab_warn("... and %d more names that differ only by case", shown - 10);
    for (size_t i = 0; i < ntops; i++)
        free(tops[i].key);
    free(tops);
    free(names);
}

/* The macOS path: clonefile of the wheel's top-level entries, merged into
 * what exists. A failure before anything was placed steps down like any
 * other first-file failure; after that it is an error. */
static void darwin_clone_wheels(struct run *r)
{
    const struct install_opts *o = r->o;
    if (!o->darwin || (o->mode != MODE_CLONE && o->mode != MODE_AUTO))
        return;
    for (int k = 0; k < r->nw && !r->failed; k++) {
        struct wheel_job *w = &r->w[k];
        bool placed_any = false;
        int err = darwin_clone_wheel(w->src_root, r->target_abs, &w->m, w->res, o->clonefile,
                                     &placed_any);
        struct fb_file ff = {0};
        if (err == 0) {
            w->placed_whole = true;
            w->state = WHEEL_SETTLED;
            w->st.settled = true;
        } else if (placed_any) {
            w->st.settled = true;
            describe_failure(r, w, &w->st, w->key, err);
        } else if (fb_next(&w->st, &ff, err) == FB_FAIL) {
            describe_failure(r, w, &w->st, w->key, err);
        }
    }
}

static void build_tasks(struct run *r)
{
    size_t total = 0;
    for (int k = 0; k < r->nw; k++)
        total += r->w[k].m.n - r->w[k].m.ndirs;
    r->tasks = xmalloc((total ? total : 1) * sizeof *r->tasks);
    for (int k = 0; k < r->nw; k++)
        if (r->w[k].probe < r->w[k].m.n && !r->w[k].placed_whole)
            r->tasks[r->ntasks++] = (struct task){(uint32_t)k, (uint32_t)r->w[k].probe};
    r->nprobes = r->ntasks;
    for (int k = 0; k < r->nw; k++)
        for (size_t i = r->w[k].m.ndirs; i < r->w[k].m.n && !r->w[k].placed_whole; i++)
            if (i != r->w[k].probe)
                r->tasks[r->ntasks++] = (struct task){(uint32_t)k, (uint32_t)i};
}

static void place_all(struct run *r)
{
    int jobs = r->o->jobs;
    if ((size_t)jobs > r->ntasks)
        jobs = r->ntasks ? (int)r->ntasks : 1;
    if (jobs <= 1) {
        worker(r);
        return;
    }
    pthread_t *th = xmalloc((size_t)jobs * sizeof *th);
    int started = 0;
    for (; started < jobs - 1; started++)
        if (pthread_create(&th[started], NULL, worker, r) != 0)
            break;
    worker(r);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
}

/* One warning line per kind of fallback (the chain of failed modes and
 * errnos, and the mode used), counting the wheels of each kind. */
static int print_fallback_warnings(struct run *r)
{
    if (!r->o->policy->warn_on_fallback)
        return 0;
    char **kinds = xcalloc((size_t)r->nw, sizeof *kinds);
    int *counts = xcalloc((size_t)r->nw, sizeof *counts);
    int nk = 0;
    for (int k = 0; k < r->nw; k++) {
        const struct fb_state *st = &r->w[k].st;
        if (st->nsteps == 0 || r->w[k].state != WHEEL_SETTLED)
            continue;
        struct strbuf kind = STRBUF_INIT;
        for (int s = 0; s < st->nsteps; s++)
            strbuf_addf(&kind, "%s%s not possible (%s)", s ? ", " : "", mode_name(st->steps[s].mode),
                        errno_name(st->steps[s].err));
        strbuf_addf(&kind, ", used %s", mode_name(st->current));
        int j = 0;
        while (j < nk && strcmp(kinds[j], strbuf_str(&kind)) != 0)
            j++;
        if (j == nk)
            kinds[nk++] = strbuf_detach(&kind);
        strbuf_release(&kind);
        counts[j]++;
    }
    for (int j = 0; j < nk; j++) {
        lab_warn("from %s to %s: %s for %d wheel%s", r->cache.root, r->target_abs, kinds[j],
                 counts[j], counts[j] == 1 ? "" : "s");
        free(kinds[j]);
    }
    free(kinds);
    free(counts);
    return nk;
}

static void print_summary(struct run *r, uint64_t ns)
{
    long long files = 0, bytes = 0, by_mode[MODE_COUNT] = {0};
    for (int k = 0; k < r->nw; k++) {
        struct wheel_job *w = &r->w[k];
        for (size_t i = w->m.ndirs; i < w->m.n; i++) {
            if (!w->res[i].placed)
                continue;
            files++;
            bytes += w->m.items[i].size;
            by_mode[w->res[i].used]++;
        }
    }
    struct strbuf modes = STRBUF_INIT;
    for (int m = 0; m < MODE_COUNT; m++)
        if (by_mode[m]) {
            strbuf_addsep(&modes, ", ");
            strbuf_addf(&modes, "%s %lld", mode_name((enum lab_mode)m), by_mode[m]);
        }
    printf("installed %d wheel%s, %lld files, %lld bytes into %s in %.3f s (%s)\n", r->nw,
           r->nw == 1 ? "" : "s", files, bytes, r->target_abs, (double)ns / 1e9,
           modes.len ? strbuf_str(&modes) : "no files");
    strbuf_release(&modes);
}

/* The target and the cache, now that both exist, by inode: the target is
 * not the cache, inside it, one of its entries (a bind mount of an entry
 * is one), nor around it. The path check before anything was made
 * (paths_overlap) catches the common cases without side effects. */
static int check_apart(struct run *r)
{
    struct stat c, t;
    if (fstat(r->cache.fd, &c) != 0 || fstat(r->tgt_dirfd, &t) != 0)
        return 0;
    const char *how = dir_below(r->tgt_dirfd, &c) ? "the target lies inside the cache"
                      : dir_below(r->cache.fd, &t) ? "the cache lies inside the target"
                                               : NULL;
    int wfd = how ? -1 : openat(r->cache.fd, "wheels", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = wfd >= 0 ? fdopendir(wfd) : NULL;
    struct dirent *de;
    while (d && !how && (de = readdir(d))) {
        struct stat e;
        if (de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &e, AT_SYMLINK_NOFOLLOW) == 0 &&
            e.st_dev == t.st_dev && e.st_ino == t.st_ino)
            how = "the target is a cache entry (a bind mount of it?)";
    }
    if (d)
        closedir(d);
    else if (wfd >= 0)
        close(wfd);
    if (!how)
        return 0;
    fail_run(r, "--target %s and --cache %s overlap (%s): an install would write into the cache it "
             "reads", r->target_abs, r->cache.root, how);
    r->usage = true;
    if (r->made_target)
        rmdir(r->target_abs); /* the directory this run made, while still empty */
    return -1;
}

static int open_target(struct run *r)
{
    const char *t = r->o->target_dir;
    char *future = t[0] ? path_resolve_future(t) : NULL;
    struct stat before;
    r->made_target = future && stat(future, &before) != 0;
    if (!future || mkdirat_p(AT_FDCWD, future, 0755) != 0) {
        fail_run(r, "'%s': cannot create target directory: %s", t, t[0] ? strerror(errno) : "empty path");
        free(future);
        return -1;
    }
    r->target_abs = realpath(future, NULL);
    free(future);
    if (!r->target_abs) {
        fail_run(r, "%s: %s", t, strerror(errno));
        return -1;
    }
    r->tgt_dirfd = open(r->target_abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r->tgt_dirfd < 0) {
        fail_run(r, "%s: cannot open target directory: %s", r->target_abs, strerror(errno));
        return -1;
    }
    /* one install at a time into a target (as uv locks an environment):
     * two at once would mix their files. The lock is the directory's own,
     * so nothing is added to the target; it goes with the descriptor. */
    if (flock(r->tgt_dirfd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            fail_run(r, "%s: cannot lock the target: %s", r->target_abs, strerror(errno));
            return -1;
        }
        lab_info("%s: another install into this target is running; waiting for it", r->target_abs);
        while (flock(r->tgt_dirfd, LOCK_EX) != 0) {
            if (errno != EINTR) {
                fail_run(r, "%s: cannot lock the target: %s", r->target_abs, strerror(errno));
                return -1;
            }
        }
    }
    return 0;
}

int install_run(const struct install_opts *o)
{
    struct run r = {.o = o, .nw = o->nwheels, .tgt_dirfd = -1, .cache = {.fd = -1}};
    pthread_mutex_init(&r.err_mu, NULL);
    r.w = xcalloc((size_t)r.nw, sizeof *r.w);
    for (int k = 0; k < r.nw; k++)
        r.w[k].ctx.src_dirfd = -1;
    uint64_t t0 = now_ns();
    struct eventlog *log = NULL;
    char err[4096];
    umask(0); /* files are created with exactly the cache file's mode */
    if (o->log_path && !(log = eventlog_open(o->log_path, err, sizeof err)))
        fail_run(&r, "%s", err);
    else if (cache_open(o->cache_dir, &r.cache, err, sizeof err) != 0)
        fail_run(&r, "%s", err);
    else if (open_target(&r) == 0 && check_apart(&r) == 0 && prepare_wheels(&r) == 0 &&
             (report_case_collisions(&r), !o->darwin || walk_directories(&r, false) == 0) &&
             (darwin_clone_wheels(&r), !r.failed) &&
             make_directories(&r) == 0) {
        whole_dir_clone(&r);
        build_tasks(&r);
        place_all(&r);
    }
    uint64_t ns = now_ns() - t0;
    int warnings = r.failed ? 0 : print_fallback_warnings(&r);
    if (!r.failed && !o->quiet)
        print_summary(&r, ns);
    if (log) {
        struct eventlog_run lr = {
            .policy = o->policy->name, .requested = o->mode, .strict = o->strict,
            .jobs = o->jobs, .copy_method = copy_method_name(o->copy_method),
            .cache = r.cache.root, .target = r.target_abs ? r.target_abs : o->target_dir,
            .ns = ns, .warnings = warnings, .error = r.error,
            .platform = o->darwin ? "darwin" : "linux", .case_collisions = r.case_collisions};
        for (int k = 0; k < r.nw; k++) {
            struct wheel_job *w = &r.w[k];
            if (!w->res)
                continue;
            struct eventlog_wheel lw = {
                .wheel = w->wheel, .key = w->key, .cache_entry = w->src_root,
                .unpacked = w->unpacked, .st = &w->st, .items = w->m.items,
                .ndirs = w->m.ndirs, .n = w->m.n, .res = w->res,
                .ok = w->state == WHEEL_SETTLED && !r.failed};
            eventlog_wheel(log, &lr, &lw);
        }
        if (eventlog_close(log, &lr, err, sizeof err) != 0 && !r.failed)
            fail_run(&r, "%s", err);
    }
    for (int k = 0; k < r.nw; k++) {
        struct wheel_job *w = &r.w[k];
        if (w->ctx.src_dirfd >= 0)
            close(w->ctx.src_dirfd);
        if (w->res) {
            pthread_mutex_destroy(&w->mu);
            pthread_cond_destroy(&w->cv);
        }
        free(w->res);
        free(w->key);
        free(w->src_root);
        manifest_free(&w->m);
    }
    free(r.w);
    free(r.tasks);
    if (r.tgt_dirfd >= 0)
        close(r.tgt_dirfd);
    free(r.target_abs);
    cache_close(&r.cache);
    int status = r.usage ? LAB_EXIT_USAGE : r.failed ? LAB_EXIT_FAIL : LAB_EXIT_OK;
    free(r.error);
    pthread_mutex_destroy(&r.err_mu);
    return status;
}
