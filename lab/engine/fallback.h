/* fallback.h - link modes and the per-wheel fallback state machine.
 *
 * A wheel's mode is settled on its first file. Until then a capability
 * error (the filesystem cannot do this mode here) steps down:
 *   clone -> hardlink -> copy, hardlink -> copy, symlink -> copy.
 * Once a mode has worked in the wheel, any failure is an error: a wheel is
 * never installed as a silently mixed tree. --strict turns every step down
 * into an error. EEXIST asks for an atomic replace, EMLINK on a hardlink
 * asks for the cache file to get a fresh inode; each once per file. */
#ifndef LAB_FALLBACK_H
#define LAB_FALLBACK_H

#include <stdbool.h>

enum lab_mode { MODE_CLONE, MODE_HARDLINK, MODE_COPY, MODE_SYMLINK, MODE_AUTO, MODE_COUNT };

const char *mode_name(enum lab_mode m);
/* -1 when the name is not a mode */
int mode_parse(const char *name);

enum fb_action {
    FB_DONE,      /* placed; the wheel's mode is settled */
    FB_STEP_DOWN, /* try the next mode (fb_state.current) for this file */
    FB_REPLACE,   /* the target exists: place under a temporary name, rename over it */
    FB_REINODE,   /* link limit: give the cache file a fresh inode, link again */
    FB_FAIL,      /* error: the file and so the wheel cannot be placed */
};

#define FB_MAX_STEPS 3

struct fb_step {
    enum lab_mode mode; /* the mode that failed */
    int err;            /* and why */
};

struct fb_state {
    enum lab_mode requested;
    enum lab_mode current;
    bool settled;
    bool strict;
    int nsteps;
    struct fb_step steps[FB_MAX_STEPS];
};

/* What has been tried for the file in hand. */
struct fb_file {
    bool replaced;
    bool reinoded;
};

void fb_init(struct fb_state *st, enum lab_mode requested, bool strict);
/* True for errors that say "this mode is not possible here". */
bool fb_is_capability_error(int err);
/* Feeds the outcome of placing one file in st->current (err 0: success). */
enum fb_action fb_next(struct fb_state *st, struct fb_file *f, int err);
/* Records a step down taken outside fb_next (a policy's directory clone). */
void fb_force_step(struct fb_state *st, enum lab_mode failed, int err, enum lab_mode next);

#endif
