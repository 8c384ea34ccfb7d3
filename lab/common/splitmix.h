/* splitmix.h - splitmix64, the lab's one small deterministic generator:
 * the corpus's bytes and labfs's seeded fault rates come from it, so the
 * same seed gives the same result on every machine. */
#ifndef LAB_SPLITMIX_H
#define LAB_SPLITMIX_H

#include <stdint.h>

static inline uint64_t splitmix64_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#endif
