/* strbuf.h - a growing string, in place of hand-offset snprintf chains
 * (which overrun when the sum of their returns passes the buffer).
 *
 *   struct strbuf sb = STRBUF_INIT;
 *   strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", word);
 *   puts(strbuf_str(&sb));
 *   strbuf_release(&sb);
 *
 * Out of memory ends the process, as x*() in util.h do. */
#ifndef LAB_STRBUF_H
#define LAB_STRBUF_H

#include <stddef.h>

struct strbuf {
    char *buf;    /* NUL-terminated once anything was added; NULL before */
    size_t len;   /* bytes, without the NUL */
    size_t alloc;
};

#define STRBUF_INIT {NULL, 0, 0}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_adds(struct strbuf *sb, const char *s);
/* n bytes, which may hold NULs (len counts them) */
void strbuf_add(struct strbuf *sb, const void *data, size_t n);
/* separator first unless the buffer is empty: a list in one call */
void strbuf_addsep(struct strbuf *sb, const char *sep);
/* the text so far ("" when nothing was added); valid until the next add */
const char *strbuf_str(const struct strbuf *sb);
/* the text, now the caller's to free; the buffer is empty again */
char *strbuf_detach(struct strbuf *sb);
/* copies the text into buf (cut to len - 1 bytes); returns the full length */
size_t strbuf_copy(const struct strbuf *sb, char *buf, size_t len);
void strbuf_release(struct strbuf *sb);

#endif
