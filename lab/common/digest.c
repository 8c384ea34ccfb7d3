#include "common/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

struct digest {
    EVP_MD_CTX *ctx;
};

struct digest *digest_new(const char *algo)
{
    static const char *const allowed[] = {"sha256", "sha384", "sha512"};
    const EVP_MD *md = NULL;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (strcmp(algo, allowed[i]) == 0)
            md = EVP_get_digestbyname(algo);
    if (!md)
        return NULL;
    struct digest *d = xmalloc(sizeof *d);
    d->ctx = EVP_MD_CTX_new();
    if (!d->ctx || EVP_DigestInit_ex(d->ctx, md, NULL) != 1) {
        lab_error("OpenSSL could not start a %s digest", algo);
        EVP_MD_CTX_free(d->ctx);
        free(d);
        return NULL;
    }
    return d;
}

void digest_update(struct digest *d, const void *data, size_t len)
{
    EVP_DigestUpdate(d->ctx, data, len);
}

static unsigned final_raw(struct digest *d, unsigned char *raw)
{
    unsigned n = 0;
    EVP_DigestFinal_ex(d->ctx, raw, &n);
    return n;
}

void digest_final_b64(struct digest *d, char *out, size_t outlen)
{
    unsigned char raw[EVP_MAX_MD_SIZE];
    unsigned n = final_raw(d, raw);
    unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    int len = EVP_EncodeBlock(b64, raw, (int)n);
    while (len > 0 && b64[len - 1] == '=')
        len--;
    size_t i = 0;
    for (; i < (size_t)len && i + 1 < outlen; i++)
        out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
    out[i] = '\0';
}

void digest_final_hex(struct digest *d, char *out, size_t outlen)
{
    unsigned char raw[EVP_MAX_MD_SIZE];
    unsigned n = final_raw(d, raw);
    size_t pos = 0;
    for (unsigned i = 0; i < n && pos + 2 < outlen; i++, pos += 2)
        snprintf(out + pos, 3, "%02x", raw[i]);
    out[pos] = '\0';
}

void digest_free(struct digest *d)
{
    if (!d)
        return;
    EVP_MD_CTX_free(d->ctx);
    free(d);
}

void sha256_hex(const void *data, size_t len, char out[65])
{
    struct digest *d = digest_new("sha256");
    digest_update(d, data, len);
    digest_final_hex(d, out, 65);
    digest_free(d);
}

int digest_file_b64(const char *path, const char *algo, char *out, size_t outlen, long long *size)
{
    int fd = open_regular(path, 0, NULL); /* a FIFO there must not hang the reader */
    if (fd < 0)
        return errno;
    struct digest *d = digest_new(algo ? algo : "sha256");
    if (!d) {
        close(fd);
        return EINVAL;
    }
    char buf[1 << 16];
    long long total = 0;
    int err = 0;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            err = errno;
            break;
        }
        if (r == 0)
            break;
        digest_update(d, buf, (size_t)r);
        total += r;
    }
    close(fd);
    if (!err)
        digest_final_b64(d, out, outlen);
    digest_free(d);
    if (size)
        *size = total;
    return err;
}

const char *digest_file_cached(const char *path, char **slot)
{
    if (!*slot) {
        char h[128];
        if (digest_file_b64(path, NULL, h, sizeof h, NULL) != 0)
            return NULL;
        *slot = xstrdup(h);
    }
    return *slot;
}
