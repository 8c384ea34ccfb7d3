/* record.h - parsing a wheel's RECORD (CSV rows: path, ALGO=digest, size). */
#ifndef LAB_RECORD_H
#define LAB_RECORD_H

#include <stddef.h>

struct record_row {
    char *path;
    char *algo; /* NULL when the row has no hash (RECORD itself, signatures) */
    char *hash; /* urlsafe base64 without padding */
    long long size; /* -1 when the row gives no size */
};

struct record {
    struct record_row *rows; /* sorted by path */
    size_t n;
};

/* Parses RECORD text. On error returns -1 and writes a reason naming the
 * line into err. */
int record_parse(const char *text, size_t len, struct record *out, char *err, size_t errlen);
const struct record_row *record_find(const struct record *r, const char *path);
/* Sorts rows by path, as record_find needs (record_parse does it itself). */
void record_sort(struct record *r);
void record_free(struct record *r);

/* True for names a RECORD need not list: RECORD itself and its signatures. */
int record_is_self(const char *path, const char *record_path);

#endif
