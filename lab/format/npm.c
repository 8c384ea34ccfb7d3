/* npm.c - the npm format (format.h): a registry tarball, a gzip'd tar
 * whose entries sit under one top directory (package/, or any other: npm
 * unpacks with each entry's first component stripped, whatever it is),
 * read with libarchive. npm installers expose a package at
 * node_modules/NAME/ (npm and bun as a directory, pnpm as a symlink into
 * node_modules/.pnpm/), so each file is promised there and every installer
 * is checked the same way (the observer stats through symlinks). npm has
 * no per-file hashes: a file promises the bytes the tarball holds, hashed
 * here while scanning (sha256 in RECORD's encoding, as the observer hashes
 * the target). linklab never installs these: extract refuses, so the
 * cache never takes one. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/digest.h"
#include "common/entryname.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "format/format.h"

/* Gzip bomb guard: the entries' data may add up to at most NPM_MAX_RATIO
 * times the tarball's size plus NPM_RATIO_SLACK (as for wheels). */
#define NPM_MAX_RATIO 200LL
#define NPM_RATIO_SLACK (16LL << 20)
/* Largest package.json read into memory. */
#define NPM_MAX_PACKAGE_JSON (16u << 20)
/* A sha256 in RECORD's encoding (43 characters) and its NUL. */
#define NPM_HASH_LEN 48

struct named {
    const char *name;
    size_t i;
};

struct npm_pkg {
    struct pkg_entry *entries; /* in archive order, named node_modules/NAME/REST once scanned */
    char (*hashes)[NPM_HASH_LEN]; /* each file's sha256 ("" for a directory) */
    size_t n;
    struct named *byname;      /* the entries sorted by name, for promise() */
    struct strbuf package_json; /* the top package.json's bytes */
    char *stem, *key;
};

/* What scanning one tarball keeps beside the entries. */
struct scan {
    struct archive *a;
    long long archive_size, total;
    char *err;
    size_t errlen;
};

static int cmp_named(const void *a, const void *b)
{
    const struct named *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* The entries sorted by name, then by their place in the tarball. */
static struct named *sorted_names(const struct npm_pkg *np)
{
    struct named *s = xmalloc((np->n ? np->n : 1) * sizeof *s);
    for (size_t i = 0; i < np->n; i++)
        s[i] = (struct named){np->entries[i].name, i};
    sort_items(s, np->n, sizeof *s, cmp_named);
    return s;
}

static const struct named *find_name(const struct named *s, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first of the name's run */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && strcmp(s[lo].name, name) == 0 ? &s[lo] : NULL;
}

/* Reads the current entry's data: its size and sha256, and its bytes
 * into keep (package.json) when keep is not NULL. */
static int read_data(struct scan *s, const char *raw, struct strbuf *keep, long long *size,
                     char hash[NPM_HASH_LEN])
{
    struct digest *d = digest_new("sha256");
    char buf[1 << 16];
    la_ssize_t r;
    int rc = 0;
    *size = 0;
    while (rc == 0 && (r = archive_read_data(s->a, buf, sizeof buf)) > 0) {
        *size += r;
        s->total += r;
        if (s->total > NPM_MAX_RATIO * s->archive_size + NPM_RATIO_SLACK) {
            char *shown = entryname_escape(raw);
            snprintf(s->err, s->errlen, "entry %s: the data adds up to more than %lld times the "
                     "tarball's %lld bytes (gzip bomb guard)", shown, NPM_MAX_RATIO, s->archive_size);
            free(shown);
            rc = -1;
        } else if (keep && keep->len + (size_t)r > NPM_MAX_PACKAGE_JSON) {
            snprintf(s->err, s->errlen, "package.json: larger than %u bytes", NPM_MAX_PACKAGE_JSON);
            rc = -1;
        } else {
            if (keep)
                strbuf_add(keep, buf, (size_t)r);
            digest_update(d, buf, (size_t)r);
        }
    }
    if (rc == 0 && r < 0) {
        char *shown = entryname_escape(raw);
        snprintf(s->err, s->errlen, "entry %s: %s", shown, archive_error_string(s->a));
        free(shown);
        rc = -1;
    }
    digest_final_b64(d, hash, NPM_HASH_LEN);
    digest_free(d);
    return rc;
}

/* One tar entry: checked, then kept under its name without the first
 * component (an entry without one, the top directory itself or a file
 * beside it, is not installed by npm and is skipped). */
static int read_entry(struct scan *s, struct npm_pkg *np, size_t *cap, struct archive_entry *e)
{
    const char *raw = archive_entry_pathname(e);
    char *name = xstrdup(raw);
    size_t len = strlen(name);
    bool is_dir = archive_entry_filetype(e) == AE_IFDIR;
    if (len > 1 && name[len - 1] == '/') {
        name[len - 1] = '\0';
        is_dir = true;
    }
    const char *why = format_entry_type_problem(e);
    if (!why)
        why = entryname_check(name);
    if (why) {
        char *shown = entryname_escape(raw);
        snprintf(s->err, s->errlen, "entry %s: %s", shown, why);
        free(shown);
        free(name);
        return -1;
    }
    const char *slash = strchr(name, '/');
    if (!slash) {
        free(name);
        return 0;
    }
    const char *rest = slash + 1;
    if (np->n == *cap) {
        *cap *= 2;
        np->entries = xrealloc(np->entries, *cap * sizeof *np->entries);
        np->hashes = xrealloc(np->hashes, *cap * sizeof *np->hashes);
    }
    struct pkg_entry *pe = &np->entries[np->n];
    *pe = (struct pkg_entry){.name = xstrdup(rest), .is_dir = is_dir, .mode = 0755u};
    np->hashes[np->n][0] = '\0';
    np->n++;
    free(name);
    if (is_dir)
        return 0;
    pe->mode = (archive_entry_perm(e) & 0111) ? 0755u : 0644u;
    /* the top package.json: a repeated one is read again, the last wins */
    struct strbuf *keep = NULL;
    if (strcmp(pe->name, "package.json") == 0) {
        strbuf_release(&np->package_json);
        keep = &np->package_json;
    }
    return read_data(s, raw, keep, &pe->size, np->hashes[np->n - 1]);
}

/* A name the tarball repeats: the last one wins, as tar extraction does. A
 * file and a directory of one name, or a file that is another entry's
 * parent, are errors: no extraction holds both. */
static int settle_names(struct npm_pkg *np, char *err, size_t errlen)
{
    struct named *s = sorted_names(np);
    bool *drop = xcalloc(np->n ? np->n : 1, sizeof *drop);
    int rc = 0;
    for (size_t k = 1; k < np->n && rc == 0; k++) {
        if (strcmp(s[k - 1].name, s[k].name) != 0)
            continue;
        if (np->entries[s[k - 1].i].is_dir != np->entries[s[k].i].is_dir) {
            snprintf(err, errlen, "entry %s: both a file and a directory", s[k].name);
            rc = -1;
        }
        drop[s[k - 1].i] = true;
    }
    for (size_t i = 0; i < np->n && rc == 0; i++) {
        char *copy = xstrdup(np->entries[i].name);
        for (char *slash = strchr(copy, '/'); slash && rc == 0; slash = strchr(slash + 1, '/')) {
            *slash = '\0';
            const struct named *f = find_name(s, np->n, copy);
            if (f && !np->entries[f->i].is_dir) {
                snprintf(err, errlen, "entry %s: its parent %s is also a file entry",
                         np->entries[i].name, copy);
                rc = -1;
            }
            *slash = '/';
        }
        free(copy);
    }
    size_t m = 0;
    for (size_t i = 0; i < np->n; i++) {
        if (drop[i]) {
            free(np->entries[i].name);
            continue;
        }
        np->entries[m] = np->entries[i];
        memcpy(np->hashes[m++], np->hashes[i], NPM_HASH_LEN);
    }
    np->n = m;
    free(drop);
    free(s);
    return rc;
}

/* A name npm installs at node_modules/NAME: one component, or two when the
 * first is a scope ("@scope/name"); none empty, '.' or '..', and none
 * hidden (.bin, .pnpm are the installers' own). */
static bool package_name_ok(const char *name, size_t len)
{
    if (strlen(name) != len || entryname_check(name))
        return false;
    const char *slash = strchr(name, '/');
    if (name[0] == '@' ? !slash || slash == name + 1 || strchr(slash + 1, '/') : slash != NULL)
        return false;
    return (slash ? slash[1] : name[0]) != '.';
}

/* A version as the registry has them (semver: digits, letters, '.', '-',
 * '+'): it names the cache entry, so nothing else. */
static bool version_ok(const char *v, size_t len)
{
    if (len == 0 || strlen(v) != len || len > 256)
        return false;
    return strspn(v, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-+") == len;
}

/* npm, pnpm and bun make the files package.json names as bins executable
 * when they link them: those are promised 0755, whatever the tarball says. */
static void mark_bin(struct npm_pkg *np, const json_t *target)
{
    const char *path = json_string_value(target);
    while (path && strncmp(path, "./", 2) == 0)
        path += 2;
    for (size_t i = 0; path && i < np->n; i++)
        if (!np->entries[i].is_dir && strcmp(np->entries[i].name, path) == 0)
            np->entries[i].mode = 0755u;
}

/* package.json's name (checked) into *name, the stem, and the bins' modes. */
static int read_package_json(struct npm_pkg *np, char **name, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(strbuf_str(&np->package_json), np->package_json.len, 0, &je);
    if (!json_is_object(root)) {
        if (root)
            snprintf(err, errlen, "package.json: not a JSON object");
        else
            snprintf(err, errlen, "package.json: not JSON: %s (line %d)", je.text, je.line);
        json_decref(root);
        return -1;
    }
    json_t *jn = json_object_get(root, "name"), *jv = json_object_get(root, "version");
    int rc = -1;
    if (!json_is_string(jn)) {
        snprintf(err, errlen, "package.json: no \"name\" string");
    } else if (!package_name_ok(json_string_value(jn), json_string_length(jn))) {
        char *shown = entryname_escape(json_string_value(jn));
        snprintf(err, errlen, "package.json: name '%s' is not a package name", shown);
        free(shown);
    } else if (!json_is_string(jv)) {
        snprintf(err, errlen, "package.json: no \"version\" string");
    } else if (!version_ok(json_string_value(jv), json_string_length(jv))) {
        char *shown = entryname_escape(json_string_value(jv));
        snprintf(err, errlen, "package.json: version '%s' is not a version", shown);
        free(shown);
    } else {
        *name = xstrdup(json_string_value(jn));
        np->stem = xasprintf("%s-%s", *name, json_string_value(jv));
        char *slash = strchr(np->stem, '/'); /* "@scope/name": one component */
        if (slash)
            *slash = '+';
        json_t *bin = json_object_get(root, "bin"), *v;
        const char *k;
        if (json_is_string(bin))
            mark_bin(np, bin);
        json_object_foreach(bin, k, v)
            mark_bin(np, v);
        rc = 0;
    }
    json_decref(root);
    return rc;
}

/* Every entry under node_modules/NAME/, where npm installers place it. */
static int place_entries(struct npm_pkg *np, const char *name, char *err, size_t errlen)
{
    for (size_t i = 0; i < np->n; i++) {
        struct pkg_entry *pe = &np->entries[i];
        char *full = xasprintf("node_modules/%s/%s", name, pe->name);
        free(pe->name);
        pe->name = full;
        const char *why = entryname_check(full);
        if (why) {
            char *shown = entryname_escape(full);
            snprintf(err, errlen, "entry %s: %s", shown, why);
            free(shown);
            return -1;
        }
    }
    return 0;
}

/* The cache key: every entry's type, mode, size, hash and name. */
static char *listing(const struct npm_pkg *np)
{
    struct strbuf key = STRBUF_INIT;
    for (size_t i = 0; i < np->n; i++) {
        const struct pkg_entry *pe = &np->entries[i];
        strbuf_addf(&key, "%c %o %lld %s %s\n", pe->is_dir ? 'd' : 'f', pe->mode, pe->size,
                    np->hashes[i], pe->name);
    }
    return strbuf_detach(&key);
}

static int npm_scan(const char *path, struct package *p, char *err, size_t errlen)
{
    struct npm_pkg *np = xcalloc(1, sizeof *np);
    p->own = np;
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "not a regular file");
        return -1;
    }
    struct scan s = {.a = archive_read_new(), .archive_size = st.st_size, .err = err, .errlen = errlen};
    archive_read_support_filter_gzip(s.a);
    archive_read_support_format_tar(s.a);
    if (archive_read_open_filename(s.a, path, 1 << 16) != ARCHIVE_OK) {
        snprintf(err, errlen, "not a readable tarball: %s", archive_error_string(s.a));
        archive_read_free(s.a);
        return -1;
    }
    size_t cap = 64, seen = 0;
    np->entries = xmalloc(cap * sizeof *np->entries);
    np->hashes = xmalloc(cap * sizeof *np->hashes);
    struct archive_entry *e;
    char *name = NULL;
    int r, rc = -1;
    while ((r = archive_read_next_header(s.a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        const char *raw = archive_entry_pathname(e);
        seen++;
        if (!raw) {
            snprintf(err, errlen, "entry #%zu: name cannot be read: %s", seen,
                     archive_error_string(s.a) ? archive_error_string(s.a) : "unknown encoding");
            goto out;
        }
        if (r == ARCHIVE_WARN) {
            char *shown = entryname_escape(raw);
            snprintf(err, errlen, "entry %s: %s", shown, archive_error_string(s.a));
            free(shown);
            goto out;
        }
        if (read_entry(&s, np, &cap, e) != 0)
            goto out;
    }
    if (r != ARCHIVE_EOF) {
        if (seen == 0)
            snprintf(err, errlen, "not a readable tarball: %s", archive_error_string(s.a));
        else
            snprintf(err, errlen, "after entry #%zu: %s", seen, archive_error_string(s.a));
        goto out;
    }
    bool have_json = false;
    for (size_t i = 0; i < np->n && !have_json; i++)
        have_json = !np->entries[i].is_dir && strcmp(np->entries[i].name, "package.json") == 0;
    if (!have_json) {
        snprintf(err, errlen, "no package.json at the top of the tarball (package/package.json)");
        goto out;
    }
    if (read_package_json(np, &name, err, errlen) != 0 || place_entries(np, name, err, errlen) != 0 ||
        settle_names(np, err, errlen) != 0)
        goto out;
    np->key = listing(np);
    np->byname = sorted_names(np);
    p->entries = np->entries;
    p->n = np->n;
    p->stem = np->stem;
    p->key_data = np->key;
    p->key_len = strlen(np->key);
    rc = 0;
out:
    free(name);
    archive_read_free(s.a);
    return rc;
}

static int npm_extract(const struct package *p, int dirfd, char *err, size_t errlen)
{
    (void)p;
    (void)dirfd;
    snprintf(err, errlen, "npm packages are installed by npm installers (pnpm, bun), not by linklab install");
    return -1;
}

static void npm_promise(const struct package *p, const char *name, const char **algo, const char **hash)
{
    const struct npm_pkg *np = p->own;
    const struct named *f = find_name(np->byname, np->n, name);
    bool file = f && !np->entries[f->i].is_dir;
    *algo = file ? "sha256" : NULL;
    *hash = file ? np->hashes[f->i] : NULL;
}

/* node_modules/.bin/ in any node_modules directory: the links to the bins
 * of a package's dependencies, which npm, pnpm and bun make there */
static bool npm_installer_added(const char *rel)
{
    for (const char *p = rel; (p = strstr(p, "node_modules/.bin/")) != NULL; p++)
        if (p == rel || p[-1] == '/')
            return true;
    return false;
}

/* node_modules/NAME, with NAME one component or a scope and one more */
static size_t npm_top_len(const char *name, bool is_dir)
{
    const size_t nm = strlen("node_modules/");
    if (strncmp(name, "node_modules/", nm) != 0)
        return 0;
    const char *slash = strchr(name + nm, '/');
    if (slash && name[nm] == '@')
        slash = strchr(slash + 1, '/');
    return slash ? (size_t)(slash - name) : is_dir ? strlen(name) : 0;
}

static void npm_release(struct package *p)
{
    struct npm_pkg *np = p->own;
    if (!np)
        return;
    for (size_t i = 0; i < np->n; i++)
        free(np->entries[i].name);
    free(np->entries);
    free(np->hashes);
    free(np->byname);
    strbuf_release(&np->package_json);
    free(np->stem);
    free(np->key);
    free(np);
    p->own = NULL;
}

const struct format format_npm = {
    .name = "npm",
    .suffix = ".tgz",
    .noun = "package",
    .listing = "the tarball",
    .scan = npm_scan,
    .extract = npm_extract,
    .promise = npm_promise,
    .installer_added = npm_installer_added,
    .top_len = npm_top_len,
    .release = npm_release,
};
