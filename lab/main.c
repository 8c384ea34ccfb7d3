/* main.c - linklab: the lab's reference installer, observer and bench
 * driver. Dispatches to one cmd_*.c per subcommand. */
#include <locale.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmds/cmd.h"
#include "common/util.h"

#define LINKLAB_VERSION "0.1.0"

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
} commands[] = {
    {"unpack", cmd_unpack, "validate wheels and unpack them into the cache"},
    {"install", cmd_install, "place cached wheels into a target by clone, hardlink, copy or symlink"},
    {"observe", cmd_observe, "prove on disk what each installed file is, and whether the tree is complete"},
    {"report", cmd_report, "judge bench runs: report.md, results.json/.csv, junit.xml, plots"},
    {"scenario", cmd_scenario, "put an installer through the reliability scenarios"},
    {"corpus", cmd_corpus, "write deterministic synthetic wheels that imitate real packages"},
    {"floor", cmd_floor, "place a tree with the bare system calls of one mode: the speed floor"},
    {"timing", cmd_timing, "a cell's timed runs so far: median, 95% interval, CV, settled or not"},
    {"settle", cmd_settle, "sync filesystems so no earlier run's writeback lands in the next"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: linklab COMMAND [OPTIONS] ...\n\n"
               "linklab shows what really happens when an installer places files from its\n"
               "cache: cloned, hardlinked, copied or symlinked, with honest fallbacks.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'linklab COMMAND --help' explains each command. Exit status: 0 done,\n"
               "1 failed, 2 usage error.\n");
}

int usage_error(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "linklab %s: %s\nTry 'linklab %s --help'.\n", cmd, msg, cmd);
    return LAB_EXIT_USAGE;
}

int option_error(const char *cmd, int c, char **argv)
{
    const char *opt = optind > 0 ? argv[optind - 1] : "?";
    if (c == ':')
        return usage_error(cmd, "%s needs a value", opt);
    return usage_error(cmd, "unknown option '%s'", opt);
}

int main(int argc, char **argv)
{
    /* wheel names are UTF-8: read them as bytes, whatever the caller's locale */
    setlocale(LC_CTYPE, "C.UTF-8");
    if (argc < 2) {
        usage(stderr);
        return LAB_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return LAB_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("linklab %s\n", LINKLAB_VERSION);
        return LAB_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            static char label[64];
            snprintf(label, sizeof label, "linklab %s", commands[i].name);
            lab_set_command(label);
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "linklab: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return LAB_EXIT_USAGE;
}
