/* zipnames.h - the entry names of a zip exactly as its central directory
 * stores them. libarchive's zip reader normalizes a UTF-8 name to NFC (and
 * may take a name from an Info-ZIP Unicode Path field instead), so a name
 * decomposed in the archive (NFD, as pip keeps it) would reach the disk as
 * another name. The wheel reader matches each name libarchive gives to the
 * raw name it stands for, and uses the raw bytes. */
#ifndef LAB_ZIPNAMES_H
#define LAB_ZIPNAMES_H

#include <stddef.h>

struct zipnames {
    char **raw;   /* as stored, with a trailing '/' for directories */
    char **key;   /* NFC of raw (what libarchive reports for it) */
    size_t *order; /* indices sorted by key */
    unsigned char *used;
    size_t n;
};

/* Reads the central directory of the zip at path. -1 with the reason in err. */
int zipnames_read(const char *path, struct zipnames *z, char *err, size_t errlen);

/* The raw name libarchive's name stands for (each raw name given once),
 * or NULL when no unused raw name normalizes to it. */
const char *zipnames_claim(struct zipnames *z, const char *libarchive_name);

void zipnames_free(struct zipnames *z);

#endif
