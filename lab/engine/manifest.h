/* manifest.h - a cache entry's file list, CACHE/manifests/KEY: a header
 * line "#linklab-manifest 2 sha256=HEX" (HEX: the SHA-256 of the lines
 * after it), then one line per directory (parents first), then one per
 * file in archive order:
 *
 *   T MODE SIZE NAME\n     T is d or f, MODE octal (0644 or 0755), SIZE
 *                          decimal, one space between fields
 *
 * NAME is the rest of the line, byte for byte as the package has it (it may
 * start with a space; names hold no control characters, so no newline). A
 * manifest read back is checked line by line as the package's names were
 * (entryname_check): a corrupt one names nothing outside its entry. */
#ifndef LAB_MANIFEST_H
#define LAB_MANIFEST_H

#include <stddef.h>

struct package;

struct manifest_item {
    const char *path; /* points into the manifest's buffer */
    unsigned mode;
    long long size;
    int is_dir;
};

struct manifest {
    struct manifest_item *items; /* directories first (parents before children), then files */
    size_t n;
    size_t ndirs;
    long long bytes;
    char *buf;
};

/* The manifest text of a scanned package (malloc'd, *len bytes). */
char *manifest_format(const struct package *w, size_t *len);

#define MANIFEST_MAGIC "#linklab-manifest 2 sha256="

/* Parses len bytes of buf (malloc'd, NUL-terminated at len; the manifest
 * owns it from now on, also on failure): the header and its digest, then
 * the lines. -1 with the reason in err ("malformed line N (why)"). */
int manifest_parse(char *buf, size_t len, struct manifest *m, char *err, size_t errlen);
/* The lines alone, without a header (for tests and the fuzzer). */
int manifest_parse_body(char *buf, size_t len, struct manifest *m, char *err, size_t errlen);

void manifest_free(struct manifest *m);

#endif
