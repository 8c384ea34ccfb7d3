#include "corpus/corpus.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/splitmix.h"
#include "common/util.h"
#include "corpus/wheelwrite.h"

static const struct corpus_profile profiles[] = {
    {"tiny", "2 wheels of 30 files, exec scripts and empty files (for tests)", "tinylike",
     2, 30, 10, 0, 10, 1, 256 << 10, false, false},
    {"many-small", "botocore-like: ~2,000 files, most under 16 KiB, ~20 MB", "botolike",
     1, 2000, 18, 1, 1, 0, 0, false, false},
    {"mixed", "numpy-like: ~1,000 files and a few large shared libraries", "numlike",
     1, 1000, 20, 2, 1, 6, 6 << 20, false, false},
    {"huge-lib", "torch-like: thousands of Python files and one library of 256 MB x scale",
     "torchlike", 1, 4000, 15, 1, 1, 1, 256LL << 20, true, false},
    {"namespace", "6 wheels that all write the namespace package labns/", "labns_part",
     6, 50, 10, 0, 5, 0, 0, false, true},
};

const struct corpus_profile *corpus_profiles(int *n)
{
    *n = (int)(sizeof profiles / sizeof profiles[0]);
    return profiles;
}

const struct corpus_profile *corpus_find(const char *name)
{
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
        if (strcmp(profiles[i].name, name) == 0)
            return &profiles[i];
    return NULL;
}

static long long pick_size(const struct corpus_profile *p, uint64_t *s)
{
    unsigned r = (unsigned)(splitmix64_next(s) % 100);
    uint64_t v = splitmix64_next(s);
    if (r < (unsigned)p->pct_large)
        return (64 << 10) + (long long)(v % (192 << 10));
    if (r < (unsigned)(p->pct_large + p->pct_medium))
        return (8 << 10) + (long long)(v % (56 << 10));
    return 200 + (long long)(v % ((8 << 10) - 200));
}

/* Python-looking text: compresses about as well as real sources. */
static void fill_text(char *buf, size_t len, uint64_t *s, const char *header)
{
    static const char *const words[] = {
        "def ", "return ", "self", ".", "(", ")", ":\n    ", "import ", "value", " = ", "None",
        "if ", "else", "for ", " in ", "range", "[", "]", ", ", "\n", "class ", "result",
        "data", "+ 1", "# ", "config", "len", "key", "True", "False", "\"\"\"doc\"\"\"\n"};
    size_t n = 0, h = header ? strlen(header) : 0;
    if (h > len)
        h = len;
    if (h)
        memcpy(buf, header, h);
    n = h;
    while (n < len) {
        const char *w = words[splitmix64_next(s) % (sizeof words / sizeof words[0])];
        size_t wl = strlen(w);
        if (wl > len - n)
            wl = len - n;
        memcpy(buf + n, w, wl);
        n += wl;
    }
}

static int write_lib(struct wheel_writer *ww, const char *name, long long size, uint64_t *s)
{
    if (wheel_writer_begin(ww, name, size, 0755, true) != 0)
        return -1;
    uint64_t chunk[8192];
    for (long long left = size; left > 0;) {
        for (size_t i = 0; i < sizeof chunk / sizeof chunk[0]; i++)
            chunk[i] = splitmix64_next(s);
        size_t n = left < (long long)sizeof chunk ? (size_t)left : sizeof chunk;
        if (wheel_writer_data(ww, chunk, n) != 0)
            return -1;
        left -= (long long)n;
    }
    return wheel_writer_end(ww);
}

static int write_wheel(const struct corpus_profile *p, int k, double scale, uint64_t seed,
                       const char *outdir)
{
    char dist[128], pkg[128], err[1024];
    if (p->wheels > 1)
        snprintf(dist, sizeof dist, "%s%d", p->dist, k + 1);
    else
        snprintf(dist, sizeof dist, "%s", p->dist);
    snprintf(pkg, sizeof pkg, "%s", p->namespace ? "labns" : dist);
    char *distinfo = xasprintf("%s-1.0.dist-info", dist);
    char *path = xasprintf("%s/%s-1.0-py3-none-any.whl", outdir, dist);
    struct wheel_writer *ww = wheel_writer_open(path, distinfo, err, sizeof err);
    if (!ww) {
        lab_error("%s", err);
        free(distinfo);
        free(path);
        return -1;
    }
    uint64_t s = seed * 1000003u + (uint64_t)k * 7919u + 1;
    int files = (int)lround(p->files * scale);
    if (files < 1)
        files = 1;
    size_t cap = 256 << 10;
    char *buf = xmalloc(cap);
    int rc = 0;
    if (p->namespace) {
        /* every wheel writes it, each with its own bytes and the first
         * wheels' the longest (a staggered migration's comments), so a
         * shorter version written over a longer one shows (uv #4831) */
        int n = snprintf(buf, cap, "# labns namespace package, written by %s\n", dist);
        for (int line = k; line < p->wheels; line++)
            n += snprintf(buf + n, cap - (size_t)n, "# migration note %d: pkgutil-style until every part moves\n",
                          line + 1);
        n += snprintf(buf + n, cap - (size_t)n,
                      "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n");
        rc = wheel_writer_add(ww, "labns/__init__.py", buf, (size_t)n, 0644);
    }
    for (int i = 0; i < files && rc == 0; i++) {
        char name[512];
        const char *sub = p->namespace ? dist : "";
        unsigned mode = 0644;
        long long size;
        if ((int)(splitmix64_next(&s) % 100) < p->pct_exec) {
            snprintf(name, sizeof name, "%s/%s%sbin/tool%05d", pkg, sub, *sub ? "/" : "", i);
            mode = 0755;
            size = pick_size(p, &s);
        } else if (i % 40 == 0) {
            snprintf(name, sizeof name, "%s/%s%ssub%03d/__init__.py", pkg, sub, *sub ? "/" : "", i / 40);
            size = 0; /* empty, like most package markers */
        } else {
            snprintf(name, sizeof name, "%s/%s%ssub%03d/mod%05d.py", pkg, sub, *sub ? "/" : "", i / 40, i);
            size = pick_size(p, &s);
        }
        fill_text(buf, (size_t)size, &s, mode == 0755 ? "#!/usr/bin/env python3\n" : NULL);
        rc = wheel_writer_add(ww, name, buf, (size_t)size, mode);
    }
    long long lib_bytes = p->scale_libs ? (long long)(p->lib_bytes * scale) : p->lib_bytes;
    for (int l = 0; l < p->libs && rc == 0; l++) {
        char name[512];
        snprintf(name, sizeof name, "%s/_lib%d.cpython-311-x86_64-linux-gnu.so", pkg, l);
        rc = write_lib(ww, name, lib_bytes, &s);
    }
    if (rc == 0) {
        int n = snprintf(buf, cap, "Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n"
                         "Summary: linklab synthetic corpus (%s, seed %llu)\n", dist, p->name,
                         (unsigned long long)seed);
        char *m = xasprintf("%s/METADATA", distinfo);
        rc = wheel_writer_add(ww, m, buf, (size_t)n, 0644);
        free(m);
        n = snprintf(buf, cap, "Wheel-Version: 1.0\nGenerator: linklab corpus\n"
                     "Root-Is-Purelib: true\nTag: py3-none-any\n");
        m = xasprintf("%s/WHEEL", distinfo);
        if (rc == 0)
            rc = wheel_writer_add(ww, m, buf, (size_t)n, 0644);
        free(m);
    }
    free(buf);
    if (rc != 0) {
        wheel_writer_close(ww, err, sizeof err); /* reports the first error and removes the file */
        lab_error("%s: %s", path, err);
    } else if (wheel_writer_close(ww, err, sizeof err) != 0) {
        lab_error("%s", err);
        rc = -1;
    } else {
        printf("%s\n", path);
    }
    free(distinfo);
    free(path);
    return rc;
}

int corpus_write(const struct corpus_profile *p, double scale, uint64_t seed, const char *outdir)
{
    if (mkdirat_p(AT_FDCWD, outdir, 0755) != 0) {
        lab_error("%s: cannot create: %s", outdir, strerror(errno));
        return -1;
    }
    for (int k = 0; k < p->wheels; k++)
        if (write_wheel(p, k, scale, seed, outdir) != 0)
            return -1;
    return 0;
}
