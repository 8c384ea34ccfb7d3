/* expect.h - the expectations of a bench cell ("class=cloned",
 * "warnings=1", ...), as one table of {key, parse, judge}: parsed when a
 * definition is loaded (bench/run asks `linklab report --check-expectations`,
 * so a typo is a usage error before anything runs) and judged against each
 * observed cell by the reporter. A new kind of expectation is one row in
 * expect.c. */
#ifndef LAB_REPORT_EXPECT_H
#define LAB_REPORT_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/strbuf.h"

struct cell;
struct exp_kind;

struct expectation {
    const struct exp_kind *kind;
    bool negate; /* class=!C */
    int cls;     /* class=C: an enum obs_class */
    bool yes;    /* fallback=, complete= */
    long n;      /* warnings=, exit= */
};

/* Parses "KEY=VALUE". 0, or -1 with the reason in why. */
int expectation_parse(const char *text, struct expectation *e, char *why, size_t whylen);
/* Whether the cell meets it; what was seen goes to observed (allocated). */
bool expectation_judge(const struct expectation *e, const struct cell *c, char **observed);
/* The key of a parsed expectation ("class", "exit", ...). */
const char *expectation_key(const struct expectation *e);
/* For --help: "  KEY=VALUE   meaning" lines. */
void expectation_help(struct strbuf *sb);

/* files whose class can be judged (not inline, not empty) */
long report_judged_files(const struct cell *c);
/* "cloned 12, copied 3" (nothing added when the cell has no files) */
void report_classes(const struct cell *c, struct strbuf *sb);

#endif
