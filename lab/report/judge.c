/* report_judge.c - what the reporter concludes for each cell: its
 * expectations, its ratios to the fastest cell and to cp, its flags, and
 * whether it regressed against a baseline. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/fallback.h"
#include "report/expect.h"
#include "report/report.h"
#include "common/util.h"

const char *cell_label(const struct report *r, const struct cell *c, char *buf, size_t len)
{
    if (r->multi_machine)
        snprintf(buf, len, "%s:%s", c->run->machine, c->id);
    else
        snprintf(buf, len, "%s", c->id);
    return buf;
}

static void add_result(struct cell *c, const char *expr, bool pass, char *observed)
{
    c->results = xrealloc(c->results, (size_t)(c->nresults + 1) * sizeof *c->results);
    c->results[c->nresults++] = (struct exp_result){xstrdup(expr), pass, observed};
}

/* bench/run checked the definition's expectations before it ran; one that
 * does not parse here (a hand-edited cell.json) fails the cell, saying why */
static void judge_expectation(struct cell *c, const char *expr)
{
    struct expectation e;
    char why[512];
    if (expectation_parse(expr, &e, why, sizeof why) != 0) {
        add_result(c, expr, false, xstrdup(why));
        return;
    }
    char *observed = NULL;
    bool pass = expectation_judge(&e, c, &observed);
    add_result(c, expr, pass, observed);
}

static void judge_cell(struct cell *c)
{
    if (strcmp(c->status, "run") != 0) {
        c->verdict = "not-run";
        return;
    }
    /* the lab could not set the cell up (a full disk, say): said first */
    const char *error = json_string_value(json_object_get(c->def, "error"));
    if (error && *error)
        add_result(c, "setup", false, xstrdup(error));
    json_t *exps = json_object_get(c->def, "expectations");
    bool has_exit = false;
    for (size_t i = 0; i < json_array_size(exps); i++) {
        const char *e = json_string_value(json_array_get(exps, i));
        if (!e)
            continue;
        has_exit |= strncmp(e, "exit=", 5) == 0;
        judge_expectation(c, e);
    }
    if (!has_exit)
        judge_expectation(c, "exit=0");
    if (!c->observed)
        add_result(c, "observed", false, xstrdup("no observer output"));
    if (!c->timed)
        add_result(c, "timed", false,
                   xasprintf("no timed run exited %d (%d exited otherwise)", c->expected_exit, c->failed_runs));
    c->verdict = "pass";
    for (int k = 0; k < c->nresults; k++)
        if (!c->results[k].pass)
            c->verdict = "fail";
    /* flags: what a reader must not miss */
    struct strbuf flags = STRBUF_INIT;
    long data_files = report_judged_files(c);
    /* the silent kind: an announced fallback (a warning) is the honest case */
    if (mode_parse(c->mode) == MODE_CLONE && c->observed && data_files > 0 && c->classes[CLS_CLONED] == 0 &&
        c->warnings == 0)
        strbuf_adds(&flags, "clone requested, nothing cloned, no warning");
    if (c->claimed_clone >= 0 && c->observed &&
        c->claimed_clone > c->classes[CLS_CLONED] + c->classes[CLS_INLINE] + c->classes[CLS_EMPTY]) {
        strbuf_addsep(&flags, "; ");
        strbuf_addf(&flags, "the driver claims %ld cloned, the disk shows %ld", c->claimed_clone,
                    c->classes[CLS_CLONED]);
    }
    if (flags.len)
        c->flags = strbuf_detach(&flags);
    strbuf_release(&flags);
}

static bool same_group(const struct cell *a, const struct cell *b)
{
    return a->run->machine && b->run->machine && strcmp(a->run->machine, b->run->machine) == 0 &&
           strcmp(a->layout, b->layout) == 0 && strcmp(a->corpus, b->corpus) == 0;
}

static void ratios(struct report *r)
{
    for (size_t i = 0; i < r->ncells; i++) {
        struct cell *c = &r->cells[i];
        if (!c->timed)
            continue;
        const struct cell *fastest = NULL;
        for (size_t j = 0; j < r->ncells; j++) {
            const struct cell *o = &r->cells[j];
            if (o->timed && same_group(c, o) && (!fastest || o->median < fastest->median))
                fastest = o;
            if (o->timed && same_group(c, o) && strcmp(o->subject, "cp") == 0 && strcmp(o->mode, c->mode) == 0) {
                c->ratio_cp_ci = stats_ratio_ci(c->times, (size_t)c->nruns, o->times, (size_t)o->nruns);
                c->ratio_cp = c->ratio_cp_ci.est;
            }
        }
        if (fastest) {
            c->ratio_fastest_ci = stats_ratio_ci(c->times, (size_t)c->nruns, fastest->times, (size_t)fastest->nruns);
            c->ratio_fastest = c->ratio_fastest_ci.est;
        }
    }
}

/* A cell whose median's interval is wider than its run's precision (or
 * --precision) is noisy: its timing is shown and flagged, never judged. */
static bool noisy(const struct report *r, const struct cell *c)
{
    double p = r->precision > 0 ? r->precision : c->run->precision;
    return c->nruns > 1 && stats_halfwidth(c->ci) > p;
}

/* A regression: the cell's interval lies above the baseline's by more than
 * the threshold (a fraction of the baseline's median). Noisy cells are
 * judged too, and flagged: their wide interval already keeps noise from
 * being called a regression, while a cell three times slower is one
 * however noisy (not judging them passed such a cell). */
static void regressions(struct report *r)
{
    for (size_t i = 0; i < r->ncells; i++) {
        struct cell *c = &r->cells[i];
        if (!c->timed)
            continue;
        for (size_t j = 0; j < r->nbase; j++) {
            const struct cell *b = &r->base_cells[j];
            if (!b->timed || strcmp(b->id, c->id) != 0)
                continue;
            c->has_base = true;
            c->base_median = b->median;
            c->base_stddev = b->stddev;
            c->base_ci = b->ci;
            c->regression = c->ci.lo - b->ci.hi > r->threshold * b->median;
            break;
        }
    }
}

void report_judge(struct report *r)
{
    for (size_t i = 0; i < r->ncells; i++)
        for (size_t j = i + 1; j < r->ncells; j++)
            if (strcmp(r->cells[i].run->machine, r->cells[j].run->machine) != 0)
                r->multi_machine = true;
    for (size_t i = 0; i < r->ncells; i++) {
        judge_cell(&r->cells[i]);
        r->cells[i].noisy = r->cells[i].timed && noisy(r, &r->cells[i]);
    }
    ratios(r);
    regressions(r);
    for (int i = 0; i < r->nruns; i++)
        if (r->runs[i].cells_planned > r->runs[i].cells_found)
            r->cells_missing += r->runs[i].cells_planned - r->runs[i].cells_found;
    for (size_t i = 0; i < r->ncells; i++) {
        const struct cell *c = &r->cells[i];
        if (strcmp(c->verdict, "pass") == 0)
            r->pass++;
        else if (strcmp(c->verdict, "fail") == 0)
            r->fail++;
        else
            r->notrun++;
        r->regressions += c->regression;
        if (c->timed) {
            r->timed++;
            r->steady += c->cv <= 0.03;
            r->noisy += c->noisy;
        }
    }
}

bool report_passed(const struct report *r)
{
    return r->fail == 0 && r->regressions == 0 && r->cells_missing == 0 && r->pass > 0;
}
