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
    printf("usage: linklab observe --target DIR [--source DIR] [--wheel WHEEL]... [--package FILE]...\n"
           "                       [--expect MODE] [--own GLOB]... [--json FILE] [--isolation]\n"
           "                       [--trace -- COMMAND...]\n\n"
           "Says what each file under the target really is, from what is on disk,\n"
           "whoever installed it (linklab, cp, pip, uv, pnpm, ...). Each file is paired with\n"
           "its source (cache) file, then classed:\n"
           "  cloned               its source's size, and every byte stored where the source\n"
           "                       stores the same byte (FIEMAP: same physical address at the\n"
           "                       same offset; compressed extents as the same extent)\n"
           "  partial              some bytes stored with the source's, not all (a range clone,\n"
           "                       a clone rewritten, truncated or hole-punched since)\n"
           "  shared-elsewhere     FIEMAP says shared, but not with the source\n"
           "  hardlinked           the inode of a source file (any, not only its path's)\n"
           "  hardlinked-elsewhere link count > 1, and no source file has that inode\n"
           "  symlinked            a symlink resolving to a source file or directory\n"
           "  symlinked-outside    a symlink resolving outside the source\n"
           "  copied               its own data, nothing shared\n"
           "  inline, empty        data in metadata (small files on btrfs) or none: sharing\n"
           "                       cannot be proved either way\n"
           "  dangling             a symlink to nothing; unknown: no FIEMAP here\n"
           "A paired file whose size or bytes differ from its source's is also a corrupt\n"
           "finding, whatever its class. Addresses are compared only within one mounted\n"
           "filesystem (its superblock), never by UUID.\n\n"
           "options:\n"
           "  --source DIR      the cache; files are paired by relative path under DIR,\n"
           "                    DIR/NAME/ or DIR/wheels/NAME/, by inode (hardlinks and\n"
           "                    symlinks), else by content (SHA-256). Without it, files\n"
           "                    are classed by what they show alone.\n"
           "  --wheel WHEEL     check completeness against the wheel's RECORD: missing,\n"
           "                    corrupt (size or hash), mode (exec bit), extra (in the\n"
           "                    wheel's directories, not in RECORD), installer-added\n"
           "                    (INSTALLER, REQUESTED, direct_url.json, *.pyc),\n"
           "                    case-collision, overwritten. Repeatable. Only --wheel\n"
           "                    and --package find missing files: the source may hold\n"
           "                    more than the target installed.\n"
           "  --package FILE    the same for any package format, by FILE's suffix: a\n"
           "                    .whl is a wheel; a .tgz is an npm registry tarball,\n"
           "                    checked as npm installers place it, at node_modules/NAME/\n"
           "                    (NAME from its package.json; a pnpm symlink there is\n"
           "                    followed): each file the tarball's bytes, executable\n"
           "                    when the tarball or package.json's bin says so; extra in\n"
           "                    node_modules/NAME/, installer-added in node_modules/.bin/.\n"
           "                    Repeatable.\n"
           "  --expect MODE     clone, hardlink, copy or symlink (needs --source): exit 1\n"
           "                    when a file is of another class (inline and empty\n"
           "                    excepted), the tree is incomplete or corrupt, or there is\n"
           "                    no file to judge; prints the first deviations\n"
           "  --own GLOB        files matching GLOB (relative to the target; '*' does not\n"
           "                    cross '/', a leading dot is matched only explicitly, a\n"
           "                    leading '**/' matches any directories) are the\n"
           "                    installer's own layout links and bookkeeping: listed and\n"
           "                    counted apart, never deviations, paired with the source\n"
           "                    by what they share, never by path. Repeatable.\n"
           "                    E.g. pnpm: --own 'node_modules/*' --own 'node_modules/.*'.\n"
           "                    Always own: what installers rewrite or add to a wheel\n"
           "                    (its RECORD; INSTALLER, REQUESTED, direct_url.json and\n"
           "                    bytecode that no source file has the path of).\n"
           "  --json FILE       per-file records and a summary (schema in README)\n"
           "  --isolation       (needs --source) one file per class: on scratch copies of\n"
           "                    the file and its source related the same way, write to\n"
           "                    the installed copy and check the source; hardlinks and\n"
           "                    symlinks report \"edits reach the cache\". The real tree\n"
           "                    and cache files are not written (scratch files beside them are).\n"
           "  --trace -- CMD    run CMD (an installer) under strace first, then attribute\n"
           "                    each file to the call that produced its data: FICLONE,\n"
           "                    FICLONERANGE, copy_file_range, sendfile, write, link,\n"
           "                    symlink, and whether it (or a directory above it) was\n"
           "                    renamed from a temporary name. Shared extents alone cannot\n"
           "                    tell FICLONE from copy_file_range on btrfs and XFS.\n"
           "                    Never used for timing.\n"
           "  --quiet           no report on stdout\n"
           "Without --source, classes are what files show alone: hardlinked = link count\n"
           "above 1, shared-elsewhere = FIEMAP's SHARED flag.\n\n"
           "Exit status: 0, 1 (an expectation failed, the tree is incomplete, the traced\n"
           "command failed, or an error), 2 usage error (also: a --target or --source\n"
           "that is not a directory, or the two overlapping).\n");
}

int cmd_observe(int argc, char **argv)
{
    enum { OPT_ISOLATION = 256, OPT_TRACE, OPT_QUIET, OPT_OWN };
    static const struct option opts[] = {
        {"target", required_argument, NULL, 't'},
        {"source", required_argument, NULL, 's'},
        {"wheel", required_argument, NULL, 'w'},
        {"package", required_argument, NULL, 'w'},
        {"expect", required_argument, NULL, 'e'},
        {"json", required_argument, NULL, 'j'},
        {"isolation", no_argument, NULL, OPT_ISOLATION},
        {"trace", no_argument, NULL, OPT_TRACE},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"own", required_argument, NULL, OPT_OWN},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    struct observe_opts o = {.expect = -1};
    o.packages = xcalloc((size_t)argc + 1, sizeof *o.packages);
    o.own = xcalloc((size_t)argc + 1, sizeof *o.own);
    bool trace = false;
    int c, status;
    while ((c = getopt_long(argc, argv, "+:t:s:w:e:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 't': o.target = optarg; break;
        case 's': o.source = optarg; break;
        case 'w': o.packages[o.npackages++] = optarg; break;
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
        case OPT_OWN: o.own[o.nown++] = optarg; break;
        case 'h':
            help();
            status = LAB_EXIT_OK;
            goto out;
        default:
            status = option_error("observe", c, argv);
            goto out;
        }
    }
    if (!o.target) {
        status = usage_error("observe", "--target DIR is required");
        goto out;
    }
    if (!o.source && (o.expect >= 0 || o.isolation)) {
        status = usage_error("observe", "%s needs --source DIR: without the cache nothing can be proved",
                             o.isolation ? "--isolation" : "--expect");
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
    free(o.packages);
    free(o.own);
    return status;
}
