/* observe.c - observe_run: walk the target, classify each file, check
 * completeness, probe isolation, judge, and say it (internal.h says which
 * file does what). */
#include "observe/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
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

int observe_run(const struct observe_opts *o)
{
    struct obs ob = {.o = o};
    int status = LAB_EXIT_OK;
    struct trace_map tmap = {0};
    if (o->trace_argv) {
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
    ob.target_abs = realpath(o->target, NULL);
    if (!ob.target_abs) {
        lab_error("%s: %s", o->target, strerror(errno));
        trace_free(&tmap);
        return LAB_EXIT_FAIL;
    }
    fs_type_of(ob.target_abs, ob.target_fs, sizeof ob.target_fs);
    if (o->source) {
        char err[4096];
        if (src_index_build(o->source, &ob.src, err, sizeof err) != 0) {
            lab_error("%s", err);
            status = LAB_EXIT_FAIL;
            goto out;
        }
        ob.have_source = true;
        fs_type_of(o->source, ob.source_fs, sizeof ob.source_fs);
    }
    if (walk_target(&ob) != 0) {
        status = LAB_EXIT_FAIL;
        goto out;
    }
    for (size_t i = 0; i < ob.n; i++) {
        struct obs_file *f = &ob.files[i];
        classify(&ob, f);
        ob.counts[f->cls]++;
        ob.bytes_shared += f->bytes_shared;
        if (f->cls == CLS_COPIED || f->cls == CLS_PARTIAL)
            ob.bytes_copied += (uint64_t)f->st.st_size - f->bytes_shared;
        if (o->trace_argv)
            f->trace = trace_lookup(&tmap, f->abs);
    }
    if (o->nwheels > 0 && check_completeness(&ob) != 0) {
        status = LAB_EXIT_FAIL;
        goto out;
    }
    if (!o->quiet)
        print_report(&ob);
    if (o->isolation)
        run_isolation(&ob);
    size_t deviations = 0;
    if (o->expect >= 0) {
        enum obs_class want = expected_class(o->expect);
        for (size_t i = 0; i < ob.n; i++) {
            const struct obs_file *f = &ob.files[i];
            if (f->cls == want || f->cls == CLS_INLINE || f->cls == CLS_EMPTY)
                continue;
            if (deviations < 10 && !o->quiet)
                printf("  not %s: %s (%s%s%s)\n", obs_class_name(want), f->rel, obs_class_name(f->cls),
                       f->note ? ", " : "", f->note ? f->note : "");
            deviations++;
        }
    }
    bool incomplete = findings_incomplete(&ob);
    bool pass = deviations == 0 && !incomplete;
    if (!pass && (o->expect >= 0 || o->nwheels > 0))
        status = LAB_EXIT_FAIL;
    if ((o->expect >= 0 || o->nwheels > 0) && !o->quiet) {
        printf("verdict: %s", pass ? "pass" : "FAIL");
        if (o->expect >= 0)
            printf(" (expect %s: %zu of %zu files deviate%s)", mode_name((enum lab_mode)o->expect),
                   deviations, ob.n, incomplete ? "; the tree is incomplete" : "");
        else if (incomplete)
            printf(" (the tree is incomplete)");
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
    return status;
}

