/* cmd_corpus.c - linklab corpus: write deterministic synthetic wheels. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmds/cmd.h"
#include "corpus/corpus.h"
#include "common/util.h"

static void help(void)
{
    printf("usage: linklab corpus --profile NAME [--scale F] [--seed N] --out DIR\n\n"
           "Writes valid wheels (zip + RECORD with sha256) whose file counts and size\n"
           "mix imitate real packages. The same profile, scale and seed give the same\n"
           "bytes. Prints the path of each wheel written.\n\nprofiles:\n");
    int n;
    const struct corpus_profile *p = corpus_profiles(&n);
    for (int i = 0; i < n; i++)
        printf("  %-11s %s\n", p[i].name, p[i].summary);
    printf("\noptions:\n"
           "  --scale F   multiply the file counts (and for huge-lib the library size)\n"
           "              by F (default 1; 0.01 to 100)\n"
           "  --seed N    the generator's seed (default 1)\n");
}

int cmd_corpus(int argc, char **argv)
{
    static const struct option opts[] = {
        {"profile", required_argument, NULL, 'p'},
        {"scale", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'S'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    const struct corpus_profile *p = NULL;
    const char *out = NULL;
    double scale = 1.0;
    long seed = 1;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, ":p:s:S:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (!(p = corpus_find(optarg)))
                return usage_error("corpus", "unknown profile '%s' (see --help)", optarg);
            break;
        case 's':
            scale = strtod(optarg, &end);
            if (*end || scale < 0.01 || scale > 100)
                return usage_error("corpus", "--scale takes a number from 0.01 to 100, not '%s'", optarg);
            break;
        case 'S':
            if (!parse_count(optarg, 0, 0x7fffffffL, &seed))
                return usage_error("corpus", "--seed takes a whole number, not '%s'", optarg);
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            help();
            return LAB_EXIT_OK;
        default:
            return option_error("corpus", c, argv);
        }
    }
    if (!p)
        return usage_error("corpus", "--profile is required (see --help)");
    if (!out)
        return usage_error("corpus", "--out DIR is required");
    if (optind < argc)
        return usage_error("corpus", "unexpected argument '%s'", argv[optind]);
    return corpus_write(p, scale, (uint64_t)seed, out) == 0 ? LAB_EXIT_OK : LAB_EXIT_FAIL;
}
