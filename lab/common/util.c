#include "common/util.h"

#include "common/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *command_name = "linklab";

void lab_set_command(const char *name) { command_name = name; }

static void vmessage(const char *kind, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void vmessage(const char *kind, const char *fmt, va_list ap)
{
    char line[4096];
    vsnprintf(line, sizeof line, fmt, ap);
    /* one fprintf per message so parallel workers never interleave a line */
    fprintf(stderr, "%s: %s%s\n", command_name, kind, line);
}

void lab_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("", fmt, ap);
    va_end(ap);
}

void lab_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("warning: ", fmt, ap);
    va_end(ap);
}

void lab_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("", fmt, ap);
    va_end(ap);
}

static void out_of_memory(void)
{
    fprintf(stderr, "%s: out of memory\n", command_name);
    exit(LAB_EXIT_FAIL);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        out_of_memory();
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory();
    return s;
}

const char *errno_name(int err)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    const char *name = strerrorname_np(err);
    if (name)
        return name;
#else
    switch (err) {
    case EXDEV: return "EXDEV";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EINVAL: return "EINVAL";
    case EMLINK: return "EMLINK";
    case ENOSPC: return "ENOSPC";
    case EEXIST: return "EEXIST";
    case EPERM: return "EPERM";
    case ENOTTY: return "ENOTTY";
    case EIO: return "EIO";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    default: break;
    }
#endif
    static _Thread_local char buf[16];
    snprintf(buf, sizeof buf, "E%d", err);
    return buf;
}

uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int mkdirat_p(int dirfd, const char *path, mode_t mode)
{
    if (!path[0]) {
        errno = ENOENT;
        return -1;
    }
    if (mkdirat(dirfd, path, mode) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return -1;
    char *copy = xstrdup(path);
    int rc = 0;
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdirat(dirfd, copy, mode) != 0 && errno != EEXIST) {
            rc = -1;
            break;
        }
        *p = '/';
    }
    if (rc == 0 && mkdirat(dirfd, copy, mode) != 0 && errno != EEXIST)
        rc = -1;
    int saved = errno;
    free(copy);
    errno = saved;
    return rc;
}

static int first_remove_error;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc = (flag == FTW_DP) ? rmdir(path) : unlink(path);
    if (rc != 0 && errno != ENOENT && !first_remove_error)
        first_remove_error = errno;
    return 0;
}

int remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    first_remove_error = 0;
    if (nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS) != 0 && !first_remove_error)
        first_remove_error = errno;
    if (first_remove_error) {
        errno = first_remove_error;
        return -1;
    }
    return 0;
}

char *read_file(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    if ((size_t)st.st_size > max) {
        close(fd);
        errno = EFBIG;
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max) {
                free(buf);
                close(fd);
                errno = EFBIG;
                return NULL;
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            errno = e;
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    static unsigned counter;
    char *tmp = xasprintf("%s.tmp.%ld.%u", path, (long)getpid(),
                          __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        errno = e;
        return -1;
    }
    const char *p = data;
    size_t left = len;
    int rc = 0;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rc = -1;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    int e = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -1;
        e = errno;
    }
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    errno = e;
    return rc;
}

bool parse_count(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

char *xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (!p)
        out_of_memory();
    return p;
}

void sort_items(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

bool process_gone(long pid)
{
    return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

char *path_resolve_future(const char *path)
{
    char *abs;
    if (path[0] == '/') {
        abs = xstrdup(path);
    } else {
        char *cwd = getcwd(NULL, 0);
        if (!cwd)
            return NULL;
        abs = xasprintf("%s/%s", cwd, path);
        free(cwd);
    }
    /* take components off the end until what is left exists */
    size_t n = strlen(abs);
    char *resolved = NULL;
    size_t cut = n;
    for (;;) {
        char saved = abs[cut];
        abs[cut] = '\0';
        resolved = realpath(cut ? abs : "/", NULL);
        abs[cut] = saved;
        if (resolved || cut == 0)
            break;
        while (cut > 0 && abs[cut - 1] == '/')
            cut--;
        while (cut > 0 && abs[cut - 1] != '/')
            cut--;
    }
    if (!resolved) {
        free(abs);
        return NULL;
    }
    /* and put the rest back, as mkdir -p would walk it */
    struct strbuf out = STRBUF_INIT;
    strbuf_adds(&out, strcmp(resolved, "/") == 0 ? "" : resolved);
    free(resolved);
    for (char *comp = strtok(abs + cut, "/"); comp; comp = strtok(NULL, "/")) {
        if (strcmp(comp, ".") == 0)
            continue;
        if (strcmp(comp, "..") == 0) {
            char *slash = strrchr(out.buf ? out.buf : "", '/');
            if (slash) {
                out.len = (size_t)(slash - out.buf);
                out.buf[out.len] = '\0';
            }
            continue;
        }
        strbuf_addf(&out, "/%s", comp);
    }
    free(abs);
    if (out.len == 0)
        strbuf_adds(&out, "/");
    return strbuf_detach(&out);
}

/* Whether a is b or lies inside it. */
static bool path_within(const char *a, const char *b)
{
    size_t n = strlen(b);
    if (strcmp(b, "/") == 0)
        return true;
    return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

int paths_overlap(const char *a, const char *b)
{
    char *ra = path_resolve_future(a), *rb = path_resolve_future(b);
    int rc = !ra || !rb ? -1 : path_within(ra, rb) ? 1 : path_within(rb, ra) ? 2 : 0;
    free(ra);
    free(rb);
    return rc;
}

int open_regular(const char *path, int flags, struct stat *st)
{
    struct stat own;
    if (!st)
        st = &own;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | flags);
    if (fd >= 0 && (fstat(fd, st) != 0 || !S_ISREG(st->st_mode))) {
        int e = S_ISREG(st->st_mode) ? errno : EINVAL;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int files_equal(const char *a, const char *b)
{
    int fa = open_regular(a, 0, NULL), fb = fa >= 0 ? open_regular(b, 0, NULL) : -1;
    int rc = fa < 0 || fb < 0 ? -1 : 1;
    static _Thread_local char x[1 << 16], y[1 << 16];
    while (rc == 1) {
        ssize_t n = read(fa, x, sizeof x);
        if (n < 0) {
            rc = -1;
            break;
        }
        size_t got = 0;
        while (got < (size_t)n) { /* b in step with a */
            ssize_t m = read(fb, y + got, (size_t)n - got);
            if (m <= 0) {
                rc = m < 0 ? -1 : 0;
                break;
            }
            got += (size_t)m;
        }
        if (rc != 1)
            break;
        if (memcmp(x, y, (size_t)n) != 0)
            rc = 0;
        else if (n == 0)
            break; /* a ended: equal if b ends too */
    }
    if (rc == 1) {
        char c;
        ssize_t m = read(fb, &c, 1);
        rc = m == 0 ? 1 : m < 0 ? -1 : 0;
    }
    int saved = errno;
    if (fa >= 0)
        close(fa);
    if (fb >= 0)
        close(fb);
    errno = saved;
    return rc;
}
