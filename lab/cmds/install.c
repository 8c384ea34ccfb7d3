/* cmd_install.c - linklab install: option parsing and help; the work is in install.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds/cmd.h"
#include "engine/darwin.h"
#include "engine/install.h"
#include "common/util.h"

static void help(void)
{
    printf("usage: linklab install --mode MODE --cache DIR --target DIR [OPTIONS] WHEEL...\n\n"
           "Unpacks what is missing into the cache, then places every file of every\n"
           "wheel into the target.\n\n"
           "modes:\n"
           "  clone     one FICLONE (reflink) per file; the file is created with the\n"
           "            cache file's mode first, since FICLONE clones data only\n"
           "  hardlink  link(2); at the link limit (EMLINK) the cache file gets a fresh\n"
           "            inode (copy beside it, rename over it) and is linked again\n"
           "  copy      a real copy with its own data (see --copy-method)\n"
           "  symlink   one symlink per file to the cache; directories are real\n"
           "  auto      clone, then hardlink, then copy\n\n"
           "Fallback is settled per wheel, on its first file: clone -> hardlink -> copy,\n"
           "hardlink -> copy, symlink -> copy, on capability errors (EXDEV, EOPNOTSUPP,\n"
           "EINVAL, EPERM, ...). A failure after the mode worked once in a wheel is an\n"
           "error, never a mixed tree. One warning line per kind of fallback names the\n"
           "paths, the errno and the mode used. Existing files are replaced atomically\n"
           "(temporary name, then rename), never truncated in place.\n\n"
           "options:\n"
           "  --mode MODE          clone, hardlink, copy, symlink or auto (required)\n"
           "  --cache DIR          the unpacked-wheel cache (required)\n"
           "  --target DIR         where the files go (required; created if missing)\n"
           "  --jobs N             parallel workers across wheels and files\n"
           "                       (default: online CPUs)\n"
           "  --strict             every fallback is an error\n"
           "  --log FILE           JSON Lines event log: a record per file, per wheel\n"
           "                       and a summary (schema in README, \"Event log\")\n"
           "  --copy-method M      rw (default: read/write), sendfile, or copy_file_range\n"
           "                       (which may reflink by itself on btrfs and XFS)\n"
           "  --policy NAME        placement algorithm:\n");
    int n;
    const struct policy *p = policy_table(&n);
    for (int i = 0; i < n; i++)
        printf("                         %-8s %s\n", p[i].name, p[i].summary);
    printf("  --platform P         linux (FICLONE per file) or darwin: the macOS path,\n"
           "                       clonefile of each wheel directory, merged entry by\n"
           "                       entry into existing ones, copy on other failures. On\n"
           "                       Linux, clonefile is labfs's clone ioctl (an apfs-like\n"
           "                       mount), ENOTSUP elsewhere. Default: this system's\n"
           "  --quiet              no summary line on stdout\n\n"
           "Exit status: 0 done, 1 failed (the message names the file and the errno\n"
           "text), 2 usage error.\n");
}

int cmd_install(int argc, char **argv)
{
    enum { OPT_COPY_METHOD = 256, OPT_POLICY, OPT_QUIET, OPT_PLATFORM };
    static const struct option opts[] = {
        {"mode", required_argument, NULL, 'm'},
        {"cache", required_argument, NULL, 'c'},
        {"target", required_argument, NULL, 't'},
        {"jobs", required_argument, NULL, 'j'},
        {"strict", no_argument, NULL, 's'},
        {"log", required_argument, NULL, 'l'},
        {"copy-method", required_argument, NULL, OPT_COPY_METHOD},
        {"policy", required_argument, NULL, OPT_POLICY},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"platform", required_argument, NULL, OPT_PLATFORM},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct install_opts o = {
        .mode = MODE_COUNT, .policy = policy_default(), .jobs = cpus > 0 ? (int)cpus : 1,
        .copy_method = COPY_RW, .clonefile = darwin_clonefile};
#ifdef __APPLE__
    o.darwin = true;
#endif
    int c;
    long v;
    while ((c = getopt_long(argc, argv, ":m:c:t:j:sl:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': {
            int m = mode_parse(optarg);
            if (m < 0)
                return usage_error("install", "unknown mode '%s' (clone, hardlink, copy, "
                                   "symlink, auto)", optarg);
            o.mode = (enum lab_mode)m;
            break;
        }
        case 'c':
            o.cache_dir = optarg;
            break;
        case 't':
            o.target_dir = optarg;
            break;
        case 'j':
            if (!parse_count(optarg, 1, 1024, &v))
                return usage_error("install", "--jobs takes a number from 1 to 1024, not '%s'", optarg);
            o.jobs = (int)v;
            break;
        case 's':
            o.strict = true;
            break;
        case 'l':
            o.log_path = optarg;
            break;
        case OPT_COPY_METHOD: {
            int m = copy_method_parse(optarg);
            if (m < 0)
                return usage_error("install", "unknown copy method '%s' (rw, sendfile, "
                                   "copy_file_range)", optarg);
            o.copy_method = (enum copy_method)m;
            break;
        }
        case OPT_POLICY:
            o.policy = policy_find(optarg);
            if (!o.policy)
                return usage_error("install", "unknown policy '%s' (see --help)", optarg);
            break;
        case OPT_QUIET:
            o.quiet = true;
            break;
        case OPT_PLATFORM:
            if (strcmp(optarg, "darwin") == 0) {
                o.darwin = true;
#ifndef __APPLE__
                o.clonefile = labfs_clonefile;
#endif
            } else if (strcmp(optarg, "linux") == 0) {
#ifdef __APPLE__
                return usage_error("install", "--platform linux needs Linux (FICLONE)");
#endif
                o.darwin = false;
            } else {
                return usage_error("install", "--platform takes linux or darwin, not '%s'", optarg);
            }
            break;
        case 'h':
            help();
            return LAB_EXIT_OK;
        default:
            return option_error("install", c, argv);
        }
    }
    if (o.mode == MODE_COUNT)
        return usage_error("install", "--mode is required (clone, hardlink, copy, symlink, auto)");
    if (!o.cache_dir)
        return usage_error("install", "--cache DIR is required");
    if (!o.target_dir || !o.target_dir[0])
        return usage_error("install", "--target DIR is required (and not empty)");
    if (!o.cache_dir[0])
        return usage_error("install", "--cache DIR must not be empty");
    if (optind >= argc)
        return usage_error("install", "no wheel given");
    o.wheels = argv + optind;
    o.nwheels = argc - optind;
    /* a target in the cache (or around it) would install the cache over itself */
    int ov = paths_overlap(o.target_dir, o.cache_dir);
    if (ov > 0)
        return usage_error("install", "--target %s and --cache %s overlap (the %s lies inside the %s): "
                           "an install would write into the cache it reads", o.target_dir, o.cache_dir,
                           ov == 1 ? "target" : "cache", ov == 1 ? "cache" : "target");
    return install_run(&o);
}
