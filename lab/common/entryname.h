/* entryname.h - what a wheel entry may be called before anything is
 * written for it, and the key under which two names collide on a
 * case-insensitive filesystem. */
#ifndef LAB_ENTRYNAME_H
#define LAB_ENTRYNAME_H

#include <stddef.h>

/* Longest entry name accepted, in bytes. No real wheel comes near it, and a
 * longer name joined to a target directory runs into PATH_MAX (4096). */
#define ENTRYNAME_MAX 1024
/* Longest single component, in bytes (NAME_MAX). */
#define ENTRYNAME_COMPONENT_MAX 255

/* NULL when name (without a trailing '/') is a safe relative path, else a
 * static reason such as "absolute path" or "'..' component". */
const char *entryname_check(const char *name);

/* Case-folded, NFC-normalized copy of a valid UTF-8 name (malloc'd):
 * two names with the same key collide on a case-insensitive filesystem. */
char *entryname_fold(const char *name);

/* Names (of n) that differ but share a fold key: each(a, b, ctx) for every
 * two that sort next to each other by key, then by their index in names
 * (a before b), so callers choose the order by how they list them. */
void entryname_collisions(const char *const *names, size_t n, void (*each)(size_t a, size_t b, void *ctx),
                          void *ctx);

/* A copy of a raw entry name fit for an error line (malloc'd): bytes that
 * are not valid UTF-8, and control characters, become \\xNN; a name over
 * 200 bytes keeps its first 120 and last 60 bytes around "...". */
char *entryname_escape(const char *name);

/* For a base name of the form the installer gives its temporary files
 * (".NAME.lltmp.PID.N", ".NAME.llreinode.PID.N"), the PID; else -1. The
 * installer sweeps such names of dead processes, so no package may ship one. */
long entryname_temp_pid(const char *base);

#endif
