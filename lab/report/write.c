/* report_write.c - the reporter's outputs: report.md for people,
 * results.json and results.csv for tools, junit.xml for CI, and the verdict
 * table on stdout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/expect.h"
#include "report/report.h"
#include "common/util.h"

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "we");
    if (!f)
        lab_error("%s: cannot write: %s", path, strerror(errno));
    return f;
}

static int close_out(FILE *f, const char *path)
{
    if (ferror(f) | (fclose(f) != 0)) {
        lab_error("%s: write failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void classes_short(const struct cell *c, char *buf, size_t len)
{
    struct strbuf sb = STRBUF_INIT;
    report_classes(c, &sb);
    strbuf_copy(&sb, buf, len);
    strbuf_release(&sb);
}

/* mkfs provenance of a cell's profiles, from the run's images.json */
static void mkfs_of(const struct cell *c, char *buf, size_t len)
{
    struct strbuf sb = STRBUF_INIT;
    json_t *profs = json_object_get(c->def, "profiles");
    for (size_t i = 0; i < json_array_size(profs); i++) {
        const char *p = json_string_value(json_array_get(profs, i));
        json_t *list = json_object_get(c->run->images, "profiles");
        for (size_t j = 0; j < json_array_size(list); j++) {
            json_t *x = json_array_get(list, j);
            if (strcmp(jstr(x, "profile"), p) != 0)
                continue;
            json_t *prov = json_object_get(x, "provenance");
            strbuf_addsep(&sb, " + ");
            strbuf_addf(&sb, "%s: %s %s", p, jstr(prov, "mkfs_version"), jstr(prov, "mkfs_options"));
        }
    }
    strbuf_copy(&sb, buf, len);
    strbuf_release(&sb);
}

static const char *fallback_word(const struct cell *c)
{
    for (int k = 0; k < c->nresults; k++)
        if (strncmp(c->results[k].expr, "fallback=", 9) == 0)
            return strncmp(c->results[k].observed, "fell back", 9) == 0 ? "yes" : "no";
    return "-";
}

/* Subjects none of whose cells ran (an unreachable registry, a kernel
 * without the profile): "NAME (why), NAME (why)" in sb; a PASS signs
 * nothing off for them, and says so. */
static void subjects_never_ran(const struct report *r, struct strbuf *sb)
{
    for (size_t i = 0; i < r->ncells; i++) {
        const struct cell *c = &r->cells[i];
        bool first = true, ran = false;
        for (size_t j = 0; j < r->ncells; j++) {
            if (strcmp(r->cells[j].subject, c->subject) != 0)
                continue;
            first &= j >= i;
            ran |= strcmp(r->cells[j].verdict, "not-run") != 0;
        }
        if (!first || ran)
            continue;
        strbuf_addsep(sb, ", ");
        strbuf_addf(sb, "%s (%s)", c->subject, c->reason);
    }
}

/* " (cap N s)" for a run that batched, "" for one that did not */
static const char *cap_text(json_t *run, char *buf, size_t len)
{
    long long cap = json_integer_value(json_object_get(run, "cap_s"));
    if (cap > 0)
        snprintf(buf, len, " (cap %lld s)", cap);
    else
        buf[0] = '\0';
    return buf;
}

/* ---------------------------------------------------------------- md */

int report_write_md(const struct report *r, const char *path)
{
    FILE *f = open_out(path);
    if (!f)
        return -1;
    bool ok = report_passed(r);
    fprintf(f, "# linklab sign-off: %s\n\n", ok ? "PASS" : "FAIL");
    fprintf(f, "%zu cells: %d pass, %d fail, %d not run; %d regressions.\n\n", r->ncells, r->pass,
            r->fail, r->notrun, r->regressions);
    if (r->timed)
        fprintf(f, "Timing: %d timed cells, %d (%.0f%%) with a CV at or under 3%%; %d noisy (the median's 95%% "
                   "interval wider than the precision: flagged; judged against a baseline by their intervals, which "
                   "noise keeps wide).\n\n",
                r->timed, r->steady, 100.0 * r->steady / r->timed, r->noisy);
    if (r->cells_missing > 0)
        fprintf(f, "**%ld planned cells never ran** (an interrupted run): no sign-off.\n\n", r->cells_missing);
    struct strbuf never = STRBUF_INIT;
    subjects_never_ran(r, &never);
    if (never.len)
        fprintf(f, "**Not signed off: no cell of these subjects ran**: %s.\n\n", strbuf_str(&never));
    strbuf_release(&never);
    for (int i = 0; i < r->nruns; i++) {
        json_t *run = r->runs[i].run;
        char capbuf[32];
        fprintf(f, "- run `%s` on **%s**: %s, kernel %s, %lld CPUs, %s, %s; definition `%s` (sha256 %.12s), "
                   "%s%lld%s +-%.0f%%%s, warmup %lld, jobs %lld, settled before each run: %s, cold cache: %s\n",
                r->runs[i].dir, jstr(run, "machine"), jstr(run, "os"), jstr(run, "kernel"),
                (long long)json_integer_value(json_object_get(run, "cpus")), jstr(run, "hyperfine"),
                jstr(run, "linklab"), jstr(run, "definition"), jstr(run, "definition_sha256"),
                json_integer_value(json_object_get(run, "cap_s")) > 0 ? "runs in batches of " : "",
                (long long)json_integer_value(json_object_get(run, "runs")),
                json_integer_value(json_object_get(run, "cap_s")) > 0
                    ? " until the median's interval is within"
                    : " runs per cell (no further batches); a cell is noisy when its median's interval is wider than",
                r->runs[i].precision * 100, cap_text(run, capbuf, sizeof capbuf),
                (long long)json_integer_value(json_object_get(run, "warmup")),
                (long long)json_integer_value(json_object_get(run, "jobs")),
                jstr(run, "settle")[0] ? jstr(run, "settle") : "no", jstr(run, "cold"));
    }
    if (r->nbase)
        fprintf(f, "- baseline: `%s` (regression: the median's 95%% interval lies above the baseline's by "
                   "more than %.0f%% of the baseline's median; noisy cells are judged so too)\n",
                r->base.dir, r->threshold * 100);
    fprintf(f, "\nMedians of the timed runs with their 95%% bootstrap interval, and the runs' coefficient of "
               "variation; ratios (with their intervals) are to the fastest cell of the same layout and "
               "corpus, and to cp in the same mode. Observed classes come from `linklab observe` on one "
               "more, untimed install.\n");
    /* one table per layout, in first-seen order */
    for (size_t i = 0; i < r->ncells; i++) {
        const struct cell *c = &r->cells[i];
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(r->cells[j].layout, c->layout) == 0;
        if (seen)
            continue;
        char mk[512];
        mkfs_of(c, mk, sizeof mk);
        fprintf(f, "\n## %s\n\n", c->layout);
        if (mk[0])
            fprintf(f, "%s\n\n", mk);
        fprintf(f, "| corpus | subject | mode | files | median (95%% interval) | CV | vs fastest | vs cp | observed | fallback | verdict |\n"
                   "|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (size_t j = i; j < r->ncells; j++) {
            const struct cell *d = &r->cells[j];
            if (strcmp(d->layout, c->layout) != 0)
                continue;
            char cls[512], med[64] = "-", spread[64] = "-", rf[48] = "-", rc[48] = "-";
            classes_short(d, cls, sizeof cls);
            if (d->timed) {
                snprintf(med, sizeof med, "%.1f ms (%.1f-%.1f)", d->median * 1e3, d->ci.lo * 1e3, d->ci.hi * 1e3);
                snprintf(spread, sizeof spread, "%.1f%%%s", d->cv * 100, d->noisy ? " noisy" : "");
                snprintf(rf, sizeof rf, "%.2fx (%.2f-%.2f)", d->ratio_fastest, d->ratio_fastest_ci.lo,
                         d->ratio_fastest_ci.hi);
                if (d->ratio_cp > 0)
                    snprintf(rc, sizeof rc, "%.2fx (%.2f-%.2f)", d->ratio_cp, d->ratio_cp_ci.lo, d->ratio_cp_ci.hi);
            }
            const char *v = d->verdict;
            fprintf(f, "| %s | %s | %s | %ld | %s | %s | %s | %s | %s | %s | %s%s%s%s |\n", d->corpus,
                    d->subject, d->mode, d->files, med, spread, rf, rc,
                    strcmp(v, "not-run") == 0 ? d->reason : cls, fallback_word(d),
                    strcmp(v, "pass") == 0 ? "pass" : strcmp(v, "fail") == 0 ? "**FAIL**" : "not run",
                    d->regression ? " **REGRESSION**" : "", d->flags ? " ⚑ " : "", d->flags ? d->flags : "");
        }
    }
    bool any = false;
    for (size_t i = 0; i < r->ncells; i++) {
        const struct cell *c = &r->cells[i];
        char label[512];
        for (int k = 0; k < c->nresults; k++) {
            if (c->results[k].pass)
                continue;
            if (!any)
                fprintf(f, "\n## Failed expectations\n\n");
            any = true;
            fprintf(f, "- `%s`: `%s` failed: %s\n", cell_label(r, c, label, sizeof label),
                    c->results[k].expr, c->results[k].observed);
        }
        if (c->regression) {
            if (!any)
                fprintf(f, "\n## Failed expectations\n\n");
            any = true;
            fprintf(f, "- `%s`: regression: median %.1f ms (%.1f-%.1f), baseline %.1f ms (%.1f-%.1f)\n",
                    cell_label(r, c, label, sizeof label), c->median * 1e3, c->ci.lo * 1e3, c->ci.hi * 1e3,
                    c->base_median * 1e3, c->base_ci.lo * 1e3, c->base_ci.hi * 1e3);
        }
    }
    /* where the expectations came from: the subject's declared chain on
     * the layout (bench/run's derive), one line per cell */
    bool derived = false;
    for (size_t i = 0; i < r->ncells; i++) {
        char label[512];
        const char *why = json_string_value(json_object_get(r->cells[i].def, "derivation"));
        if (!why || !*why)
            continue;
        if (!derived)
            fprintf(f, "\n## Derived expectations\n\n");
        derived = true;
        fprintf(f, "- `%s`: %s\n", cell_label(r, &r->cells[i], label, sizeof label), why);
    }
    bool flagged = false;
    for (size_t i = 0; i < r->ncells; i++) {
        char label[512];
        if (!r->cells[i].flags)
            continue;
        if (!flagged)
            fprintf(f, "\n## Flags\n\n");
        flagged = true;
        fprintf(f, "- `%s`: %s\n", cell_label(r, &r->cells[i], label, sizeof label), r->cells[i].flags);
    }
    fprintf(f, "\nPlots: `plot-modes.svg` (time per mode per layout), `plot-files.svg` (time against file count).\n");
    return close_out(f, path);
}

/* -------------------------------------------------------------- json */

static json_t *cell_json(const struct report *r, const struct cell *c)
{
    char label[512];
    json_t *classes = json_object();
    for (int k = 0; k < CLS_COUNT; k++)
        json_object_set_new(classes, obs_class_name((enum obs_class)k), json_integer(c->classes[k]));
    json_t *exps = json_array();
    for (int k = 0; k < c->nresults; k++)
        json_array_append_new(exps, json_pack("{s:s,s:b,s:s}", "expect", c->results[k].expr, "pass",
                                              c->results[k].pass, "observed", c->results[k].observed));
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:O,s:I,s:s,s:s}", "cell", cell_label(r, c, label, sizeof label),
                          "machine", c->run->machine, "layout", c->layout, "subject", c->subject,
                          "mode", c->mode, "corpus", c->corpus, "profiles", json_object_get(c->def, "profiles"),
                          "files", (json_int_t)c->files, "status", c->status, "verdict", c->verdict);
    json_object_set_new(o, "reason", c->reason[0] ? json_string(c->reason) : json_null());
    const char *why = json_string_value(json_object_get(c->def, "derivation"));
    json_object_set_new(o, "derivation", why && *why ? json_string(why) : json_null());
    json_object_set_new(o, "timing",
                        c->timed ? json_pack("{s:f,s:[f,f],s:f,s:f,s:f,s:f,s:f,s:b,s:i,s:i}", "median_s", c->median,
                                             "median_ci_s", c->ci.lo, c->ci.hi, "mean_s", c->mean, "stddev_s",
                                             c->stddev, "cv", c->cv, "min_s", c->min, "max_s", c->max, "noisy",
                                             c->noisy, "runs", c->nruns, "failed_runs", c->failed_runs)
                                 : json_null());
    json_object_set_new(o, "ratio_fastest", c->ratio_fastest > 0 ? json_real(c->ratio_fastest) : json_null());
    json_object_set_new(o, "ratio_fastest_ci", c->ratio_fastest > 0 ? json_pack("[f,f]", c->ratio_fastest_ci.lo,
                                                                                c->ratio_fastest_ci.hi)
                                                                    : json_null());
    json_object_set_new(o, "ratio_cp", c->ratio_cp > 0 ? json_real(c->ratio_cp) : json_null());
    json_object_set_new(o, "ratio_cp_ci", c->ratio_cp > 0 ? json_pack("[f,f]", c->ratio_cp_ci.lo, c->ratio_cp_ci.hi)
                                                          : json_null());
    json_object_set_new(o, "classes", c->observed ? classes : (json_decref(classes), json_null()));
    json_object_set_new(o, "completeness", c->observed ? json_pack("{s:I,s:I,s:I}", "missing", (json_int_t)c->missing,
                                                                   "corrupt", (json_int_t)c->corrupt, "mode",
                                                                   (json_int_t)c->mode_findings)
                                                       : json_null());
    json_object_set_new(o, "exit", c->exit_code >= 0 ? json_integer(c->exit_code) : json_null());
    json_object_set_new(o, "warnings", c->warnings >= 0 ? json_integer(c->warnings) : json_null());
    json_object_set_new(o, "expectations", exps);
    json_object_set_new(o, "flags", c->flags ? json_string(c->flags) : json_null());
    json_object_set_new(o, "baseline", c->has_base ? json_pack("{s:f,s:[f,f],s:f,s:b}", "median_s",
                                                               c->base_median, "median_ci_s", c->base_ci.lo,
                                                               c->base_ci.hi, "stddev_s", c->base_stddev,
                                                               "regression", c->regression)
                                                   : json_null());
    return o;
}

int report_write_json(const struct report *r, const char *path)
{
    json_t *runs = json_array(), *cells = json_array();
    for (int i = 0; i < r->nruns; i++) {
        json_t *x = json_deep_copy(r->runs[i].run);
        json_object_set_new(x, "dir", json_string(r->runs[i].dir));
        json_object_set(x, "images", r->runs[i].images ? r->runs[i].images : json_null());
        json_array_append_new(runs, x);
    }
    for (size_t i = 0; i < r->ncells; i++)
        json_array_append_new(cells, cell_json(r, &r->cells[i]));
    json_t *doc = json_pack("{s:i,s:s,s:{s:I,s:i,s:i,s:i,s:i,s:I},s:o,s:o}", "schema", REPORT_SCHEMA, "verdict",
                            report_passed(r) ? "pass" : "fail", "counts", "cells",
                            (json_int_t)r->ncells, "pass", r->pass, "fail", r->fail, "not_run", r->notrun,
                            "regressions", r->regressions, "never_ran", (json_int_t)r->cells_missing, "runs", runs,
                            "cells", cells);
    int rc = json_dump_file(doc, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (rc != 0)
        lab_error("%s: cannot write", path);
    return rc;
}

/* --------------------------------------------------------------- csv */

static void csv_field(FILE *f, const char *s, bool last)
{
    if (strpbrk(s, ",\"\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

int report_write_csv(const struct report *r, const char *path)
{
    FILE *f = open_out(path);
    if (!f)
        return -1;
    static const char *const cols[] = {
        "cell", "machine", "kernel", "os", "cpus", "hyperfine", "linklab", "mkfs", "layout", "subject",
        "mode", "corpus", "files", "status", "verdict", "median_s", "stddev_s", "min_s", "max_s",
        "ratio_fastest", "ratio_cp", "cloned", "partial", "shared_elsewhere", "hardlinked", "symlinked",
        "copied", "inline", "empty", "missing", "corrupt", "mode_findings", "fallback", "warnings",
        "exit", "flags", "baseline_median_s", "regression", "cv", "median_lo_s", "median_hi_s", "noisy"};
    size_t ncols = sizeof cols / sizeof cols[0];
    for (size_t i = 0; i < ncols; i++)
        csv_field(f, cols[i], i + 1 == ncols);
    for (size_t i = 0; i < r->ncells; i++) {
        const struct cell *c = &r->cells[i];
        json_t *run = c->run->run;
        char v[48][640], label[512], mk[512];
        int n = 0;
        mkfs_of(c, mk, sizeof mk);
#define PUT(...) snprintf(v[n++], sizeof v[0], __VA_ARGS__)
        PUT("%s", cell_label(r, c, label, sizeof label));
        PUT("%s", c->run->machine);
        PUT("%s", jstr(run, "kernel"));
        PUT("%s", jstr(run, "os"));
        PUT("%lld", (long long)json_integer_value(json_object_get(run, "cpus")));
        PUT("%s", jstr(run, "hyperfine"));
        PUT("%s", jstr(run, "linklab"));
        PUT("%s", mk);
        PUT("%s", c->layout);
        PUT("%s", c->subject);
        PUT("%s", c->mode);
        PUT("%s", c->corpus);
        PUT("%ld", c->files);
        PUT("%s", c->status);
        PUT("%s", c->verdict);
        if (c->timed) {
            PUT("%.6f", c->median);
            PUT("%.6f", c->stddev);
            PUT("%.6f", c->min);
            PUT("%.6f", c->max);
        } else {
            for (int k = 0; k < 4; k++)
                PUT("%s", "");
        }
        if (c->ratio_fastest > 0) PUT("%.4f", c->ratio_fastest); else PUT("%s", "");
        if (c->ratio_cp > 0) PUT("%.4f", c->ratio_cp); else PUT("%s", "");
        static const int shown[] = {CLS_CLONED, CLS_PARTIAL, CLS_SHARED_ELSEWHERE, CLS_HARDLINKED,
                                    CLS_SYMLINKED, CLS_COPIED, CLS_INLINE, CLS_EMPTY};
        for (size_t k = 0; k < sizeof shown / sizeof shown[0]; k++)
            if (c->observed) PUT("%ld", c->classes[shown[k]]); else PUT("%s", "");
        if (c->observed) {
            PUT("%ld", c->missing);
            PUT("%ld", c->corrupt);
            PUT("%ld", c->mode_findings);
        } else {
            for (int k = 0; k < 3; k++)
                PUT("%s", "");
        }
        PUT("%s", fallback_word(c));
        if (c->warnings >= 0) PUT("%d", c->warnings); else PUT("%s", "");
        if (c->exit_code >= 0) PUT("%d", c->exit_code); else PUT("%s", "");
        PUT("%s", c->flags ? c->flags : "");
        if (c->has_base) PUT("%.6f", c->base_median); else PUT("%s", "");
        PUT("%s", c->regression ? "yes" : c->has_base ? "no" : "");
        if (c->timed) {
            PUT("%.4f", c->cv);
            PUT("%.6f", c->ci.lo);
            PUT("%.6f", c->ci.hi);
            PUT("%s", c->noisy ? "yes" : "no");
        } else {
            for (int k = 0; k < 4; k++)
                PUT("%s", "");
        }
#undef PUT
        for (int k = 0; k < n; k++)
            csv_field(f, v[k], k + 1 == n);
    }
    return close_out(f, path);
}

/* ------------------------------------------------------------- junit */

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                fputc(*s, f);
        }
    }
}

static void xml_property(FILE *f, const char *name, const char *value)
{
    fputs("      <property name=\"", f);
    xml_text(f, name);
    fputs("\" value=\"", f);
    xml_text(f, value);
    fputs("\"/>\n", f);
}

int report_write_junit(const struct report *r, const char *path)
{
    FILE *f = open_out(path);
    if (!f)
        return -1;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"linklab sign-off\">\n");
    for (int i = 0; i < r->nruns; i++) {
        const struct run_info *run = &r->runs[i];
        int tests = 0, failures = 0, skipped = 0;
        for (size_t j = 0; j < r->ncells; j++) {
            const struct cell *c = &r->cells[j];
            if (c->run != run)
                continue;
            int n = c->nresults ? c->nresults : (int)json_array_size(json_object_get(c->def, "expectations"));
            tests += (n ? n : 1) + (c->has_base ? 1 : 0);
            if (strcmp(c->verdict, "not-run") == 0)
                skipped += n ? n : 1;
            for (int k = 0; k < c->nresults; k++)
                failures += !c->results[k].pass;
            failures += c->regression;
        }
        fputs("  <testsuite name=\"", f);
        xml_text(f, run->machine);
        fprintf(f, "\" tests=\"%d\" failures=\"%d\" skipped=\"%d\" errors=\"0\">\n    <properties>\n", tests,
                failures, skipped);
        static const char *const keys[] = {"machine", "kernel", "os", "hyperfine", "linklab", "definition",
                                           "definition_sha256", "started"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            xml_property(f, keys[k], jstr(run->run, keys[k]));
        char cpus[16];
        snprintf(cpus, sizeof cpus, "%lld", (long long)json_integer_value(json_object_get(run->run, "cpus")));
        xml_property(f, "cpus", cpus);
        json_t *list = json_object_get(run->images, "profiles");
        for (size_t k = 0; k < json_array_size(list); k++) {
            json_t *x = json_array_get(list, k);
            char name[128], value[512];
            snprintf(name, sizeof name, "image.%s", jstr(x, "profile"));
            json_t *prov = json_object_get(x, "provenance");
            snprintf(value, sizeof value, "%s; %s %s; mount %s; %s", jstr(x, "state"), jstr(prov, "mkfs_version"),
                     jstr(prov, "mkfs_options"), jstr(prov, "mount_options"), jstr(prov, "image_size"));
            xml_property(f, name, value);
        }
        fputs("    </properties>\n", f);
        for (size_t j = 0; j < r->ncells; j++) {
            const struct cell *c = &r->cells[j];
            if (c->run != run)
                continue;
            if (strcmp(c->verdict, "not-run") == 0) {
                json_t *exps = json_object_get(c->def, "expectations");
                size_t n = json_array_size(exps);
                for (size_t k = 0; k < (n ? n : 1); k++) {
                    fputs("    <testcase classname=\"", f);
                    xml_text(f, c->id);
                    fputs("\" name=\"", f);
                    xml_text(f, n ? json_string_value(json_array_get(exps, k)) : "cell");
                    fputs("\"><skipped message=\"", f);
                    xml_text(f, c->reason);
                    fputs("\"/></testcase>\n", f);
                }
                continue;
            }
            for (int k = 0; k < c->nresults; k++) {
                fputs("    <testcase classname=\"", f);
                xml_text(f, c->id);
                fputs("\" name=\"", f);
                xml_text(f, c->results[k].expr);
                fprintf(f, "\" time=\"%.6f\">", c->timed ? c->median : 0.0);
                if (!c->results[k].pass) {
                    fputs("<failure message=\"", f);
                    xml_text(f, c->results[k].observed);
                    fputs("\"/>", f);
                }
                fputs("</testcase>\n", f);
            }
            if (c->has_base) {
                fputs("    <testcase classname=\"", f);
                xml_text(f, c->id);
                fputs("\" name=\"no regression\">", f);
                if (c->regression)
                    fprintf(f, "<failure message=\"median %.6f s (%.6f-%.6f), baseline %.6f s (%.6f-%.6f)\"/>",
                            c->median, c->ci.lo, c->ci.hi, c->base_median, c->base_ci.lo, c->base_ci.hi);
                fputs("</testcase>\n", f);
            }
        }
        fputs("  </testsuite>\n", f);
    }
    fputs("</testsuites>\n", f);
    return close_out(f, path);
}

/* ------------------------------------------------------------- table */

void report_print_table(const struct report *r)
{
    printf("%-52s %-8s %10s %8s  %s\n", "CELL", "VERDICT", "MEDIAN", "VS CP", "NOTE");
    for (size_t i = 0; i < r->ncells; i++) {
        const struct cell *c = &r->cells[i];
        char label[512], med[32] = "-", rc[16] = "-", note[512] = "";
        if (c->timed)
            snprintf(med, sizeof med, "%.1f ms", c->median * 1e3);
        if (c->ratio_cp > 0)
            snprintf(rc, sizeof rc, "%.2fx", c->ratio_cp);
        if (strcmp(c->verdict, "not-run") == 0)
            snprintf(note, sizeof note, "%s", c->reason);
        for (int k = 0; k < c->nresults && !note[0]; k++)
            if (!c->results[k].pass)
                snprintf(note, sizeof note, "%s: %s", c->results[k].expr, c->results[k].observed);
        if (!note[0] && c->flags)
            snprintf(note, sizeof note, "flag: %s", c->flags);
        if (!note[0] && c->noisy)
            snprintf(note, sizeof note, "noisy: median +-%.1f%% (CV %.1f%%)", stats_halfwidth(c->ci) * 100,
                     c->cv * 100);
        printf("%-52s %-8s %10s %8s  %s%s\n", cell_label(r, c, label, sizeof label),
               strcmp(c->verdict, "fail") == 0 ? "FAIL" : c->verdict, med, rc,
               c->regression ? "REGRESSION " : "", note);
    }
    if (r->timed)
        printf("timing: %d timed cells, %d with CV <= 3%%, %d noisy\n", r->timed, r->steady, r->noisy);
    char why[128] = "";
    if (r->cells_missing > 0)
        snprintf(why, sizeof why, ": %ld planned cells never ran (an interrupted run)", r->cells_missing);
    else if (r->pass == 0)
        snprintf(why, sizeof why, ": no cell ran and passed");
    struct strbuf never = STRBUF_INIT;
    subjects_never_ran(r, &never);
    if (never.len)
        printf("not signed off, no cell of theirs ran: %s\n", strbuf_str(&never));
    strbuf_release(&never);
    printf("sign-off: %s (%d pass, %d fail, %d not run, %d regressions)%s\n", report_passed(r) ? "PASS" : "FAIL",
           r->pass, r->fail, r->notrun, r->regressions, why);
}
