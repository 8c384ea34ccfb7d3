/* eventlog.h - the install event log: JSON Lines, one record per file, one
 * per wheel and a closing summary, each with "schema" (see README, "Event
 * log"). The reporter reads it. */
#ifndef LAB_EVENTLOG_H
#define LAB_EVENTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/cache.h"
#include "engine/fallback.h"
#include "engine/install.h"

#define EVENTLOG_SCHEMA 1

struct eventlog;

struct eventlog_run {
    const char *policy;
    enum lab_mode requested;
    bool strict;
    int jobs;
    const char *copy_method;
    const char *cache;
    const char *target;
    uint64_t ns;
    int warnings;
    const char *error; /* NULL when the install succeeded */
    const char *platform;
    int case_collisions;
};

struct eventlog_wheel {
    const char *wheel;
    const char *key;
    const char *cache_entry;
    bool unpacked;
    const struct fb_state *st;
    const struct manifest_item *items;
    size_t ndirs, n;
    const struct file_result *res;
    bool ok;
};

struct eventlog *eventlog_open(const char *path, char *err, size_t errlen);
/* Writes the wheel's file records and then its wheel record. */
void eventlog_wheel(struct eventlog *log, const struct eventlog_run *run, const struct eventlog_wheel *w);
/* Writes the summary record and closes; -1 with err on a write error. */
int eventlog_close(struct eventlog *log, const struct eventlog_run *run, char *err, size_t errlen);

#endif
