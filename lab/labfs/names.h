/* names.h - labfs names: with casefold, names equal after Unicode case
 * folding are one name (case-preserving: the first spelling stays); with
 * normalize, names equal after NFC normalization are one name. */
#ifndef LABFS_NAMES_H
#define LABFS_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct names_cfg {
    bool casefold;
    bool normalize;
};

/* The key two equal names share (malloc'd). */
char *names_key(const struct names_cfg *cfg, const char *name);

/* Maps a labfs path ("/a/B/c") to its backing path under root: each
 * existing component is matched to its stored spelling. *exists says
 * whether the whole path exists. 0, or ENAMETOOLONG. */
int names_resolve(const struct names_cfg *cfg, const char *root, const char *path, char *out,
                  size_t outlen, bool *exists);

#endif
