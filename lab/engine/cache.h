/* cache.h - the unpacked-wheel cache.
 *
 *   CACHE/wheels/KEY/      the unpacked tree that installs place files from
 *   CACHE/manifests/KEY    its file list (type, mode, size, path), one line each
 *   CACHE/index/ID         wheel identity (device, inode, size, mtime, ctime) -> KEY
 *   CACHE/tmp/             unpacks in progress, renamed into wheels/ when complete
 *
 * KEY is "NAME-VERSION-" plus 16 hex digits of the SHA-256 of the wheel's
 * RECORD, so a different wheel with the same name and version never reuses
 * an entry. A warm lookup stats the wheel and reads one index file; it
 * never opens the wheel. */
#ifndef LAB_CACHE_H
#define LAB_CACHE_H

#include <stddef.h>

#include "engine/manifest.h"

struct cache {
    char *root; /* absolute */
    int fd;
};

int cache_open(const char *root, struct cache *c, char *err, size_t errlen);
void cache_close(struct cache *c);

enum cache_result { CACHE_HIT = 0, CACHE_UNPACKED = 1, CACHE_ERROR = -1 };

/* Makes sure the wheel is unpacked in the cache; *key receives its key
 * (malloc'd). Warnings about the wheel (names that differ only by case)
 * are printed when it is unpacked. On error, err says why. */
enum cache_result cache_ensure(struct cache *c, const char *wheel, char **key, char *err, size_t errlen);

/* Absolute path of an entry's tree. */
char *cache_entry_path(const struct cache *c, const char *key);

int cache_manifest_load(const struct cache *c, const char *key, struct manifest *m, char *err,
                        size_t errlen);

#endif
