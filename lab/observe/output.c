/* output.c - what the observer says: the text report and observe.json. */
#include "observe/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "engine/fallback.h"

static json_t *class_counts(const size_t *counts)
{
    json_t *classes = json_object();
    for (int c = 0; c < CLS_COUNT; c++)
        json_object_set_new(classes, obs_class_name((enum obs_class)c), json_integer((json_int_t)counts[c]));
    return classes;
}

static json_t *summary_json(const struct obs *ob, size_t deviations, bool pass)
{
    size_t own = 0;
    for (int c = 0; c < CLS_COUNT; c++)
        own += ob->own_counts[c];
    json_t *s = json_pack("{s:I,s:o,s:I,s:o,s:I,s:I,s:I}", "files", (json_int_t)ob->n, "classes",
                          class_counts(ob->counts), "own_files", (json_int_t)own, "own_classes",
                          class_counts(ob->own_counts), "bytes", (json_int_t)ob->bytes, "bytes_shared",
                          (json_int_t)ob->bytes_shared, "bytes_own", (json_int_t)ob->bytes_own);
    json_object_set_new(s, "unpaired", json_integer((json_int_t)ob->unpaired));
    json_t *found = json_object();
    for (int k = 0; k < FIND_COUNT; k++)
        json_object_set_new(found, finding_name((enum finding_kind)k), json_integer((json_int_t)ob->nkind[k]));
    json_object_set_new(s, "findings", found);
    if (ob->o->npackages > 0) {
        json_object_set_new(s, "completeness",
                            json_pack("{s:i,s:I,s:I,s:I,s:I,s:I}", "record_files", ob->record_files,
                                      "missing", (json_int_t)ob->nkind[FIND_MISSING],
                                      "corrupt", (json_int_t)ob->nkind[FIND_CORRUPT],
                                      "mode", (json_int_t)ob->nkind[FIND_MODE],
                                      "extra", (json_int_t)ob->nkind[FIND_EXTRA],
                                      "installer_added", (json_int_t)ob->nkind[FIND_INSTALLER_ADDED]));
        json_object_set_new(json_object_get(s, "completeness"), "case_collisions",
                            json_integer((json_int_t)ob->nkind[FIND_CASE_COLLISION]));
        json_object_set_new(json_object_get(s, "completeness"), "overwritten",
                            json_integer((json_int_t)ob->nkind[FIND_OVERWRITTEN]));
        json_object_set_new(json_object_get(s, "completeness"), "cache_corrupt",
                            json_integer((json_int_t)ob->nkind[FIND_CACHE_CORRUPT]));
        long long lost = 0;
        for (size_t i = 0; i < ob->nfindings; i++)
            lost += ob->findings[i].bytes;
        json_object_set_new(json_object_get(s, "completeness"), "bytes_lost", json_integer(lost));
    }
    json_object_set_new(s, "expect", ob->o->expect >= 0 ? json_string(mode_name((enum lab_mode)ob->o->expect)) : json_null());
    json_object_set_new(s, "deviations", json_integer((json_int_t)deviations));
    json_object_set_new(s, "verdict", json_string(pass ? "pass" : "fail"));
    return s;
}

int write_json(const struct obs *ob, size_t deviations, bool pass)
{
    json_t *files = json_array();
    for (size_t i = 0; i < ob->n; i++) {
        const struct obs_file *f = &ob->files[i];
        uint64_t own = S_ISLNK(f->st.st_mode) ? 0 : f->bytes - f->bytes_shared;
        json_t *r = json_pack("{s:s,s:s,s:b,s:I,s:I,s:I}", "path", f->rel, "class", obs_class_name(f->cls),
                              "own", f->own, "bytes", (json_int_t)f->bytes, "bytes_shared",
                              (json_int_t)f->bytes_shared, "bytes_own", (json_int_t)own);
        json_object_set_new(r, "source", f->source ? json_string(f->source->abs) : json_null());
        json_object_set_new(r, "paired_by", f->paired ? json_string(pair_name(f->paired)) : json_null());
        json_object_set_new(r, "inode", json_integer((json_int_t)f->st.st_ino));
        json_object_set_new(r, "nlink", json_integer((json_int_t)f->st.st_nlink));
        json_object_set_new(r, "mode", json_integer((json_int_t)(f->st.st_mode & 07777)));
        json_object_set_new(r, "note", f->note ? json_string(f->note) : json_null());
        if (ob->o->trace_argv)
            json_object_set_new(r, "syscall", f->trace ? json_pack("{s:s,s:b}", "op", f->trace->op,
                                                                  "renamed", f->trace->renamed)
                                                       : json_null());
        json_array_append_new(files, r);
    }
    json_t *findings = json_array();
    for (size_t i = 0; i < ob->nfindings; i++) {
        const struct finding *x = &ob->findings[i];
        json_array_append_new(findings, json_pack("{s:s,s:s,s:o,s:o,s:I}", "kind", finding_name(x->kind), "path", x->path,
                                                  "wheel", x->wheel ? json_string(x->wheel) : json_null(),
                                                  "detail", x->detail ? json_string(x->detail) : json_null(),
                                                  "bytes", (json_int_t)x->bytes));
    }
    json_t *doc = json_pack("{s:i,s:s,s:s,s:o,s:s,s:o}", "schema", OBSERVE_SCHEMA, "tool", "linklab observe",
                            "target", ob->target_abs, "source",
                            ob->have_source ? json_string(ob->src.root) : json_null(), "target_fs",
                            ob->target_fs, "source_fs",
                            ob->source_fs[0] ? json_string(ob->source_fs) : json_null());
    json_object_set_new(doc, "summary", summary_json(ob, deviations, pass));
    json_object_set_new(doc, "isolation", ob->isolation ? json_incref(ob->isolation) : json_null());
    json_object_set_new(doc, "files", files);
    json_object_set_new(doc, "findings", findings);
    int rc = json_dump_file(doc, ob->o->json_path, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (rc != 0) {
        lab_error("%s: cannot write: %s", ob->o->json_path, strerror(errno));
        return -1;
    }
    return 0;
}

/* "FICLONE 10, write 3, no syscall 2": what produced the files, by count */
static void print_trace_summary(const struct obs *ob)
{
    const char *ops[32];
    size_t counts[32], nops = 0, none = 0, renamed = 0;
    for (size_t i = 0; i < ob->n; i++) {
        const struct trace_entry *t = ob->files[i].trace;
        if (!t) {
            none++;
            continue;
        }
        renamed += t->renamed;
        size_t k = 0;
        while (k < nops && strcmp(ops[k], t->op) != 0)
            k++;
        if (k == nops && nops < 32) {
            ops[nops] = t->op;
            counts[nops++] = 0;
        }
        if (k < nops)
            counts[k]++;
    }
    printf("  trace:");
    for (size_t k = 0; k < nops; k++)
        printf(" %s %zu%s", ops[k], counts[k], k + 1 < nops || none ? "," : "");
    if (none)
        printf(" no syscall seen %zu", none);
    printf("; renamed into place %zu\n", renamed);
}

void print_report(const struct obs *ob)
{
    printf("observe: %s (%s)", ob->target_abs, ob->target_fs);
    if (ob->o->source)
        printf(" against %s (%s)", ob->o->source, ob->source_fs);
    printf(": %zu files\n", ob->n);
    bool any = false;
    for (int c = 0; c < CLS_COUNT; c++)
        if (ob->counts[c]) {
            printf("%s %s %zu", any ? "" : " ", obs_class_name((enum obs_class)c), ob->counts[c]);
            any = true;
        }
    if (any)
        printf("\n");
    bool any_own = false;
    for (int c = 0; c < CLS_COUNT; c++)
        if (ob->own_counts[c]) {
            printf("%s %s %zu", any_own ? "," : "  the installer's own:", obs_class_name((enum obs_class)c),
                   ob->own_counts[c]);
            any_own = true;
        }
    if (any_own)
        printf("\n");
    if (ob->have_source)
        printf("  bytes %llu: shared with the source %llu, own %llu\n", (unsigned long long)ob->bytes,
               (unsigned long long)ob->bytes_shared, (unsigned long long)ob->bytes_own);
    else
        printf("  bytes %llu (no --source: what is shared is not measured, classes are what files show alone)\n",
               (unsigned long long)ob->bytes);
    if (ob->unpaired)
        printf("  unpaired: %zu files no source file pairs with (by path, inode or content)\n", ob->unpaired);
    if (ob->o->trace_argv && ob->n > 0)
        print_trace_summary(ob);
    if (ob->o->npackages > 0)
        printf("  complete: %d %s files; missing %zu, corrupt %zu, mode %zu, extra %zu, "
               "installer-added %zu, case-collision %zu, overwritten %zu, cache-corrupt %zu\n",
               ob->record_files, ob->promised_files, ob->nkind[FIND_MISSING], ob->nkind[FIND_CORRUPT], ob->nkind[FIND_MODE],
               ob->nkind[FIND_EXTRA], ob->nkind[FIND_INSTALLER_ADDED], ob->nkind[FIND_CASE_COLLISION],
               ob->nkind[FIND_OVERWRITTEN], ob->nkind[FIND_CACHE_CORRUPT]);
    for (size_t i = 0; i < ob->nfindings; i++)
        if (ob->findings[i].kind != FIND_INSTALLER_ADDED)
            printf("  %s: %s%s%s\n", finding_name(ob->findings[i].kind), ob->findings[i].path,
                   ob->findings[i].detail ? ": " : "", ob->findings[i].detail ? ob->findings[i].detail : "");
}
