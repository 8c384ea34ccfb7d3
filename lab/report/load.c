/* report_load.c - reading a run directory: run.json, images.json and, per
 * cell, cell.json, hyperfine.json, observe.json and events.jsonl. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "common/util.h"

static json_t *load_json(const char *dir, const char *name, bool required)
{
    char *path = xasprintf("%s/%s", dir, name);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j && required)
        lab_error("%s: %s (line %d)", path, e.text, e.line);
    free(path);
    return j;
}

static const char *str_of(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The cell's exit=N (the last one given), else 0: every run, timed or
 * observed, must exit so; a run that exits otherwise is a failed run. */
static int expected_exit(json_t *def)
{
    json_t *exps = json_object_get(def, "expectations");
    long n = 0, v;
    for (size_t i = 0; i < json_array_size(exps); i++) {
        const char *e = json_string_value(json_array_get(exps, i));
        if (e && strncmp(e, "exit=", 5) == 0 && parse_count(e + 5, 0, 255, &v))
            n = v;
    }
    return (int)n;
}

/* hyperfine 1.15: results[0] with times[], exit_codes[], median, stddev...
 * (only the runs that exited as the cell expects are timed) */
static void load_timing(struct cell *c, const char *dir)
{
    json_t *h = load_json(dir, "hyperfine.json", false);
    json_t *res = h ? json_array_get(json_object_get(h, "results"), 0) : NULL;
    if (!res) {
        json_decref(h);
        return;
    }
    json_t *times = json_object_get(res, "times"), *codes = json_object_get(res, "exit_codes");
    size_t n = json_array_size(times);
    double *ok = xmalloc((n ? n : 1) * sizeof *ok);
    size_t nok = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *code = json_array_get(codes, i);
        if (code && json_integer_value(code) != c->expected_exit) {
            c->failed_runs++;
            continue;
        }
        ok[nok++] = json_number_value(json_array_get(times, i));
    }
    if (nok > 0) {
        c->cv = stats_cv(ok, nok, &c->mean, &c->stddev);
        c->ci = stats_median_ci(ok, nok);
        c->median = stats_median(ok, nok);
        c->min = ok[0];
        c->max = ok[nok - 1];
        c->nruns = (int)nok;
        c->timed = true;
        c->times = ok;
    } else {
        free(ok);
    }
    json_decref(h);
}

static int cmp_name(const void *a, const void *b);

static void load_observation(struct cell *c, const char *dir)
{
    json_t *o = load_json(dir, "observe.json", false);
    json_t *summary = o ? json_object_get(o, "summary") : NULL;
    if (summary) {
        json_t *classes = json_object_get(summary, "classes");
        for (int k = 0; k < CLS_COUNT; k++)
            c->classes[k] = (long)json_integer_value(json_object_get(classes, obs_class_name((enum obs_class)k)));
        json_t *comp = json_object_get(summary, "completeness");
        c->missing = (long)json_integer_value(json_object_get(comp, "missing"));
        c->corrupt = (long)json_integer_value(json_object_get(comp, "corrupt"));
        /* schema 2: files corrupt against their source, also without --wheel */
        json_t *found = json_object_get(summary, "findings");
        if (!comp && found)
            c->corrupt = (long)json_integer_value(json_object_get(found, "corrupt"));
        c->mode_findings = (long)json_integer_value(json_object_get(comp, "mode"));
        c->observed = true;
    }
    json_decref(o);
    /* the driver's own claim, from its summary record */
    c->claimed_clone = -1;
    char *path = xasprintf("%s/events.jsonl", dir);
    FILE *f = fopen(path, "re");
    free(path);
    if (!f)
        return;
    /* distinct paths the driver says it cloned (several wheels may place one
     * path, a namespace __init__.py) */
    char **paths = NULL;
    size_t npaths = 0;
    char *line = NULL;
    size_t len = 0;
    while (getline(&line, &len, f) > 0) {
        json_t *rec = json_loads(line, 0, NULL);
        if (rec && strcmp(str_of(rec, "type"), "file") == 0 && strcmp(str_of(rec, "used"), "clone") == 0) {
            paths = xrealloc(paths, (npaths + 1) * sizeof *paths);
            paths[npaths++] = xstrdup(str_of(rec, "path"));
        }
        json_decref(rec);
    }
    sort_items(paths, npaths, sizeof *paths, cmp_name);
    c->claimed_clone = 0;
    for (size_t i = 0; i < npaths; i++) {
        c->claimed_clone += i == 0 || strcmp(paths[i], paths[i - 1]) != 0;
        if (i > 0)
            free(paths[i - 1]);
    }
    if (npaths)
        free(paths[npaths - 1]);
    free(paths);
    free(line);
    fclose(f);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int report_load_run(const char *dir, struct run_info *run, struct cell **cells, size_t *ncells)
{
    memset(run, 0, sizeof *run);
    run->dir = xstrdup(dir);
    run->run = load_json(dir, "run.json", true);
    if (!run->run)
        return -1;
    run->images = load_json(dir, "images.json", false);
    run->machine = str_of(run->run, "machine");
    json_t *planned = json_object_get(run->run, "cells_planned");
    run->cells_planned = json_is_integer(planned) ? (long)json_integer_value(planned) : -1;
    json_t *prec = json_object_get(run->run, "precision");
    run->precision = json_is_number(prec) && json_number_value(prec) > 0 ? json_number_value(prec) : 0.02;
    size_t before = *ncells;
    char *cdir = xasprintf("%s/cells", dir);
    DIR *d = opendir(cdir);
    if (!d) {
        lab_error("%s: %s", cdir, strerror(errno));
        free(cdir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    sort_items(names, n, sizeof *names, cmp_name);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char *celldir = xasprintf("%s/%s", cdir, names[i]);
        json_t *def = load_json(celldir, "cell.json", false);
        if (def) {
            *cells = xrealloc(*cells, (*ncells + 1) * sizeof **cells);
            struct cell *c = &(*cells)[(*ncells)++];
            memset(c, 0, sizeof *c);
            c->run = NULL; /* set by the caller once the run array stops moving */
            c->def = def;
            c->id = str_of(def, "id");
            c->layout = str_of(def, "layout");
            c->subject = str_of(def, "subject");
            c->mode = str_of(def, "mode");
            c->corpus = str_of(def, "corpus");
            c->status = str_of(def, "status");
            c->reason = str_of(def, "reason");
            c->files = (long)json_integer_value(json_object_get(def, "files"));
            json_t *obs = json_object_get(def, "observed_run");
            json_t *ex = json_object_get(obs, "exit"), *wa = json_object_get(obs, "warnings");
            c->exit_code = json_is_integer(ex) ? (int)json_integer_value(ex) : -1;
            c->warnings = json_is_integer(wa) ? (int)json_integer_value(wa) : -1;
            c->expected_exit = expected_exit(def);
            if (strcmp(c->status, "run") == 0) {
                load_timing(c, celldir);
                load_observation(c, celldir);
            }
        } else {
            lab_warn("%s: no cell.json (an interrupted cell?); left out", celldir);
        }
        free(celldir);
        free(names[i]);
    }
    free(names);
    free(cdir);
    run->cells_found = (long)(*ncells - before);
    return rc;
}

static void free_cells(struct cell *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(cells[i].def);
        for (int k = 0; k < cells[i].nresults; k++) {
            free(cells[i].results[k].expr);
            free(cells[i].results[k].observed);
        }
        free(cells[i].results);
        free(cells[i].flags);
        free(cells[i].times);
    }
    free(cells);
}

static void free_run(struct run_info *run)
{
    json_decref(run->run);
    json_decref(run->images);
    free(run->dir);
}

void report_free(struct report *r)
{
    free_cells(r->cells, r->ncells);
    free_cells(r->base_cells, r->nbase);
    for (int i = 0; i < r->nruns; i++)
        free_run(&r->runs[i]);
    free(r->runs);
    if (r->base.dir)
        free_run(&r->base);
}
