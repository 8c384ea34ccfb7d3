#include "common/fiemap.h"

#include <errno.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/util.h"

#define BATCH 64

static int cmp_logical(const void *a, const void *b)
{
    uint64_t x = ((const struct extent *)a)->logical, y = ((const struct extent *)b)->logical;
    return (x > y) - (x < y);
}

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
    sort_items(out->v, out->n, sizeof *out->v, cmp_logical);
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

static bool encoded(const struct extent *x)
{
    return (x->flags & FIEMAP_EXTENT_ENCODED) != 0;
}

/* The extent of e covering logical offset pos, from index *i on (lists are
 * sorted by logical offset); NULL in a hole, with *next where the hole
 * ends (UINT64_MAX: at the end). An unwritten (preallocated) extent reads
 * as zeros and holds no data: a hole (XFS leaves a hole in a clone where
 * its source has one). */
static const struct extent *covering(const struct extents *e, size_t *i, uint64_t pos, uint64_t *next)
{
    while (*i < e->n && e->v[*i].logical + e->v[*i].length <= pos)
        (*i)++;
    if (*i == e->n) {
        *next = UINT64_MAX;
        return NULL;
    }
    const struct extent *x = &e->v[*i];
    if (x->logical > pos) {
        *next = x->logical;
        return NULL;
    }
    *next = x->logical + x->length;
    return x->flags & FIEMAP_EXTENT_UNWRITTEN ? NULL : x;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

struct prange {
    uint64_t start, end;
};

static int cmp_prange(const void *a, const void *b)
{
    uint64_t x = ((const struct prange *)a)->start, y = ((const struct prange *)b)->start;
    return (x > y) - (x < y);
}

/* e's plain (not encoded) data as physical ranges, sorted and merged */
static struct prange *physical_ranges(const struct extents *e, size_t *n)
{
    struct prange *r = xmalloc((e->n ? e->n : 1) * sizeof *r);
    size_t k = 0;
    for (size_t i = 0; i < e->n; i++) {
        const struct extent *x = &e->v[i];
        if (has_address(x) && !(x->flags & (FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_UNWRITTEN)))
            r[k++] = (struct prange){x->physical, x->physical + x->length};
    }
    sort_items(r, k, sizeof *r, cmp_prange);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (m > 0 && r[i].start <= r[m - 1].end) {
            if (r[i].end > r[m - 1].end)
                r[m - 1].end = r[i].end;
        } else {
            r[m++] = r[i];
        }
    }
    *n = m;
    return r;
}

uint64_t extents_physical_overlap(const struct extents *t, const struct extents *s)
{
    size_t nt, ns;
    struct prange *a = physical_ranges(t, &nt), *b = physical_ranges(s, &ns);
    uint64_t overlap = 0;
    for (size_t i = 0, j = 0; i < nt && j < ns;) {
        uint64_t lo = a[i].start > b[j].start ? a[i].start : b[j].start;
        uint64_t hi = a[i].end < b[j].end ? a[i].end : b[j].end;
        if (hi > lo)
            overlap += hi - lo;
        if (a[i].end < b[j].end)
            i++;
        else
            j++;
    }
    free(a);
    free(b);
    /* compressed extents: shared when the same extent (its start) is in both */
    size_t ne = 0;
    uint64_t *starts = xmalloc((s->n ? s->n : 1) * sizeof *starts);
    for (size_t i = 0; i < s->n; i++)
        if (encoded(&s->v[i]) && has_address(&s->v[i]))
            starts[ne++] = s->v[i].physical;
    sort_items(starts, ne, sizeof *starts, cmp_u64);
    for (size_t i = 0; ne && i < t->n; i++)
        if (encoded(&t->v[i]) && has_address(&t->v[i]) &&
            bsearch(&t->v[i].physical, starts, ne, sizeof *starts, cmp_u64))
            overlap += t->v[i].length;
    free(starts);
    return overlap;
}

/* Whether t and s map the logical byte pos to the same stored data. Plain
 * extents: the same physical address at this offset. Encoded (compressed)
 * extents report the compressed extent's start, not where in it the
 * file's data begins, and the logical length: they match only as the same
 * extent starting at the same logical offset, and even then the offset
 * into the extent is unseen (extents_compare says so). */
static bool same_data(const struct extent *t, const struct extent *s, uint64_t pos)
{
    if (!has_address(t) || !has_address(s) || encoded(t) != encoded(s))
        return false;
    if (encoded(t))
        return t->physical == s->physical && t->logical == s->logical;
    return t->physical + (pos - t->logical) == s->physical + (pos - s->logical);
}

void extents_compare(const struct extents *t, const struct extents *s, uint64_t size, uint64_t *shared,
                     uint64_t *same, bool *encoded_match)
{
    *shared = *same = 0;
    *encoded_match = false;
    size_t ti = 0, si = 0;
    for (uint64_t pos = 0; pos < size;) {
        uint64_t tnext, snext;
        const struct extent *x = covering(t, &ti, pos, &tnext);
        const struct extent *y = covering(s, &si, pos, &snext);
        uint64_t end = tnext < snext ? tnext : snext;
        if (end > size)
            end = size;
        uint64_t len = end - pos;
        if (!x && !y)
            *same += len; /* a hole in both */
        else if (x && y && same_data(x, y, pos)) {
            *same += len;
            *shared += len;
            *encoded_match |= encoded(x);
        }
        pos = end;
    }
}
