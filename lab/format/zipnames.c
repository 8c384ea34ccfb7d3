/* zipnames.c - see zipnames.h. Reads only the end-of-central-directory
 * record (also its zip64 form) and the central directory's file headers:
 * their names, nothing else. Offsets follow APPNOTE.TXT 4.3.12-4.3.16. */
#include "format/zipnames.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

#include "common/util.h"

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const unsigned char *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const unsigned char *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

static const struct zipnames *sort_z;
static int cmp_order(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(sort_z->key[x], sort_z->key[y]);
    return c ? c : (x > y) - (x < y);
}

/* Where the central directory is and how many entries it has. */
static int find_cd(int fd, uint64_t size, uint64_t *cd_off, uint64_t *cd_size, uint64_t *count,
                   char *err, size_t errlen)
{
    size_t tail = size < 65557 ? (size_t)size : 65557; /* 22 bytes + a comment of up to 65535 */
    unsigned char *buf = xmalloc(tail ? tail : 1);
    int rc = -1;
    if (tail < 22 || read_at(fd, buf, tail, size - tail) != 0) {
        snprintf(err, errlen, "not a readable zip: no end of central directory");
        goto out;
    }
    for (size_t i = tail - 22 + 1; i-- > 0;) {
        const unsigned char *e = buf + i;
        if (le32(e) != 0x06054b50 || i + 22 + le16(e + 20) != tail)
            continue;
        *count = le16(e + 10);
        *cd_size = le32(e + 12);
        *cd_off = le32(e + 16);
        if (*count == 0xffff || *cd_size == 0xffffffffu || *cd_off == 0xffffffffu) {
            /* zip64: a locator just before, pointing at the zip64 record */
            unsigned char loc[20], rec[56];
            uint64_t eocd = size - tail + i;
            if (eocd < 20 || read_at(fd, loc, 20, eocd - 20) != 0 || le32(loc) != 0x07064b50 ||
                read_at(fd, rec, 56, le64(loc + 8)) != 0 || le32(rec) != 0x06064b50) {
                snprintf(err, errlen, "not a readable zip: a broken zip64 end of central directory");
                goto out;
            }
            *count = le64(rec + 32);
            *cd_size = le64(rec + 40);
            *cd_off = le64(rec + 48);
        }
        rc = 0;
        goto out;
    }
    snprintf(err, errlen, "not a readable zip: no end of central directory");
out:
    free(buf);
    return rc;
}

int zipnames_read(const char *path, struct zipnames *z, char *err, size_t errlen)
{
    memset(z, 0, sizeof *z);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    uint64_t cd_off, cd_size, count;
    unsigned char *cd = NULL;
    int rc = -1;
    if (find_cd(fd, (uint64_t)st.st_size, &cd_off, &cd_size, &count, err, errlen) != 0)
        goto out;
    /* each file header takes 46 bytes at least */
    if (cd_off > (uint64_t)st.st_size || cd_size > (uint64_t)st.st_size - cd_off ||
        count > cd_size / 46) {
        snprintf(err, errlen, "not a readable zip: the central directory lies outside the file");
        goto out;
    }
    cd = xmalloc(cd_size ? (size_t)cd_size : 1);
    if (read_at(fd, cd, (size_t)cd_size, cd_off) != 0) {
        snprintf(err, errlen, "not a readable zip: cannot read the central directory");
        goto out;
    }
    z->raw = xcalloc(count ? (size_t)count : 1, sizeof *z->raw);
    z->key = xcalloc(count ? (size_t)count : 1, sizeof *z->key);
    size_t at = 0;
    for (; z->n < count; z->n++) {
        const unsigned char *h = cd + at;
        if (cd_size - at < 46 || le32(h) != 0x02014b50) {
            snprintf(err, errlen, "not a readable zip: central directory entry #%zu is broken", z->n + 1);
            goto out;
        }
        size_t nlen = le16(h + 28), rest = (size_t)le16(h + 30) + le16(h + 32);
        if (cd_size - at - 46 < nlen + rest) {
            snprintf(err, errlen, "not a readable zip: central directory entry #%zu is broken", z->n + 1);
            goto out;
        }
        z->raw[z->n] = xstrndup((const char *)h + 46, nlen);
        if (strlen(z->raw[z->n]) != nlen) {
            snprintf(err, errlen, "entry #%zu: a NUL byte in its name", z->n + 1);
            z->n++;
            goto out;
        }
        /* libarchive reports an NFC name, without the directory's '/' */
        utf8proc_uint8_t *nfc = utf8proc_NFC((const utf8proc_uint8_t *)z->raw[z->n]);
        z->key[z->n] = nfc ? (char *)nfc : xstrdup(z->raw[z->n]);
        size_t kl = strlen(z->key[z->n]);
        if (kl > 1 && z->key[z->n][kl - 1] == '/')
            z->key[z->n][kl - 1] = '\0';
        at += 46 + nlen + rest;
    }
    z->order = xmalloc((z->n ? z->n : 1) * sizeof *z->order);
    for (size_t i = 0; i < z->n; i++)
        z->order[i] = i;
    sort_z = z;
    sort_items(z->order, z->n, sizeof *z->order, cmp_order);
    z->used = xcalloc(z->n ? z->n : 1, 1);
    rc = 0;
out:
    free(cd);
    close(fd);
    return rc;
}

const char *zipnames_claim(struct zipnames *z, const char *name)
{
    size_t lo = 0, hi = z->n;
    while (lo < hi) { /* the first key >= name */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(z->key[z->order[mid]], name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < z->n && strcmp(z->key[z->order[lo]], name) == 0; lo++) {
        size_t i = z->order[lo];
        if (!z->used[i]) {
            z->used[i] = 1;
            return z->raw[i];
        }
    }
    return NULL;
}

void zipnames_free(struct zipnames *z)
{
    for (size_t i = 0; i < z->n; i++) {
        free(z->raw[i]);
        free(z->key[i]);
    }
    free(z->raw);
    free(z->key);
    free(z->order);
    free(z->used);
    memset(z, 0, sizeof *z);
}
