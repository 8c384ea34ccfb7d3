/* wheel.h - reading a wheel (a zip) with libarchive's seekable zip reader.
 * wheel_scan() validates every entry and the RECORD without writing
 * anything; wheel_extract() then writes the files under a directory,
 * checking each one's size and hash against RECORD as it goes. */
#ifndef LAB_WHEEL_H
#define LAB_WHEEL_H

#include <stddef.h>

#include "format/format.h"
#include "common/strbuf.h"
#include "format/record.h"

/* Zip bomb guard: the entries' declared uncompressed sizes may add up to at
 * most WHEEL_MAX_RATIO times the archive's size plus WHEEL_RATIO_SLACK. */
#define WHEEL_MAX_RATIO 200LL
#define WHEEL_RATIO_SLACK (16LL << 20)
/* Largest RECORD read into memory. */
#define WHEEL_MAX_RECORD (64u << 20)


struct wheel_info {
    char *path;
    struct pkg_entry *entries; /* in archive order, named as the archive has them */
    char **lib_names;          /* each entry's name as libarchive reports it */
    size_t n;
    char *distinfo;     /* "name-version.dist-info" */
    char *record_path;  /* "name-version.dist-info/RECORD" */
    char *record_text;
    size_t record_len;
    struct strbuf sigs;  /* RECORD.jws/.p7s: names and bytes (cache key) */
    struct record record;
    long long archive_size;
    long long total_size;
};

/* Reads the headers and the RECORD of the wheel at path and validates them.
 * On error returns -1 with a reason in err ("entry NAME: why"). */
int wheel_scan(const char *path, struct wheel_info *w, char *err, size_t errlen);

/* Writes every entry of a scanned wheel under dirfd (which must be empty).
 * On error returns -1 with a reason in err; the caller removes dirfd's tree. */
int wheel_extract(const struct wheel_info *w, int dirfd, char *err, size_t errlen);

void wheel_free(struct wheel_info *w);

/* The wheel format (format.h): wheel_scan, wheel_extract and RECORD. */
extern const struct format format_wheel;

#endif
