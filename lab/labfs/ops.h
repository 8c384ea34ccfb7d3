/* ops.h - labfs's FUSE operations over a backing directory. */
#ifndef LABFS_OPS_H
#define LABFS_OPS_H

#define FUSE_USE_VERSION 35
#include <fuse.h>
#include <stdbool.h>

#include "labfs/names.h"

struct labfs_cfg {
    char *backing;    /* absolute path of the backing directory */
    char *mountpoint; /* absolute path of the mount, for the clone ioctl's EXDEV */
    struct names_cfg names;
    bool dirclone;
    unsigned long maxlinks;   /* 0: no limit */
    unsigned long long quota; /* bytes that writes may add; 0: none */
    unsigned long long written;
    unsigned long maxlinks_refused; /* links refused with EMLINK at maxlinks */
    unsigned long quota_refused;    /* writes refused with ENOSPC past quota */
};

extern struct labfs_cfg labfs;
extern const struct fuse_operations labfs_ops;

#endif
