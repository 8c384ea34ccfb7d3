#include "policy.h"

#include <string.h>

static const struct policy policies[] = {
    {
        .name = "linklab",
        .summary = "per-file clone/hardlink/copy/symlink, settled on each wheel's first file, "
                   "one warning per kind of fallback",
        .clone_whole_dir = false,
        .warn_on_fallback = true,
    },
    {
        .name = "uv-0.4",
        .summary = "uv before PR #7620 on Linux: clone tries to reflink the whole wheel "
                   "directory, fails, and silently copies every file",
        .clone_whole_dir = true,
        .warn_on_fallback = false,
    },
};

const struct policy *policy_find(const char *name)
{
    for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++)
        if (strcmp(policies[i].name, name) == 0)
            return &policies[i];
    return NULL;
}

const struct policy *policy_default(void) { return &policies[0]; }

const struct policy *policy_table(int *n)
{
    *n = (int)(sizeof policies / sizeof policies[0]);
    return policies;
}
