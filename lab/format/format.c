/* format.c - the registry of package formats (format.h): one row each. */
#include "format/format.h"

#include <archive_entry.h>
#include <string.h>

extern const struct format format_wheel, format_npm;

static const struct format *const formats[] = {
    &format_wheel, /* the first row is the default */
    &format_npm,
};

#define NFORMATS (sizeof formats / sizeof formats[0])

const struct format *format_for(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < NFORMATS; i++) {
        size_t s = strlen(formats[i]->suffix);
        if (n >= s && strcmp(path + n - s, formats[i]->suffix) == 0)
            return formats[i];
    }
    return formats[0];
}

bool format_installer_added(const char *rel)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (formats[i]->installer_added(rel))
            return true;
    return false;
}

bool format_installer_rewrites(const char *rel)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (formats[i]->installer_rewrites && formats[i]->installer_rewrites(rel))
            return true;
    return false;
}

bool format_rewrite_keeps(const char *rel, const char *installed, const char *cached)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (formats[i]->installer_rewrites && formats[i]->installer_rewrites(rel))
            return formats[i]->rewrite_keeps(installed, cached);
    return false;
}

const char *format_entry_type_problem(struct archive_entry *e)
{
    if (archive_entry_hardlink(e))
        return "hardlink entry";
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
    case AE_IFDIR:
        return NULL;
    case AE_IFLNK:
        return "symlink entry";
    default:
        return "device or special file entry";
    }
}

size_t package_top_len(const struct package *p, const char *name, bool is_dir)
{
    if (p->format->top_len)
        return p->format->top_len(name, is_dir);
    const char *slash = strchr(name, '/');
    return slash ? (size_t)(slash - name) : is_dir ? strlen(name) : 0;
}

int package_scan(const char *path, struct package *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->format = format_for(path);
    p->path = path;
    return p->format->scan(path, p, err, errlen);
}

void package_free(struct package *p)
{
    if (p->format)
        p->format->release(p);
    memset(p, 0, sizeof *p);
}
