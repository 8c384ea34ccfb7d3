#include "observe/trace.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"

#define TRACED_CALLS                                                                              \
    "trace=open,openat,creat,write,pwrite64,writev,pwritev,pwritev2,ioctl,copy_file_range,"       \
    "sendfile,link,linkat,symlink,symlinkat,rename,renameat,renameat2,chdir,fchdir,clone,clone3," \
    "fork,vfork"

struct event {
    double ts;
    size_t order;
    int pid;
    char *line;
};

/* Every name the traced processes made or renamed, as a tree of path
 * components. A rename moves one node and with it all that lies under it,
 * in time proportional to the depth of the names, however many files the
 * directory holds (pnpm fills pkg_tmp_NNN/ and renames the directory). */
struct node {
    struct node *parent; /* NULL for the root */
    char *name;          /* one path component; with parent's id, its key */
    size_t id;
    char *op;                /* what produced its data; NULL: only a directory on a path */
    unsigned long data_seq;  /* the event at which op took its data */
    unsigned long moved_seq; /* the last rename that put it where it is; 0: none */
    bool detached;           /* replaced by a rename: it and all under it are gone */
};

struct tracer {
    struct node root;
    void *edges;         /* tsearch tree of the attached nodes but the root, by (parent id, name) */
    struct node **nodes; /* every node made, to list and to free them */
    size_t nnodes, cap;
    unsigned long seq;
    char **cwd; /* per event pid slot */
    int *pids;
    size_t npids;
    const char *initial_cwd;
};

/* ------------------------------------------------------------- parsing */

/* Splits the arguments after "name(" at top-level commas, in place, up
 * to the ')' that closes them: quoted strings and fd decorations
 * ("3</x,y>", in which strace escapes '<', '>' and '"') are opaque, and
 * "[0] => [100]" (a value the call changed) holds no bracket. Returns the
 * count; *end gets the closing ')', or NULL when the line has none. */
static int split_args(char *s, char **argv, int max, char **end)
{
    int n = 0, depth = 0;
    char in = 0; /* '"' in a string, '<' in a decoration */
    char *start = s;
    *end = NULL;
    for (char *p = s; *p; p++) {
        char c = *p;
        bool last = c == ')' && depth == 0;
        if (c == '\\' && p[1])
            p++;
        else if (in)
            in = (in == '"' && c == '"') || (in == '<' && c == '>') ? 0 : in;
        else if (c == '"' || c == '<')
            in = c;
        else if (c == '(' || c == '{' || c == '[')
            depth++;
        else if (c == ')' || c == '}' || c == ']')
            depth--;
        if (in || !(last || (c == ',' && depth == 0)))
            continue;
        *p = '\0';
        while (*start == ' ')
            start++;
        if (n < max)
            argv[n++] = start;
        start = p + 1;
        if (last) {
            *end = p;
            break;
        }
    }
    return n;
}

/* strace's quoting undone, from p up to end or an unescaped stop
 * character: \ooo (one to three octal digits: bytes outside ASCII, and '<'
 * and '>' in an fd's path), \xNN, \n, \t, \r, \v, \f, and \ before any
 * other character. */
static char *unescape(const char *p, const char *end, char stop)
{
    char *out = xmalloc((size_t)(end - p) + 1), *o = out;
    for (; p < end && *p != stop; p++) {
        if (*p != '\\' || p + 1 >= end) {
            *o++ = *p;
            continue;
        }
        p++;
        if (*p >= '0' && *p <= '7') {
            unsigned v = 0;
            for (int i = 0; i < 3 && p < end && *p >= '0' && *p <= '7'; i++, p++)
                v = v * 8 + (unsigned)(*p - '0');
            *o++ = (char)v;
            p--;
        } else if (*p == 'x' && p + 2 < end && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
            char hex[3] = {p[1], p[2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            p += 2;
        } else {
            const char *from = "ntrvf", *to = "\n\t\r\v\f", *k = strchr(from, *p);
            *o++ = k ? to[k - from] : *p;
        }
    }
    *o = '\0';
    return out;
}

/* The path in an fd decoration "3</path>" or "AT_FDCWD</path>". */
static char *fd_path(const char *arg)
{
    const char *lt = strchr(arg, '<'), *gt = strrchr(arg, '>');
    if (!lt || !gt || gt < lt)
        return NULL;
    return unescape(lt + 1, gt, '\0');
}

/* A quoted C string argument, unescaped. */
static char *str_arg(const char *arg)
{
    if (*arg != '"')
        return NULL;
    return unescape(arg + 1, arg + strlen(arg), '"');
}

/* Lexically cleans "a/./b/../c" and joins dir with a relative name. */
static char *join_clean(const char *dir, const char *name)
{
    char *raw = name[0] == '/' ? xstrdup(name) : xasprintf("%s/%s", dir ? dir : "", name);
    char *out = xmalloc(strlen(raw) + 2);
    size_t n = 0;
    for (char *tok = strtok(raw, "/"); tok; tok = strtok(NULL, "/")) {
        if (strcmp(tok, ".") == 0)
            continue;
        if (strcmp(tok, "..") == 0) {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;
            continue;
        }
        out[n++] = '/';
        size_t l = strlen(tok);
        memcpy(out + n, tok, l);
        n += l;
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = '\0';
    free(raw);
    return out;
}

static size_t pid_slot(struct tracer *t, int pid)
{
    for (size_t i = 0; i < t->npids; i++)
        if (t->pids[i] == pid)
            return i;
    t->pids = xrealloc(t->pids, (t->npids + 1) * sizeof *t->pids);
    t->cwd = xrealloc(t->cwd, (t->npids + 1) * sizeof *t->cwd);
    t->pids[t->npids] = pid;
    t->cwd[t->npids] = xstrdup(t->initial_cwd);
    return t->npids++;
}

/* dirarg: an fd decoration (dirfd) or NULL for the process's cwd */
static char *resolve(struct tracer *t, size_t slot, const char *dirarg, const char *namearg)
{
    char *name = str_arg(namearg);
    if (!name)
        return NULL;
    char *dir = dirarg ? fd_path(dirarg) : NULL;
    char *path = join_clean(dir ? dir : t->cwd[slot], name);
    free(dir);
    free(name);
    return path;
}

static void set_cwd(struct tracer *t, size_t slot, char *cwd)
{
    if (!cwd)
        return;
    free(t->cwd[slot]);
    t->cwd[slot] = cwd;
}

/* ------------------------------------------------------- the name tree */

static int cmp_edge(const void *a, const void *b)
{
    const struct node *x = a, *y = b;
    if (x->parent->id != y->parent->id)
        return x->parent->id < y->parent->id ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void edge_add(struct tracer *t, struct node *n)
{
    if (!tsearch(n, &t->edges, cmp_edge)) {
        lab_error("trace: out of memory indexing paths");
        exit(LAB_EXIT_FAIL);
    }
}

static struct node *node_child(struct tracer *t, struct node *parent, const char *name, bool create)
{
    struct node key = {.parent = parent, .name = (char *)name};
    void *hit = tfind(&key, &t->edges, cmp_edge);
    if (hit)
        return *(struct node **)hit;
    if (!create)
        return NULL;
    if (t->nnodes == t->cap)
        t->nodes = xrealloc(t->nodes, (t->cap = t->cap ? t->cap * 2 : 1024) * sizeof *t->nodes);
    struct node *n = xmalloc(sizeof *n);
    *n = (struct node){.parent = parent, .name = xstrdup(name), .id = t->nnodes + 1};
    t->nodes[t->nnodes++] = n;
    edge_add(t, n);
    return n;
}

/* The node of an absolute path, made (with the directories above it) when
 * create; NULL for a path that is not absolute ("pipe:[12]") or unknown. */
static struct node *node_walk(struct tracer *t, const char *path, bool create)
{
    if (!path || path[0] != '/')
        return NULL;
    char *copy = xstrdup(path), *save = NULL;
    struct node *n = &t->root;
    for (char *c = strtok_r(copy, "/", &save); c && n; c = strtok_r(NULL, "/", &save))
        n = node_child(t, n, c, create);
    free(copy);
    return n;
}

/* Whether n is anc or lies under it. */
static bool node_under(const struct node *n, const struct node *anc)
{
    for (; n; n = n->parent)
        if (n == anc)
            return true;
    return false;
}

/* Puts an attached node n at (parent, name), moving everything under it. */
static void node_place(struct tracer *t, struct node *n, struct node *parent, char *name)
{
    tdelete(n, &t->edges, cmp_edge);
    n->parent = parent;
    free(n->name);
    n->name = name;
    edge_add(t, n);
    n->moved_seq = ++t->seq;
}

static void node_detach(struct tracer *t, struct node *n)
{
    tdelete(n, &t->edges, cmp_edge);
    n->detached = true;
}

/* --------------------------------------------------------- attribution */

static void set_op(struct tracer *t, const char *path, const char *op)
{
    struct node *e = node_walk(t, path, true);
    if (!e || e == &t->root)
        return;
    if (!e->op || strcmp(e->op, "create") == 0) {
        /* new data: a rename before it did not bring it here */
        if (!e->op || strcmp(op, "create") != 0)
            e->data_seq = ++t->seq;
        free(e->op);
        e->op = xstrdup(op);
    } else if (strcmp(op, "create") != 0 && !strstr(e->op, op)) {
        char *joined = xasprintf("%s+%s", e->op, op);
        free(e->op);
        e->op = joined;
    }
}

/* rename(from, to) that succeeded: to, a file or a directory with all it
 * holds, replaces what was there. A source never seen is op "rename". */
static void move(struct tracer *t, const char *from, const char *to)
{
    if (!from || !to || to[0] != '/' || strcmp(from, to) == 0)
        return;
    const char *slash = strrchr(to, '/');
    if (!slash[1])
        return; /* "/" */
    char *dir = xstrndup(to, (size_t)(slash - to));
    struct node *src = node_walk(t, from, false), *parent = node_walk(t, dir[0] ? dir : "/", true);
    free(dir);
    /* the kernel refuses to move a directory under itself: the trace lies */
    if (src && node_under(parent, src))
        return;
    struct node *dst = node_child(t, parent, slash + 1, false);
    if (dst && dst == src)
        return;
    if (dst)
        node_detach(t, dst);
    if (src) {
        node_place(t, src, parent, xstrdup(slash + 1));
        return;
    }
    src = node_child(t, parent, slash + 1, true);
    src->op = xstrdup("rename");
    src->moved_seq = ++t->seq;
}

/* renameat2(a, b, RENAME_EXCHANGE): a and b swap places. */
static void exchange(struct tracer *t, const char *a, const char *b)
{
    struct node *x = node_walk(t, a, true), *y = node_walk(t, b, true);
    if (!x || !y || node_under(x, y) || node_under(y, x))
        return;
    struct node *xp = x->parent, *yp = y->parent;
    char *xn = x->name, *yn = y->name;
    tdelete(x, &t->edges, cmp_edge);
    tdelete(y, &t->edges, cmp_edge);
    x->parent = yp;
    x->name = yn;
    y->parent = xp;
    y->name = xn;
    edge_add(t, x);
    edge_add(t, y);
    x->moved_seq = y->moved_seq = ++t->seq;
}

/* The path of n, and the last rename of it or of a directory above it;
 * NULL when a rename replaced it or a directory above it. */
static char *node_path(const struct tracer *t, const struct node *n, unsigned long *moved)
{
    size_t len = 0;
    *moved = 0;
    for (const struct node *p = n; p != &t->root; p = p->parent) {
        if (p->detached)
            return NULL;
        len += strlen(p->name) + 1;
        *moved = p->moved_seq > *moved ? p->moved_seq : *moved;
    }
    char *out = xmalloc(len + 2);
    if (len == 0)
        return strcpy(out, "/");
    out[len] = '\0';
    size_t at = len;
    for (const struct node *p = n; p != &t->root; p = p->parent) {
        size_t l = strlen(p->name);
        at -= l;
        memcpy(out + at, p->name, l);
        out[--at] = '/';
    }
    return out;
}

/* ------------------------------------------------------------- events */

/* One strace line: the call, its arguments and what it returned. */
struct call {
    const char *name;
    char *argv[8];
    int argc;
    const char *ret;
    size_t slot; /* the process's */
};

/* Whether name is one of the space-separated words of list. */
static bool named(const char *name, const char *list)
{
    size_t l = strlen(name);
    for (const char *p = strstr(list, name); p; p = strstr(p + 1, name))
        if ((p == list || p[-1] == ' ') && (p[l] == ' ' || !p[l]))
            return true;
    return false;
}

/* Splits "TIME name(args) = ret", in place; false for a call that failed,
 * did not finish, or is no call (signals, exits). */
static bool parse_call(char *line, struct call *c)
{
    char *sp = strchr(line, ' '), *paren = sp ? strchr(sp, '(') : NULL, *end = NULL;
    if (!paren)
        return false;
    *paren = '\0';
    c->name = sp + 1;
    c->argc = split_args(paren + 1, c->argv, 8, &end);
    /* strace pads short calls: "vfork()               = 101" */
    const char *ret = end ? end + 1 + strspn(end + 1, " ") : "";
    if (strncmp(ret, "= ", 2) != 0)
        return false;
    c->ret = ret + 2;
    return *c->ret != '-' && *c->ret != '?';
}

/* A call that gives a file data or makes it: its op, and the file in *path. */
static const char *data_op(const struct call *c, char **path)
{
    const char *n = c->name;
    bool some = strcmp(c->ret, "0") != 0;
    if (named(n, "write pwrite64 writev pwritev pwritev2") && c->argc >= 1 && some) {
        *path = fd_path(c->argv[0]);
        return "write";
    }
    if (named(n, "ioctl") && c->argc >= 2 && strstr(c->argv[1], "FICLONE")) {
        *path = fd_path(c->argv[0]);
        return strstr(c->argv[1], "FICLONERANGE") ? "FICLONERANGE" : "FICLONE";
    }
    if (named(n, "copy_file_range") && c->argc >= 3 && some) {
        *path = fd_path(c->argv[2]);
        return "copy_file_range";
    }
    if (named(n, "sendfile sendfile64") && c->argc >= 1 && some) {
        *path = fd_path(c->argv[0]);
        return "sendfile";
    }
    if ((named(n, "openat") && c->argc >= 3 && strstr(c->argv[2], "O_CREAT")) ||
        (named(n, "open") && c->argc >= 2 && strstr(c->argv[1], "O_CREAT")) || named(n, "creat")) {
        *path = fd_path(c->ret);
        return "create";
    }
    return NULL;
}

/* A call that makes a new name for a file: its op, and the name in *path. */
static const char *link_op(struct tracer *t, const struct call *c, char **path)
{
    const char *n = c->name;
    char *const *a = c->argv;
    if (named(n, "link") && c->argc >= 2)
        *path = resolve(t, c->slot, NULL, a[1]);
    else if (named(n, "linkat") && c->argc >= 4)
        *path = resolve(t, c->slot, a[2], a[3]);
    else if (named(n, "symlink") && c->argc >= 2)
        return (*path = resolve(t, c->slot, NULL, a[1])), "symlink";
    else if (named(n, "symlinkat") && c->argc >= 3)
        return (*path = resolve(t, c->slot, a[1], a[2])), "symlink";
    else
        return NULL;
    return "link";
}

/* rename, renameat and renameat2 (RENAME_EXCHANGE swaps); false for any
 * other call. */
static bool on_rename(struct tracer *t, const struct call *c)
{
    char *const *a = c->argv;
    char *from, *to;
    bool swap = false;
    if (named(c->name, "rename") && c->argc >= 2) {
        from = resolve(t, c->slot, NULL, a[0]);
        to = resolve(t, c->slot, NULL, a[1]);
    } else if (named(c->name, "renameat renameat2") && c->argc >= 4) {
        from = resolve(t, c->slot, a[0], a[1]);
        to = resolve(t, c->slot, a[2], a[3]);
        swap = c->argc >= 5 && strstr(a[4], "RENAME_EXCHANGE");
    } else {
        return false;
    }
    if (swap)
        exchange(t, from, to);
    else
        move(t, from, to);
    free(from);
    free(to);
    return true;
}

/* chdir, fchdir, and a new process or thread, which starts in its
 * parent's directory. */
static void on_process(struct tracer *t, const struct call *c)
{
    if (named(c->name, "chdir") && c->argc >= 1) {
        set_cwd(t, c->slot, resolve(t, c->slot, NULL, c->argv[0]));
    } else if (named(c->name, "fchdir") && c->argc >= 1) {
        set_cwd(t, c->slot, fd_path(c->argv[0]));
    } else if (named(c->name, "clone clone3 fork vfork")) {
        int child = atoi(c->ret);
        if (child <= 0)
            return;
        size_t slot = pid_slot(t, child);
        set_cwd(t, slot, xstrdup(t->cwd[c->slot]));
    }
}

static void handle(struct tracer *t, const struct event *ev)
{
    struct call c;
    if (!parse_call(ev->line, &c))
        return;
    c.slot = pid_slot(t, ev->pid);
    for (int i = 0; i < c.argc; i++)
        if (strncmp(c.argv[i], "AT_FDCWD<", 9) == 0)
            set_cwd(t, c.slot, fd_path(c.argv[i]));
    char *path = NULL;
    const char *op = data_op(&c, &path);
    if (!op)
        op = link_op(t, &c, &path);
    if (op)
        set_op(t, path, op);
    else if (!on_rename(t, &c))
        on_process(t, &c);
    free(path);
}

static int cmp_event(const void *a, const void *b)
{
    const struct event *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct trace_entry *)a)->path, ((const struct trace_entry *)b)->path);
}

/* Every line of the strace output files PREFIX.PID, in time order. */
static int read_events(const char *prefix, struct event **evp, size_t *nevp, char *err, size_t errlen)
{
    char *pattern = xasprintf("%s.*", prefix);
    glob_t g;
    int grc = glob(pattern, 0, NULL, &g);
    free(pattern);
    if (grc != 0) {
        snprintf(err, errlen, "no strace output at %s.*", prefix);
        return -1;
    }
    struct event *ev = NULL;
    size_t nev = 0, cap = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *dot = strrchr(g.gl_pathv[i], '.');
        int pid = atoi(dot + 1);
        FILE *f = fopen(g.gl_pathv[i], "re");
        if (!f)
            continue;
        char *line = NULL;
        size_t llen = 0;
        while (getline(&line, &llen, f) > 0) {
            line[strcspn(line, "\n")] = '\0';
            if (nev == cap)
                ev = xrealloc(ev, (cap = cap ? cap * 2 : 4096) * sizeof *ev);
            ev[nev] = (struct event){strtod(line, NULL), nev, pid, xstrdup(line)};
            nev++;
        }
        free(line);
        fclose(f);
    }
    globfree(&g);
    sort_items(ev, nev, sizeof *ev, cmp_event);
    *evp = ev;
    *nevp = nev;
    return 0;
}

/* The files the tree holds under their last names, sorted by path; their
 * ops move to the map. */
static void flatten(struct tracer *t, struct trace_map *map)
{
    map->v = xcalloc(t->nnodes + 1, sizeof *map->v);
    for (size_t i = 0; i < t->nnodes; i++) {
        struct node *n = t->nodes[i];
        unsigned long moved = 0;
        char *path = n->op ? node_path(t, n, &moved) : NULL;
        if (!path)
            continue;
        map->v[map->n++] = (struct trace_entry){.path = path, .op = n->op, .renamed = moved > n->data_seq};
        n->op = NULL;
    }
    sort_items(map->v, map->n, sizeof *map->v, cmp_entry);
}

static void keep_node(void *n)
{
    (void)n; /* the nodes are freed from t->nodes */
}

static void tracer_free(struct tracer *t)
{
    tdestroy(t->edges, keep_node);
    for (size_t i = 0; i < t->nnodes; i++) {
        free(t->nodes[i]->name);
        free(t->nodes[i]->op);
        free(t->nodes[i]);
    }
    free(t->nodes);
    for (size_t i = 0; i < t->npids; i++)
        free(t->cwd[i]);
    free(t->cwd);
    free(t->pids);
}

int trace_parse(const char *prefix, struct trace_map *map, char *err, size_t errlen)
{
    memset(map, 0, sizeof *map);
    struct event *ev;
    size_t nev;
    if (read_events(prefix, &ev, &nev, err, errlen) != 0)
        return -1;
    char cwd[4096];
    struct tracer t = {.root.name = "", .initial_cwd = getcwd(cwd, sizeof cwd) ? cwd : "/"};
    for (size_t i = 0; i < nev; i++) {
        handle(&t, &ev[i]);
        free(ev[i].line);
    }
    free(ev);
    flatten(&t, map);
    tracer_free(&t);
    return 0;
}

/* ---------------------------------------------------------------- run */

/* Whether cmd can be run: a path that is executable, or a name found so in
 * PATH (as execvp would find it). */
static bool runnable(const char *cmd)
{
    if (strchr(cmd, '/'))
        return access(cmd, X_OK) == 0;
    const char *path = getenv("PATH");
    char *dirs = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    bool found = false;
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *full = xasprintf("%s/%s", *d ? d : ".", cmd);
        struct stat st;
        found = stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0;
        free(full);
    }
    free(dirs);
    return found;
}

int trace_run(char **argv, struct trace_map *map, int *status, char *err, size_t errlen)
{
    memset(map, 0, sizeof *map);
    if (!runnable(argv[0])) {
        snprintf(err, errlen, "--trace: %s: %s", argv[0],
                 strchr(argv[0], '/') ? strerror(errno) : "command not found (not in PATH)");
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/linklab-trace.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "cannot make a directory for the trace under %s: %s", tmp && *tmp ? tmp : "/tmp",
                 strerror(errno));
        free(dir);
        return -1;
    }
    char *prefix = xasprintf("%s/t", dir);
    size_t n = 0;
    while (argv[n])
        n++;
    char **args = xcalloc(n + 16, sizeof *args);
    size_t k = 0;
    args[k++] = "strace";
    args[k++] = "-f";
    args[k++] = "-ff";
    args[k++] = "-ttt";
    args[k++] = "-y";
    args[k++] = "-qq";
    args[k++] = "-s";
    args[k++] = "0";
    args[k++] = "-e";
    args[k++] = TRACED_CALLS;
    args[k++] = "-o";
    args[k++] = prefix;
    args[k++] = "--";
    for (size_t i = 0; i < n; i++)
        args[k++] = argv[i];
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execvp("strace", args);
        fprintf(stderr, "linklab observe: strace not found: install the Debian package strace\n");
        _exit(127);
    }
    free(args);
    int rc = -1, ws = 0;
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
    } else if (waitpid(pid, &ws, 0) < 0) {
        snprintf(err, errlen, "waitpid: %s", strerror(errno));
    } else if (WIFEXITED(ws) && WEXITSTATUS(ws) == 127) {
        snprintf(err, errlen, "the traced command could not be started");
    } else {
        *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        rc = trace_parse(prefix, map, err, errlen);
    }
    free(prefix);
    remove_tree(dir);
    free(dir);
    return rc;
}

const struct trace_entry *trace_lookup(const struct trace_map *map, const char *path)
{
    struct trace_entry key = {.path = (char *)path};
    return map->n ? bsearch(&key, map->v, map->n, sizeof *map->v, cmp_entry) : NULL;
}

void trace_free(struct trace_map *map)
{
    for (size_t i = 0; i < map->n; i++) {
        free(map->v[i].path);
        free(map->v[i].op);
    }
    free(map->v);
    memset(map, 0, sizeof *map);
}
