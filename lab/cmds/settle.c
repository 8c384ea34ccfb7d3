/* settle.c - linklab settle: before a timed run, let the filesystems a cell
 * uses finish what earlier runs left them (writeback of the target just
 * removed, XFS's background inode inactivation, btrfs's transaction): each
 * is synced (syncfs) and, where the kernel can, frozen and thawed at once,
 * which waits for all of it. On a 2-core machine that work otherwise lands
 * inside the next run: XFS at --jobs 2 took 12 to 56 ms for one 13 ms
 * install (CV 40%); settled, 13 to 17 ms (issue 16). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds/cmd.h"
#include "common/util.h"

static void help(void)
{
    printf("usage: linklab settle [--no-freeze] PATH...\n\n"
           "For the filesystem holding each PATH: syncfs, then freeze and thaw it\n"
           "(FIFREEZE, FITHAW), which returns once everything the filesystem was doing\n"
           "in the background is done. bench/run settles a cell's cache and target\n"
           "before every timed run. Filesystems that cannot freeze (tmpfs, FUSE,\n"
           "overlay), and the one holding /, are only synced. Signals are blocked between the\n"
           "freeze and the thaw; SIGKILL or SIGSTOP (not blockable) there leaves the\n"
           "filesystem frozen until the process is killed or continued. A filesystem\n"
           "someone else froze is left frozen, with a warning.\n"
           "Freezing needs root (CAP_SYS_ADMIN).\n\n"
           "options:\n"
           "  --no-freeze  only syncfs\n\n"
           "Exit status: 0 settled, 1 a PATH cannot be opened or synced, or a freeze\n"
           "failed for another reason than the filesystem not having it, 2 usage.\n");
}

/* the filesystems settled by this run: each once, however many paths */
static dev_t done[64];
static int ndone;

static int settle_one(const char *path, int freeze)
{
    /* O_NONBLOCK: a FIFO's open would wait for a writer */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st, root;
    if (fd < 0 || fstat(fd, &st) != 0) {
        lab_error("%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    for (int i = 0; i < ndone; i++)
        if (done[i] == st.st_dev) {
            close(fd);
            return 0;
        }
    if (ndone < (int)(sizeof done / sizeof done[0]))
        done[ndone++] = st.st_dev;
    /* the machine's own root filesystem is never the lab's to freeze */
    if (stat("/", &root) == 0 && root.st_dev == st.st_dev)
        freeze = 0;
    int rc = 0;
    if (syncfs(fd) != 0) {
        lab_error("syncfs %s: %s", path, strerror(errno));
        rc = -1;
    } else if (freeze) {
        sigset_t all, old;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old);
        if (ioctl(fd, FIFREEZE, 0) == 0) {
            if (ioctl(fd, FITHAW, 0) != 0) {
                lab_error("thaw %s: %s (thaw it: fsfreeze -u on its mount point)", path, strerror(errno));
                rc = -1;
            }
        } else if (errno == EBUSY) {
            /* frozen by someone else, theirs to thaw: a timed run on it would wait */
            lab_error("%s: its filesystem is frozen by someone else; left frozen (thaw it: fsfreeze -u)", path);
        } else if (errno != EOPNOTSUPP && errno != ENOTTY && errno != EINVAL) {
            lab_error("freeze %s: %s", path, strerror(errno));
            rc = -1;
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    close(fd);
    return rc;
}

int cmd_settle(int argc, char **argv)
{
    static const struct option opts[] = {
        {"no-freeze", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int freeze = 1, c;
    while ((c = getopt_long(argc, argv, ":nh", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            freeze = 0;
            break;
        case 'h':
            help();
            return LAB_EXIT_OK;
        default:
            return option_error("settle", c, argv);
        }
    }
    if (optind == argc)
        return usage_error("settle", "which paths?");
    int rc = LAB_EXIT_OK;
    for (int i = optind; i < argc; i++)
        if (settle_one(argv[i], freeze) != 0)
            rc = LAB_EXIT_FAIL;
    return rc;
}
