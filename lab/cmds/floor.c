/* floor.c - linklab floor: the system-call floor of placing a tree. A naive
 * loop with the bare calls of each mode and nothing else (no manifest, no
 * fallback, no checks beyond the calls' own errors): mkdir of every
 * directory, then per file FICLONE, link(2), or open/read/write/close, from
 * one thread or N. What linklab install and cp are measured against, in
 * the same run (issue 16). */
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <getopt.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds/cmd.h"
#include "common/beneath.h"
#include "common/util.h"

enum floor_mode { FLOOR_CLONE, FLOOR_HARDLINK, FLOOR_COPY };
static const char *const floor_modes[] = {"clone", "hardlink", "copy"};

struct item {
    char *src, *dst;
    mode_t mode;
};

struct floor_run {
    enum floor_mode mode;
    struct item *files;
    size_t nfiles;
    size_t next; /* atomic */
    int failed;  /* atomic: the first error stops every thread */
    pthread_mutex_t mu;
    char err[1024];
};

static void help(void)
{
    printf("usage: linklab floor --mode clone|hardlink|copy --source DIR --target DIR [--jobs N]\n\n"
           "Places the tree DIR holds (a cache entry, an unpacked package) at the new\n"
           "directory --target with the bare system calls of one mode: mkdir of every\n"
           "directory, then per file FICLONE, link(2), or open/read/write/close, split\n"
           "over N threads (default 1). No fallback, no manifest, no checks: the floor\n"
           "an installer's placement is measured against (time it with hyperfine; the\n"
           "line it prints is what it placed). Symlinks in DIR are made as symlinks.\n"
           "Timed from outside, it includes the start of a linklab process (about 1 ms\n"
           "more than cp's on these machines), as linklab install does.\n\n"
           "options:\n"
           "  --mode M      clone, hardlink or copy\n"
           "  --source DIR  the tree to place (read only)\n"
           "  --target DIR  where to place it: must not exist (its parent must)\n"
           "  --jobs N      threads placing files (1 to 256)\n\n"
           "Prints: floor mode=M jobs=N dirs=D files=F bytes=B seconds=S\n"
           "Exit status: 0 placed, 1 a call failed (named, with its errno text; what was\n"
           "placed before it stays in --target), the source is missing or the target\n"
           "exists, 2 usage (also a target inside the source).\n");
}

static void fail(struct floor_run *r, const char *what, const char *path, int err)
{
    pthread_mutex_lock(&r->mu);
    if (!r->failed)
        snprintf(r->err, sizeof r->err, "%s %s: %s", what, path, strerror(err));
    __atomic_store_n(&r->failed, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&r->mu);
}

static int copy_fd(int in, int out)
{
    static _Thread_local char buf[128 << 10];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return errno;
            }
            done += w;
        }
    }
}

static void place_one(struct floor_run *r, const struct item *it)
{
    if (r->mode == FLOOR_HARDLINK) {
        if (link(it->src, it->dst) != 0)
            fail(r, "link", it->dst, errno);
        return;
    }
    int in = open(it->src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0) {
        fail(r, "open", it->src, errno);
        return;
    }
    int out = open(it->dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, it->mode & 07777);
    if (out < 0) {
        fail(r, "create", it->dst, errno);
        close(in);
        return;
    }
    int err = 0;
    if (r->mode == FLOOR_CLONE)
        err = ioctl(out, FICLONE, in) == 0 ? 0 : errno;
    else
        err = copy_fd(in, out);
    if (err)
        fail(r, r->mode == FLOOR_CLONE ? "FICLONE" : "copy", it->dst, err);
    close(in);
    if (close(out) != 0 && !err)
        fail(r, "close", it->dst, errno);
}

static void *worker(void *arg)
{
    struct floor_run *r = arg;
    for (;;) {
        if (__atomic_load_n(&r->failed, __ATOMIC_RELAXED))
            break;
        size_t i = __atomic_fetch_add(&r->next, 1, __ATOMIC_RELAXED);
        if (i >= r->nfiles)
            break;
        place_one(r, &r->files[i]);
    }
    return NULL;
}

/* The source is a directory; the target is new, and not inside the source
 * (the walk would meet the directories it makes). */
static int check_paths(const char *source, const char *target)
{
    struct stat src, st;
    if (stat(source, &src) != 0) {
        lab_error("--source %s: %s", source, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(src.st_mode)) {
        lab_error("--source %s: not a directory", source);
        return -1;
    }
    if (lstat(target, &st) == 0) {
        lab_error("--target %s: it exists (the floor places into a new directory)", target);
        return -1;
    }
    char *t = xstrdup(target), *slash = strrchr(t, '/');
    const char *parent = slash ? (slash == t ? "/" : (*slash = '\0', t)) : ".";
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
    if (fd < 0) {
        lab_error("--target %s: its parent %s: %s", target, parent, strerror(errno));
        rc = -1;
    } else if (dir_below(fd, &src)) {
        /* by device and inode: also through a bind mount of the source */
        lab_error("--target %s lies inside --source %s: the walk would meet what it makes", target, source);
        rc = -2;
    }
    if (fd >= 0)
        close(fd);
    free(t);
    return rc;
}

int cmd_floor(int argc, char **argv)
{
    static const struct option opts[] = {
        {"mode", required_argument, NULL, 'm'},   {"source", required_argument, NULL, 's'},
        {"target", required_argument, NULL, 't'}, {"jobs", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {0, 0, 0, 0},
    };
    int mode = -1, c;
    long jobs = 1;
    const char *source = NULL, *target = NULL;
    while ((c = getopt_long(argc, argv, ":m:s:t:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            for (int i = 0; i < 3; i++)
                if (strcmp(optarg, floor_modes[i]) == 0)
                    mode = i;
            if (mode < 0)
                return usage_error("floor", "--mode takes clone, hardlink or copy, not '%s'", optarg);
            break;
        case 's':
            source = optarg;
            break;
        case 't':
            target = optarg;
            break;
        case 'j':
            if (!parse_count(optarg, 1, 256, &jobs))
                return usage_error("floor", "--jobs takes a whole number from 1 to 256, not '%s'", optarg);
            break;
        case 'h':
            help();
            return LAB_EXIT_OK;
        default:
            return option_error("floor", c, argv);
        }
    }
    if (optind < argc)
        return usage_error("floor", "unexpected argument '%s'", argv[optind]);
    if (mode < 0 || !source || !target)
        return usage_error("floor", "--mode, --source and --target are required");
    /* DIR/ and DIR name one tree: each entry's path below it is what fts
     * gives after the source's own length, so that must not count a slash
     * (with one, "x/y" was placed as TARGET + "x/y" glued: beside TARGET) */
    char *src = xstrdup(source);
    for (size_t n = strlen(src); n > 1 && src[n - 1] == '/'; n--)
        src[n - 1] = '\0';
    source = src;
    char *tgt = xstrdup(target); /* DIR/ is DIR here too */
    for (size_t n = strlen(tgt); n > 1 && tgt[n - 1] == '/'; n--)
        tgt[n - 1] = '\0';
    target = tgt;
    int bad = check_paths(source, target);
    if (bad != 0) {
        free(src);
        free(tgt);
        return bad == -2 ? LAB_EXIT_USAGE : LAB_EXIT_FAIL;
    }

    /* the tree, parents before children (fts preorder), read before any
     * timing a caller does of its own matters: the walk is part of it */
    uint64_t t0 = now_ns();
    char *const roots[] = {(char *)source, NULL};
    FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
    if (!fts) {
        lab_error("--source %s: %s", source, strerror(errno));
        free(src);
        free(tgt);
        return LAB_EXIT_FAIL;
    }
    struct floor_run r = {.mode = (enum floor_mode)mode};
    pthread_mutex_init(&r.mu, NULL);
    size_t cap = 1024, ndirs = 0;
    long long bytes = 0;
    r.files = xmalloc(cap * sizeof *r.files);
    size_t slen = strlen(source);
    int rc = LAB_EXIT_OK;
    FTSENT *e;
    while ((e = fts_read(fts)) && rc == LAB_EXIT_OK) {
        const char *rel = e->fts_path + slen; /* "" for the root, "/x/y" below it */
        char *dst = xasprintf("%s%s", target, rel);
        switch (e->fts_info) {
        case FTS_D:
            if (mkdir(dst, e->fts_level == 0 ? 0755 : (e->fts_statp->st_mode & 07777)) != 0) {
                lab_error("mkdir %s: %s", dst, strerror(errno));
                rc = LAB_EXIT_FAIL;
            }
            ndirs++;
            free(dst);
            break;
        case FTS_F:
            if (r.nfiles == cap)
                r.files = xrealloc(r.files, (cap *= 2) * sizeof *r.files);
            r.files[r.nfiles++] = (struct item){xstrdup(e->fts_path), dst, e->fts_statp->st_mode};
            bytes += e->fts_statp->st_size;
            break;
        case FTS_SL:
        case FTS_SLNONE: {
            char to[4096];
            ssize_t n = readlink(e->fts_path, to, sizeof to - 1);
            if (n < 0 || (to[n] = '\0', symlink(to, dst) != 0)) {
                lab_error("symlink %s: %s", dst, strerror(errno));
                rc = LAB_EXIT_FAIL;
            }
            free(dst);
            break;
        }
        case FTS_DP:
            free(dst);
            break;
        case FTS_DNR:
        case FTS_ERR:
        case FTS_NS:
            lab_error("%s: %s", e->fts_path, strerror(e->fts_errno));
            rc = LAB_EXIT_FAIL;
            free(dst);
            break;
        default: /* devices, sockets: not a package's */
            lab_error("%s: not a regular file, directory or symlink", e->fts_path);
            rc = LAB_EXIT_FAIL;
            free(dst);
            break;
        }
    }
    fts_close(fts);

    if (rc == LAB_EXIT_OK) {
        int n = (int)(jobs < (long)r.nfiles ? jobs : (long)(r.nfiles ? r.nfiles : 1));
        pthread_t *th = xmalloc((size_t)n * sizeof *th);
        int started = 0;
        for (; started < n - 1; started++)
            if (pthread_create(&th[started], NULL, worker, &r) != 0)
                break;
        worker(&r);
        for (int i = 0; i < started; i++)
            pthread_join(th[i], NULL);
        free(th);
        if (r.failed) {
            lab_error("%s", r.err);
            rc = LAB_EXIT_FAIL;
        }
    }
    uint64_t t1 = now_ns();
    if (rc == LAB_EXIT_OK)
        printf("floor mode=%s jobs=%ld dirs=%zu files=%zu bytes=%lld seconds=%.6f\n", floor_modes[mode], jobs,
               ndirs, r.nfiles, bytes, (double)(t1 - t0) / 1e9);
    for (size_t i = 0; i < r.nfiles; i++) {
        free(r.files[i].src);
        free(r.files[i].dst);
    }
    free(r.files);
    pthread_mutex_destroy(&r.mu);
    free(src);
    free(tgt);
    return rc;
}
