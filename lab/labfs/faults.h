/* faults.h - labfs fault injection: fail=OP:ERRNO[@SPEC], repeatable.
 *   OP     clone, link, create, write, rename, mkdir, fsync
 *   ERRNO  a name such as EIO, ENOSPC, EXDEV, EMLINK, EPERM, EOPNOTSUPP
 *   SPEC   N          the Nth call only
 *          everyN     every Nth call
 *          rateP:seedS  each call with probability P (0..1), drawn from a
 *                     generator seeded with S: the same seed replays the
 *                     same faults
 *          (none)     every call
 * Calls and faults are counted per operation. Not thread-safe: labfs runs
 * single-threaded so that a replay sees the same call order. */
#ifndef LABFS_FAULTS_H
#define LABFS_FAULTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"

enum fault_op { FOP_CLONE, FOP_LINK, FOP_CREATE, FOP_WRITE, FOP_RENAME, FOP_MKDIR, FOP_FSYNC, FOP_COUNT };

const char *fault_op_name(enum fault_op op);

/* Adds one fail= rule; -1 with a reason in err when it does not parse. */
int faults_add(const char *spec, char *err, size_t errlen);
/* Counts a call of op and returns the errno to inject, or 0. */
int faults_check(enum fault_op op);
/* The counters as text: "op calls faults" lines. */
void faults_report(struct strbuf *sb);
void faults_reset(void);

#endif
