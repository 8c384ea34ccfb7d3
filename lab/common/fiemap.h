/* fiemap.h - a file's data extents through FS_IOC_FIEMAP, with
 * FIEMAP_FLAG_SYNC so that delayed allocation is settled first. */
#ifndef LAB_FIEMAP_H
#define LAB_FIEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct extent {
    uint64_t logical, physical, length;
    uint32_t flags;
};

struct extents {
    struct extent *v;
    size_t n;
    bool inline_data; /* some data lives in metadata (no physical address) */
    bool shared;      /* some extent carries FIEMAP_EXTENT_SHARED */
    bool unknown;     /* some extent has no known location */
};

/* 0, or an errno value (EOPNOTSUPP/ENOTTY: the filesystem has no FIEMAP). */
int fiemap_read(int fd, struct extents *out);
void extents_free(struct extents *e);

/* Bytes of a's extents whose physical ranges lie inside b's. Both
 * lists must be from one filesystem. */
uint64_t extents_overlap(const struct extents *a, const struct extents *b);
/* Bytes of data with a physical address. */
uint64_t extents_bytes(const struct extents *e);

#endif
