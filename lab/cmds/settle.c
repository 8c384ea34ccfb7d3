/* settle.c - linklab settle: before a timed run, let the filesystems a cell
 * uses write out what earlier runs left them (the target just removed, the
 * cache's metadata): each filesystem holding a PATH is synced (syncfs), once
 * however many paths it holds. On a 2-core machine that writeback otherwise
 * lands inside the next run (issue 16).
 *
 * It does not freeze. An earlier version also froze and thawed each
 * filesystem (FIFREEZE, FITHAW); a test run killed with SIGKILL between the
 * two left a btrfs image frozen, and since Linux 6.6 a frozen superblock
 * stays alive after its last mount is gone: its loop device could not be
 * detached until the filesystem was mounted again and thawed by hand. Its
 * gain at --jobs 1, which the sign-off runs, was not established: one
 * 20-run series each on XFS gave CV 1.3% synced and 1.5% frozen for a
 * clone, 11% and 3.6% for a hardlink, while series of one setting vary from
 * 3% to 14% on these machines. Not worth a filesystem left frozen. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds/cmd.h"
#include "common/util.h"

static void help(void)
{
    printf("usage: linklab settle PATH...\n\n"
           "Syncs the filesystem holding each PATH (syncfs), once however many paths it\n"
           "holds: what earlier runs left it to write is written before the next timed\n"
           "run. bench/run settles a cell's cache and target before every timed run.\n"
           "It never freezes a filesystem.\n\n"
           "Exit status: 0 synced, 1 a PATH cannot be opened or synced, 2 usage.\n");
}

/* the filesystems synced by this run: each once, however many paths */
static dev_t done[64];
static int ndone;

static int settle_one(const char *path)
{
    /* O_NONBLOCK: a FIFO's open would wait for a writer */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
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
    int rc = 0;
    if (syncfs(fd) != 0) {
        lab_error("syncfs %s: %s", path, strerror(errno));
        rc = -1;
    }
    close(fd);
    return rc;
}

int cmd_settle(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
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
        if (settle_one(argv[i]) != 0)
            rc = LAB_EXIT_FAIL;
    return rc;
}
