#include "common/entryname.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <utf8proc.h>

#include "common/util.h"

const char *entryname_check(const char *name)
{
    size_t len = strlen(name);
    if (len == 0)
        return "empty name";
    if (len > ENTRYNAME_MAX)
        return "name longer than 1024 bytes";
    if (name[0] == '/')
        return "absolute path";
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p == '\\')
            return "backslash in name";
        if (*p < 0x20 || *p == 0x7f)
            return "control character in name";
    }
    /* utf8proc_iterate rejects overlong forms, surrogates and stray bytes */
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)name;
    utf8proc_ssize_t left = (utf8proc_ssize_t)len;
    while (left > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(s, left, &cp);
        if (n <= 0 || cp < 0)
            return "name is not valid UTF-8";
        s += n;
        left -= n;
    }
    const char *comp = name;
    for (;;) {
        const char *slash = strchr(comp, '/');
        size_t clen = slash ? (size_t)(slash - comp) : strlen(comp);
        if (clen == 0)
            return "empty path component";
        if (clen == 1 && comp[0] == '.')
            return "'.' component";
        if (clen == 2 && comp[0] == '.' && comp[1] == '.')
            return "'..' component";
        if (clen > ENTRYNAME_COMPONENT_MAX)
            return "path component longer than 255 bytes";
        if (!slash)
            break;
        comp = slash + 1;
    }
    return NULL;
}

char *entryname_fold(const char *name)
{
    utf8proc_uint8_t *folded = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)name, 0, &folded,
                                      UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                          UTF8PROC_CASEFOLD);
    if (n < 0)
        return xstrdup(name);
    char *out = xstrdup((char *)folded);
    free(folded);
    return out;
}

char *entryname_escape(const char *name)
{
    size_t len = strlen(name);
    char *out = xmalloc(4 * len + 8), *o = out;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)name;
    utf8proc_ssize_t left = (utf8proc_ssize_t)len;
    while (left > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
        if (n <= 0 || cp < 0x20 || cp == 0x7f) {
            o += sprintf(o, "\\x%02x", *p);
            n = 1;
        } else {
            memcpy(o, p, (size_t)n);
            o += n;
        }
        p += n;
        left -= n;
    }
    *o = '\0';
    size_t elen = (size_t)(o - out);
    if (elen > 200) {
        memmove(out + 123, out + elen - 60, 61);
        memcpy(out + 120, "...", 3);
    }
    return out;
}

struct fold_row {
    char *key;
    size_t idx;
};

static int cmp_fold_row(const void *a, const void *b)
{
    const struct fold_row *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

void entryname_collisions(const char *const *names, size_t n, void (*each)(size_t a, size_t b, void *ctx),
                          void *ctx)
{
    struct fold_row *rows = xmalloc((n ? n : 1) * sizeof *rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = (struct fold_row){entryname_fold(names[i]), i};
    sort_items(rows, n, sizeof *rows, cmp_fold_row);
    for (size_t i = 1; i < n; i++)
        if (strcmp(rows[i].key, rows[i - 1].key) == 0 && strcmp(names[rows[i].idx], names[rows[i - 1].idx]) != 0)
            each(rows[i - 1].idx, rows[i].idx, ctx);
    for (size_t i = 0; i < n; i++)
        free(rows[i].key);
    free(rows);
}

long entryname_temp_pid(const char *base)
{
    if (base[0] != '.')
        return -1;
    const char *mark = strstr(base, ".lltmp.");
    size_t skip = 7;
    if (!mark) {
        mark = strstr(base, ".llreinode.");
        skip = 11;
    }
    if (!mark || mark == base)
        return -1;
    const char *pid = mark + skip, *dot = strchr(pid, '.');
    if (!dot || dot == pid || strspn(pid, "0123456789") != (size_t)(dot - pid) || !dot[1] ||
        strspn(dot + 1, "0123456789") != strlen(dot + 1))
        return -1;
    return strtol(pid, NULL, 10);
}
