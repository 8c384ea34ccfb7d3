/* install.h - placing the files of cached wheels into a target directory,
 * in parallel, with the per-wheel fallback of fallback.h. */
#ifndef LAB_INSTALL_H
#define LAB_INSTALL_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/fallback.h"
#include "engine/place.h"
#include "policy/policy.h"

/* What happened to one file of a wheel. */
struct file_result {
    enum lab_mode used;
    uint64_t ns;
    bool placed;
    bool replaced; /* an existing target file was replaced atomically */
    bool reinoded; /* the cache file got a fresh inode at the link limit */
    bool err;
};

struct install_opts {
    enum lab_mode mode;
    const struct policy *policy;
    bool strict;
    bool quiet;
    /* the macOS path: clonefile of whole wheel directories, merged entry by
     * entry into existing ones (darwin.h); the default on macOS */
    bool darwin;
    int (*clonefile)(const char *src, const char *dst);
    int jobs;
    enum copy_method copy_method;
    const char *cache_dir;
    const char *target_dir;
    const char *log_path; /* NULL: no event log */
    char **wheels;
    int nwheels;
};

/* Returns the exit status: 0 done, 1 failed (a message was printed). */
int install_run(const struct install_opts *o);

#endif
