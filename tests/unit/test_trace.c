/* Unit tests: strace -ff -ttt -y output (one file PREFIX.PID per process,
 * written here by hand in strace 6.1's format) parsed into which call made
 * each file's data, and whether it reached its name by a rename: of the
 * file itself or of a directory above it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "observe/trace.h"

struct fixture {
    char dir[64];
    char *prefix;
    unsigned tick; /* the next timestamp's microseconds */
    struct trace_map map;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/linklab-trace-test.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->prefix = xasprintf("%s/t", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    trace_free(&f->map);
    remove_tree(f->dir);
    free(f->prefix);
    free(f);
    return 0;
}

/* Appends lines to PREFIX.PID. A line that does not start with a digit
 * gets the next timestamp, so that lines run in the order they are given
 * here, across processes too. */
static void strace_out(struct fixture *f, int pid, const char *lines)
{
    char *path = xasprintf("%s.%d", f->prefix, pid);
    FILE *out = fopen(path, "a");
    assert_non_null(out);
    for (const char *p = lines; *p;) {
        size_t n = strcspn(p, "\n");
        if (*p < '0' || *p > '9')
            fprintf(out, "1795997321.%06u ", f->tick++);
        fprintf(out, "%.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
    fclose(out);
    free(path);
}

static void parse(struct fixture *f)
{
    char err[256] = "";
    assert_int_equal(trace_parse(f->prefix, &f->map, err, sizeof err), 0);
}

/* path was made by op and was (or was not) renamed into its place */
static void expect(const struct fixture *f, const char *path, const char *op, bool renamed)
{
    const struct trace_entry *e = trace_lookup(&f->map, path);
    if (!e)
        fail_msg("no syscall for %s", path);
    if (strcmp(e->op, op) != 0 || e->renamed != renamed)
        fail_msg("%s: %s renamed=%d, want %s renamed=%d", path, e->op, e->renamed, op, renamed);
}

static void expect_none(const struct fixture *f, const char *path)
{
    const struct trace_entry *e = trace_lookup(&f->map, path);
    if (e)
        fail_msg("%s has op %s, want none", path, e->op);
}

/* pnpm: pkg_tmp_NNN/ filled by clones, copies, writes and links, then
 * renamed to its final name; a file made after the rename was not renamed */
static void files_follow_their_directory(void **state)
{
    struct fixture *f = *state;
    strace_out(f, 100, "mkdir(\"/t/nm/pkg_tmp_1\", 0777) = 0\n"
                       "openat(AT_FDCWD</w>, \"/c/a.js\", O_RDONLY|O_CLOEXEC) = 19</c/a.js>\n"
                       "openat(AT_FDCWD</w>, \"/t/nm/pkg_tmp_1/a.js\", O_WRONLY|O_CREAT|O_CLOEXEC, 0644) = "
                       "20</t/nm/pkg_tmp_1/a.js>\n"
                       "ioctl(20</t/nm/pkg_tmp_1/a.js>, FICLONE, 19</c/a.js>) = 0\n"
                       "openat(AT_FDCWD</w>, \"/t/nm/pkg_tmp_1/b.js\", O_WRONLY|O_CREAT|O_CLOEXEC, 0644) = "
                       "21</t/nm/pkg_tmp_1/b.js>\n"
                       "copy_file_range(19</c/b.js>, NULL, 21</t/nm/pkg_tmp_1/b.js>, NULL, 100, 0) = 100\n"
                       "openat(AT_FDCWD</w>, \"/t/nm/pkg_tmp_1/package.json\", "
                       "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 22</t/nm/pkg_tmp_1/package.json>\n"
                       "pwrite64(22</t/nm/pkg_tmp_1/package.json>, \"\"..., 10, 0) = 10\n"
                       "link(\"/c/d.js\", \"/t/nm/pkg_tmp_1/d.js\") = 0\n"
                       "symlink(\"../x\", \"/t/nm/pkg_tmp_1/e\") = 0\n"
                       "sendfile(23</t/nm/pkg_tmp_1/f.js>, 19</c/f.js>, [0] => [100], 100) = 100\n"
                       "rename(\"/t/nm/pkg_tmp_1\", \"/t/nm/pkg\") = 0\n"
                       "openat(AT_FDCWD</w>, \"/t/nm/pkg/late.js\", O_WRONLY|O_CREAT|O_TRUNC, 0666) = "
                       "24</t/nm/pkg/late.js>\n"
                       "write(24</t/nm/pkg/late.js>, \"\"..., 5) = 5\n");
    parse(f);
    expect(f, "/t/nm/pkg/a.js", "FICLONE", true);
    expect(f, "/t/nm/pkg/b.js", "copy_file_range", true);
    expect(f, "/t/nm/pkg/package.json", "write", true);
    expect(f, "/t/nm/pkg/d.js", "link", true);
    expect(f, "/t/nm/pkg/e", "symlink", true);
    expect(f, "/t/nm/pkg/f.js", "sendfile", true);
    expect(f, "/t/nm/pkg/late.js", "write", false);
    expect_none(f, "/t/nm/pkg_tmp_1/a.js");
    assert_int_equal(f->map.n, 7);
}

/* a directory inside the temporary one renamed before and after it */
static void nested_directories(void **state)
{
    struct fixture *f = *state;
    strace_out(f, 100, "write(3</t/tmp/sub/deep/f>, \"\"..., 1) = 1\n"
                       "write(3</t/tmp/top>, \"\"..., 1) = 1\n"
                       "rename(\"/t/tmp/sub\", \"/t/tmp/lib\") = 0\n"
                       "write(3</t/tmp/lib/deep/g>, \"\"..., 1) = 1\n"
                       "rename(\"/t/tmp\", \"/t/pkg\") = 0\n"
                       "rename(\"/t/pkg/lib/deep\", \"/t/pkg/lib/d2\") = 0\n"
                       "write(3</t/pkg/lib/d2/h>, \"\"..., 1) = 1\n");
    parse(f);
    expect(f, "/t/pkg/lib/d2/f", "write", true);
    expect(f, "/t/pkg/lib/d2/g", "write", true);
    expect(f, "/t/pkg/lib/d2/h", "write", false);
    expect(f, "/t/pkg/top", "write", true);
    assert_int_equal(f->map.n, 4);
}

/* a -> b -> c for a directory, and a file renamed away and back */
static void rename_chains_and_back(void **state)
{
    struct fixture *f = *state;
    strace_out(f, 100, "ioctl(4</t/a/x>, FICLONE, 3</c/x>) = 0\n"
                       "rename(\"/t/a\", \"/t/b\") = 0\n"
                       "rename(\"/t/b\", \"/t/c\") = 0\n"
                       "write(4</t/f>, \"\"..., 1) = 1\n"
                       "rename(\"/t/f\", \"/t/g\") = 0\n"
                       "rename(\"/t/g\", \"/t/f\") = 0\n");
    parse(f);
    expect(f, "/t/c/x", "FICLONE", true);
    expect(f, "/t/f", "write", true);
    expect_none(f, "/t/a/x");
    expect_none(f, "/t/b/x");
    expect_none(f, "/t/g");
    assert_int_equal(f->map.n, 2);
}

/* renameat with a dirfd shown by -y, and mv's renameat2 with AT_FDCWD */
static void renameat_dirfds(void **state)
{
    struct fixture *f = *state;
    strace_out(f, 100, "openat(AT_FDCWD</w>, \"/t\", O_RDONLY|O_DIRECTORY) = 3</t>\n"
                       "openat(3</t>, \"d.1/f\", O_WRONLY|O_CREAT|O_EXCL, 0644) = 4</t/d.1/f>\n"
                       "write(4</t/d.1/f>, \"\"..., 4096) = 4096\n"
                       "renameat(3</t>, \"d.1\", 3</t>, \"d\") = 0\n"
                       "write(5</w/d_tmp/f>, \"\"..., 2) = 2\n"
                       "renameat2(AT_FDCWD</w>, \"d_tmp\", AT_FDCWD</w>, \"d\", RENAME_NOREPLACE) = 0\n");
    parse(f);
    expect(f, "/t/d/f", "write", true);
    expect(f, "/w/d/f", "write", true);
    assert_int_equal(f->map.n, 2);
}

/* the existing behaviour: a file written under a temporary name, then
 * renamed; one renamed while empty and written after is not renamed */
static void file_from_a_temporary_name(void **state)
{
    struct fixture *f = *state;
    strace_out(f, 100, "openat(AT_FDCWD</t>, \".tmp\", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</t/.tmp>\n"
                       "write(3</t/.tmp>, \"\"..., 10) = 10\n"
                       "renameat2(AT_FDCWD</t>, \".tmp\", AT_FDCWD</t>, \"renamed.py\", RENAME_NOREPLACE) = 0\n"
                       "openat(AT_FDCWD</t>, \".e\", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 4</t/.e>\n"
                       "rename(\"/t/.e\", \"/t/later.py\") = 0\n"
                       "write(4</t/later.py>, \"\"..., 10) = 10\n"
                       "rename(\"/t/made-before\", \"/t/old.py\") = 0\n");
    parse(f);
    expect(f, "/t/renamed.py", "write", true);
    expect(f, "/t/later.py", "write", false);
    expect(f, "/t/old.py", "rename", true);
    expect_none(f, "/t/.tmp");
    assert_int_equal(f->map.n, 3);
}

/* a rename that failed moved nothing */
static void failed_renames_are_ignored(void **state)
{
    struct fixture *f = *state;
    strace_out(f, 100, "write(3</t/tmp/f>, \"\"..., 1) = 1\n"
                       "write(4</t/g.tmp>, \"\"..., 1) = 1\n"
                       "rename(\"/t/tmp\", \"/t/x/pkg\") = -1 ENOENT (No such file or directory)\n"
                       "renameat2(AT_FDCWD</t>, \"g.tmp\", AT_FDCWD</t>, \"g\", RENAME_NOREPLACE) = -1 EEXIST "
                       "(File exists)\n"
                       "rename(\"/t/tmp\", \"/t/pkg\") = ? ERESTARTSYS (To be restarted if SA_RESTART is set)\n"
                       "rename(\"/t/nothing\", \"/t/pkg2\" <unfinished ...>\n");
    parse(f);
    expect(f, "/t/tmp/f", "write", false);
    expect(f, "/t/g.tmp", "write", false);
    expect_none(f, "/t/x/pkg/f");
    expect_none(f, "/t/g");
    assert_int_equal(f->map.n, 2);
}

/* a directory renamed over an existing (emptied) one replaces all it held */
static void directory_over_an_existing_one(void **state)
{
    struct fixture *f = *state;
    strace_out(f, 100, "write(3</t/pkg/old.js>, \"\"..., 1) = 1\n"
                       "write(3</t/pkg/sub/old2.js>, \"\"..., 1) = 1\n"
                       "ioctl(4</t/tmp/new.js>, FICLONE, 3</c/new.js>) = 0\n"
                       "rename(\"/t/tmp\", \"/t/pkg\") = 0\n");
    parse(f);
    expect(f, "/t/pkg/new.js", "FICLONE", true);
    expect_none(f, "/t/pkg/old.js");
    expect_none(f, "/t/pkg/sub/old2.js");
    assert_int_equal(f->map.n, 1);
}

/* renameat2 RENAME_EXCHANGE swaps two names and what lies under them */
static void exchange_swaps(void **state)
{
    struct fixture *f = *state;
    strace_out(f, 100, "write(3</t/a/f>, \"\"..., 1) = 1\n"
                       "ioctl(4</t/b/g>, FICLONE, 5</c/g>) = 0\n"
                       "write(6</t/x>, \"\"..., 1) = 1\n"
                       "renameat2(AT_FDCWD</t>, \"a\", AT_FDCWD</t>, \"b\", RENAME_EXCHANGE) = 0\n"
                       "renameat2(AT_FDCWD</t>, \"x\", AT_FDCWD</t>, \"y\", RENAME_EXCHANGE) = 0\n");
    parse(f);
    expect(f, "/t/b/f", "write", true);
    expect(f, "/t/a/g", "FICLONE", true);
    expect(f, "/t/y", "write", true);
    expect_none(f, "/t/a/f");
    expect_none(f, "/t/x");
    assert_int_equal(f->map.n, 3);
}

/* relative names: against the cwd a process showed, changed by chdir and
 * fchdir, and inherited by a child it forked; in time order across files */
static void relative_names_follow_the_cwd(void **state)
{
    struct fixture *f = *state;
    strace_out(f, 100, "1795997321.000010 openat(AT_FDCWD</w>, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = "
                       "3</etc/ld.so.cache>\n"
                       "1795997321.000020 chdir(\"t\") = 0\n"
                       "1795997321.000030 vfork()               = 101\n"
                       "1795997321.000050 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|"
                       "CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7ff6019b6a10) = 102\n"
                       "1795997321.000070 fchdir(3</other>) = 0\n"
                       "1795997321.000080 rename(\"f.tmp\", \"f\")                   = 0\n");
    strace_out(f, 101, "1795997321.000040 write(3</w/t/tmp/a>, \"\"..., 1) = 1\n"
                       "1795997321.000041 rename(\"tmp\", \"../pkg\") = 0\n");
    strace_out(f, 102, "1795997321.000060 write(3</w/t/b.tmp>, \"\"..., 1) = 1\n"
                       "1795997321.000061 rename(\"./b.tmp\", \"b\") = 0\n");
    strace_out(f, 100, "1795997321.000069 write(3</other/f.tmp>, \"\"..., 1) = 1\n");
    parse(f);
    expect(f, "/w/pkg/a", "write", true);
    expect(f, "/w/t/b", "write", true);
    expect(f, "/other/f", "write", true);
    assert_int_equal(f->map.n, 3);
}

/* strace's escapes in names and in fd paths ('>' is \76 there, bytes
 * outside ASCII octal); commas and ") = " inside a quoted name */
static void escaped_names(void **state)
{
    struct fixture *f = *state;
    strace_out(f, 100, "openat(AT_FDCWD</t>, \"\\303\\251 a>b\\\"c\", O_WRONLY|O_CREAT|O_TRUNC, 0666) = "
                       "3</t/\\303\\251 a\\76b\\\"c>\n"
                       "write(3</t/\\303\\251 a\\76b\\\"c>, \"\"..., 2) = 2\n"
                       "renameat2(AT_FDCWD</t>, \"\\303\\251 a>b\\\"c\", AT_FDCWD</t>, \"c,d) = 0\\ttab\", "
                       "RENAME_NOREPLACE) = 0\n"
                       "write(4</t/n\\nl\\74>, \"\"..., 2) = 2\n");
    parse(f);
    expect(f, "/t/c,d) = 0\ttab", "write", true);
    expect(f, "/t/n\nl<", "write", false);
    expect_none(f, "/t/\303\251 a>b\"c");
    assert_int_equal(f->map.n, 2);
}

/* thousands of files in hundreds of renamed directories: every one is
 * found, in time linear in the trace */
static void many_files_in_renamed_directories(void **state)
{
    struct fixture *f = *state;
    enum { DIRS = 300, FILES = 100 };
    char *path = xasprintf("%s.100", f->prefix);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    unsigned long us = 0;
    for (int d = 0; d < DIRS; d++) {
        for (int i = 0; i < FILES; i++)
            fprintf(out, "1795997321.%06lu ioctl(4</t/nm/.pnpm/p%d/node_modules/p%d_tmp_%d/lib/f%d.js>, FICLONE, "
                         "3</c/f%d>) = 0\n", us++, d, d, d, i, i);
        fprintf(out, "1795997321.%06lu rename(\"/t/nm/.pnpm/p%d/node_modules/p%d_tmp_%d\", "
                     "\"/t/nm/.pnpm/p%d/node_modules/p%d\") = 0\n", us++, d, d, d, d, d);
    }
    fclose(out);
    free(path);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    parse(f);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_int_equal(f->map.n, DIRS * FILES);
    for (int d = 0; d < DIRS; d += 7) {
        char *p = xasprintf("/t/nm/.pnpm/p%d/node_modules/p%d/lib/f%d.js", d, d, d % FILES);
        expect(f, p, "FICLONE", true);
        free(p);
    }
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    if (s > 5.0)
        fail_msg("parsing %d files took %.1f s", DIRS * FILES, s);
}

static void missing_output_is_an_error(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    assert_int_equal(trace_parse(f->prefix, &f->map, err, sizeof err), -1);
    assert_non_null(strstr(err, "no strace output"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(files_follow_their_directory),
        T(nested_directories),
        T(rename_chains_and_back),
        T(renameat_dirfds),
        T(file_from_a_temporary_name),
        T(failed_renames_are_ignored),
        T(directory_over_an_existing_one),
        T(exchange_swaps),
        T(relative_names_follow_the_cwd),
        T(escaped_names),
        T(many_files_in_renamed_directories),
        T(missing_output_is_an_error),
    };
#undef T
    return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
