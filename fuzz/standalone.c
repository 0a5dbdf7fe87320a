/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/standalone.c - replays fuzz inputs without libFuzzer: each argument is a file (or a folder,
 * whose files are replayed) given to LLVMFuzzerTestOneInput once. Exits 0 when every input ran;
 * a crash, sanitizer report or abort in the target makes it fail. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "standalone: cannot open %s\n", path);
        return 1;
    }
    size_t cap = 4096;
    size_t len = 0;
    uint8_t *data = malloc(cap);
    if (!data) {
        fclose(f);
        return 1;
    }
    for (;;) {
        if (len == cap) {
            uint8_t *p = realloc(data, cap * 2);
            if (!p) {
                free(data);
                fclose(f);
                return 1;
            }
            data = p;
            cap *= 2;
        }
        size_t n = fread(data + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "standalone: cannot read %s\n", path);
        free(data);
        return 1;
    }
    /* Hand over an exact-size copy so that ASan catches reads past the end. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(data);
        return 1;
    }
    if (len)
        memcpy(exact, data, len);
    free(data);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "standalone: cannot stat %s\n", path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path);
    DIR *d = opendir(path);
    if (!d)
        return 1;
    int failures = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char full[4096];
        int n = snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
        if (n < 0 || (size_t)n >= sizeof(full))
            continue;
        failures += run_path(full);
    }
    closedir(d);
    return failures;
}

int main(int argc, char **argv)
{
    int failures = 0;
    for (int i = 1; i < argc; i++)
        failures += run_path(argv[i]);
    printf("standalone: replayed %d argument(s), %d failure(s)\n", argc - 1, failures);
    return failures ? 1 : 0;
}
