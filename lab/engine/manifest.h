/* manifest.h - a cache entry's file list, CACHE/manifests/KEY: one line
 * per directory (parents first), then one per file in archive order:
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

/* Parses len bytes of buf (malloc'd; the manifest owns it from now on,
 * also on failure). -1 with the reason in err ("malformed line N (why)"). */
int manifest_parse(char *buf, size_t len, struct manifest *m, char *err, size_t errlen);

void manifest_free(struct manifest *m);

#endif
