/* fuzz_wheel.c - libFuzzer target: the wheel reader (libarchive, the
 * central-directory names, RECORD). Any bytes as a .whl either fail with a
 * reason or scan into entries whose names all pass entryname_check; then
 * extracting a scanned wheel into an empty directory writes nothing outside
 * it. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/entryname.h"
#include "common/util.h"
#include "format/wheel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz.whl", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct wheel_info w;
    char err[4096];
    if (wheel_scan(path, &w, err, sizeof err) == 0) {
        for (size_t i = 0; i < w.n; i++)
            if (entryname_check(w.entries[i].name))
                abort();
        char dir[] = "/tmp/linklab-fuzz.XXXXXX";
        if (!mkdtemp(dir))
            abort();
        char *inner = xasprintf("%s/x", dir);
        if (mkdir(inner, 0755) != 0)
            abort();
        int dfd = open(inner, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        wheel_extract(&w, dfd, err, sizeof err);
        close(dfd);
        /* nothing beside x/ */
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "x"))
                abort();
        if (d)
            closedir(d);
        remove_tree(dir);
        free(inner);
    }
    wheel_free(&w);
    close(fd);
    return 0;
}
