/* expect.c - the expectation table (expect.h). */
#include "report/expect.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/util.h"
#include "engine/fallback.h"
#include "report/report.h"

struct exp_kind {
    const char *key;
    const char *value; /* for help */
    const char *meaning;
    int (*parse)(const char *val, struct expectation *e, char *why, size_t whylen);
    bool (*judge)(const struct expectation *e, const struct cell *c, char **observed);
};

long report_judged_files(const struct cell *c)
{
    long n = 0;
    for (int k = 0; k < CLS_COUNT; k++)
        if (k != CLS_INLINE && k != CLS_EMPTY)
            n += c->classes[k];
    return n;
}

void report_classes(const struct cell *c, struct strbuf *sb)
{
    for (int k = 0; k < CLS_COUNT; k++)
        if (c->classes[k]) {
            strbuf_addsep(sb, ", ");
            strbuf_addf(sb, "%s %ld", obs_class_name((enum obs_class)k), c->classes[k]);
        }
}

static char *classes_text(const struct cell *c)
{
    struct strbuf sb = STRBUF_INIT;
    report_classes(c, &sb);
    if (!sb.len)
        strbuf_adds(&sb, "no files");
    return strbuf_detach(&sb);
}

/* the class a mode asks for */
static int mode_class(const char *mode)
{
    switch (mode_parse(mode)) {
    case MODE_CLONE: return CLS_CLONED;
    case MODE_HARDLINK: return CLS_HARDLINKED;
    case MODE_SYMLINK: return CLS_SYMLINKED;
    case MODE_COPY: return CLS_COPIED;
    default: return -1;
    }
}

/* ---------------------------------------------------------- parsers */

static int parse_yes_no(const char *val, struct expectation *e, char *why, size_t whylen)
{
    if (strcmp(val, "yes") == 0 || strcmp(val, "no") == 0) {
        e->yes = strcmp(val, "yes") == 0;
        return 0;
    }
    snprintf(why, whylen, "want yes or no, not '%s'", val);
    return -1;
}

static int parse_number(const char *val, struct expectation *e, char *why, size_t whylen, long max)
{
    char *end;
    errno = 0;
    long n = strtol(val, &end, 10);
    if (*val >= '0' && *val <= '9' && !*end && errno == 0 && n <= max) {
        e->n = n;
        return 0;
    }
    snprintf(why, whylen, "want a number from 0 to %ld, not '%s'", max, val);
    return -1;
}

static int parse_count_value(const char *val, struct expectation *e, char *why, size_t whylen)
{
    return parse_number(val, e, why, whylen, INT_MAX);
}

static int parse_exit(const char *val, struct expectation *e, char *why, size_t whylen)
{
    return parse_number(val, e, why, whylen, 255);
}

static int parse_class(const char *val, struct expectation *e, char *why, size_t whylen)
{
    e->negate = *val == '!';
    const char *name = e->negate ? val + 1 : val;
    for (int k = 0; k < CLS_COUNT; k++)
        if (strcmp(obs_class_name((enum obs_class)k), name) == 0) {
            e->cls = k;
            return 0;
        }
    struct strbuf names = STRBUF_INIT;
    for (int k = 0; k < CLS_COUNT; k++) {
        strbuf_addsep(&names, ", ");
        strbuf_adds(&names, obs_class_name((enum obs_class)k));
    }
    snprintf(why, whylen, "unknown class %s (classes: %s)", val, strbuf_str(&names));
    strbuf_release(&names);
    return -1;
}

/* ----------------------------------------------------------- judges */

static bool judge_class(const struct expectation *e, const struct cell *c, char **observed)
{
    *observed = classes_text(c);
    long n = c->classes[e->cls];
    return e->negate ? n == 0 : n > 0 && n == report_judged_files(c);
}

/* the class a cell asks for: what its subject's chain starts with (bench/run
 * records it with a derived cell: a pnpm copy is copy_file_range, a clone
 * on btrfs), else what its mode names */
static int asked_class(const struct cell *c)
{
    const char *asks = json_string_value(json_object_get(c->def, "asks"));
    if (asks && *asks)
        for (int k = 0; k < CLS_COUNT; k++)
            if (strcmp(obs_class_name((enum obs_class)k), asks) == 0)
                return k;
    return mode_class(c->mode);
}

static bool judge_fallback(const struct expectation *e, const struct cell *c, char **observed)
{
    int want = asked_class(c);
    bool fell = want >= 0 && report_judged_files(c) - c->classes[want] > 0;
    char *ct = classes_text(c);
    *observed = xasprintf("%s: %s", fell ? "fell back" : "no fallback", ct);
    free(ct);
    return e->yes ? fell : !fell;
}

static bool judge_warnings(const struct expectation *e, const struct cell *c, char **observed)
{
    *observed = xasprintf("%d warning lines", c->warnings);
    return c->warnings == e->n;
}

static bool judge_complete(const struct expectation *e, const struct cell *c, char **observed)
{
    bool complete = c->missing + c->corrupt + c->mode_findings == 0;
    *observed = xasprintf("missing %ld, corrupt %ld, mode %ld", c->missing, c->corrupt, c->mode_findings);
    return e->yes ? complete : !complete;
}

/* every run: the observed one, and each timed one */
static bool judge_exit(const struct expectation *e, const struct cell *c, char **observed)
{
    bool ok = c->exit_code == e->n && c->failed_runs == 0;
    /* what the installer said last, when it did otherwise than expected */
    const char *said = ok ? NULL : json_string_value(json_object_get(c->def, "said"));
    char *tail = said && *said ? xasprintf(" (it said: %s)", said) : xstrdup("");
    if (c->failed_runs > 0)
        *observed = xasprintf("exit %d; %d of %d timed runs exited otherwise%s", c->exit_code, c->failed_runs,
                              c->failed_runs + c->nruns, tail);
    else
        *observed = xasprintf("exit %d%s", c->exit_code, tail);
    free(tail);
    return ok;
}

static int parse_unchanged(const char *val, struct expectation *e, char *why, size_t whylen)
{
    if (strcmp(val, "unchanged") == 0) {
        e->yes = true;
        return 0;
    }
    snprintf(why, whylen, "want unchanged, not '%s'", val);
    return -1;
}

/* the first few of a JSON list of strings, for what was seen */
static void first_items(json_t *list, struct strbuf *sb)
{
    for (size_t i = 0; i < json_array_size(list) && i < 3; i++) {
        strbuf_adds(sb, i ? "; " : ": ");
        strbuf_adds(sb, json_string_value(json_array_get(list, i)) ? json_string_value(json_array_get(list, i)) : "?");
    }
}

/* imports=yes: bench/run imported every package's modules from the target
 * (scripts/imports) and none failed; a cell where that never ran fails */
static bool judge_imports(const struct expectation *e, const struct cell *c, char **observed)
{
    json_t *im = json_object_get(c->def, "imports"), *failed = json_object_get(im, "failed");
    if (!json_is_object(im) || !json_is_array(failed)) {
        *observed = xstrdup("not checked");
        return false;
    }
    long checked = (long)json_integer_value(json_object_get(im, "checked"));
    size_t nf = json_array_size(failed);
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%ld imported, %zu failed", checked - (long)nf, nf);
    first_items(failed, &sb);
    *observed = strbuf_detach(&sb);
    bool ok = nf == 0 && checked > 0;
    return e->yes ? ok : !ok;
}

/* source=unchanged: after every install the cache (the installer's store)
 * and the packages still hold the bytes recorded before the first */
static bool judge_source(const struct expectation *e, const struct cell *c, char **observed)
{
    (void)e;
    json_t *src = json_object_get(c->def, "source");
    if (!json_is_object(src)) {
        *observed = xstrdup("not checked");
        return false;
    }
    long files = (long)json_integer_value(json_object_get(src, "files"));
    long changed = (long)json_integer_value(json_object_get(src, "changed"));
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%ld of %ld cache and package files changed", changed, files);
    long added = (long)json_integer_value(json_object_get(src, "added"));
    if (added > 0) /* counted, not judged: an installer's own cache beside the lab's */
        strbuf_addf(&sb, " (%ld added beside them)", added);
    first_items(json_object_get(src, "first"), &sb);
    *observed = strbuf_detach(&sb);
    return changed == 0 && files > 0;
}

static const struct exp_kind kinds[] = {
    {"class", "C", "every file is of class C (inline and empty excepted); class=!C: no file is",
     parse_class, judge_class},
    {"fallback", "yes|no", "some file's class differs from what MODE asks (with derive: from what the chain's first step gives), or none", parse_yes_no,
     judge_fallback},
    {"warnings", "N", "the observed install printed N warning lines", parse_count_value, judge_warnings},
    {"complete", "yes|no", "nothing missing, corrupt or with a wrong exec bit (or something is)",
     parse_yes_no, judge_complete},
    {"exit", "N", "every install, the observed one and each timed one, exits N (default 0)", parse_exit, judge_exit},
    {"imports", "yes|no", "every top-level module of every package imports from the target alone (or one does not)",
     parse_yes_no, judge_imports},
    {"source", "unchanged", "the cache and the packages hold what they held before the first install (always on)",
     parse_unchanged, judge_source},
};

int expectation_parse(const char *text, struct expectation *e, char *why, size_t whylen)
{
    *e = (struct expectation){0};
    const char *eq = strchr(text, '=');
    if (!eq) {
        snprintf(why, whylen, "not an expectation (want KEY=VALUE)");
        return -1;
    }
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strlen(kinds[i].key) == (size_t)(eq - text) && strncmp(kinds[i].key, text, (size_t)(eq - text)) == 0) {
            e->kind = &kinds[i];
            return kinds[i].parse(eq + 1, e, why, whylen);
        }
    struct strbuf keys = STRBUF_INIT;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        strbuf_addsep(&keys, ", ");
        strbuf_adds(&keys, kinds[i].key);
    }
    snprintf(why, whylen, "unknown expectation (keys: %s)", strbuf_str(&keys));
    strbuf_release(&keys);
    return -1;
}

bool expectation_judge(const struct expectation *e, const struct cell *c, char **observed)
{
    return e->kind->judge(e, c, observed);
}

const char *expectation_key(const struct expectation *e) { return e->kind->key; }

void expectation_help(struct strbuf *sb)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char kv[32];
        snprintf(kv, sizeof kv, "%s=%s", kinds[i].key, kinds[i].value);
        strbuf_addf(sb, "  %-18s %s\n", kv, kinds[i].meaning);
    }
}
