/* lazyarchive.c - libarchive, loaded when a package is first read. Most
 * runs of linklab read no package (an install from a warm cache, the
 * floor, a report), yet loading libarchive with what it pulls in (libxml2,
 * ICU, libstdc++) took 2.3 ms of every process start: 16% of a 14 ms
 * hardlink install of 1,000 files, and what put linklab behind cp -al
 * there (issue 16). So linklab is not linked against libarchive: each
 * function it uses is defined here, and the first call of any opens the
 * library (its soname from the build: LAB_ARCHIVE_SONAME) and looks the
 * function up. These names are not exported from the executable, so
 * libarchive's calls of its own functions stay inside it. */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef LAB_ARCHIVE_SONAME
#error "LAB_ARCHIVE_SONAME: the Makefile names libarchive's soname"
#endif

static void *lib;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void open_lib(void)
{
    lib = dlopen(LAB_ARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
}

static void *sym(const char *name)
{
    pthread_once(&once, open_lib);
    void *f = lib ? dlsym(lib, name) : NULL;
    if (!f) {
        /* the Debian package libarchive13 is gone, or another version */
        fprintf(stderr, "linklab: cannot load %s from %s: %s (install the Debian package libarchive13)\n", name,
                LAB_ARCHIVE_SONAME, dlerror());
        exit(1);
    }
    return f;
}

/* RET NAME(PARAMS) { return (looked-up NAME)(ARGS); } */
#define LAZY(ret, name, params, args)                                                                             \
    ret name params                                                                                               \
    {                                                                                                             \
        static ret(*fn) params;                                                                                   \
        ret(*lazy_f) params = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);                                                  \
        if (!lazy_f) {                                                                                               \
            *(void **)&lazy_f = sym(#name);                                                                            \
            __atomic_store_n(&fn, lazy_f, __ATOMIC_RELEASE);                                                           \
        }                                                                                                         \
        return lazy_f args;                                                                                          \
    }
#define LAZY_VOID(name, params, args)                                                                             \
    void name params                                                                                              \
    {                                                                                                             \
        static void(*fn) params;                                                                                  \
        void(*lazy_f) params = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);                                                 \
        if (!lazy_f) {                                                                                               \
            *(void **)&lazy_f = sym(#name);                                                                            \
            __atomic_store_n(&fn, lazy_f, __ATOMIC_RELEASE);                                                           \
        }                                                                                                         \
        lazy_f args;                                                                                                 \
    }

LAZY(struct archive *, archive_read_new, (void), ())
LAZY(int, archive_read_support_filter_gzip, (struct archive * a), (a))
LAZY(int, archive_read_support_format_tar, (struct archive * a), (a))
LAZY(int, archive_read_support_format_zip_seekable, (struct archive * a), (a))
LAZY(int, archive_read_open_filename, (struct archive * a, const char *f, size_t b), (a, f, b))
LAZY(int, archive_read_next_header, (struct archive * a, struct archive_entry **e), (a, e))
LAZY(la_ssize_t, archive_read_data, (struct archive * a, void *buf, size_t n), (a, buf, n))
LAZY(int, archive_read_free, (struct archive * a), (a))
LAZY(struct archive *, archive_write_new, (void), ())
LAZY(int, archive_write_set_format_zip, (struct archive * a), (a))
LAZY(int, archive_write_zip_set_compression_deflate, (struct archive * a), (a))
LAZY(int, archive_write_zip_set_compression_store, (struct archive * a), (a))
LAZY(int, archive_write_open_filename, (struct archive * a, const char *f), (a, f))
LAZY(int, archive_write_header, (struct archive * a, struct archive_entry *e), (a, e))
LAZY(la_ssize_t, archive_write_data, (struct archive * a, const void *buf, size_t n), (a, buf, n))
LAZY(int, archive_write_close, (struct archive * a), (a))
LAZY(int, archive_write_free, (struct archive * a), (a))
LAZY(const char *, archive_error_string, (struct archive * a), (a))
LAZY(struct archive_entry *, archive_entry_new, (void), ())
LAZY_VOID(archive_entry_free, (struct archive_entry * e), (e))
LAZY(__LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e))
LAZY(const char *, archive_entry_hardlink, (struct archive_entry * e), (e))
LAZY(const char *, archive_entry_pathname, (struct archive_entry * e), (e))
LAZY(__LA_MODE_T, archive_entry_perm, (struct archive_entry * e), (e))
LAZY(la_int64_t, archive_entry_size, (struct archive_entry * e), (e))
LAZY(int, archive_entry_size_is_set, (struct archive_entry * e), (e))
LAZY_VOID(archive_entry_set_filetype, (struct archive_entry * e, unsigned int t), (e, t))
LAZY_VOID(archive_entry_set_mtime, (struct archive_entry * e, time_t s, long ns), (e, s, ns))
LAZY_VOID(archive_entry_set_pathname, (struct archive_entry * e, const char *p), (e, p))
LAZY_VOID(archive_entry_set_perm, (struct archive_entry * e, __LA_MODE_T m), (e, m))
LAZY_VOID(archive_entry_set_size, (struct archive_entry * e, la_int64_t s), (e, s))
