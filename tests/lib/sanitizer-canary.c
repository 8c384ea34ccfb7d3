/* tests/lib/sanitizer-canary.c - makes the sanitizers report once each, so
 * that tests/run can prove their reports reach its report directory (GCC's
 * UBSan, linked beside ASan, ignores log_path and writes to stderr: the
 * daemonized labfs's would be lost). Usage: sanitizer-canary ub|heap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "ub") == 0) {
        volatile int big = 2147483647;
        big += argc; /* signed overflow: UBSan */
        printf("%d\n", big);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "heap") == 0) {
        char *volatile p = malloc(8);
        volatile int k = 8;
        p[k] = 1; /* heap overflow: ASan */
        free(p);
        return 0;
    }
    fprintf(stderr, "usage: sanitizer-canary ub|heap\n");
    return 2;
}
