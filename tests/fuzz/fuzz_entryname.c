/* fuzz_entryname.c - libFuzzer target: entry-name validation. A name that
 * entryname_check accepts must be one that cannot leave a directory: not
 * empty, relative, no '.' or '..' component, no empty component, no control
 * character or backslash, valid UTF-8 within the length limits; folding it
 * must not fail. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/entryname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = malloc(size + 1);
    memcpy(name, data, size);
    name[size] = '\0';
    if (!entryname_check(name)) {
        size_t len = strlen(name);
        if (len == 0 || len > ENTRYNAME_MAX || name[0] == '/')
            abort();
        for (const char *c = name;;) {
            const char *slash = strchr(c, '/');
            size_t n = slash ? (size_t)(slash - c) : strlen(c);
            if (n == 0 || n > ENTRYNAME_COMPONENT_MAX || (n == 1 && c[0] == '.') ||
                (n == 2 && c[0] == '.' && c[1] == '.'))
                abort();
            if (!slash)
                break;
            c = slash + 1;
        }
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
            if (*p < 0x20 || *p == 0x7f || *p == '\\')
                abort();
        char *folded = entryname_fold(name);
        if (!folded)
            abort();
        free(folded);
    }
    char *shown = entryname_escape(name);
    free(shown);
    free(name);
    return 0;
}
