/*
 * fastexc_fs.h - what the filesystem's sections can do to a raise decided
 * before httpd maps the URL (FastExcRaiseEarly unset: README, "Mapping a
 * raised URL"): one directive of a <Directory>, <DirectoryMatch>, <Files>
 * or <FilesMatch> section classified, an expression read for what only the
 * mapping finds, and a <Directory> path matched against a file name.
 *
 * Internal header. Needs only APR (no httpd header), so the Check unit
 * tests exercise it without httpd.
 */
#ifndef FASTEXC_FS_H
#define FASTEXC_FS_H

/* What a section's directive does to a raise, least first (a section is
 * the most of its directives'). */
#define FASTEXC_FS_INERT 0      /* chooses how a file is served: a raise
                                   serves none */
#define FASTEXC_FS_GRANTS 1     /* Require all granted: what no Require at
                                   all grants */
#define FASTEXC_FS_REQUIRES 2   /* other authorization by mod_authz_core,
                                   which a <Location>'s own Require replaces
                                   (AuthMerging Off) */
#define FASTEXC_FS_SAYS 3       /* anything else: the URL must be mapped */

/** What the directive name (as httpd's configuration tree names it: a
 *  section's with its "<") with its arguments args does, inside a section
 *  of the filesystem, to a raise: FASTEXC_FS_*. Names are compared as
 *  httpd does, case ignored; an unknown name is FASTEXC_FS_SAYS. A
 *  Require section (<RequireAll>...) is FASTEXC_FS_REQUIRES: what it holds
 *  is classified on its own. */
int fastexc_fs_directive(const char *name, const char *args);

/** Whether an ap_expr's text (a condition, or a string with %{...}) may
 *  read what only mapping the URL finds: the file name
 *  (REQUEST_FILENAME, SCRIPT_FILENAME), PATH_INFO, or a file test (-f, -d
 *  ...). May say yes of what does not (a word inside a string): never no
 *  of what does. */
int fastexc_fs_reads_map(const char *text);

/** Whether the <Directory> of path dir (canonical, as httpd keeps it:
 *  ending with "/") is merged for the file name filename (canonical,
 *  absolute): dir is filename's directory or one above it. */
int fastexc_fs_covers(const char *dir, const char *filename);

/** Whether path is already as ap_directory_walk() makes a file name
 *  before matching sections (apr_filepath_merge, not relative): absolute,
 *  shorter than APR_PATH_MAX / 2, with no empty, "." or ".." segment and
 *  no trailing "/". No: it must be merged first (the merge may still leave
 *  it unchanged, or refuse it). */
int fastexc_fs_canonical(const char *path);

#endif /* FASTEXC_FS_H */
