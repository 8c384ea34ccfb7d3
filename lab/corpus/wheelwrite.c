#include "corpus/wheelwrite.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/util.h"

/* 1980-01-01, the earliest zip time: the same bytes on every run */
#define WHEEL_MTIME 315532800

struct wheel_writer {
    struct archive *a;
    char *path, *tmp, *distinfo;
    char *record;
    size_t record_len, record_cap;
    struct digest *cur;
    char *cur_name;
    long long cur_size;
    char err[512];
};

static void record_append(struct wheel_writer *w, const char *line)
{
    size_t n = strlen(line);
    while (w->record_len + n + 1 > w->record_cap)
        w->record = xrealloc(w->record, w->record_cap = w->record_cap ? w->record_cap * 2 : 4096);
    memcpy(w->record + w->record_len, line, n + 1);
    w->record_len += n;
}

/* RECORD is CSV: quote names holding a comma or a quote */
static char *csv_name(const char *name)
{
    if (!strpbrk(name, ",\"\r\n"))
        return xstrdup(name);
    char *out = xmalloc(2 * strlen(name) + 3), *p = out;
    *p++ = '"';
    for (; *name; name++) {
        if (*name == '"')
            *p++ = '"';
        *p++ = *name;
    }
    *p++ = '"';
    *p = '\0';
    return out;
}

struct wheel_writer *wheel_writer_open(const char *path, const char *distinfo, char *err, size_t errlen)
{
    struct wheel_writer *w = xcalloc(1, sizeof *w);
    w->path = xstrdup(path);
    w->tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    w->distinfo = xstrdup(distinfo);
    w->a = archive_write_new();
    archive_write_set_format_zip(w->a);
    if (archive_write_open_filename(w->a, w->tmp) != ARCHIVE_OK) {
        snprintf(err, errlen, "%s: %s", w->tmp, archive_error_string(w->a));
        wheel_writer_abort(w);
        return NULL;
    }
    return w;
}

int wheel_writer_begin(struct wheel_writer *w, const char *name, long long size, unsigned mode, bool store)
{
    if (store)
        archive_write_zip_set_compression_store(w->a);
    else
        archive_write_zip_set_compression_deflate(w->a);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, mode);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, WHEEL_MTIME, 0);
    int rc = archive_write_header(w->a, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) {
        snprintf(w->err, sizeof w->err, "%s: %s", name, archive_error_string(w->a));
        return -1;
    }
    w->cur = digest_new("sha256");
    w->cur_name = xstrdup(name);
    w->cur_size = size;
    return 0;
}

int wheel_writer_data(struct wheel_writer *w, const void *data, size_t len)
{
    digest_update(w->cur, data, len);
    if (len && archive_write_data(w->a, data, len) != (la_ssize_t)len) {
        snprintf(w->err, sizeof w->err, "%s: %s", w->cur_name, archive_error_string(w->a));
        return -1;
    }
    return 0;
}

int wheel_writer_end(struct wheel_writer *w)
{
    char hash[128];
    digest_final_b64(w->cur, hash, sizeof hash);
    digest_free(w->cur);
    w->cur = NULL;
    char *n = csv_name(w->cur_name);
    char *line = xasprintf("%s,sha256=%s,%lld\n", n, hash, w->cur_size);
    record_append(w, line);
    free(line);
    free(n);
    free(w->cur_name);
    w->cur_name = NULL;
    return 0;
}

int wheel_writer_add(struct wheel_writer *w, const char *name, const void *data, size_t len, unsigned mode)
{
    if (wheel_writer_begin(w, name, (long long)len, mode, false) != 0 ||
        wheel_writer_data(w, data, len) != 0)
        return -1;
    return wheel_writer_end(w);
}

static void writer_free(struct wheel_writer *w)
{
    if (w->a)
        archive_write_free(w->a);
    digest_free(w->cur);
    free(w->cur_name);
    free(w->path);
    free(w->tmp);
    free(w->distinfo);
    free(w->record);
    free(w);
}

int wheel_writer_close(struct wheel_writer *w, char *err, size_t errlen)
{
    if (w->err[0]) {
        snprintf(err, errlen, "%s", w->err);
        wheel_writer_abort(w);
        return -1;
    }
    char *rname = xasprintf("%s/RECORD", w->distinfo);
    char *line = xasprintf("%s,,\n", rname);
    record_append(w, line);
    free(line);
    int rc = -1;
    if (wheel_writer_begin(w, rname, (long long)w->record_len, 0644, false) == 0) {
        /* RECORD does not list its own hash */
        rc = archive_write_data(w->a, w->record, w->record_len) == (la_ssize_t)w->record_len ? 0 : -1;
        digest_free(w->cur);
        w->cur = NULL;
    }
    free(rname);
    if (rc == 0 && archive_write_close(w->a) != ARCHIVE_OK)
        rc = -1;
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", w->tmp, w->err[0] ? w->err : archive_error_string(w->a));
        wheel_writer_abort(w);
        return -1;
    }
    if (rename(w->tmp, w->path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", w->tmp, w->path, strerror(errno));
        wheel_writer_abort(w);
        return -1;
    }
    writer_free(w);
    return 0;
}

void wheel_writer_abort(struct wheel_writer *w)
{
    unlink(w->tmp);
    writer_free(w);
}
