#include "engine/eventlog.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/util.h"

struct eventlog {
    FILE *f;
    char *path;
    long long files, bytes, by_mode[MODE_COUNT];
    int wheels, fallback_wheels, failed_wheels;
};

struct eventlog *eventlog_open(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "we");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write the event log: %s", path, strerror(errno));
        return NULL;
    }
    struct eventlog *log = xcalloc(1, sizeof *log);
    log->f = f;
    log->path = xstrdup(path);
    return log;
}

static void emit(struct eventlog *log, json_t *rec)
{
    json_dumpf(rec, log->f, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', log->f);
    json_decref(rec);
}

static json_t *record(const char *type)
{
    json_t *rec = json_object();
    json_object_set_new(rec, "schema", json_integer(EVENTLOG_SCHEMA));
    json_object_set_new(rec, "type", json_string(type));
    return rec;
}

/* "clone>hardlink>copy"; JSON null when the wheel did not fall back */
static json_t *chain(const struct fb_state *st)
{
    if (st->nsteps == 0)
        return json_null();
    struct strbuf sb = STRBUF_INIT;
    for (int s = 0; s < st->nsteps; s++)
        strbuf_addf(&sb, "%s>", mode_name(st->steps[s].mode));
    strbuf_adds(&sb, mode_name(st->current));
    json_t *j = json_string(strbuf_str(&sb));
    strbuf_release(&sb);
    return j;
}

void eventlog_wheel(struct eventlog *log, const struct eventlog_run *run, const struct eventlog_wheel *w)
{
    json_t *fallback = chain(w->st);
    const char *first_errno = w->st->nsteps ? errno_name(w->st->steps[0].err) : NULL;
    long long files = 0, bytes = 0, wns = 0;
    for (size_t i = w->ndirs; i < w->n; i++) {
        const struct file_result *r = &w->res[i];
        json_t *rec = record("file");
        json_object_set_new(rec, "wheel", json_string(w->wheel));
        json_object_set_new(rec, "path", json_string(w->items[i].path));
        json_object_set_new(rec, "requested", json_string(mode_name(run->requested)));
        json_object_set_new(rec, "used", r->placed ? json_string(mode_name(r->used)) : json_null());
        json_object_set(rec, "fallback", fallback);
        json_object_set_new(rec, "errno", first_errno ? json_string(first_errno) : json_null());
        json_object_set_new(rec, "bytes", json_integer(w->items[i].size));
        json_object_set_new(rec, "mode", json_integer(w->items[i].mode));
        json_object_set_new(rec, "ns", json_integer((json_int_t)r->ns));
        json_object_set_new(rec, "replaced", json_boolean(r->replaced));
        json_object_set_new(rec, "reinoded", json_boolean(r->reinoded));
        json_object_set_new(rec, "status", json_string(r->placed ? "ok" : r->err ? "failed" : "skipped"));
        emit(log, rec);
        if (r->placed) {
            files++;
            bytes += w->items[i].size;
            wns += (long long)r->ns;
            log->by_mode[r->used]++;
        }
    }
    json_t *steps = json_array();
    for (int s = 0; s < w->st->nsteps; s++)
        json_array_append_new(steps, json_pack("{s:s,s:s}", "mode", mode_name(w->st->steps[s].mode),
                                               "errno", errno_name(w->st->steps[s].err)));
    json_t *rec = record("wheel");
    json_object_set_new(rec, "wheel", json_string(w->wheel));
    json_object_set_new(rec, "key", w->key ? json_string(w->key) : json_null());
    json_object_set_new(rec, "cache_entry", w->cache_entry ? json_string(w->cache_entry) : json_null());
    json_object_set_new(rec, "unpacked", json_boolean(w->unpacked));
    json_object_set_new(rec, "requested", json_string(mode_name(run->requested)));
    json_object_set_new(rec, "used", json_string(mode_name(w->st->current)));
    json_object_set(rec, "fallback", fallback);
    json_object_set_new(rec, "steps", steps);
    json_object_set_new(rec, "dirs", json_integer((json_int_t)w->ndirs));
    json_object_set_new(rec, "files", json_integer((json_int_t)(w->n - w->ndirs)));
    json_object_set_new(rec, "placed", json_integer(files));
    json_object_set_new(rec, "bytes", json_integer(bytes));
    json_object_set_new(rec, "file_ns", json_integer(wns));
    json_object_set_new(rec, "status", json_string(w->ok ? "ok" : "failed"));
    emit(log, rec);
    json_decref(fallback);
    log->wheels++;
    log->files += files;
    log->bytes += bytes;
    log->fallback_wheels += w->st->nsteps > 0;
    log->failed_wheels += !w->ok;
}

int eventlog_close(struct eventlog *log, const struct eventlog_run *run, char *err, size_t errlen)
{
    json_t *by_mode = json_object();
    for (int m = 0; m < MODE_COUNT; m++)
        if (m != MODE_AUTO)
            json_object_set_new(by_mode, mode_name((enum lab_mode)m), json_integer(log->by_mode[m]));
    json_t *rec = record("summary");
    json_object_set_new(rec, "policy", json_string(run->policy));
    json_object_set_new(rec, "requested", json_string(mode_name(run->requested)));
    json_object_set_new(rec, "strict", json_boolean(run->strict));
    json_object_set_new(rec, "jobs", json_integer(run->jobs));
    json_object_set_new(rec, "copy_method", json_string(run->copy_method));
    json_object_set_new(rec, "platform", json_string(run->platform));
    json_object_set_new(rec, "case_collisions", json_integer(run->case_collisions));
    json_object_set_new(rec, "cache", run->cache ? json_string(run->cache) : json_null());
    json_object_set_new(rec, "target", run->target ? json_string(run->target) : json_null());
    json_object_set_new(rec, "wheels", json_integer(log->wheels));
    json_object_set_new(rec, "files", json_integer(log->files));
    json_object_set_new(rec, "bytes", json_integer(log->bytes));
    json_object_set_new(rec, "files_by_mode", by_mode);
    json_object_set_new(rec, "fallback_wheels", json_integer(log->fallback_wheels));
    json_object_set_new(rec, "failed_wheels", json_integer(log->failed_wheels));
    json_object_set_new(rec, "warnings", json_integer(run->warnings));
    json_object_set_new(rec, "ns", json_integer((json_int_t)run->ns));
    json_object_set_new(rec, "status", json_string(run->error ? "failed" : "ok"));
    json_object_set_new(rec, "error", run->error ? json_string(run->error) : json_null());
    emit(log, rec);
    int rc = 0;
    if (ferror(log->f) | (fclose(log->f) != 0)) {
        snprintf(err, errlen, "%s: cannot write the event log: %s", log->path, strerror(errno));
        rc = -1;
    }
    free(log->path);
    free(log);
    return rc;
}
