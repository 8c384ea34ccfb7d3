/* wheelwrite.h - writing a wheel with libarchive's zip writer. Each file's
 * RECORD row (sha256, size) is computed as it is written; closing adds
 * RECORD and renames the finished zip into place. */
#ifndef LAB_WHEELWRITE_H
#define LAB_WHEELWRITE_H

#include <stdbool.h>
#include <stddef.h>

struct wheel_writer;

/* distinfo is "name-version.dist-info". The zip is written to a
 * temporary name beside path. */
struct wheel_writer *wheel_writer_open(const char *path, const char *distinfo, char *err,
                                       size_t errlen);
/* One file in pieces: begin, data..., end. store: no compression. */
int wheel_writer_begin(struct wheel_writer *w, const char *name, long long size, unsigned mode,
                       bool store);
int wheel_writer_data(struct wheel_writer *w, const void *data, size_t len);
int wheel_writer_end(struct wheel_writer *w);
int wheel_writer_add(struct wheel_writer *w, const char *name, const void *data, size_t len,
                     unsigned mode);
/* Writes RECORD, closes and renames into place; frees w. */
int wheel_writer_close(struct wheel_writer *w, char *err, size_t errlen);
/* Drops a half-written wheel; frees w. */
void wheel_writer_abort(struct wheel_writer *w);

#endif
