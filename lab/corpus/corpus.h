/* corpus.h - deterministic synthetic wheels whose file counts and size
 * mixes imitate real packages. Same profile, scale and seed: same bytes. */
#ifndef LAB_CORPUS_H
#define LAB_CORPUS_H

#include <stdbool.h>
#include <stdint.h>

struct corpus_profile {
    const char *name;
    const char *summary;
    const char *dist;    /* distribution name; wheels after the first get a number */
    int wheels;
    int files;           /* files per wheel at scale 1 */
    int pct_medium;      /* files of 8-64 KiB; the rest are 0.2-8 KiB ... */
    int pct_large;       /* ... or 64-256 KiB */
    int pct_exec;        /* scripts with the exec bit */
    int libs;            /* shared libraries per wheel (incompressible, stored) */
    long long lib_bytes; /* size of each */
    bool scale_libs;     /* --scale also scales the libraries' size */
    bool namespace;      /* every wheel writes the same namespace package */
};

const struct corpus_profile *corpus_profiles(int *n);
const struct corpus_profile *corpus_find(const char *name);

/* Writes the profile's wheels into outdir and prints each path on stdout.
 * Returns 0, or -1 after printing an error. */
int corpus_write(const struct corpus_profile *p, double scale, uint64_t seed, const char *outdir);

#endif
