/* util.h - small helpers shared by every linklab module: messages,
 * checked allocation, errno names, clocks and directory helpers. */
#ifndef LAB_UTIL_H
#define LAB_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum { LAB_EXIT_OK = 0, LAB_EXIT_FAIL = 1, LAB_EXIT_USAGE = 2 };

/* Messages go to stderr as "linklab SUBCOMMAND: ...". */
void lab_set_command(const char *name);
void lab_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lab_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lab_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "EXDEV" for EXDEV; "E<number>" for an errno without a known name. */
const char *errno_name(int err);

uint64_t now_ns(void);

/* mkdir -p relative to dirfd (AT_FDCWD for plain paths). 0 or -1 + errno. */
int mkdirat_p(int dirfd, const char *path, mode_t mode);
/* rm -rf; 0 or -1 + errno (the first error met). */
int remove_tree(const char *path);

/* Reads a whole file (at most max bytes) into a NUL-terminated buffer. */
char *read_file(const char *path, size_t max, size_t *len);
/* Writes data to path through a temporary name and rename: never a
 * half-written file at path. 0 or -1 + errno. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* True when no process with this PID runs any more (kill(pid, 0) says
 * ESRCH): what it left behind may be removed. */
bool process_gone(long pid);

/* qsort that accepts an empty array given as NULL (qsort itself may not be
 * passed NULL, even with no elements). */
void sort_items(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* Parses a positive integer option value; false when it is not one. */
/* The absolute path that path names, or would name once mkdir -p made it:
 * the longest prefix that exists resolved (symlinks too), the rest added
 * as mkdir -p walks it. malloc'd; NULL when not even that can be had. */
char *path_resolve_future(const char *path);

/* 1 when a is b or inside it, 2 when b is inside a, 0 when apart, -1 when
 * one cannot be resolved. */
int paths_overlap(const char *a, const char *b);

bool parse_count(const char *s, long min, long max, long *out);

/* path opened for reading, never blocking (a FIFO put where a file was
 * expected must not hang the reader), with flags added (O_NOFOLLOW) and its
 * stat in *st (may be NULL): a regular file, or -1 with errno (EINVAL when
 * it is not a regular file). */
struct stat;
int open_regular(const char *path, int flags, struct stat *st);

/* 1 when files a and b hold the same bytes, 0 when not, -1 when one
 * cannot be read or is not a regular file (errno says why). */
int files_equal(const char *a, const char *b);

#endif
