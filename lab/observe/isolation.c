/* isolation.c - whether an edit in the target reaches the cache, probed
 * on scratch copies that recreate each class's relation to its source. */
#include "observe/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/fs.h>

#include "common/digest.h"
#include "common/util.h"

static int copy_path(const char *from, const char *to)
{
    int in = open_regular(from, 0, NULL);
    if (in < 0)
        return errno;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        int e = errno;
        close(in);
        return e;
    }
    char buf[1 << 16];
    ssize_t r;
    int err = 0;
    while ((r = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)r) != r) {
            err = errno ? errno : EIO;
            break;
        }
    if (r < 0)
        err = errno;
    close(in);
    if (close(out) != 0 && !err)
        err = errno;
    return err;
}

static int clone_path(const char *from, const char *to)
{
    int in = open_regular(from, 0, NULL);
    if (in < 0)
        return errno;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    int err = out < 0 ? errno : (ioctl(out, FICLONE, in) != 0 ? errno : 0);
    close(in);
    if (out >= 0)
        close(out);
    return err;
}

/* Recreates the file's relation to its source on scratch files (a scratch
 * source S' beside the source, a scratch installed file T' beside the
 * installed one), writes to T' and says whether S' changed: the real tree
 * and cache are never written. */
static const char *isolation_probe(const struct obs_file *f, char *why, size_t whylen)
{
    char *s2 = xasprintf("%s.llisolation.%ld", f->source->abs, (long)getpid());
    char *t2 = xasprintf("%s.llisolation.%ld", f->abs, (long)getpid());
    const char *result = NULL;
    int err = f->cls == CLS_CLONED ? clone_path(f->source->abs, s2) : copy_path(f->source->abs, s2);
    if (!err) {
        switch (f->cls) {
        case CLS_CLONED: err = clone_path(s2, t2); break;
        case CLS_HARDLINKED: err = link(s2, t2) == 0 ? 0 : errno; break;
        case CLS_SYMLINKED: err = symlink(s2, t2) == 0 ? 0 : errno; break;
        default: err = copy_path(s2, t2); break;
        }
    }
    char before[128], after[128];
    if (!err)
        err = digest_file_b64(s2, NULL, before, sizeof before, NULL);
    if (!err) {
        int fd = open(t2, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0 || write(fd, "linklab isolation probe\n", 24) != 24)
            err = errno ? errno : EIO;
        if (fd >= 0)
            close(fd);
    }
    if (!err)
        err = digest_file_b64(s2, NULL, after, sizeof after, NULL);
    if (err) {
        snprintf(why, whylen, "probe failed: %s", strerror(err));
        result = why;
    } else {
        result = strcmp(before, after) == 0 ? "isolated: edits stay in the target"
                                            : "edits reach the cache";
    }
    unlink(t2);
    unlink(s2);
    free(s2);
    free(t2);
    return result;
}

void run_isolation(struct obs *ob)
{
    ob->isolation = json_object();
    /* nothing to probe: the inode is shared with a file outside the source */
    for (size_t i = 0; i < ob->n; i++) {
        const struct obs_file *f = &ob->files[i];
        if (f->cls != CLS_HARDLINKED_ELSEWHERE)
            continue;
        const char *r = "edits reach another file outside the source (a shared inode)";
        json_object_set_new(ob->isolation, obs_class_name(f->cls), json_pack("{s:s,s:s}", "file", f->rel, "result", r));
        if (!ob->o->quiet)
            printf("isolation: %s (%s): %s\n", obs_class_name(f->cls), f->rel, r);
        break;
    }
    static const enum obs_class probed[] = {CLS_CLONED, CLS_PARTIAL, CLS_HARDLINKED, CLS_SYMLINKED, CLS_COPIED};
    for (size_t c = 0; c < sizeof probed / sizeof probed[0]; c++) {
        for (size_t i = 0; i < ob->n; i++) {
            const struct obs_file *f = &ob->files[i];
            if (f->cls != probed[c] || !f->source || f->source->size == 0)
                continue;
            char why[256];
            const char *r = isolation_probe(f, why, sizeof why);
            json_object_set_new(ob->isolation, obs_class_name(f->cls),
                                json_pack("{s:s,s:s}", "file", f->rel, "result", r));
            if (!ob->o->quiet)
                printf("isolation: %s (%s): %s\n", obs_class_name(f->cls), f->rel, r);
            break;
        }
    }
}
