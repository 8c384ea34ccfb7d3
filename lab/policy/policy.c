/* policy.c - the policy registry: the table scripts/gen-policies writes
 * from subjects/NAME.conf, the default policy first. */
#include "policy/policy.h"

#include <string.h>

static const struct policy policies[] = {
#include "policies.inc"
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
