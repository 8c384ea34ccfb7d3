#include "common/fiemap.h"

#include <errno.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/util.h"

#define BATCH 64

int fiemap_read(int fd, struct extents *out)
{
    memset(out, 0, sizeof *out);
    size_t size = sizeof(struct fiemap) + BATCH * sizeof(struct fiemap_extent);
    struct fiemap *fm = xmalloc(size);
    size_t cap = 0;
    uint64_t start = 0;
    for (;;) {
        memset(fm, 0, size);
        fm->fm_start = start;
        fm->fm_length = FIEMAP_MAX_OFFSET - start;
        fm->fm_flags = FIEMAP_FLAG_SYNC;
        fm->fm_extent_count = BATCH;
        if (ioctl(fd, FS_IOC_FIEMAP, fm) != 0) {
            int e = errno;
            free(fm);
            extents_free(out);
            return e;
        }
        if (fm->fm_mapped_extents == 0)
            break;
        bool last = false;
        for (unsigned i = 0; i < fm->fm_mapped_extents; i++) {
            const struct fiemap_extent *x = &fm->fm_extents[i];
            if (out->n == cap)
                out->v = xrealloc(out->v, (cap = cap ? cap * 2 : 8) * sizeof *out->v);
            out->v[out->n++] = (struct extent){x->fe_logical, x->fe_physical, x->fe_length, x->fe_flags};
            if (x->fe_flags & FIEMAP_EXTENT_DATA_INLINE)
                out->inline_data = true;
            if (x->fe_flags & FIEMAP_EXTENT_SHARED)
                out->shared = true;
            if (x->fe_flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC))
                out->unknown = true;
            if (x->fe_flags & FIEMAP_EXTENT_LAST)
                last = true;
            start = x->fe_logical + x->fe_length;
        }
        if (last || fm->fm_mapped_extents < BATCH)
            break;
    }
    free(fm);
    return 0;
}

void extents_free(struct extents *e)
{
    free(e->v);
    memset(e, 0, sizeof *e);
}

static bool has_address(const struct extent *x)
{
    return !(x->flags & (FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
                         FIEMAP_EXTENT_NOT_ALIGNED));
}

uint64_t extents_bytes(const struct extents *e)
{
    uint64_t n = 0;
    for (size_t i = 0; i < e->n; i++)
        if (has_address(&e->v[i]))
            n += e->v[i].length;
    return n;
}

uint64_t extents_overlap(const struct extents *a, const struct extents *b)
{
    uint64_t shared = 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct extent *x = &a->v[i];
        if (!has_address(x))
            continue;
        uint64_t xs = x->physical, xe = x->physical + x->length;
        for (size_t j = 0; j < b->n; j++) {
            const struct extent *y = &b->v[j];
            if (!has_address(y))
                continue;
            uint64_t lo = xs > y->physical ? xs : y->physical;
            uint64_t hi = xe < y->physical + y->length ? xe : y->physical + y->length;
            if (hi > lo)
                shared += hi - lo;
        }
    }
    return shared;
}
