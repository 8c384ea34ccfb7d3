/* trace.h - which system call produced each file's data: runs a command
 * under strace (following forks, one output file per process, fds shown
 * with their paths) and attributes every file it made to FICLONE,
 * FICLONERANGE, copy_file_range, sendfile, write, link, symlink or a bare
 * create, noting a rename from a temporary name: of the file itself or of
 * a directory above it (pnpm fills pkg_tmp_NNN/ and renames it). */
#ifndef LAB_TRACE_H
#define LAB_TRACE_H

#include <stdbool.h>
#include <stddef.h>

struct trace_entry {
    char *path; /* absolute, as the traced processes named it */
    char *op;   /* "FICLONE", "copy_file_range", "write", "link", ... ("+"-joined if several) */
    bool renamed; /* reached its name by a rename(2) of it, or of a directory
                   * above it, after its data was made */
};

struct trace_map {
    struct trace_entry *v; /* sorted by path after trace_run */
    size_t n;
};

/* Runs argv under strace into a temporary directory and parses it.
 * *status gets the command's exit status. 0, or -1 with err. */
int trace_run(char **argv, struct trace_map *map, int *status, char *err, size_t errlen);
/* Parses strace -ff -ttt -y output files PREFIX.* (for tests). */
int trace_parse(const char *prefix, struct trace_map *map, char *err, size_t errlen);
const struct trace_entry *trace_lookup(const struct trace_map *map, const char *path);
void trace_free(struct trace_map *map);

#endif
