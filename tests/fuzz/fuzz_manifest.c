/* fuzz_manifest.c - libFuzzer target: the cache manifest. Any bytes given
 * to manifest_parse either fail cleanly or give items whose every name
 * passes entryname_check (a corrupt manifest names nothing outside its
 * entry); and the input read as a list of names round-trips: the names
 * entryname_check accepts, written by manifest_format and parsed back, come
 * back byte for byte, in order, with their modes and sizes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/entryname.h"
#include "engine/manifest.h"
#include "format/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_any(const uint8_t *data, size_t size)
{
    struct manifest m;
    char err[256];
    /* as read from the cache (header and digest), then the lines alone */
    char *whole = malloc(size + 1);
    memcpy(whole, data, size);
    whole[size] = '\0';
    if (manifest_parse(whole, size, &m, err, sizeof err) == 0)
        manifest_free(&m);
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';
    if (manifest_parse_body(buf, size, &m, err, sizeof err) == 0) {
        for (size_t i = 0; i < m.n; i++)
            if (entryname_check(m.items[i].path))
                abort();
        manifest_free(&m);
    }
}

static void round_trip(const uint8_t *data, size_t size)
{
    /* names separated by NUL bytes; each kept when it is a valid file name
     * and no other kept name is a parent of it or equal to it */
    struct pkg_entry e[64];
    size_t n = 0;
    const uint8_t *p = data, *end = data + size;
    while (p < end && n < 64) {
        const uint8_t *z = memchr(p, 0, (size_t)(end - p));
        size_t len = z ? (size_t)(z - p) : (size_t)(end - p);
        char *name = strndup((const char *)p, len);
        p += len + 1;
        bool ok = !entryname_check(name);
        for (size_t i = 0; ok && i < n; i++) {
            size_t l = strlen(e[i].name);
            size_t k = strlen(name);
            ok = strcmp(e[i].name, name) != 0 &&
                 !(l < k && strncmp(e[i].name, name, l) == 0 && name[l] == '/') &&
                 !(k < l && strncmp(name, e[i].name, k) == 0 && e[i].name[k] == '/');
        }
        if (!ok) {
            free(name);
            continue;
        }
        e[n] = (struct pkg_entry){.name = name, .is_dir = 0, .mode = (n % 2) ? 0755u : 0644u,
                                  .size = (long long)(len * 7)};
        n++;
    }
    struct package pkg = {.entries = e, .n = n};
    size_t len;
    char *text = manifest_format(&pkg, &len);
    struct manifest m;
    char err[256];
    if (manifest_parse(text, len, &m, err, sizeof err) != 0)
        abort(); /* what manifest_format wrote must parse */
    if (m.n - m.ndirs != n)
        abort();
    for (size_t i = 0; i < n; i++) {
        const struct manifest_item *it = &m.items[m.ndirs + i];
        if (strcmp(it->path, e[i].name) != 0 || it->mode != e[i].mode || it->size != e[i].size)
            abort();
    }
    manifest_free(&m);
    for (size_t i = 0; i < n; i++)
        free(e[i].name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_any(data, size);
    round_trip(data, size);
    return 0;
}
