/* clone.h - clonefile(2) on the backing filesystem: a file or a whole
 * tree is built beside the destination (file data by FICLONE, modes kept,
 * symlinks recreated) and renamed into place, so it appears whole or not
 * at all. */
#ifndef LABFS_CLONE_H
#define LABFS_CLONE_H

/* 0 or an errno value; EEXIST when dst exists. */
int clone_tree(const char *src, const char *dst);

#endif
