/*
 * check_fs.c - Check tests of what the filesystem's sections can do to a
 * raise decided before the URL is mapped: a section's directive
 * classified, an expression read for what only the mapping finds, a
 * <Directory> matched against a file name. (check_fastexc.c runs them.)
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "apr.h"

#include "check_fastexc.h"
#include "fastexc_fs.h"

#define INERT FASTEXC_FS_INERT
#define GRANTS FASTEXC_FS_GRANTS
#define REQUIRES FASTEXC_FS_REQUIRES
#define SAYS FASTEXC_FS_SAYS

static const struct {
    const char *label, *name, *args;
    int kind;
} directive_cases[] = {
    { "Require all granted", "Require", "all granted", GRANTS },
    { "case and blanks ignored", "require", "  ALL\tGranted ", GRANTS },
    { "quoted words", "Require", "\"all\" 'granted'", GRANTS },
    { "Require all denied", "Require", "all denied", REQUIRES },
    { "Require ip", "Require", "ip 10.0.0.0/8", REQUIRES },
    { "Require all granted, then more", "Require", "all granted extra",
      REQUIRES },
    { "Require not", "Require", "not ip 10.1.2.3", REQUIRES },
    { "Require valid-user", "Require", "valid-user", REQUIRES },
    { "<RequireAll>", "<RequireAll", ">", REQUIRES },
    { "<RequireAny>", "<RequireAny", ">", REQUIRES },
    { "<RequireNone>", "<RequireNone", ">", REQUIRES },
    { "AllowOverride None", "AllowOverride", "None", INERT },
    { "AllowOverride none", "AllowOverride", "none", INERT },
    { "AllowOverride All: .htaccess", "AllowOverride", "All", SAYS },
    { "AllowOverride FileInfo", "AllowOverride", "FileInfo", SAYS },
    { "AllowOverride None FileInfo", "AllowOverride", "None FileInfo",
      SAYS },
    { "AllowOverrideList None", "AllowOverrideList", "None", INERT },
    { "AllowOverrideList a directive", "AllowOverrideList", "Redirect",
      SAYS },
    { "Options FollowSymLinks", "Options", "FollowSymLinks", INERT },
    { "Options Indexes FollowSymLinks", "Options",
      "Indexes FollowSymLinks", INERT },
    { "Options All", "Options", "All", INERT },
    { "Options +Indexes: inherited", "Options", "+Indexes", INERT },
    { "Options +ExecCGI -MultiViews", "Options", "+ExecCGI -MultiViews",
      INERT },
    { "Options +FollowSymLinks", "Options", "+FollowSymLinks", INERT },
    { "Options -SymLinksIfOwnerMatch", "Options",
      "+Indexes -SymLinksIfOwnerMatch", INERT },
    { "Options None: links refused", "Options", "None", SAYS },
    { "Options Indexes: links refused", "Options", "Indexes", SAYS },
    { "Options -FollowSymLinks", "Options", "-FollowSymLinks", SAYS },
    { "Options -All", "Options", "-All", SAYS },
    { "Options +SymLinksIfOwnerMatch (Debian's cgi-bin)", "Options",
      "+ExecCGI -MultiViews +SymLinksIfOwnerMatch", SAYS },
    { "Options SymLinksIfOwnerMatch", "Options",
      "FollowSymLinks SymLinksIfOwnerMatch", SAYS },
    { "EnableMMAP", "EnableMMAP", "Off", INERT },
    { "SetHandler (Debian's PHP)", "SetHandler", "application/x-httpd-php",
      INERT },
    { "DirectoryIndex", "directoryindex", "index.html", INERT },
    { "AddType", "AddType", "application/json .json", INERT },
    { "Header", "Header", "always set X-Frame-Options DENY", SAYS },
    { "a directive of ours", "FastExcDetail", "404 \"here\"", SAYS },
    { "AuthType", "AuthType", "Basic", SAYS },
    { "AuthMerging", "AuthMerging", "And", SAYS },
    { "mod_access_compat", "Deny", "from all", SAYS },
    { "Satisfy", "Satisfy", "Any", SAYS },
    { "RewriteRule in a directory", "RewriteRule", "^ - [F]", SAYS },
    { "a nested <Files>", "<Files", "x>", SAYS },
    { "a nested <If>", "<If", "\"true\">", SAYS },
    { "<Limit>", "<Limit", "GET>", SAYS },
    { "ErrorDocument", "ErrorDocument", "404 /e.html", SAYS },
};

START_TEST(test_fs_directive)
{
    int got = fastexc_fs_directive(directive_cases[_i].name,
                                   directive_cases[_i].args);

    ck_assert_msg(got == directive_cases[_i].kind, "%s: %d, want %d",
                  directive_cases[_i].label, got, directive_cases[_i].kind);
}
END_TEST

static const struct {
    const char *label, *text;
    int reads;
} reads_cases[] = {
    { "REQUEST_FILENAME", "%{REQUEST_FILENAME}", 1 },
    { "SCRIPT_FILENAME", "%{SCRIPT_FILENAME}", 1 },
    { "lower case", "%{request_filename}", 1 },
    { "PATH_INFO", "%{PATH_INFO}", 1 },
    { "-f", "-f %{REQUEST_URI}", 1 },
    { "-d after !", "!-d '/x'", 1 },
    { "-s in parentheses", "(-s '/x') && true", 1 },
    { "-L", "true || -L '/x'", 1 },
    { "the URI", "%{REQUEST_URI}", 0 },
    { "a header", "%{HTTP:X-Request-Id}", 0 },
    { "a status", "%{REQUEST_STATUS} == 404", 0 },
    { "a dash in a word", "%{HTTP:X-f}", 0 },
    { "a negative number", "-1 -lt 2", 0 },
    { "-n is a string test", "-n %{HTTP:X}", 0 },
    { "-z is a string test", "-z %{HTTP:X}", 0 },
    { "-R is an address test", "-R '10.0.0.0/8'", 0 },
    { "empty", "", 0 },
};

START_TEST(test_fs_reads_map)
{
    ck_assert_msg(fastexc_fs_reads_map(reads_cases[_i].text)
                  == reads_cases[_i].reads, "%s", reads_cases[_i].label);
}
END_TEST

static const struct {
    const char *label, *dir, *filename;
    int covers;
} covers_cases[] = {
    { "the root covers all", "/", "/var/www/html/api", 1 },
    { "a directory above", "/var/www/", "/var/www/html/api", 1 },
    { "the file's directory", "/var/www/html/", "/var/www/html/api", 1 },
    { "the directory itself", "/var/www/html/", "/var/www/html", 1 },
    { "the directory itself, with its /", "/var/www/html/",
      "/var/www/html/", 1 },
    { "elsewhere", "/usr/lib/cgi-bin/", "/var/www/html/api", 0 },
    { "a prefix that is not a directory", "/var/www/", "/var/www2/api", 0 },
    { "below the file", "/var/www/html/api/x/", "/var/www/html/api", 0 },
    { "a sibling", "/srv/a/", "/srv/ab", 0 },
};

START_TEST(test_fs_covers)
{
    ck_assert_msg(fastexc_fs_covers(covers_cases[_i].dir,
                                    covers_cases[_i].filename)
                  == covers_cases[_i].covers, "%s", covers_cases[_i].label);
}
END_TEST

static const struct {
    const char *label, *path;
    int canonical;
} canonical_cases[] = {
    { "a file", "/var/www/html/api/x", 1 },
    { "the root's file", "/x", 1 },
    { "dots inside names", "/var/www/a.b/..c/.d/e..", 1 },
    { "the root", "/", 0 },
    { "a trailing /", "/var/www/html/", 0 },
    { "//", "/var//www", 0 },
    { "leading //", "//var/www", 0 },
    { "/./", "/var/./www", 0 },
    { "/../", "/var/../etc/passwd", 0 },
    { "a trailing /.", "/var/www/.", 0 },
    { "a trailing /..", "/var/www/..", 0 },
    { "relative", "var/www", 0 },
    { "empty", "", 0 },
};

START_TEST(test_fs_canonical)
{
    ck_assert_msg(fastexc_fs_canonical(canonical_cases[_i].path)
                  == canonical_cases[_i].canonical, "%s",
                  canonical_cases[_i].label);
}
END_TEST

/* A name as long as apr_filepath_merge() refuses (4,093 bytes: found by
 * fuzz_fs) is not taken as canonical; one just short of the bound is. */
START_TEST(test_fs_canonical_long)
{
    char path[APR_PATH_MAX + 1];

    memset(path, 'a', sizeof(path));
    path[0] = '/';
    path[4093] = '\0';
    ck_assert_int_eq(fastexc_fs_canonical(path), 0);
    path[APR_PATH_MAX / 2 - 1] = '\0';
    ck_assert_int_eq(fastexc_fs_canonical(path), 1);
    path[APR_PATH_MAX / 2 - 1] = 'a';
    path[APR_PATH_MAX / 2] = '\0';
    ck_assert_int_eq(fastexc_fs_canonical(path), 0);
}
END_TEST

TCase *check_fs_tcase(void)
{
    TCase *tc = tcase_create("fs");

    tcase_add_loop_test(tc, test_fs_directive, 0, N(directive_cases));
    tcase_add_loop_test(tc, test_fs_reads_map, 0, N(reads_cases));
    tcase_add_loop_test(tc, test_fs_covers, 0, N(covers_cases));
    tcase_add_loop_test(tc, test_fs_canonical, 0, N(canonical_cases));
    tcase_add_test(tc, test_fs_canonical_long);
    return tc;
}
