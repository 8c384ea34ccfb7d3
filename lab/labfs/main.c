/* labfs - an APFS-like FUSE filesystem over a backing directory, with
 * fault injection. See README, "apfs-like". */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labfs/faults.h"
#include "labfs/ops.h"

struct opts {
    int casefold, normalize, dirclone, help;
    unsigned long maxlinks;
    unsigned long long quota;
    int nonopt;
    char *backing;
    char *mountpoint;
    int bad;
};

enum { KEY_FAIL, KEY_HELP };

#define OPT(t, p) {t, offsetof(struct opts, p), 1}
static const struct fuse_opt option_spec[] = {
    OPT("casefold", casefold),
    OPT("normalize", normalize),
    OPT("dirclone", dirclone),
    {"maxlinks=%lu", offsetof(struct opts, maxlinks), 0},
    {"quota=%llu", offsetof(struct opts, quota), 0},
    FUSE_OPT_KEY("fail=", KEY_FAIL),
    FUSE_OPT_KEY("--help", KEY_HELP),
    FUSE_OPT_KEY("-h", KEY_HELP),
    FUSE_OPT_END,
};

static void usage(void)
{
    printf("usage: labfs BACKING_DIR MOUNTPOINT [-o OPTION[,OPTION...]] [-f]\n\n"
           "An APFS-like filesystem on Linux: serves BACKING_DIR (on btrfs, so that\n"
           "clones reflink) at MOUNTPOINT, adding by option:\n"
           "  casefold          case-insensitive, case-preserving names; creating Foo.py\n"
           "                    where foo.py exists opens foo.py\n"
           "  normalize         names equal after Unicode NFC normalization are one name\n"
           "  dirclone          the LABFS_IOC_CLONE ioctl (lab/labfs.h): clonefile(2) of a\n"
           "                    file or a whole tree; EEXIST, atomic, EXDEV from outside\n"
           "  maxlinks=N        link(2) fails with EMLINK at N links to one file\n"
           "  quota=BYTES       writes fail with ENOSPC past BYTES written\n"
           "  fail=OP:ERRNO[@SPEC]  (repeatable) OP: clone, link, create, write, rename,\n"
           "                    mkdir, fsync; SPEC: N (the Nth call), everyN, or\n"
           "                    rateP:seedS (probability P from seed S: replayable)\n"
           "Counters of calls and injected faults: MOUNTPOINT/.labfs/stats (hidden).\n"
           "Each file's backing path: getxattr user.labfs.backing (FIEMAP does not\n"
           "pass through FUSE). Unmount with fusermount3 -u MOUNTPOINT.\n"
           "Runs single-threaded, so a seeded fault sequence replays exactly.\n");
}

static int proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
    (void)outargs;
    struct opts *o = data;
    char err[512];
    switch (key) {
    case KEY_FAIL:
        if (faults_add(arg + strlen("fail="), err, sizeof err) != 0) {
            fprintf(stderr, "labfs: %s\n", err);
            o->bad = 1;
        }
        return 0;
    case KEY_HELP:
        o->help = 1;
        return 0;
    case FUSE_OPT_KEY_NONOPT:
        if (o->nonopt++ == 0) {
            o->backing = realpath(arg, NULL);
            if (!o->backing) {
                fprintf(stderr, "labfs: backing directory %s: %s\n", arg, strerror(errno));
                o->bad = 1;
            }
            return 0; /* not for fuse_main */
        }
        o->mountpoint = realpath(arg, NULL);
        if (!o->mountpoint) {
            fprintf(stderr, "labfs: mount point %s: %s\n", arg, strerror(errno));
            o->bad = 1;
        }
        return 1;
    default:
        return 1;
    }
}

int main(int argc, char **argv)
{
    /* A daemon outlives whoever started it: holding an inherited descriptor
     * (a test runner's output pipe, a lock) would keep that alive as long.
     * Only stdin, stdout and stderr stay; fuse_daemonize points them at
     * /dev/null. */
    if (close_range(3, ~0U, 0) != 0) {
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    }
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    struct opts o = {0};
    if (fuse_opt_parse(&args, &o, option_spec, proc) != 0 || o.bad) {
        fuse_opt_free_args(&args);
        return 1;
    }
    if (o.help) {
        usage();
        fuse_opt_free_args(&args);
        return 0;
    }
    if (!o.backing || !o.mountpoint) {
        fprintf(stderr, "labfs: usage: labfs BACKING_DIR MOUNTPOINT [-o OPTIONS] (see --help)\n");
        fuse_opt_free_args(&args);
        return 2;
    }
    labfs = (struct labfs_cfg){
        .backing = o.backing,
        .mountpoint = o.mountpoint,
        .names = {.casefold = o.casefold, .normalize = o.normalize},
        .dirclone = o.dirclone,
        .maxlinks = o.maxlinks,
        .quota = o.quota,
    };
    fuse_opt_add_arg(&args, "-s"); /* single-threaded: faults replay in call order */
    fuse_opt_add_arg(&args, "-ofsname=labfs,subtype=labfs");
    int rc = fuse_main(args.argc, args.argv, &labfs_ops, NULL);
    fuse_opt_free_args(&args);
    free(o.backing);
    free(o.mountpoint);
    return rc;
}
