#include "labfs/faults.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/splitmix.h"

static const char *const op_names[FOP_COUNT] = {"clone", "link", "create", "write", "rename", "mkdir", "fsync"};

static const struct {
    const char *name;
    int value;
} errnos[] = {
    {"EIO", EIO}, {"ENOSPC", ENOSPC}, {"EXDEV", EXDEV}, {"EMLINK", EMLINK}, {"EPERM", EPERM},
    {"EACCES", EACCES}, {"EOPNOTSUPP", EOPNOTSUPP}, {"ENOTSUP", ENOTSUP}, {"EINVAL", EINVAL},
    {"EEXIST", EEXIST}, {"ENOENT", ENOENT}, {"EDQUOT", EDQUOT}, {"EROFS", EROFS}, {"EBUSY", EBUSY},
    {"ENOMEM", ENOMEM}, {"EAGAIN", EAGAIN}, {"EINTR", EINTR},
};

enum when { WHEN_ALWAYS, WHEN_NTH, WHEN_EVERY, WHEN_RATE };

struct rule {
    enum fault_op op;
    int err;
    enum when when;
    unsigned long n;
    double rate;
    uint64_t state;
};

#define MAX_RULES 32
static struct rule rules[MAX_RULES];
static int nrules;
static unsigned long calls[FOP_COUNT], faults[FOP_COUNT];

const char *fault_op_name(enum fault_op op) { return op_names[op]; }

int faults_add(const char *spec, char *err, size_t errlen)
{
    if (nrules == MAX_RULES) {
        snprintf(err, errlen, "more than %d fail= rules", MAX_RULES);
        return -1;
    }
    struct rule r = {0};
    const char *colon = strchr(spec, ':');
    if (!colon) {
        snprintf(err, errlen, "fail=%s: want OP:ERRNO[@SPEC]", spec);
        return -1;
    }
    int op = -1;
    for (int i = 0; i < FOP_COUNT; i++)
        if (strlen(op_names[i]) == (size_t)(colon - spec) && strncmp(spec, op_names[i], (size_t)(colon - spec)) == 0)
            op = i;
    if (op < 0) {
        snprintf(err, errlen, "fail=%s: unknown operation (clone, link, create, write, rename, mkdir, fsync)", spec);
        return -1;
    }
    r.op = (enum fault_op)op;
    const char *at = strchr(colon + 1, '@');
    size_t elen = at ? (size_t)(at - colon - 1) : strlen(colon + 1);
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0] && !r.err; i++)
        if (strlen(errnos[i].name) == elen && strncmp(colon + 1, errnos[i].name, elen) == 0)
            r.err = errnos[i].value;
    if (!r.err) {
        snprintf(err, errlen, "fail=%s: unknown errno name", spec);
        return -1;
    }
    char *end;
    if (!at) {
        r.when = WHEN_ALWAYS;
    } else if (strncmp(at + 1, "every", 5) == 0) {
        r.when = WHEN_EVERY;
        r.n = strtoul(at + 6, &end, 10);
        if (*end || r.n == 0)
            goto bad;
    } else if (strncmp(at + 1, "rate", 4) == 0) {
        r.when = WHEN_RATE;
        r.rate = strtod(at + 5, &end);
        if (strncmp(end, ":seed", 5) != 0 || r.rate < 0 || r.rate > 1)
            goto bad;
        r.state = strtoull(end + 5, &end, 10);
        if (*end)
            goto bad;
    } else {
        r.when = WHEN_NTH;
        r.n = strtoul(at + 1, &end, 10);
        if (*end || r.n == 0)
            goto bad;
    }
    rules[nrules++] = r;
    return 0;
bad:
    snprintf(err, errlen, "fail=%s: SPEC is N, everyN or rateP:seedS", spec);
    return -1;
}

int faults_check(enum fault_op op)
{
    unsigned long n = ++calls[op];
    int inject = 0;
    for (int i = 0; i < nrules; i++) {
        struct rule *r = &rules[i];
        if (r->op != op)
            continue;
        int fire = 0;
        switch (r->when) {
        case WHEN_ALWAYS: fire = 1; break;
        case WHEN_NTH: fire = n == r->n; break;
        case WHEN_EVERY: fire = n % r->n == 0; break;
        case WHEN_RATE: fire = (double)(splitmix64_next(&r->state) >> 11) / 9007199254740992.0 < r->rate; break;
        }
        if (fire && !inject)
            inject = r->err;
    }
    if (inject)
        faults[op]++;
    return inject;
}

void faults_report(struct strbuf *sb)
{
    strbuf_adds(sb, "op calls faults\n");
    for (int i = 0; i < FOP_COUNT; i++)
        strbuf_addf(sb, "%s %lu %lu\n", op_names[i], calls[i], faults[i]);
}

void faults_reset(void)
{
    nrules = 0;
    memset(calls, 0, sizeof calls);
    memset(faults, 0, sizeof faults);
}
