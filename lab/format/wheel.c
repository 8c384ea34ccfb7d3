#include "format/wheel.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/entryname.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "format/zipnames.h"

static struct archive *open_zip(const char *path, char *err, size_t errlen)
{
    struct archive *a = archive_read_new();
    archive_read_support_format_zip_seekable(a);
    if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
        snprintf(err, errlen, "not a readable zip: %s", archive_error_string(a));
        archive_read_free(a);
        return NULL;
    }
    return a;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct folded {
    char *key;
    const char *name;
};

static int cmp_folded(const void *a, const void *b)
{
    int c = strcmp(((const struct folded *)a)->key, ((const struct folded *)b)->key);
    return c ? c : strcmp(((const struct folded *)a)->name, ((const struct folded *)b)->name);
}

/* Duplicates, a file used as a directory, and names equal but for case or
 * normalization: all errors. */
static int check_names(struct wheel_info *w, char *err, size_t errlen)
{
    char **names = xmalloc(w->n * sizeof *names);
    char **files = xmalloc(w->n * sizeof *files);
    size_t nfiles = 0;
    for (size_t i = 0; i < w->n; i++) {
        names[i] = w->entries[i].name;
        if (!w->entries[i].is_dir)
            files[nfiles++] = w->entries[i].name;
    }
    sort_items(names, w->n, sizeof *names, cmp_str);
    sort_items(files, nfiles, sizeof *files, cmp_str);
    int rc = 0;
    for (size_t i = 1; i < w->n && rc == 0; i++) {
        if (strcmp(names[i - 1], names[i]) == 0) {
            snprintf(err, errlen, "entry %s: duplicate name", names[i]);
            rc = -1;
        }
    }
    for (size_t i = 0; i < w->n && rc == 0; i++) {
        char *copy = xstrdup(w->entries[i].name);
        for (char *slash = strchr(copy, '/'); slash && rc == 0; slash = strchr(slash + 1, '/')) {
            *slash = '\0';
            if (bsearch(&copy, files, nfiles, sizeof *files, cmp_str)) {
                snprintf(err, errlen, "entry %s: its parent %s is also a file entry",
                         w->entries[i].name, copy);
                rc = -1;
            }
            *slash = '/';
        }
        free(copy);
    }
    if (rc == 0) {
        struct folded *f = xmalloc(w->n * sizeof *f);
        for (size_t i = 0; i < w->n; i++) {
            f[i].key = entryname_fold(w->entries[i].name);
            f[i].name = w->entries[i].name;
        }
        sort_items(f, w->n, sizeof *f, cmp_folded);
        for (size_t i = 1; i < w->n && rc == 0; i++) {
            if (strcmp(f[i - 1].key, f[i].key) == 0) {
                snprintf(err, errlen, "entry %s: differs from entry %s only by case or Unicode "
                         "normalization (one file on case-insensitive filesystems)", f[i].name,
                         f[i - 1].name);
                rc = -1;
            }
        }
        for (size_t i = 0; i < w->n; i++)
            free(f[i].key);
        free(f);
    }
    free(names);
    free(files);
    return rc;
}

/* "x.dist-info/RECORD" with exactly one slash. */
static int is_record_name(const char *name)
{
    const char *slash = strchr(name, '/');
    if (!slash || strcmp(slash, "/RECORD") != 0)
        return 0;
    size_t dlen = (size_t)(slash - name);
    return dlen > 10 && memcmp(slash - 10, ".dist-info", 10) == 0;
}

/* "x.dist-info/RECORD.jws" or ".p7s": signatures RECORD need not list */
static int is_record_signature(const char *name)
{
    size_t n = strlen(name);
    if (n < 4 || (strcmp(name + n - 4, ".jws") != 0 && strcmp(name + n - 4, ".p7s") != 0))
        return 0;
    char *base = xstrndup(name, n - 4);
    int yes = is_record_name(base);
    free(base);
    return yes;
}

/* The bytes of a signature file, for the cache key (RECORD has no hash of
 * them): appended to sigs as NAME, NUL, size, NUL, data. */
static int read_signature(struct archive *a, struct strbuf *sigs, const char *name, long long size,
                          char *err, size_t errlen)
{
    if (size > (1 << 20)) {
        snprintf(err, errlen, "entry %s: a signature file larger than 1 MiB", name);
        return -1;
    }
    strbuf_addf(sigs, "%s%c%lld%c", name, '\0', size, '\0');
    char buf[1 << 14];
    la_ssize_t r;
    while ((r = archive_read_data(a, buf, sizeof buf)) > 0)
        strbuf_add(sigs, buf, (size_t)r);
    if (r < 0) {
        snprintf(err, errlen, "entry %s: %s", name, archive_error_string(a));
        return -1;
    }
    return 0;
}

static int read_record_data(struct archive *a, struct wheel_info *w, const char *name, char *err,
                            size_t errlen)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap >= WHEEL_MAX_RECORD) {
                snprintf(err, errlen, "entry %s: RECORD larger than %u bytes", name,
                         WHEEL_MAX_RECORD);
                free(buf);
                return -1;
            }
            buf = xrealloc(buf, cap *= 2);
        }
        la_ssize_t r = archive_read_data(a, buf + n, cap - n);
        if (r < 0) {
            snprintf(err, errlen, "entry %s: %s", name, archive_error_string(a));
            free(buf);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    w->record_text = buf;
    w->record_len = n;
    return 0;
}

static int check_against_record(struct wheel_info *w, char *err, size_t errlen)
{
    char why[512];
    if (record_parse(w->record_text, w->record_len, &w->record, why, sizeof why) != 0) {
        snprintf(err, errlen, "entry %s: %s", w->record_path, why);
        return -1;
    }
    size_t files = 0;
    for (size_t i = 0; i < w->n; i++) {
        const struct pkg_entry *e = &w->entries[i];
        if (e->is_dir)
            continue;
        files++;
        const struct record_row *row = record_find(&w->record, e->name);
        if (!row) {
            if (record_is_self(e->name, w->record_path) && strcmp(e->name, w->record_path) != 0)
                continue; /* RECORD.jws / RECORD.p7s may be unlisted */
            snprintf(err, errlen, "entry %s: not listed in RECORD", e->name);
            return -1;
        }
        if (!row->algo && !record_is_self(e->name, w->record_path)) {
            snprintf(err, errlen, "entry %s: RECORD gives no hash for it", e->name);
            return -1;
        }
        if (row->algo) {
            struct digest *d = digest_new(row->algo);
            if (!d) {
                snprintf(err, errlen, "entry %s: RECORD hash algorithm %s is not accepted "
                         "(sha256, sha384, sha512)", e->name, row->algo);
                return -1;
            }
            digest_free(d);
        }
        if (row->size >= 0 && row->size != e->size) {
            snprintf(err, errlen, "entry %s: size %lld in the zip, %lld in RECORD", e->name,
                     e->size, row->size);
            return -1;
        }
    }
    /* every RECORD row must name a file of the wheel (also when a signature
     * file that RECORD need not list makes the counts look even) */
    char **names = xmalloc((files ? files : 1) * sizeof *names);
    size_t nn = 0;
    for (size_t i = 0; i < w->n; i++)
        if (!w->entries[i].is_dir)
            names[nn++] = w->entries[i].name;
    sort_items(names, nn, sizeof *names, cmp_str);
    for (size_t r = 0; r < w->record.n; r++) {
        const char *key = w->record.rows[r].path;
        if (!bsearch(&key, names, nn, sizeof *names, cmp_str)) {
            snprintf(err, errlen, "entry %s: listed in RECORD but missing from the wheel", key);
            free(names);
            return -1;
        }
    }
    free(names);
    return 0;
}

int wheel_scan(const char *path, struct wheel_info *w, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->path = xstrdup(path);
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "not a regular file");
        return -1;
    }
    w->archive_size = st.st_size;
    struct archive *a = open_zip(path, err, errlen);
    if (!a)
        return -1;
    /* the names as the archive has them, byte for byte (zipnames.h) */
    struct zipnames zn;
    if (zipnames_read(path, &zn, err, errlen) != 0) {
        zipnames_free(&zn);
        archive_read_free(a);
        return -1;
    }
    size_t cap = 256;
    w->entries = xmalloc(cap * sizeof *w->entries);
    w->lib_names = xmalloc(cap * sizeof *w->lib_names);
    struct archive_entry *e;
    int r, rc = -1;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        const char *raw = archive_entry_pathname(e);
        if (!raw) {
            snprintf(err, errlen, "entry #%zu: name cannot be read: %s", w->n + 1,
                     archive_error_string(a) ? archive_error_string(a) : "unknown encoding");
            goto out;
        }
        if (r == ARCHIVE_WARN) {
            char *shown = entryname_escape(raw);
            snprintf(err, errlen, "entry %s: %s", shown, archive_error_string(a));
            free(shown);
            goto out;
        }
        char *lname = xstrdup(raw);
        size_t len = strlen(lname);
        int is_dir = archive_entry_filetype(e) == AE_IFDIR;
        if (len > 1 && lname[len - 1] == '/') {
            lname[len - 1] = '\0';
            is_dir = 1;
        }
        const char *stored = zipnames_claim(&zn, lname);
        if (!stored) {
            char *shown = entryname_escape(raw);
            snprintf(err, errlen, "entry %s: not a name the archive's central directory has "
                     "(an Info-ZIP Unicode Path field naming it otherwise?)", shown);
            free(shown);
            free(lname);
            goto out;
        }
        char *name = xstrdup(stored);
        len = strlen(name);
        if (len > 1 && name[len - 1] == '/')
            name[len - 1] = '\0';
        const char *why = format_entry_type_problem(e);
        if (!why)
            why = entryname_check(name);
        if (!why) {
            const char *base = strrchr(name, '/');
            if (entryname_temp_pid(base ? base + 1 : name) >= 0)
                why = "a name of the form linklab gives its temporary files (.NAME.lltmp.PID.N), "
                      "which an install would sweep";
        }
        if (why) {
            char *shown = entryname_escape(raw);
            snprintf(err, errlen, "entry %s: %s", shown, why);
            free(shown);
            free(name);
            free(lname);
            goto out;
        }
        long long size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
        if (!is_dir && size < 0) {
            snprintf(err, errlen, "entry %s: the zip does not declare its size", name);
            free(name);
            free(lname);
            goto out;
        }
        if (w->n == cap) {
            cap *= 2;
            w->entries = xrealloc(w->entries, cap * sizeof *w->entries);
            w->lib_names = xrealloc(w->lib_names, cap * sizeof *w->lib_names);
        }
        w->lib_names[w->n] = lname;
        w->entries[w->n++] = (struct pkg_entry){
            .name = name,
            .is_dir = is_dir,
            .mode = is_dir ? 0755u : ((archive_entry_perm(e) & 0111) ? 0755u : 0644u),
            .size = is_dir ? 0 : size,
        };
        if (!is_dir) {
            w->total_size += size;
            if (w->total_size > WHEEL_MAX_RATIO * w->archive_size + WHEEL_RATIO_SLACK) {
                snprintf(err, errlen,
                         "entry %s: declared sizes add up to more than %lld times the "
                         "archive's %lld bytes (zip bomb guard)",
                         name, WHEEL_MAX_RATIO, w->archive_size);
                goto out;
            }
        }
        if (!is_dir && is_record_name(name)) {
            if (w->record_path) {
                snprintf(err, errlen, "entry %s: a second .dist-info/RECORD (first: %s)", name,
                         w->record_path);
                goto out;
            }
            w->record_path = xstrdup(name);
            w->distinfo = xstrndup(name, strlen(name) - strlen("/RECORD"));
            if (read_record_data(a, w, name, err, errlen) != 0)
                goto out;
        }
        if (!is_dir && is_record_signature(name) && read_signature(a, &w->sigs, name, size, err, errlen) != 0)
            goto out;
    }
    if (r != ARCHIVE_EOF) {
        snprintf(err, errlen, "after entry %s: %s", w->n ? w->entries[w->n - 1].name : "(none)",
                 archive_error_string(a));
        goto out;
    }
    if (w->n == 0) {
        snprintf(err, errlen, "the archive has no entries");
        goto out;
    }
    if (w->n != zn.n) {
        snprintf(err, errlen, "the zip's central directory lists %zu entries, its reader found %zu",
                 zn.n, w->n);
        goto out;
    }
    if (!w->record_path) {
        snprintf(err, errlen, "no .dist-info/RECORD in the wheel");
        goto out;
    }
    if (check_names(w, err, errlen) != 0 || check_against_record(w, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    zipnames_free(&zn);
    archive_read_free(a);
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int extract_file(struct archive *a, const struct wheel_info *w, const struct pkg_entry *we,
                        int dirfd, char *buf, size_t bufsize, char *err, size_t errlen)
{
    const char *slash = strrchr(we->name, '/');
    if (slash) {
        char *parent = xstrndup(we->name, (size_t)(slash - we->name));
        int rc = mkdirat_p(dirfd, parent, 0755);
        int e = errno;
        free(parent);
        if (rc != 0) {
            snprintf(err, errlen, "entry %s: cannot create its directory: %s", we->name, strerror(e));
            return -1;
        }
    }
    int fd = openat(dirfd, we->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, we->mode);
    if (fd < 0) {
        snprintf(err, errlen, "entry %s: cannot create: %s", we->name, strerror(errno));
        return -1;
    }
    const struct record_row *row = record_find(&w->record, we->name);
    struct digest *d = (row && row->algo) ? digest_new(row->algo) : NULL;
    long long total = 0;
    int rc = 0;
    for (;;) {
        la_ssize_t r = archive_read_data(a, buf, bufsize);
        if (r < 0) {
            snprintf(err, errlen, "entry %s: %s", we->name, archive_error_string(a));
            rc = -1;
            break;
        }
        if (r == 0)
            break;
        total += r;
        if (total > we->size) {
            snprintf(err, errlen, "entry %s: more data than its declared size of %lld bytes",
                     we->name, we->size);
            rc = -1;
            break;
        }
        if (d)
            digest_update(d, buf, (size_t)r);
        if (write_all(fd, buf, (size_t)r) != 0) {
            snprintf(err, errlen, "entry %s: write failed: %s", we->name, strerror(errno));
            rc = -1;
            break;
        }
    }
    if (rc == 0 && total != we->size) {
        snprintf(err, errlen, "entry %s: %lld bytes of data, %lld declared", we->name, total,
                 we->size);
        rc = -1;
    }
    if (rc == 0 && d) {
        char got[128];
        digest_final_b64(d, got, sizeof got);
        if (strcmp(got, row->hash) != 0) {
            snprintf(err, errlen, "entry %s: %s mismatch: RECORD says %s, data has %s", we->name,
                     row->algo, row->hash, got);
            rc = -1;
        }
    }
    digest_free(d);
    if (close(fd) != 0 && rc == 0) {
        snprintf(err, errlen, "entry %s: write failed: %s", we->name, strerror(errno));
        rc = -1;
    }
    return rc;
}

int wheel_extract(const struct wheel_info *w, int dirfd, char *err, size_t errlen)
{
    struct archive *a = open_zip(w->path, err, errlen);
    if (!a)
        return -1;
    size_t bufsize = 1 << 17;
    char *buf = xmalloc(bufsize);
    struct archive_entry *e;
    size_t i = 0;
    int r, rc = 0;
    while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        if (i >= w->n) {
            snprintf(err, errlen, "the zip changed while it was read (more entries)");
            rc = -1;
            break;
        }
        const struct pkg_entry *we = &w->entries[i];
        const char *name = archive_entry_pathname(e);
        const char *lname = w->lib_names[i++];
        if (!name || strncmp(name, lname, strlen(lname)) != 0) {
            snprintf(err, errlen, "entry %s: the zip changed while it was read", we->name);
            rc = -1;
            break;
        }
        if (we->is_dir) {
            if (mkdirat_p(dirfd, we->name, 0755) != 0) {
                snprintf(err, errlen, "entry %s: cannot create directory: %s", we->name,
                         strerror(errno));
                rc = -1;
            }
            continue;
        }
        rc = extract_file(a, w, we, dirfd, buf, bufsize, err, errlen);
    }
    if (rc == 0 && r != ARCHIVE_EOF) {
        snprintf(err, errlen, "after entry %s: %s", i ? w->entries[i - 1].name : "(none)",
                 archive_error_string(a));
        rc = -1;
    }
    free(buf);
    archive_read_free(a);
    return rc;
}

void wheel_free(struct wheel_info *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->entries[i].name);
        free(w->lib_names[i]);
    }
    free(w->entries);
    free(w->lib_names);
    free(w->path);
    free(w->distinfo);
    free(w->record_path);
    free(w->record_text);
    strbuf_release(&w->sigs);
    record_free(&w->record);
    memset(w, 0, sizeof *w);
}

/* ------------------------------------------------- the format (format.h) */

struct wheel_pkg {
    struct wheel_info w;
    char *stem;
    char *key; /* what the cache key digests */
};

static int fmt_scan(const char *path, struct package *p, char *err, size_t errlen)
{
    struct wheel_pkg *wp = xcalloc(1, sizeof *wp);
    p->own = wp;
    if (wheel_scan(path, &wp->w, err, errlen) != 0)
        return -1;
    /* the cache key: name-version, then a digest of RECORD and of every
     * file's mode (RECORD has no modes: two wheels that differ only by an
     * exec bit must not share an entry) */
    wp->stem = xstrndup(wp->w.distinfo, strlen(wp->w.distinfo) - strlen(".dist-info"));
    struct strbuf key = STRBUF_INIT;
    strbuf_add(&key, wp->w.record_text, wp->w.record_len);
    strbuf_add(&key, "\0modes\n", 7);
    /* every entry with its type and mode (an empty directory is content
     * too), then the signature files' bytes, which RECORD does not hash */
    for (size_t i = 0; i < wp->w.n; i++)
        strbuf_addf(&key, "%c %o %s\n", wp->w.entries[i].is_dir ? 'd' : 'f', wp->w.entries[i].mode,
                    wp->w.entries[i].name);
    strbuf_add(&key, "\0signatures\n", 12);
    strbuf_add(&key, strbuf_str(&wp->w.sigs), wp->w.sigs.len);
    p->key_len = key.len;
    wp->key = strbuf_detach(&key);
    p->entries = wp->w.entries;
    p->n = wp->w.n;
    p->stem = wp->stem;
    p->key_data = wp->key;
    return 0;
}

static int fmt_extract(const struct package *p, int dirfd, char *err, size_t errlen)
{
    return wheel_extract(&((const struct wheel_pkg *)p->own)->w, dirfd, err, errlen);
}

static void fmt_promise(const struct package *p, const char *name, const char **algo, const char **hash)
{
    const struct record_row *row = record_find(&((const struct wheel_pkg *)p->own)->w.record, name);
    *algo = row && row->algo ? row->algo : NULL;
    *hash = row && row->hash ? row->hash : NULL;
}

/* what pip, uv and the like add to a wheel's directories: their marker
 * files in .dist-info and compiled bytecode */
static bool fmt_installer_added(const char *rel)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    if (strstr(rel, ".dist-info/") &&
        (strcmp(base, "INSTALLER") == 0 || strcmp(base, "REQUESTED") == 0 ||
         strcmp(base, "direct_url.json") == 0 || strcmp(base, "uv_cache.json") == 0))
        return true;
    size_t n = strlen(base);
    return strstr(rel, "__pycache__/") && n > 4 && strcmp(base + n - 4, ".pyc") == 0;
}

/* installers add their own rows to RECORD (INSTALLER, .pyc, scripts) */
static bool fmt_installer_rewrites(const char *rel)
{
    const char *base = strrchr(rel, '/');
    return base && strcmp(base, "/RECORD") == 0 && base - rel > 10 && strncmp(base - 10, ".dist-info", 10) == 0;
}

static bool read_record(const char *path, struct record *r)
{
    size_t len;
    char *text = read_file(path, 64u << 20, &len), err[256];
    bool ok = text && record_parse(text, len, r, err, sizeof err) == 0;
    free(text);
    return ok;
}

/* pip and uv add rows (INSTALLER, bytecode, scripts) and keep the wheel's;
 * the rows of a .data directory they move elsewhere may go */
static bool fmt_rewrite_keeps(const char *installed, const char *cached)
{
    struct record ri = {0}, rc = {0};
    bool keeps = read_record(installed, &ri) && read_record(cached, &rc);
    for (size_t i = 0; keeps && i < rc.n; i++) {
        const struct record_row *c = &rc.rows[i], *r;
        const char *slash = strchr(c->path, '/');
        if (!c->hash || (slash && slash - c->path > 5 && strncmp(slash - 5, ".data", 5) == 0))
            continue;
        r = record_find(&ri, c->path);
        keeps = r && r->hash && r->algo && c->algo && strcmp(r->algo, c->algo) == 0 && strcmp(r->hash, c->hash) == 0;
    }
    record_free(&ri);
    record_free(&rc);
    return keeps;
}

static void fmt_release(struct package *p)
{
    struct wheel_pkg *wp = p->own;
    if (!wp)
        return;
    wheel_free(&wp->w);
    free(wp->stem);
    free(wp->key);
    free(wp);
    p->own = NULL;
}

const struct format format_wheel = {
    .name = "wheel",
    .suffix = ".whl",
    .noun = "wheel",
    .listing = "RECORD",
    .scan = fmt_scan,
    .extract = fmt_extract,
    .promise = fmt_promise,
    .installer_added = fmt_installer_added,
    .installer_rewrites = fmt_installer_rewrites,
    .rewrite_keeps = fmt_rewrite_keeps,
    .release = fmt_release,
};
