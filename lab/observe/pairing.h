/* pairing.h - finding the source (cache) file of each installed file:
 * by relative path under the source or under one of its wheel directories
 * (DIR/NAME/..., DIR/wheels/NAME/...), else by content (size, then SHA-256). */
#ifndef LAB_PAIRING_H
#define LAB_PAIRING_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct src_file {
    char *abs;
    long long size;
    dev_t dev;
    ino_t ino;
    char *hash; /* sha256, urlsafe base64; computed on demand */
};

struct src_key {
    const char *key; /* a relative path the file answers to */
    size_t file;
};

struct src_index {
    char *root; /* the source directory, resolved */
    struct src_file *files;
    size_t n;
    struct src_key *keys; /* sorted by key */
    size_t nkeys;
    struct src_size {
        long long size;
        size_t file;
    } *by_size; /* sorted by size */
    struct src_inode {
        dev_t dev;
        ino_t ino;
        size_t file;
    } *by_inode; /* sorted by (dev, ino) */
    struct src_inode *dirs; /* the source's directories, sorted by (dev, ino); file unused */
    size_t ndirs;
};

/* Walks the source tree under root (a resolved path, taken over). 0, or -1 with err. */
int src_index_build(char *root, struct src_index *ix, char *err, size_t errlen);
void src_index_free(struct src_index *ix);

/* Files whose relative path is rel: *first is the index into ix->keys. */
size_t src_index_by_path(const struct src_index *ix, const char *rel, size_t *first);
/* Files of this size: *first is the index into ix->by_size. */
size_t src_index_by_size(const struct src_index *ix, long long size, size_t *first);
/* The source file with this device and inode, or NULL. */
struct src_file *src_index_by_inode(const struct src_index *ix, dev_t dev, ino_t ino);
/* Whether a directory with this device and inode is one of the source's. */
bool src_index_has_dir(const struct src_index *ix, dev_t dev, ino_t ino);
/* The file's sha256 (computed once); NULL when it cannot be read. */
const char *src_file_hash(struct src_file *f);

#endif
