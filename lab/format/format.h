/* format.h - a package format, behind a small vtable (in the spirit of
 * git's refs backends): how to read and validate a package file, unpack it,
 * which bytes it promises for each file, and which files installers add on
 * purpose. The cache (lab/engine/cache.c) and the observer
 * (lab/observe/completeness.c) see packages only through this interface.
 *
 * Formats: wheel (format/wheel.c) and npm (format/npm.c: a registry
 * tarball, promised at node_modules/NAME/ as npm installers place it; its
 * files promise the bytes the tarball holds, npm having no per-file
 * hashes; linklab reads it for the observer and never installs it). A new
 * format is a file that defines a `const struct format` and one row in
 * format.c's table. */
#ifndef LAB_FORMAT_H
#define LAB_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

/* One entry of a package, in archive order. */
struct pkg_entry {
    char *name;     /* relative, without a trailing '/' */
    int is_dir;
    unsigned mode;  /* 0644 or 0755 for files (the exec bit kept), 0755 for dirs */
    long long size; /* declared uncompressed size */
};

struct format;

/* A scanned (validated) package file. */
struct package {
    const struct format *format;
    const char *path;
    const struct pkg_entry *entries; /* the format's own array, in archive order */
    size_t n;
    const char *stem;     /* "name-version": what the cache entry's name starts with */
    const void *key_data; /* the bytes whose digest ends the cache entry's name */
    size_t key_len;
    void *own;            /* the format's own data */
};

struct format {
    const char *name;   /* "wheel" */
    const char *suffix; /* ".whl": how format_for() recognises a file */
    /* How findings name a package of this format and what promises its
     * files' bytes: "wheel" and "RECORD" ("mode 644, the wheel has 755",
     * "12 bytes, RECORD says 40"). */
    const char *noun;
    const char *listing;
    /* Reads and validates the package at path without writing anything.
     * -1 with the reason in err ("entry NAME: why"); release() cleans up
     * either way. */
    int (*scan)(const char *path, struct package *p, char *err, size_t errlen);
    /* Writes every entry under dirfd (empty), checking what it promised.
     * -1 with a reason in err; the caller removes what was written. */
    int (*extract)(const struct package *p, int dirfd, char *err, size_t errlen);
    /* What the package promises for the file name: a digest (algo, hash in
     * the format's encoding), or NULL, NULL when it promises no bytes (a
     * wheel's RECORD itself, which installers rewrite). */
    void (*promise)(const struct package *p, const char *name, const char **algo, const char **hash);
    /* Files an installer adds to the package's directories on purpose,
     * which the observer counts apart from unexpected extra files. */
    bool (*installer_added)(const char *rel);
    /* The length of the package's top-level directory that the entry
     * name is in (the name itself for that directory), 0 when it is in
     * none (a file at the top): unpromised files in these directories are
     * extra. NULL: the name's first component. */
    size_t (*top_len)(const char *name, bool is_dir);
    /* Files an installer rewrites on purpose (a wheel's RECORD, to which
     * it adds its own rows): whether rel is one, and whether the installed
     * file is such a rewrite of the cached one (it keeps what the cached
     * one says), not damage. */
    bool (*installer_rewrites)(const char *rel);
    bool (*rewrite_keeps)(const char *installed, const char *cached);
    void (*release)(struct package *p);
};

/* The format of a package file, by its name; files no format claims are
 * read as wheels (whose scan then says what is wrong with them). */
const struct format *format_for(const char *path);
/* Whether any format counts rel as added by an installer. */
bool format_installer_added(const char *rel);
/* Whether any format counts rel as rewritten by installers. */
bool format_installer_rewrites(const char *rel);
/* Whether installed is an installer's rewrite of cached (both named rel)
 * that keeps everything cached says. */
bool format_rewrite_keeps(const char *rel, const char *installed, const char *cached);

/* Why a libarchive entry may not be in a package (a symlink, hardlink,
 * device or special file: "symlink entry"), or NULL for a file or
 * directory. */
struct archive_entry;
const char *format_entry_type_problem(struct archive_entry *e);

/* The length of the top-level directory entry name is in (format.h's
 * top_len, or the first component), 0 for none. */
size_t package_top_len(const struct package *p, const char *name, bool is_dir);

/* format_for(path)->scan, and its release */
int package_scan(const char *path, struct package *p, char *err, size_t errlen);
void package_free(struct package *p);

#endif
