/* observe.c - observe_run: walk the target, classify each file, check
 * completeness, probe isolation, judge, and say it (internal.h says which
 * file does what). */
#include "observe/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "format/format.h"
#include "engine/fallback.h"


static enum obs_class expected_class(int mode)
{
    switch (mode) {
    case MODE_CLONE: return CLS_CLONED;
    case MODE_HARDLINK: return CLS_HARDLINKED;
    case MODE_SYMLINK: return CLS_SYMLINKED;
    default: return CLS_COPIED;
    }
}

static void fs_type_of(const char *path, char *out, size_t len)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct fsident id;
    snprintf(out, len, "%s", fd >= 0 && fsident_of(fd, &id) == 0 ? id.type : "?");
    if (fd >= 0)
        close(fd);
}

/* The directory an option names, resolved (symlinks followed); NULL
 * after one line saying why it is not one, with *status 1 (it cannot be
 * reached) or 2 (it is not a directory: a usage error). */
static char *directory_arg(const char *opt, const char *path, int *status)
{
    char *abs = realpath(path, NULL);
    struct stat st;
    if (!abs || stat(abs, &st) != 0) {
        lab_error("%s %s: %s", opt, path, strerror(errno));
        free(abs);
        *status = LAB_EXIT_FAIL;
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        lab_error("%s %s: not a directory", opt, path);
        free(abs);
        *status = LAB_EXIT_USAGE;
        return NULL;
    }
    return abs;
}

/* GLOB matches rel: '*' does not cross '/', a leading dot is matched only
 * explicitly, and a leading "**" and slash matches any number of directories. */
static bool glob_matches(const char *glob, const char *rel)
{
    if (fnmatch(glob, rel, FNM_PATHNAME | FNM_PERIOD) == 0)
        return true;
    if (strncmp(glob, "**/", 3) != 0)
        return false;
    for (const char *p = rel; *p; p++)
        if ((p == rel || p[-1] == '/') && fnmatch(glob + 3, p, FNM_PATHNAME | FNM_PERIOD) == 0)
            return true;
    return false;
}

/* The installer's own files, beside what --own names: what the package
 * formats say installers rewrite (a wheel's RECORD, when it is such a
 * rewrite of the cache's, or no source file pairs with it at all) or add
 * (INSTALLER, pycache bytecode: only when no source file has its path,
 * since a package may ship bytecode of its own): listed, never
 * deviations. Nothing is an installer's own without a source. */
static bool is_own_by_format(const struct obs *ob, const struct obs_file *f)
{
    if (!ob->have_source)
        return false;
    if (format_installer_rewrites(f->rel))
        return f->rewritten || (!f->path_sourced && !f->source);
    return !f->path_sourced && format_installer_added(f->rel);
}

static bool is_own_by_glob(const struct observe_opts *o, const char *rel)
{
    for (int i = 0; i < o->nown; i++)
        if (glob_matches(o->own[i], rel))
            return true;
    return false;
}

/* The --json file can be written: said before any work, not after it. */
static bool json_writable(const char *path)
{
    bool existed = access(path, F_OK) == 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        lab_error("--json %s: %s", path, strerror(errno));
        return false;
    }
    close(fd);
    if (!existed)
        unlink(path);
    return true;
}

/* Whether the target is an overlay with the source (or what holds it, or
 * part of it) as a lower layer: its files not copied up are the cache's
 * own, seen through another path. Says so. */
static bool overlay_over_source(const struct observe_opts *o, const char *target, const char *src)
{
    int fd = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
    size_t n = 0;
    char *mnt = NULL;
    char **lowers = fd >= 0 ? overlay_lower_dirs(fd, &n, &mnt) : NULL;
    if (fd >= 0)
        close(fd);
    /* the target's place within the overlay, in each lower layer */
    size_t ml = mnt ? strlen(mnt) : 0;
    const char *rel = mnt && strncmp(target, mnt, ml) == 0 ? target + ml : "";
    bool over = false;
    for (size_t i = 0; i < n; i++) {
        char *below = xasprintf("%s%s%s", lowers[i], *rel && *rel != '/' ? "/" : "", rel);
        if (!over && paths_overlap(below, src) != 0) {
            lab_error("--target %s is an overlay whose lower layer %s holds or is within --source %s: "
                      "its files are the cache's own until copied up, not an install of it",
                      o->target, below, o->source);
            over = true;
        }
        free(below);
        free(lowers[i]);
    }
    free(lowers);
    free(mnt);
    return over;
}

/* The target and source are resolved and apart: else usage (2) or an error (1). */
static int resolve_dirs(struct obs *ob)
{
    const struct observe_opts *o = ob->o;
    int status = LAB_EXIT_OK;
    if (!(ob->target_abs = directory_arg("--target", o->target, &status)))
        return status;
    if (!o->source)
        return LAB_EXIT_OK;
    char *src = directory_arg("--source", o->source, &status);
    if (!src)
        return status;
    int overlap = paths_overlap(ob->target_abs, src);
    if (overlap != 0) {
        lab_error("--target %s and --source %s %s: nothing could be told apart", o->target, o->source,
                  overlap == 1 ? "are one directory, or the target is inside the source"
                               : "overlap (the source is inside the target)");
        free(src);
        return LAB_EXIT_USAGE;
    }
    if (overlay_over_source(o, ob->target_abs, src)) {
        free(src);
        return LAB_EXIT_USAGE;
    }
    fs_type_of(src, ob->source_fs, sizeof ob->source_fs);
    char err[4096];
    if (src_index_build(src, &ob->src, err, sizeof err) != 0) {
        lab_error("%s", err);
        return LAB_EXIT_FAIL;
    }
    ob->have_source = true;
    return LAB_EXIT_OK;
}

int observe_run(const struct observe_opts *o)
{
    struct obs ob = {.o = o};
    int status = LAB_EXIT_OK;
    struct trace_map tmap = {0};
    if (o->trace_argv) {
        /* the command may make the target: only the source is checked first */
        int st = LAB_EXIT_OK;
        char *src = o->source ? directory_arg("--source", o->source, &st) : NULL;
        if (o->source && !src)
            return st;
        free(src);
        char err[4096];
        int cmd_status = 0;
        if (trace_run(o->trace_argv, &tmap, &cmd_status, err, sizeof err) != 0) {
            lab_error("%s", err);
            return LAB_EXIT_FAIL;
        }
        if (cmd_status != 0) {
            lab_error("the traced command %s exited with status %d", o->trace_argv[0], cmd_status);
            status = LAB_EXIT_FAIL;
        }
    }
    int rc = resolve_dirs(&ob);
    if (rc == LAB_EXIT_OK && o->json_path && !json_writable(o->json_path))
        rc = LAB_EXIT_FAIL;
    if (rc != LAB_EXIT_OK) {
        status = rc;
        goto out;
    }
    fs_type_of(ob.target_abs, ob.target_fs, sizeof ob.target_fs);
    if (walk_target(&ob) != 0) {
        status = LAB_EXIT_FAIL;
        goto out;
    }
    if (ob.view_dir) {
        lab_error("--target %s shows the source's own directories (%s is a directory of the source): the "
                  "cache seen through a bind mount or labfs, not an install of it", o->target, ob.view_dir);
        status = LAB_EXIT_USAGE;
        goto out;
    }
    for (size_t i = 0; i < ob.n; i++) {
        struct obs_file *f = &ob.files[i];
        f->own = is_own_by_glob(o, f->rel);
        size_t first;
        f->path_sourced = ob.have_source && !f->own && src_index_by_path(&ob.src, f->rel, &first) > 0;
        classify(&ob, f);
        f->own = f->own || is_own_by_format(&ob, f);
        (f->own ? ob.own_counts : ob.counts)[f->cls]++;
        ob.unpaired += ob.have_source && !f->own && !f->source;
        ob.bytes += f->bytes;
        ob.bytes_shared += f->bytes_shared;
        if (!S_ISLNK(f->st.st_mode))
            ob.bytes_own += f->bytes - f->bytes_shared;
        if (o->trace_argv)
            f->trace = trace_lookup(&tmap, f->abs);
    }
    if (ob.view_of_source) {
        lab_error("--target %s shows the source's own files (%s is %s, link count 1): the cache seen "
                  "through a bind mount or a FUSE view, not an install of it",
                  o->target, ob.view_of_source->abs, ob.view_source->abs);
        status = LAB_EXIT_USAGE;
        goto out;
    }
    if (o->npackages > 0 && check_completeness(&ob) != 0) {
        status = LAB_EXIT_FAIL;
        goto out;
    }
    if (!o->quiet)
        print_report(&ob);
    if (o->isolation)
        run_isolation(&ob);
    size_t deviations = 0, judged = 0;
    if (o->expect >= 0) {
        enum obs_class want = expected_class(o->expect);
        for (size_t i = 0; i < ob.n; i++) {
            const struct obs_file *f = &ob.files[i];
            if (f->own)
                continue;
            judged++;
            if (f->cls == want || f->cls == CLS_INLINE || f->cls == CLS_EMPTY)
                continue;
            if (deviations < 10 && !o->quiet)
                printf("  not %s: %s (%s%s%s)\n", obs_class_name(want), f->rel, obs_class_name(f->cls),
                       f->note ? ", " : "", f->note ? f->note : "");
            deviations++;
        }
    }
    bool incomplete = findings_incomplete(&ob);
    /* an empty target proves nothing: it fails an expectation */
    bool nothing = o->expect >= 0 && judged == 0;
    bool pass = deviations == 0 && !incomplete && !nothing;
    if (!pass && (o->expect >= 0 || o->npackages > 0))
        status = LAB_EXIT_FAIL;
    if ((o->expect >= 0 || o->npackages > 0) && !o->quiet) {
        printf("verdict: %s", pass ? "pass" : "FAIL");
        if (o->expect >= 0)
            printf(" (expect %s: %zu of %zu files deviate%s%s)", mode_name((enum lab_mode)o->expect),
                   deviations, judged, incomplete ? "; files are missing, corrupt or of the wrong mode" : "",
                   nothing ? "; the target has no files to judge" : "");
        else if (incomplete)
            printf(" (files are missing, corrupt or of the wrong mode)");
        printf("\n");
    }
    if (o->json_path && write_json(&ob, deviations, pass) != 0)
        status = LAB_EXIT_FAIL;
out:
    for (size_t i = 0; i < ob.n; i++) {
        free(ob.files[i].rel);
        free(ob.files[i].abs);
        free(ob.files[i].hash);
    }
    free(ob.files);
    for (size_t i = 0; i < ob.nfindings; i++) {
        free(ob.findings[i].path);
        free(ob.findings[i].detail);
    }
    free(ob.findings);
    for (size_t i = 0; i < ob.nfs; i++)
        free(ob.fs[i]);
    free(ob.fs);
    json_decref(ob.isolation);
    src_index_free(&ob.src);
    trace_free(&tmap);
    free(ob.target_abs);
    free(ob.view_dir);
    return status;
}

