/* internal.h - the observer's shared model, for the files of lab/observe/:
 *   classify.c      what each installed file is (FIEMAP, inodes), the walk
 *   completeness.c  the target against what the packages promise
 *   findings.c      findings: an enum with a name table and counts
 *   isolation.c     whether edits in the target reach the cache (probes)
 *   output.c        the text report and observe.json
 *   observe.c       observe_run: the order of it all
 * pairing.c and trace.c are its helpers for sources and syscalls. */
#ifndef LAB_OBSERVE_INTERNAL_H
#define LAB_OBSERVE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "common/fsident.h"
#include "observe/observe.h"
#include "observe/pairing.h"
#include "observe/trace.h"

/* how an installed file found its source: its relative path, its content
 * (another installer's cache layout), or its inode (a hardlink or symlink
 * of some other source file) */
enum pair_kind { PAIR_NONE, PAIR_PATH, PAIR_CONTENT, PAIR_INODE };

struct obs_file {
    char *rel;
    char *abs;
    struct stat st; /* lstat */
    enum obs_class cls;
    enum pair_kind paired;
    const struct src_file *source;
    /* the file's bytes (a symlink: those of the file it resolves to), and
     * how many of them are stored in the source's blocks (clone-mapped
     * ranges; all of a hardlink's or a symlink's into the source); the
     * rest of a regular file's are its own */
    uint64_t bytes, bytes_shared;
    bool own;         /* the installer's own file (--own, or what it adds or
                         rewrites in a package): listed, not a deviation */
    bool path_sourced; /* some source file has its relative path */
    bool rewritten;    /* an installer's rewrite of its source that keeps
                          what the source says (a wheel's RECORD) */
    const char *note;
    char *hash; /* sha256 b64, when computed */
    const struct trace_entry *trace;
};

/* What completeness found, beside the classes. A new kind is one enum
 * value and one row in findings.c. */
enum finding_kind {
    FIND_MISSING,         /* promised, not in the target */
    FIND_CORRUPT,         /* in the target with other bytes */
    FIND_MODE,            /* the exec bit differs from the package's */
    FIND_EXTRA,           /* in a package's directory, promised by none */
    FIND_INSTALLER_ADDED, /* extra, but what installers add on purpose */
    FIND_CASE_COLLISION,  /* names that differ only by case or normalization */
    FIND_OVERWRITTEN,     /* written by several packages: which one won */
    FIND_CACHE_CORRUPT,   /* the file matches its package, its cache file does not */
    FIND_COUNT
};

struct finding {
    enum finding_kind kind;
    char *path;
    char *detail;
    const char *wheel;
    long long bytes; /* what the package promised, for missing and corrupt files */
};

struct fs_cache {
    dev_t dev;
    struct fsident id;
};

struct obs {
    const struct observe_opts *o;
    char *target_abs;
    struct obs_file *files;
    size_t n;
    struct src_index src;
    bool have_source;
    struct fs_cache **fs; /* each entry allocated alone: fs_of hands out pointers */
    size_t nfs;
    struct finding *findings;
    size_t nfindings;
    size_t nkind[FIND_COUNT];
    size_t counts[CLS_COUNT];     /* files not --own */
    size_t own_counts[CLS_COUNT]; /* files matching --own */
    uint64_t bytes, bytes_shared, bytes_own;
    size_t unpaired; /* files not own that no source file pairs with */
    int record_files;
    const char *promised_files; /* what the summary calls them: "RECORD" (wheels), "promised" */
    char target_fs[24], source_fs[24];
    json_t *isolation;
    /* an installed file that is a source file itself (nlink 1): the target
     * is the cache seen through a bind mount or FUSE */
    const struct obs_file *view_of_source;
    const struct src_file *view_source;
    char *view_dir; /* a target directory that is a source directory */
};

/* classify.c */
int walk_target(struct obs *ob);
struct obs_file *find_file(struct obs *ob, const char *rel);
void classify(struct obs *ob, struct obs_file *f);
const char *file_hash(struct obs_file *f);
const char *pair_name(enum pair_kind k);

/* completeness.c: findings for the packages in ob->o->packages */
int check_completeness(struct obs *ob);

/* findings.c */
const char *finding_name(enum finding_kind k);
/* records a finding; detail is taken over (may be NULL) */
struct finding *add_finding(struct obs *ob, enum finding_kind kind, const char *path, const char *wheel,
                            char *detail);
/* The finding of this kind for path that no wheel has named yet, or NULL. */
struct finding *find_unnamed_finding(struct obs *ob, enum finding_kind kind, const char *path);
/* Changes a finding's kind (the counts follow); detail is taken over. */
void retype_finding(struct obs *ob, struct finding *x, enum finding_kind kind, char *detail);
void remove_finding(struct obs *ob, struct finding *x);
/* missing + corrupt + mode: the tree is incomplete */
bool findings_incomplete(const struct obs *ob);

/* isolation.c */
void run_isolation(struct obs *ob);

/* output.c */
void print_report(const struct obs *ob);
int write_json(const struct obs *ob, size_t deviations, bool pass);

#endif
