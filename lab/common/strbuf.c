/* strbuf.c - a growing string (strbuf.h). */
#include "common/strbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static void grow(struct strbuf *sb, size_t more)
{
    if (sb->len + more + 1 <= sb->alloc)
        return;
    size_t want = sb->alloc ? sb->alloc : 64;
    while (want < sb->len + more + 1)
        want *= 2;
    sb->buf = xrealloc(sb->buf, want);
    sb->alloc = want;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        lab_error("cannot format '%s': %s", fmt, strerror(errno));
        exit(LAB_EXIT_FAIL);
    }
    grow(sb, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void strbuf_add(struct strbuf *sb, const void *data, size_t n)
{
    grow(sb, n);
    memcpy(sb->buf + sb->len, data, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void strbuf_adds(struct strbuf *sb, const char *s) { strbuf_add(sb, s, strlen(s)); }

void strbuf_addsep(struct strbuf *sb, const char *sep)
{
    if (sb->len)
        strbuf_adds(sb, sep);
}

const char *strbuf_str(const struct strbuf *sb) { return sb->buf ? sb->buf : ""; }

char *strbuf_detach(struct strbuf *sb)
{
    char *s = sb->buf ? sb->buf : xstrdup("");
    *sb = (struct strbuf)STRBUF_INIT;
    return s;
}

size_t strbuf_copy(const struct strbuf *sb, char *buf, size_t len)
{
    if (len) {
        size_t n = sb->len < len - 1 ? sb->len : len - 1;
        memcpy(buf, strbuf_str(sb), n);
        buf[n] = '\0';
    }
    return sb->len;
}

void strbuf_release(struct strbuf *sb)
{
    free(sb->buf);
    *sb = (struct strbuf)STRBUF_INIT;
}
