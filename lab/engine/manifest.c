/* manifest.c - a cache entry's file list (manifest.h). */
#include "engine/manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/entryname.h"
#include "common/util.h"
#include "format/format.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *manifest_format(const struct package *w, size_t *len)
{
    size_t cap = 16, nd = 0;
    char **dirs = xmalloc(cap * sizeof *dirs);
    for (size_t i = 0; i < w->n; i++) {
        char *copy = xstrdup(w->entries[i].name);
        if (!w->entries[i].is_dir) {
            char *slash = strrchr(copy, '/');
            if (!slash) {
                free(copy);
                continue;
            }
            *slash = '\0';
        }
        for (char *p = copy;; p++) {
            if (*p == '/' || *p == '\0') {
                char saved = *p;
                *p = '\0';
                if (nd == cap)
                    dirs = xrealloc(dirs, (cap *= 2) * sizeof *dirs);
                dirs[nd++] = xstrdup(copy);
                *p = saved;
                if (!saved)
                    break;
            }
        }
        free(copy);
    }
    sort_items(dirs, nd, sizeof *dirs, cmp_str);
    size_t tcap = 4096, n = 0;
    char *text = xmalloc(tcap);
    for (size_t i = 0; i <= nd + w->n; i++) {
        char line[ENTRYNAME_MAX + 64];
        int ln;
        if (i < nd) {
            if (i > 0 && strcmp(dirs[i], dirs[i - 1]) == 0)
                continue;
            ln = snprintf(line, sizeof line, "d 755 0 %s\n", dirs[i]);
        } else if (i < nd + w->n) {
            const struct pkg_entry *e = &w->entries[i - nd];
            if (e->is_dir)
                continue;
            ln = snprintf(line, sizeof line, "f %o %lld %s\n", e->mode, e->size, e->name);
        } else {
            break;
        }
        while (n + (size_t)ln + 1 > tcap)
            text = xrealloc(text, tcap *= 2);
        memcpy(text + n, line, (size_t)ln);
        n += (size_t)ln;
    }
    text[n] = '\0';
    for (size_t i = 0; i < nd; i++)
        free(dirs[i]);
    free(dirs);
    size_t hl = strlen(MANIFEST_MAGIC);
    char *out = xmalloc(hl + 65 + n + 1);
    memcpy(out, MANIFEST_MAGIC, hl);
    sha256_hex(text, n, out + hl);
    out[hl + 64] = '\n';
    memcpy(out + hl + 65, text, n + 1);
    free(text);
    *len = hl + 65 + n;
    return out;
}

/* A field of digits in base followed by one space: where the next field
 * starts, or NULL (no sign, no leading blanks, no overflow). */
static char *digits_field(char *q, int base, long long *out)
{
    if (*q < '0' || *q > (base == 8 ? '7' : '9'))
        return NULL;
    char *end;
    errno = 0;
    *out = strtoll(q, &end, base);
    return errno || *end != ' ' ? NULL : end + 1;
}

int manifest_parse(char *buf, size_t len, struct manifest *m, char *err, size_t errlen)
{
    /* the header names the version and the digest of the rest: a manifest
     * cut short, or edited (a mode, a size, a line dropped), does not match */
    size_t hl = strlen(MANIFEST_MAGIC);
    char *nl = memchr(buf, '\n', len);
    char want[65];
    if (len < hl + 64 + 1 || memcmp(buf, MANIFEST_MAGIC, hl) != 0 || !nl || (size_t)(nl - buf) != hl + 64) {
        snprintf(err, errlen, "malformed: not a version-2 manifest (no '%s' line)", MANIFEST_MAGIC);
        free(buf);
        memset(m, 0, sizeof *m);
        return -1;
    }
    sha256_hex(nl + 1, len - (size_t)(nl + 1 - buf), want);
    if (memcmp(buf + hl, want, 64) != 0) {
        snprintf(err, errlen, "malformed: its digest does not match its lines (changed or cut short "
                 "after it was written)");
        free(buf);
        memset(m, 0, sizeof *m);
        return -1;
    }
    size_t skip = (size_t)(nl + 1 - buf);
    memmove(buf, buf + skip, len - skip + 1);
    return manifest_parse_body(buf, len - skip, m, err, errlen);
}

int manifest_parse_body(char *buf, size_t len, struct manifest *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->buf = buf;
    if (memchr(buf, '\0', len) || (len > 0 && buf[len - 1] != '\n')) {
        snprintf(err, errlen, "malformed: %s", memchr(buf, '\0', len) ? "a NUL byte" : "no newline at the end");
        manifest_free(m);
        return -1;
    }
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += m->buf[i] == '\n';
    m->items = xmalloc((lines ? lines : 1) * sizeof *m->items);
    char *p = m->buf;
    while (*p) {
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        /* "T MODE SIZE NAME": one space between fields, and the name is the
         * rest of the line byte for byte (a name may start with a space) */
        char *q = p;
        char type = *q++;
        long long mode = 0, size = 0;
        const char *why = (type != 'd' && type != 'f') || *q++ != ' ' ? "no type"
                          : !(q = digits_field(q, 8, &mode)) ? "bad mode"
                          : !(q = digits_field(q, 10, &size)) ? "bad size"
                          : entryname_check(q); /* as the wheel's names were */
        if (!why && size > (1LL << 50))
            why = "a size over 1 PiB";
        if (!why && mode != 0644 && mode != 0755)
            why = "bad mode";
        if (!why && type == 'd' && (mode != 0755 || size != 0))
            why = "a directory with a file's mode or size";
        if (!why && type == 'd' && m->n > m->ndirs)
            why = "a directory after the files";
        if (why) {
            snprintf(err, errlen, "malformed line %zu (%s)", m->n + 1, why);
            manifest_free(m);
            return -1;
        }
        m->items[m->n++] = (struct manifest_item){
            .path = q, .mode = (unsigned)mode, .size = size, .is_dir = type == 'd'};
        if (type == 'd')
            m->ndirs++;
        else
            m->bytes += size;
        p = nl + 1;
    }
    return 0;
}

void manifest_free(struct manifest *m)
{
    free(m->items);
    free(m->buf);
    memset(m, 0, sizeof *m);
}
