/* findings.c - the observer's findings (internal.h): names and counts. */
#include "observe/internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* the names observe.json and the text report use */
static const char *const names[FIND_COUNT] = {
    [FIND_MISSING] = "missing",
    [FIND_CORRUPT] = "corrupt",
    [FIND_MODE] = "mode",
    [FIND_EXTRA] = "extra",
    [FIND_INSTALLER_ADDED] = "installer-added",
    [FIND_CASE_COLLISION] = "case-collision",
    [FIND_OVERWRITTEN] = "overwritten",
    [FIND_CACHE_CORRUPT] = "cache-corrupt",
};

const char *finding_name(enum finding_kind k) { return names[k]; }

struct finding *add_finding(struct obs *ob, enum finding_kind kind, const char *path, const char *wheel,
                            char *detail)
{
    ob->findings = xrealloc(ob->findings, (ob->nfindings + 1) * sizeof *ob->findings);
    ob->findings[ob->nfindings] = (struct finding){kind, xstrdup(path), detail, wheel, 0};
    ob->nkind[kind]++;
    return &ob->findings[ob->nfindings++];
}

struct finding *find_unnamed_finding(struct obs *ob, enum finding_kind kind, const char *path)
{
    for (size_t i = 0; i < ob->nfindings; i++)
        if (ob->findings[i].kind == kind && !ob->findings[i].wheel && strcmp(ob->findings[i].path, path) == 0)
            return &ob->findings[i];
    return NULL;
}

void retype_finding(struct obs *ob, struct finding *x, enum finding_kind kind, char *detail)
{
    ob->nkind[x->kind]--;
    ob->nkind[kind]++;
    x->kind = kind;
    free(x->detail);
    x->detail = detail;
}

void remove_finding(struct obs *ob, struct finding *x)
{
    size_t i = (size_t)(x - ob->findings);
    ob->nkind[x->kind]--;
    free(x->path);
    free(x->detail);
    memmove(x, x + 1, (ob->nfindings - i - 1) * sizeof *x);
    ob->nfindings--;
}

bool findings_incomplete(const struct obs *ob)
{
    return ob->nkind[FIND_MISSING] + ob->nkind[FIND_CORRUPT] + ob->nkind[FIND_MODE] > 0;
}
