/* Unit tests: the macOS placement path (clonefile of whole directories,
 * merge into existing ones), with a stand-in clonefile that copies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/darwin.h"
#include "common/util.h"

static int calls, fail_at, fail_err;

/* clonefile's contract: the destination must not exist. */
static int fake_clonefile(const char *src, const char *dst)
{
    calls++;
    if (fail_at && calls >= fail_at)
        return fail_err;
    struct stat st;
    if (lstat(dst, &st) == 0)
        return EEXIST;
    char *cmd = xasprintf("cp -a '%s' '%s'", src, dst);
    int rc = system(cmd);
    free(cmd);
    return rc == 0 ? 0 : EIO;
}

static void put(const char *root, const char *rel, const char *text)
{
    char *path = xasprintf("%s/%s", root, rel);
    char *dir = xstrdup(path);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(mkdirat_p(AT_FDCWD, dir, 0755), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(dir);
    free(path);
}

static char *slurp(const char *root, const char *rel)
{
    char *path = xasprintf("%s/%s", root, rel);
    char *s = read_file(path, 1 << 20, NULL);
    free(path);
    return s;
}

struct fixture {
    char dir[64];
    char *src, *tgt;
    struct manifest m;
    struct manifest_item items[5];
    struct file_result res[5];
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/linklab-darwin.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->src = xasprintf("%s/src", f->dir);
    f->tgt = xasprintf("%s/tgt", f->dir);
    put(f->src, "pkg/a.py", "new a\n");
    put(f->src, "pkg/sub/b.py", "new b\n");
    put(f->src, "pkg-1.dist-info/RECORD", "record\n");
    mkdir(f->tgt, 0755);
    f->items[0] = (struct manifest_item){.path = "pkg", .is_dir = 1};
    f->items[1] = (struct manifest_item){.path = "pkg/sub", .is_dir = 1};
    f->items[2] = (struct manifest_item){.path = "pkg/a.py", .size = 6};
    f->items[3] = (struct manifest_item){.path = "pkg/sub/b.py", .size = 6};
    f->items[4] = (struct manifest_item){.path = "pkg-1.dist-info/RECORD", .size = 7};
    f->m = (struct manifest){.items = f->items, .n = 5, .ndirs = 2};
    calls = fail_at = fail_err = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    remove_tree(f->dir);
    free(f->src);
    free(f->tgt);
    free(f);
    return 0;
}

static void clones_each_top_level_entry_whole(void **state)
{
    struct fixture *f = *state;
    bool any;
    assert_int_equal(darwin_clone_wheel(f->src, f->tgt, &f->m, f->res, fake_clonefile, &any), 0);
    assert_true(any);
    assert_int_equal(calls, 2); /* pkg/ and pkg-1.dist-info/, not one call per file */
    for (int i = 2; i < 5; i++) {
        assert_true(f->res[i].placed);
        assert_int_equal(f->res[i].used, MODE_CLONE);
    }
    char *b = slurp(f->tgt, "pkg/sub/b.py");
    assert_string_equal(b, "new b\n");
    free(b);
}

static void merges_into_an_existing_directory(void **state)
{
    struct fixture *f = *state;
    put(f->tgt, "pkg/a.py", "old a\n");
    put(f->tgt, "pkg/other.py", "someone else's\n");
    bool any;
    assert_int_equal(darwin_clone_wheel(f->src, f->tgt, &f->m, f->res, fake_clonefile, &any), 0);
    char *a = slurp(f->tgt, "pkg/a.py"), *o = slurp(f->tgt, "pkg/other.py"),
         *b = slurp(f->tgt, "pkg/sub/b.py");
    assert_string_equal(a, "new a\n");
    assert_string_equal(o, "someone else's\n");
    assert_string_equal(b, "new b\n");
    free(a);
    free(o);
    free(b);
    for (int i = 2; i < 5; i++)
        assert_true(f->res[i].placed);
    /* no temporary names left behind, no "pkg 2" */
    char *cmd = xasprintf("test -z \"$(find '%s' -name '*lltmp*' -o -name '* 2')\"", f->tgt);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static void unsupported_clone_places_nothing(void **state)
{
    struct fixture *f = *state;
    fail_at = 1;
    fail_err = ENOTSUP;
    bool any = true;
    assert_int_equal(darwin_clone_wheel(f->src, f->tgt, &f->m, f->res, fake_clonefile, &any), ENOTSUP);
    assert_false(any);
    for (int i = 2; i < 5; i++)
        assert_false(f->res[i].placed);
}

static void failure_after_a_clone_is_reported_as_such(void **state)
{
    struct fixture *f = *state;
    fail_at = 2;
    fail_err = EIO;
    bool any = false;
    assert_int_equal(darwin_clone_wheel(f->src, f->tgt, &f->m, f->res, fake_clonefile, &any), EIO);
    assert_true(any);
}

static void real_clonefile_is_unsupported_off_macos(void **state)
{
    (void)state;
#ifndef __APPLE__
    assert_int_equal(darwin_clonefile("/nonexistent", "/nonexistent2"), ENOTSUP);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(clones_each_top_level_entry_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(merges_into_an_existing_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(unsupported_clone_places_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(failure_after_a_clone_is_reported_as_such, setup, teardown),
        cmocka_unit_test(real_clonefile_is_unsupported_off_macos),
    };
    return cmocka_run_group_tests_name("darwin", tests, NULL, NULL);
}
