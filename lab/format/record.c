#include "format/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* Reads one CSV field starting at *p; returns a malloc'd copy, or NULL on
 * a malformed quote. *p is left on the separator or line end. */
static char *csv_field(const char **p, const char *end)
{
    const char *s = *p;
    size_t cap = 64, n = 0;
    char *out = xmalloc(cap);
    if (s < end && *s == '"') {
        s++;
        for (;;) {
            if (s >= end) {
                free(out);
                return NULL;
            }
            if (*s == '"') {
                if (s + 1 < end && s[1] == '"') {
                    s += 2;
                    out[n++] = '"';
                } else {
                    s++;
                    break;
                }
            } else {
                out[n++] = *s++;
            }
            if (n + 1 >= cap)
                out = xrealloc(out, cap *= 2);
        }
        if (s < end && *s != ',' && *s != '\n' && *s != '\r') {
            free(out);
            return NULL;
        }
    } else {
        while (s < end && *s != ',' && *s != '\n' && *s != '\r') {
            out[n++] = *s++;
            if (n + 1 >= cap)
                out = xrealloc(out, cap *= 2);
        }
    }
    out[n] = '\0';
    *p = s;
    return out;
}

static int cmp_rows(const void *a, const void *b)
{
    return strcmp(((const struct record_row *)a)->path, ((const struct record_row *)b)->path);
}

static void free_fields(char **f, int n)
{
    for (int i = 0; i < n; i++)
        free(f[i]);
}

int record_parse(const char *text, size_t len, struct record *out, char *err, size_t errlen)
{
    const char *p = text, *end = text + len;
    size_t cap = 64, line = 0;
    out->n = 0;
    out->rows = xmalloc(cap * sizeof *out->rows);
    if (memchr(text, '\0', len)) {
        snprintf(err, errlen, "RECORD contains a NUL byte");
        goto fail;
    }
    while (p < end) {
        line++;
        if (*p == '\n' || *p == '\r') { /* blank line */
            p++;
            continue;
        }
        char *f[4] = {0};
        int nf = 0;
        for (;;) {
            if (nf == 4) {
                free_fields(f, nf);
                snprintf(err, errlen, "RECORD line %zu has more than 3 fields", line);
                goto fail;
            }
            f[nf] = csv_field(&p, end);
            if (!f[nf]) {
                free_fields(f, nf);
                snprintf(err, errlen, "RECORD line %zu has an unterminated quote", line);
                goto fail;
            }
            nf++;
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            break;
        }
        while (p < end && (*p == '\r' || *p == '\n')) {
            if (*p++ == '\n')
                break;
        }
        if (nf != 3 || !f[0][0]) {
            free_fields(f, nf);
            snprintf(err, errlen, "RECORD line %zu is not \"path,hash,size\"", line);
            goto fail;
        }
        struct record_row row = {.path = f[0], .size = -1};
        if (f[1][0]) {
            char *eq = strchr(f[1], '=');
            if (!eq || eq == f[1] || !eq[1]) {
                snprintf(err, errlen, "RECORD line %zu (%s): hash is not ALGO=DIGEST", line, f[0]);
                free_fields(f, nf);
                goto fail;
            }
            *eq = '\0';
            row.algo = f[1];
            row.hash = xstrdup(eq + 1);
        } else {
            free(f[1]);
        }
        if (f[2][0]) {
            char *e;
            row.size = strtoll(f[2], &e, 10);
            if (*e || row.size < 0) {
                snprintf(err, errlen, "RECORD line %zu (%s): size \"%s\" is not a number", line,
                         row.path, f[2]);
                free(row.path);
                free(row.algo);
                free(row.hash);
                free(f[2]);
                goto fail;
            }
        }
        free(f[2]);
        if (out->n == cap)
            out->rows = xrealloc(out->rows, (cap *= 2) * sizeof *out->rows);
        out->rows[out->n++] = row;
    }
    sort_items(out->rows, out->n, sizeof *out->rows, cmp_rows);
    for (size_t i = 1; i < out->n; i++) {
        if (strcmp(out->rows[i - 1].path, out->rows[i].path) == 0) {
            snprintf(err, errlen, "RECORD lists %s twice", out->rows[i].path);
            goto fail;
        }
    }
    return 0;
fail:
    record_free(out);
    return -1;
}

const struct record_row *record_find(const struct record *r, const char *path)
{
    struct record_row key = {.path = (char *)path};
    return bsearch(&key, r->rows, r->n, sizeof *r->rows, cmp_rows);
}

void record_sort(struct record *r)
{
    sort_items(r->rows, r->n, sizeof *r->rows, cmp_rows);
}

void record_free(struct record *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->rows[i].path);
        free(r->rows[i].algo);
        free(r->rows[i].hash);
    }
    free(r->rows);
    r->rows = NULL;
    r->n = 0;
}

int record_is_self(const char *path, const char *record_path)
{
    size_t n = strlen(record_path);
    if (strncmp(path, record_path, n) != 0)
        return 0;
    return path[n] == '\0' || strcmp(path + n, ".jws") == 0 || strcmp(path + n, ".p7s") == 0;
}
