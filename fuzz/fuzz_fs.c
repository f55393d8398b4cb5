/*
 * fuzz_fs.c - libFuzzer target: what the filesystem's sections can do to a
 * raise (fastexc_fs.h), on strings cut from the input: each line of it a
 * path, an expression's text and a directive (its first word the name,
 * the rest its arguments); lines one after the other a <Directory> and a
 * file name. Results in range; a directive's name case ignored; an
 * expression that reads what mapping finds read so by any expression
 * holding it; a file name covered by exactly the <Directory>s above it;
 * and a path fastexc_fs_canonical() calls canonical is what
 * apr_filepath_merge() (as ap_directory_walk() calls it) makes of it.
 */
#include <stdlib.h>
#include <string.h>

#include "apr_file_info.h"
#include "apr_lib.h"

#include "fuzz.h"
#include "fastexc_fs.h"

/* Lines are cut at most this many from an input; the covering of a file
 * name by each directory above it is checked on names up to this long. */
#define FUZZ_LINES 8
#define FUZZ_COVERS_MAX 512

static void fuzz_boolean(int v)
{
    if (v != 0 && v != 1) {
        abort();
    }
}

static void fuzz_path(apr_pool_t *p, const char *path)
{
    char *merged;
    apr_size_t len, k;
    int canonical = fastexc_fs_canonical(path);

    fuzz_boolean(canonical);
    if (!canonical) {
        return;
    }
    /* as ap_directory_walk() makes the file name: unchanged */
    if (apr_filepath_merge(&merged, NULL, path, APR_FILEPATH_NOTRELATIVE, p)
        != APR_SUCCESS
        || strcmp(merged, path)) {
        abort();
    }

    /* a canonical file name: the root and the directory of each "/" in it
     * cover it, as does the name as a directory ("dir/"); a directory
     * that ends inside a segment ("/a/b" + "/" for "/a/bc") does not */
    len = strlen(path);
    if (fastexc_fs_covers("/", path) != 1) {
        abort();
    }
    if (len > FUZZ_COVERS_MAX) {
        return;
    }
    for (k = 1; k <= len; k++) {
        char *dir;
        int covers;

        if (path[k - 1] == '/') {
            continue;   /* "/a/" + "/": not canonical, not a <Directory> */
        }
        dir = apr_pstrcat(p, apr_pstrndup(p, path, k), "/", NULL);
        covers = fastexc_fs_covers(dir, path);
        if (covers != (path[k] == '/' || path[k] == '\0')) {
            abort();
        }
    }
}

/* The first word of line (blanks before it skipped) its name, what
 * follows its arguments, as httpd's configuration tree keeps them. */
static void fuzz_directive(apr_pool_t *p, const char *line)
{
    const char *s = line, *args;
    char *name, *upper;
    apr_size_t i;
    int kind;

    while (apr_isspace(*s)) {
        s++;
    }
    for (args = s; *args && !apr_isspace(*args); args++) {
    }
    name = apr_pstrndup(p, s, (apr_size_t)(args - s));
    while (apr_isspace(*args)) {
        args++;
    }
    kind = fastexc_fs_directive(name, args);
    if (kind < FASTEXC_FS_INERT || kind > FASTEXC_FS_SAYS) {
        abort();
    }
    /* names compared as httpd does, case ignored */
    upper = apr_pstrdup(p, name);
    for (i = 0; upper[i]; i++) {
        upper[i] = (char)apr_toupper(upper[i]);
    }
    if (fastexc_fs_directive(upper, args) != kind) {
        abort();
    }
    /* the arguments themselves as a name: anything, in range */
    kind = fastexc_fs_directive(args, name);
    if (kind < FASTEXC_FS_INERT || kind > FASTEXC_FS_SAYS) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    apr_pool_t *p;
    char *s, *line[FUZZ_LINES];
    int reads[FUZZ_LINES];
    int i, j, n = 0;
    apr_size_t off = 0;

    p = fuzz_pool();
    s = apr_pstrmemdup(p, (const char *)data, size);

    /* the whole input (up to a NUL), then its lines */
    fuzz_path(p, s);
    fuzz_boolean(fastexc_fs_reads_map(s));
    fuzz_directive(p, s);
    while (off <= size && n < FUZZ_LINES) {
        const char *nl = memchr(data + off, '\n', size - off);
        apr_size_t len = nl ? (apr_size_t)(nl - (const char *)data) - off
                            : size - off;

        line[n++] = apr_pstrmemdup(p, (const char *)data + off, len);
        off += len + 1;
    }

    for (i = 0; i < n; i++) {
        fuzz_path(p, line[i]);
        fuzz_directive(p, line[i]);
        reads[i] = fastexc_fs_reads_map(line[i]);
        fuzz_boolean(reads[i]);
        fuzz_boolean(fastexc_fs_covers(line[i], line[i]));
    }
    /* never no of what reads the mapping: an expression that holds one
     * that does, after a blank or before one, does too */
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            int joined = fastexc_fs_reads_map(
                apr_pstrcat(p, line[i], " ", line[j], NULL));

            fuzz_boolean(joined);
            if ((reads[i] || reads[j]) && !joined) {
                abort();
            }
        }
    }
    /* a line a <Directory>, the next a file name, either way round */
    for (i = 0; i + 1 < n; i++) {
        fuzz_boolean(fastexc_fs_covers(line[i], line[i + 1]));
        fuzz_boolean(fastexc_fs_covers(line[i + 1], line[i]));
    }

    apr_pool_destroy(p);
    return 0;
}
