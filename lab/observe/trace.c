#include "observe/trace.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"

#define TRACED_CALLS                                                                              \
    "trace=open,openat,creat,write,pwrite64,writev,pwritev,pwritev2,ioctl,copy_file_range,"       \
    "sendfile,link,linkat,symlink,symlinkat,rename,renameat,renameat2"

struct event {
    double ts;
    size_t order;
    int pid;
    char *line;
};

struct tracer {
    struct trace_map *map;
    struct hsearch_data index;
    char **cwd; /* per event pid slot */
    int *pids;
    size_t npids;
    const char *initial_cwd;
};

/* ------------------------------------------------------------- parsing */

/* Splits "a, b, {c, d}, 3</x,y>" at top-level commas, in place. */
static int split_args(char *s, char **argv, int max)
{
    int n = 0, depth = 0;
    bool in_str = false;
    char *start = s;
    for (char *p = s;; p++) {
        char c = *p;
        if (in_str) {
            if (c == '\\' && p[1])
                p++;
            else if (c == '"')
                in_str = false;
            else if (!c)
                break;
            continue;
        }
        if (c == '"')
            in_str = true;
        else if (c == '(' || c == '{' || c == '[' || c == '<')
            depth++;
        else if (c == ')' || c == '}' || c == ']' || c == '>')
            depth--;
        else if ((c == ',' && depth == 0) || !c) {
            if (n < max) {
                *p = '\0';
                while (*start == ' ')
                    start++;
                argv[n++] = start;
            }
            if (!c)
                break;
            start = p + 1;
        }
    }
    return n;
}

/* The path in an fd decoration "3</path>" or "AT_FDCWD</path>". */
static char *fd_path(const char *arg)
{
    const char *lt = strchr(arg, '<'), *gt = strrchr(arg, '>');
    if (!lt || !gt || gt < lt)
        return NULL;
    return xstrndup(lt + 1, (size_t)(gt - lt - 1));
}

/* A quoted C string argument, unescaped. */
static char *str_arg(const char *arg)
{
    if (*arg != '"')
        return NULL;
    char *out = xmalloc(strlen(arg) + 1), *o = out;
    for (const char *p = arg + 1; *p && *p != '"'; p++) {
        if (*p != '\\') {
            *o++ = *p;
            continue;
        }
        p++;
        switch (*p) {
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case 'x':
            if (isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
                char hex[3] = {p[1], p[2], 0};
                *o++ = (char)strtol(hex, NULL, 16);
                p += 2;
            }
            break;
        case '\0': p--; break;
        default: *o++ = *p; break;
        }
    }
    *o = '\0';
    return out;
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

static struct trace_entry *entry(struct tracer *t, const char *path, bool create)
{
    ENTRY key = {.key = (char *)path}, *found = NULL;
    hsearch_r(key, FIND, &found, &t->index);
    if (found)
        return &t->map->v[(size_t)found->data];
    if (!create)
        return NULL;
    struct trace_map *m = t->map;
    m->v = xrealloc(m->v, (m->n + 1) * sizeof *m->v);
    m->v[m->n] = (struct trace_entry){.path = xstrdup(path)};
    key.key = m->v[m->n].path;
    key.data = (void *)m->n;
    if (!hsearch_r(key, ENTER, &found, &t->index)) {
        lab_error("trace: too many paths to index");
        exit(LAB_EXIT_FAIL);
    }
    return &m->v[m->n++];
}

static void set_op(struct tracer *t, const char *path, const char *op)
{
    if (!path)
        return;
    struct trace_entry *e = entry(t, path, true);
    if (!e->op || strcmp(e->op, "create") == 0 || strcmp(e->op, "gone") == 0) {
        free(e->op);
        e->op = xstrdup(op);
        if (strcmp(op, "create") != 0)
            e->renamed = false;
    } else if (strcmp(op, "create") != 0 && !strstr(e->op, op)) {
        char *joined = xasprintf("%s+%s", e->op, op);
        free(e->op);
        e->op = joined;
    }
}

static void move(struct tracer *t, const char *from, const char *to)
{
    if (!from || !to)
        return;
    struct trace_entry *src = entry(t, from, false);
    char *op = xstrdup(src && src->op && strcmp(src->op, "gone") != 0 ? src->op : "rename");
    if (src) {
        free(src->op);
        src->op = xstrdup("gone");
    }
    struct trace_entry *dst = entry(t, to, true);
    free(dst->op);
    dst->op = op;
    dst->renamed = true;
}

static void handle(struct tracer *t, const struct event *ev)
{
    char *line = ev->line;
    char *sp = strchr(line, ' ');
    if (!sp)
        return;
    char *name = sp + 1, *paren = strchr(name, '(');
    char *eq = strstr(name, ") = ");
    if (!paren || !eq || eq < paren)
        return;
    /* the last ") = " ends the arguments */
    for (char *next; (next = strstr(eq + 1, ") = "));)
        eq = next;
    const char *ret = eq + 4;
    if (*ret == '-' || *ret == '?')
        return; /* failed or unfinished */
    *paren = '\0';
    *eq = '\0';
    char *argv[8];
    int argc = split_args(paren + 1, argv, 8);
    size_t slot = pid_slot(t, ev->pid);
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "AT_FDCWD<", 9) == 0) {
            char *cwd = fd_path(argv[i]);
            free(t->cwd[slot]);
            t->cwd[slot] = cwd;
        }
    }
    char *path = NULL, *other = NULL;
    if (strcmp(name, "write") == 0 || strcmp(name, "pwrite64") == 0 || strcmp(name, "writev") == 0 ||
        strcmp(name, "pwritev") == 0 || strcmp(name, "pwritev2") == 0) {
        if (argc >= 1 && strcmp(ret, "0") != 0)
            set_op(t, path = fd_path(argv[0]), "write");
    } else if (strcmp(name, "ioctl") == 0 && argc >= 2) {
        if (strstr(argv[1], "FICLONERANGE"))
            set_op(t, path = fd_path(argv[0]), "FICLONERANGE");
        else if (strstr(argv[1], "FICLONE"))
            set_op(t, path = fd_path(argv[0]), "FICLONE");
    } else if (strcmp(name, "copy_file_range") == 0 && argc >= 3) {
        if (strcmp(ret, "0") != 0)
            set_op(t, path = fd_path(argv[2]), "copy_file_range");
    } else if ((strcmp(name, "sendfile") == 0 || strcmp(name, "sendfile64") == 0) && argc >= 1) {
        if (strcmp(ret, "0") != 0)
            set_op(t, path = fd_path(argv[0]), "sendfile");
    } else if (strcmp(name, "openat") == 0 && argc >= 3 && strstr(argv[2], "O_CREAT")) {
        set_op(t, path = fd_path(ret), "create");
    } else if ((strcmp(name, "open") == 0 && argc >= 2 && strstr(argv[1], "O_CREAT")) ||
               strcmp(name, "creat") == 0) {
        set_op(t, path = fd_path(ret), "create");
    } else if (strcmp(name, "link") == 0 && argc >= 2) {
        set_op(t, path = resolve(t, slot, NULL, argv[1]), "link");
    } else if (strcmp(name, "linkat") == 0 && argc >= 4) {
        set_op(t, path = resolve(t, slot, argv[2], argv[3]), "link");
    } else if (strcmp(name, "symlink") == 0 && argc >= 2) {
        set_op(t, path = resolve(t, slot, NULL, argv[1]), "symlink");
    } else if (strcmp(name, "symlinkat") == 0 && argc >= 3) {
        set_op(t, path = resolve(t, slot, argv[1], argv[2]), "symlink");
    } else if (strcmp(name, "rename") == 0 && argc >= 2) {
        move(t, path = resolve(t, slot, NULL, argv[0]), other = resolve(t, slot, NULL, argv[1]));
    } else if ((strcmp(name, "renameat") == 0 || strcmp(name, "renameat2") == 0) && argc >= 4) {
        move(t, path = resolve(t, slot, argv[0], argv[1]), other = resolve(t, slot, argv[2], argv[3]));
    }
    free(path);
    free(other);
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

int trace_parse(const char *prefix, struct trace_map *map, char *err, size_t errlen)
{
    memset(map, 0, sizeof *map);
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
    char cwd[4096];
    struct tracer t = {.map = map, .initial_cwd = getcwd(cwd, sizeof cwd) ? cwd : "/"};
    hcreate_r(nev * 2 + 64, &t.index);
    for (size_t i = 0; i < nev; i++)
        handle(&t, &ev[i]);
    hdestroy_r(&t.index);
    for (size_t i = 0; i < nev; i++)
        free(ev[i].line);
    free(ev);
    for (size_t i = 0; i < t.npids; i++)
        free(t.cwd[i]);
    free(t.cwd);
    free(t.pids);
    /* drop names that were renamed away */
    size_t keep = 0;
    for (size_t i = 0; i < map->n; i++) {
        if (map->v[i].op && strcmp(map->v[i].op, "gone") != 0) {
            map->v[keep++] = map->v[i];
        } else {
            free(map->v[i].path);
            free(map->v[i].op);
        }
    }
    map->n = keep;
    sort_items(map->v, map->n, sizeof *map->v, cmp_entry);
    return 0;
}

/* ---------------------------------------------------------------- run */

int trace_run(char **argv, struct trace_map *map, int *status, char *err, size_t errlen)
{
    memset(map, 0, sizeof *map);
    char dir[] = "/tmp/linklab-trace.XXXXXX";
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "cannot make a directory for the trace: %s", strerror(errno));
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
