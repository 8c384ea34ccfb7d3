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

/* 0, or an errno value (EOPNOTSUPP/ENOTTY: the filesystem has no FIEMAP).
 * The extents come sorted by logical offset. */
int fiemap_read(int fd, struct extents *out);
void extents_free(struct extents *e);

/* t (an installed file of size bytes) against s (its source), both
 * from one filesystem, over the logical range [0, size): *shared gets the
 * bytes both map to the same stored data, *same those plus the bytes that
 * are a hole in both. The file is a whole clone of s when *same == size
 * and the sizes agree; when *encoded_match, some of it matched as
 * compressed extents, whose offsets FIEMAP does not show: equal bytes
 * must confirm it. */
void extents_compare(const struct extents *t, const struct extents *s, uint64_t size, uint64_t *shared,
                     uint64_t *same, bool *encoded_match);
/* Bytes of t's data stored where s stores data, at whatever logical
 * offsets (a clone shifted within the file): plain extents by their
 * merged physical ranges, compressed ones as the same extent. Both lists
 * from one filesystem. */
uint64_t extents_physical_overlap(const struct extents *t, const struct extents *s);
/* Bytes of data with a physical address. */
uint64_t extents_bytes(const struct extents *e);

#endif
