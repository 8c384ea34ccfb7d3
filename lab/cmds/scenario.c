/* cmd_scenario.c - linklab scenario: runs the reliability scenarios
 * (bench/scenarios in the source tree) against this linklab binary. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds/cmd.h"
#include "common/util.h"

/* bench/scenarios beside the build directory this binary lives in. */
static char *find_script(void)
{
    const char *env = getenv("LINKLAB_SCENARIOS");
    if (env)
        return xstrdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash)
            break;
        *slash = '\0';
        char *cand = xasprintf("%s/bench/scenarios", exe);
        if (access(cand, X_OK) == 0)
            return cand;
        free(cand);
    }
    return NULL;
}

int cmd_scenario(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("usage: linklab scenario list\n"
               "       linklab scenario run all|NAME... [--installer SUBJECT|TEMPLATE] [--modes M,M...]\n"
               "                                        [--json FILE]\n\n"
               "Puts an installer (default: this linklab) through the reliability scenarios:\n"
               "hostile wheels, killed installs, concurrent installs and unpacks, full\n"
               "disks, labfs faults, write isolation. Prints a table: scenario, cases tried,\n"
               "cases survived, bytes lost, leaked mounts and loop devices. SUBJECT names\n"
               "a file of subjects/ (its command); TEMPLATE is a command with {mode},\n"
               "{cache}, {target} and {wheels}. --modes limits the hostile scenario's modes\n"
               "(default clone,hardlink,copy,symlink,auto). Exit status 0 when\n"
               "every case survived with nothing lost or leaked, 1 otherwise, 2 usage.\n"
               "The scenarios live in bench/scenarios (or LINKLAB_SCENARIOS).\n");
        return argc < 2 ? LAB_EXIT_USAGE : LAB_EXIT_OK;
    }
    char *script = find_script();
    if (!script) {
        lab_error("cannot find bench/scenarios beside this binary; set LINKLAB_SCENARIOS");
        return LAB_EXIT_FAIL;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        setenv("LINKLAB", self, 0); /* the scenarios test this very binary */
    }
    char **args = xcalloc((size_t)argc + 2, sizeof *args);
    args[0] = script;
    for (int i = 1; i < argc; i++)
        args[i] = argv[i];
    execv(script, args);
    lab_error("%s: %s", script, strerror(errno));
    free(args);
    free(script);
    return LAB_EXIT_FAIL;
}
