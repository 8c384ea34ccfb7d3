/* cmd_unpack.c - linklab unpack: validate wheels and unpack them into the cache. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/cache.h"
#include "cmds/cmd.h"
#include "common/util.h"
#include "format/wheel.h"

static void help(void)
{
    printf("usage: linklab unpack --cache DIR WHEEL...\n\n"
           "Validates each wheel and unpacks it into the cache, atomically: into\n"
           "DIR/tmp first, then renamed to DIR/wheels/NAME-VERSION-RECORDDIGEST.\n"
           "A wheel already in the cache is not read again.\n\n"
           "Every entry is checked before anything is written: no absolute paths,\n"
           "no '..', valid UTF-8, no symlink, hardlink or device entries, no duplicate\n"
           "names, and declared sizes at most %lld times the archive (zip bomb guard).\n"
           "Every file must match its RECORD row (sha256/384/512 and size); RECORD must\n"
           "list every file. Names that differ only by case are reported.\n\n"
           "Prints one line per wheel: KEY unpacked|cached PATH.\n"
           "Exit status: 0 done, 1 a wheel was rejected (one line: file, entry, reason),\n"
           "2 usage error.\n", WHEEL_MAX_RATIO);
}

int cmd_unpack(int argc, char **argv)
{
    static const struct option opts[] = {
        {"cache", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const char *cache_dir = NULL;
    int c;
    while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            cache_dir = optarg;
            break;
        case 'h':
            help();
            return LAB_EXIT_OK;
        default:
            return option_error("unpack", c, argv);
        }
    }
    if (!cache_dir || !cache_dir[0])
        return usage_error("unpack", "--cache DIR is required (and not empty)");
    if (optind >= argc)
        return usage_error("unpack", "no wheel given");
    struct cache cache;
    char err[4096];
    if (cache_open(cache_dir, &cache, err, sizeof err) != 0) {
        lab_error("%s", err);
        cache_close(&cache);
        return LAB_EXIT_FAIL;
    }
    int status = LAB_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        char *key = NULL;
        enum cache_result r = cache_ensure(&cache, argv[i], &key, err, sizeof err);
        if (r == CACHE_ERROR) {
            lab_error("%s: %s", argv[i], err);
            status = LAB_EXIT_FAIL;
            continue;
        }
        char *path = cache_entry_path(&cache, key);
        printf("%s %s %s\n", key, r == CACHE_UNPACKED ? "unpacked" : "cached", path);
        free(path);
        free(key);
    }
    cache_close(&cache);
    return status;
}
