#include "labfs/names.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>

char *names_key(const struct names_cfg *cfg, const char *name)
{
    int flags = UTF8PROC_NULLTERM | UTF8PROC_STABLE;
    if (cfg->normalize)
        flags |= UTF8PROC_COMPOSE;
    if (cfg->casefold)
        flags |= UTF8PROC_CASEFOLD;
    utf8proc_uint8_t *out = NULL;
    if ((!cfg->casefold && !cfg->normalize) ||
        utf8proc_map((const utf8proc_uint8_t *)name, 0, &out, (utf8proc_option_t)flags) < 0)
        return strdup(name);
    return (char *)out;
}

/* The stored spelling of name in dir, or NULL. */
static char *find_equal(const struct names_cfg *cfg, const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char *key = names_key(cfg, name), *found = NULL;
    struct dirent *de;
    while (!found && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *k = names_key(cfg, de->d_name);
        if (k && key && strcmp(k, key) == 0)
            found = strdup(de->d_name);
        free(k);
    }
    free(key);
    closedir(d);
    return found;
}

int names_resolve(const struct names_cfg *cfg, const char *root, const char *path, char *out,
                  size_t outlen, bool *exists)
{
    size_t n = (size_t)snprintf(out, outlen, "%s", root);
    if (n >= outlen)
        return ENAMETOOLONG;
    *exists = true;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        char comp[NAME_MAX + 1];
        if (len > NAME_MAX)
            return ENAMETOOLONG;
        memcpy(comp, p, len);
        comp[len] = '\0';
        const char *use = comp;
        char *stored = NULL;
        if (*exists) {
            struct stat st;
            char probe[4096];
            if ((size_t)snprintf(probe, sizeof probe, "%s/%s", out, comp) >= sizeof probe)
                return ENAMETOOLONG;
            if (lstat(probe, &st) != 0) {
                if ((cfg->casefold || cfg->normalize) && (stored = find_equal(cfg, out, comp)))
                    use = stored;
                else
                    *exists = false;
            }
        }
        n += (size_t)snprintf(out + n, outlen > n ? outlen - n : 0, "/%s", use);
        free(stored);
        if (n >= outlen)
            return ENAMETOOLONG;
        p += len;
    }
    return 0;
}
