/* digest.h - file digests as wheel RECORD files write them:
 * "ALGO=" + urlsafe base64 without padding (PEP 376 / PEP 427). */
#ifndef LAB_DIGEST_H
#define LAB_DIGEST_H

#include <stddef.h>

struct digest;

/* algo is a RECORD algorithm name (sha256, sha384, sha512); NULL when
 * the algorithm is unknown or too weak for a wheel (md5, sha1). */
struct digest *digest_new(const char *algo);
void digest_update(struct digest *d, const void *data, size_t len);
/* Writes the urlsafe base64 (no padding) form into out (>= 90 bytes). */
void digest_final_b64(struct digest *d, char *out, size_t outlen);
/* Hex form of the raw digest into out (>= 129 bytes). */
void digest_final_hex(struct digest *d, char *out, size_t outlen);
void digest_free(struct digest *d);

/* One-shot sha256 of a buffer, hex. */
void sha256_hex(const void *data, size_t len, char out[65]);

/* Digest of a whole file (following symlinks) in RECORD form (algo NULL:
 * sha256), and its size. 0 or an errno value. */
int digest_file_b64(const char *path, const char *algo, char *out, size_t outlen, long long *size);

/* The file's sha256 in RECORD form, computed on the first call and kept in
 * *slot (malloc'd) for the next ones; NULL when it cannot be read. */
const char *digest_file_cached(const char *path, char **slot);

#endif
