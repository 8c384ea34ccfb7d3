/* place.h - placing one file from the cache into the target in one mode.
 * Every function returns 0 or an errno value; none falls back by itself
 * (that is fallback.c's job). Paths never leave the cache entry or the
 * target and follow no symlink (common/beneath.h). A new file is created
 * exclusively (O_EXCL) and removed after a failure only while its name
 * still holds this process's inode; an existing file is replaced by a
 * temporary name and a rename. So no file is ever written or removed under
 * a name another process owns, and a file hardlinked to the cache is never
 * truncated. */
#ifndef LAB_PLACE_H
#define LAB_PLACE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/fallback.h"

enum copy_method { COPY_RW, COPY_SENDFILE, COPY_CFR, COPY_METHOD_COUNT };

const char *copy_method_name(enum copy_method m);
int copy_method_parse(const char *name);

struct place_ctx {
    int src_dirfd;        /* the cache entry's tree */
    const char *src_root; /* its absolute path, for symlinks */
    int tgt_dirfd;        /* the target directory */
    enum copy_method copy_method;
};

/* Places rel in mode. With replace false EEXIST is returned if something
 * is at rel already; with replace true what is there is replaced. */
int place_file(const struct place_ctx *ctx, enum lab_mode mode, const char *rel, unsigned perm,
               long long size, bool replace);

/* Writes the cache file rel over the file already at rel in the target,
 * where it stands: no temporary name, no truncation, no lock. Only for
 * the policy that reproduces uv #4831 (what is left of a longer file
 * stays); linklab itself never does this. */
int place_overwrite(const struct place_ctx *ctx, const char *rel, long long size);

/* Gives the cache file rel a fresh inode (copy beside it, rename over it),
 * for a hardlink that hit the filesystem's link limit. */
int place_reinode(const struct place_ctx *ctx, const char *rel, unsigned perm, long long size);

/* The temporary name beside path ("DIR/.BASE.lltmp.PID.N") under which an
 * existing file is replaced, and whether a name is one whose process is gone
 * (left by a killed install, to be swept). */
void place_temp_name(const char *path, char *out, size_t outlen);
bool place_is_stale_temp(const char *name);

/* Tries to reflink a whole directory, as uv 0.4 did on Linux (always fails
 * there: FICLONE takes regular files only). */
int place_clone_dir(int src_dirfd, int tgt_dirfd);

/* Releases the directories the calling thread kept open (each worker, when
 * it is done). */
void place_thread_done(void);

#endif
