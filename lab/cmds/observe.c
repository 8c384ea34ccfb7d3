/* cmd_observe.c - linklab observe: option parsing and help; the work is in observe.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds/cmd.h"
#include "engine/fallback.h"
#include "observe/observe.h"
#include "common/util.h"

static void help(void)
{
    printf("usage: linklab observe --target DIR [--source DIR] [--wheel WHEEL]... [--expect MODE]\n"
           "                       [--json FILE] [--isolation] [--trace -- COMMAND...]\n\n"
           "Says what each file under the target really is, from what is on disk,\n"
           "whoever installed it (linklab, cp, pip, uv, ...):\n"
           "  cloned            every data extent at the physical address of an extent of\n"
           "                    its source file (FIEMAP with FIEMAP_FLAG_SYNC)\n"
           "  partial           some extents shared with the source, some not\n"
           "  shared-elsewhere  FIEMAP says shared, but no extent matches the source\n"
           "  hardlinked        the source's device and inode\n"
           "  symlinked         a symlink resolving to the source\n"
           "  copied            own data, no shared extents\n"
           "  inline, empty     data in metadata (small files on btrfs) or none: sharing\n"
           "                    cannot be proved either way\n"
           "  dangling          a symlink to nothing; unknown: no FIEMAP here\n\n"
           "options:\n"
           "  --source DIR      the cache; files are paired by relative path under DIR,\n"
           "                    DIR/NAME/ or DIR/wheels/NAME/, else by content (SHA-256).\n"
           "                    Without it, files are classified by what they show alone.\n"
           "  --wheel WHEEL     check completeness against the wheel's RECORD: missing,\n"
           "                    corrupt (size or hash), mode (exec bit), extra (in the\n"
           "                    wheel's directories, not in RECORD), installer-added\n"
           "                    (INSTALLER, REQUESTED, direct_url.json, *.pyc). Repeatable.\n"
           "  --expect MODE     clone, hardlink, copy or symlink: exit 1 when a file is of\n"
           "                    another class (inline and empty excepted) or the tree is\n"
           "                    incomplete; prints the first deviations\n"
           "  --json FILE       per-file records and a summary (schema in README)\n"
           "  --isolation       one file per class: on scratch copies of the file and its\n"
           "                    source related the same way, write to the installed copy\n"
           "                    and check the source; hardlinks and symlinks report \"edits\n"
           "                    reach the cache\". The real tree and cache are not written.\n"
           "  --trace -- CMD    run CMD (an installer) under strace first, then attribute\n"
           "                    each file to the call that produced its data: FICLONE,\n"
           "                    FICLONERANGE, copy_file_range, sendfile, write, link,\n"
           "                    symlink, and whether it was renamed from a temporary name.\n"
           "                    Shared extents alone cannot tell FICLONE from\n"
           "                    copy_file_range on btrfs and XFS. Never used for timing.\n"
           "  --quiet           no report on stdout\n\n"
           "Exit status: 0, 1 (an expectation failed, the tree is incomplete, the traced\n"
           "command failed, or an error), 2 usage error.\n");
}

int cmd_observe(int argc, char **argv)
{
    enum { OPT_ISOLATION = 256, OPT_TRACE, OPT_QUIET };
    static const struct option opts[] = {
        {"target", required_argument, NULL, 't'},
        {"source", required_argument, NULL, 's'},
        {"wheel", required_argument, NULL, 'w'},
        {"expect", required_argument, NULL, 'e'},
        {"json", required_argument, NULL, 'j'},
        {"isolation", no_argument, NULL, OPT_ISOLATION},
        {"trace", no_argument, NULL, OPT_TRACE},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    struct observe_opts o = {.expect = -1};
    o.wheels = xcalloc((size_t)argc + 1, sizeof *o.wheels);
    bool trace = false;
    int c, status;
    while ((c = getopt_long(argc, argv, "+t:s:w:e:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 't': o.target = optarg; break;
        case 's': o.source = optarg; break;
        case 'w': o.wheels[o.nwheels++] = optarg; break;
        case 'e':
            o.expect = mode_parse(optarg);
            if (o.expect < 0 || o.expect == MODE_AUTO) {
                status = usage_error("observe", "--expect takes clone, hardlink, copy or symlink, not '%s'", optarg);
                goto out;
            }
            break;
        case 'j': o.json_path = optarg; break;
        case OPT_ISOLATION: o.isolation = true; break;
        case OPT_TRACE: trace = true; break;
        case OPT_QUIET: o.quiet = true; break;
        case 'h':
            help();
            status = LAB_EXIT_OK;
            goto out;
        default:
            status = usage_error("observe", "unknown option");
            goto out;
        }
    }
    if (!o.target) {
        status = usage_error("observe", "--target DIR is required");
        goto out;
    }
    if (trace) {
        if (optind >= argc) {
            status = usage_error("observe", "--trace needs a command after '--'");
            goto out;
        }
        o.trace_argv = argv + optind;
    } else if (optind < argc) {
        status = usage_error("observe", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    status = observe_run(&o);
out:
    free(o.wheels);
    return status;
}
