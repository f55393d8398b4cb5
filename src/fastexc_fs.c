/*
 * fastexc_fs.c - what the filesystem's sections can do to a raise decided
 * before httpd maps the URL (see fastexc_fs.h). Read at startup, but for
 * fastexc_fs_covers(), once per raised request.
 */
#include <string.h>

#include "apr.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "fastexc_fs.h"

/* Directives that choose how a file is read, typed or handled: a raise
 * reads none and is sent in fixups, before any handler. */
static const char *const fastexc_fs_inert[] = {
    "AddCharset", "AddEncoding", "AddHandler", "AddLanguage", "AddType",
    "DirectoryIndex", "DirectorySlash", "EnableMMAP", "EnableSendfile",
    "FileETag", "ForceType", "SetHandler", NULL
};

/* The next word of *s (blanks and quotes around it skipped): its start,
 * its length in *len; NULL after the last. */
static const char *fastexc_fs_word(const char **s, apr_size_t *len)
{
    const char *p = *s, *w;

    while (*p && (apr_isspace(*p) || *p == '"' || *p == '\'')) {
        p++;
    }
    if (!*p) {
        *s = p;
        return NULL;
    }
    for (w = p; *p && !apr_isspace(*p) && *p != '"' && *p != '\''; p++) {
    }
    *len = (apr_size_t)(p - w);
    *s = p;
    return w;
}

static int fastexc_fs_is(const char *w, apr_size_t len, const char *word)
{
    return strlen(word) == len && !strncasecmp(w, word, len);
}

/* The only words of args are these, in order. */
static int fastexc_fs_args_are(const char *args, const char *const *words)
{
    const char *w;
    apr_size_t len;

    for (; *words; words++) {
        if (!(w = fastexc_fs_word(&args, &len))
            || !fastexc_fs_is(w, len, *words)) {
            return 0;
        }
    }
    return fastexc_fs_word(&args, &len) == NULL;
}

/* Options: the walk refuses a symbolic link where FollowSymLinks is off
 * or SymLinksIfOwnerMatch on, and that refusal is an answer a raise must
 * not replace. Anything else an option does concerns a file served. */
static int fastexc_fs_options(const char *args)
{
    const char *w;
    apr_size_t len;
    int follows = 0, absolute = 0;

    while ((w = fastexc_fs_word(&args, &len))) {
        char sign = (*w == '+' || *w == '-') ? *w : 0;

        if (sign) {
            w++;
            len--;
        }
        else {
            absolute = 1;   /* no sign: the options are these alone */
        }
        if (fastexc_fs_is(w, len, "SymLinksIfOwnerMatch")) {
            if (sign != '-') {
                return FASTEXC_FS_SAYS;
            }
        }
        else if (fastexc_fs_is(w, len, "FollowSymLinks")
                 || fastexc_fs_is(w, len, "All")) {
            if (sign == '-') {
                return FASTEXC_FS_SAYS;
            }
            follows = 1;
        }
    }
    return absolute && !follows ? FASTEXC_FS_SAYS : FASTEXC_FS_INERT;
}

int fastexc_fs_directive(const char *name, const char *args)
{
    static const char *const granted[] = { "all", "granted", NULL };
    static const char *const none[] = { "None", NULL };
    int i;

    if (!strcasecmp(name, "Require")) {
        return fastexc_fs_args_are(args, granted) ? FASTEXC_FS_GRANTS
                                                  : FASTEXC_FS_REQUIRES;
    }
    if (!strcasecmp(name, "<RequireAll") || !strcasecmp(name, "<RequireAny")
        || !strcasecmp(name, "<RequireNone")) {
        return FASTEXC_FS_REQUIRES;
    }
    if (!strcasecmp(name, "AllowOverride")
        || !strcasecmp(name, "AllowOverrideList")) {
        /* anything but None: an .htaccess file may say anything */
        return fastexc_fs_args_are(args, none) ? FASTEXC_FS_INERT
                                               : FASTEXC_FS_SAYS;
    }
    if (!strcasecmp(name, "Options")) {
        return fastexc_fs_options(args);
    }
    for (i = 0; fastexc_fs_inert[i]; i++) {
        if (!strcasecmp(name, fastexc_fs_inert[i])) {
            return FASTEXC_FS_INERT;
        }
    }
    return FASTEXC_FS_SAYS;
}

int fastexc_fs_reads_map(const char *text)
{
    static const char *const names[] = { "FILENAME", "PATH_INFO", NULL };
    const char *p;
    int i;

    for (i = 0; names[i]; i++) {
        apr_size_t n = strlen(names[i]);
        for (p = text; *p; p++) {
            if (!strncasecmp(p, names[i], n)) {
                return 1;
            }
        }
    }
    /* ap_expr's file tests: -d -e -f -s -L -h -x -F -U -A, a word */
    for (p = text; *p; p++) {
        if (*p == '-' && p[1] && strchr("defsLhxFUA", p[1])
            && (!p[2] || apr_isspace(p[2]))
            && (p == text || apr_isspace(p[-1]) || p[-1] == '('
                || p[-1] == '!')) {
            return 1;
        }
    }
    return 0;
}

int fastexc_fs_covers(const char *dir, const char *filename)
{
    apr_size_t n = strlen(dir);

    /* dir ends with "/": filename is under it, or is it */
    return !strncmp(filename, dir, n)
           || (n > 1 && !strncmp(filename, dir, n - 1)
               && filename[n - 1] == '\0');
}

int fastexc_fs_canonical(const char *path)
{
    const char *seg = path;

    /* apr_filepath_merge() refuses a name near APR_PATH_MAX (4,093 bytes
     * here): a long one is left to it, as ap_directory_walk() leaves it */
    if (*path != '/' || strlen(path) >= APR_PATH_MAX / 2) {
        return 0;
    }
    while (*seg == '/') {
        const char *end = strchr(++seg, '/');
        apr_size_t len = end ? (apr_size_t)(end - seg) : strlen(seg);

        if (!len || (seg[0] == '.' && (len == 1
                                       || (len == 2 && seg[1] == '.')))) {
            return 0;   /* "//", "/./", "/../", a trailing "/" */
        }
        seg += len;
    }
    return 1;
}
