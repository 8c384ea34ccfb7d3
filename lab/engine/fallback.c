#include "engine/fallback.h"

#include <errno.h>
#include <string.h>

static const char *const mode_names[MODE_COUNT] = {"clone", "hardlink", "copy", "symlink", "auto"};

const char *mode_name(enum lab_mode m)
{
    return (m >= 0 && m < MODE_COUNT) ? mode_names[m] : "?";
}

int mode_parse(const char *name)
{
    for (int i = 0; i < MODE_COUNT; i++)
        if (strcmp(name, mode_names[i]) == 0)
            return i;
    if (strcmp(name, "reflink") == 0)
        return MODE_CLONE;
    return -1;
}

void fb_init(struct fb_state *st, enum lab_mode requested, bool strict)
{
    memset(st, 0, sizeof *st);
    st->requested = requested;
    st->current = requested == MODE_AUTO ? MODE_CLONE : requested;
    st->strict = strict;
}

bool fb_is_capability_error(int err)
{
    switch (err) {
    case EXDEV:      /* another filesystem or mount */
    case EOPNOTSUPP: /* the filesystem has no such operation (== ENOTSUP) */
    case EINVAL:     /* FICLONE refused by this filesystem or these files */
    case ENOTTY:     /* no such ioctl */
    case ENOSYS:
    case EPERM:      /* filesystems that refuse hard links or symlinks */
    case EMLINK:     /* link limit even after a fresh inode */
        return true;
    default:
        return false;
    }
}

static bool next_mode(enum lab_mode m, enum lab_mode *out)
{
    switch (m) {
    case MODE_CLONE:
        *out = MODE_HARDLINK;
        return true;
    case MODE_HARDLINK:
    case MODE_SYMLINK:
        *out = MODE_COPY;
        return true;
    default:
        return false;
    }
}

void fb_force_step(struct fb_state *st, enum lab_mode failed, int err, enum lab_mode next)
{
    if (st->nsteps < FB_MAX_STEPS)
        st->steps[st->nsteps++] = (struct fb_step){failed, err};
    st->current = next;
}

enum fb_action fb_next(struct fb_state *st, struct fb_file *f, int err)
{
    if (err == 0) {
        st->settled = true;
        return FB_DONE;
    }
    if (err == EEXIST && !f->replaced) {
        f->replaced = true;
        return FB_REPLACE;
    }
    if (err == EMLINK && st->current == MODE_HARDLINK && !f->reinoded) {
        f->reinoded = true;
        return FB_REINODE;
    }
    enum lab_mode next;
    if (st->settled || st->strict || !fb_is_capability_error(err) || !next_mode(st->current, &next))
        return FB_FAIL;
    fb_force_step(st, st->current, err, next);
    f->replaced = false;
    f->reinoded = false;
    return FB_STEP_DOWN;
}
