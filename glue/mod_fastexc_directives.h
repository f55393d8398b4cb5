/*
 * mod_fastexc_directives.h - the command table, and what the directive
 * files share.
 */
#ifndef MOD_FASTEXC_DIRECTIVES_H
#define MOD_FASTEXC_DIRECTIVES_H

#include "http_config.h"

extern const command_rec fastexc_cmds[];

/* Compile a template (a detail, a header value, FastExcProblemInstance)
 * into parts (fastexc_part_t): NULL, or why it cannot be. */
const char *fastexc_cmd_template(cmd_parms *cmd, const char *text,
                                 apr_array_header_t **parts);

/* An ap_expr of ours, text, compiled for the directive being read: if it
 * may read what mapping the URL finds, its server's raises are mapped
 * first (README: FastExcRaiseEarly). */
void fastexc_cmd_note_expr(cmd_parms *cmd, const char *text);

/* A warning about the directive being read: logged at once by
 * `apachectl -t`, else kept for fastexc_cmd_log_warnings() (the error log
 * is not open yet). */
void fastexc_cmd_warn(cmd_parms *cmd, const char *text);

/* The index of arg among names (a NULL-terminated list, case ignored), or
 * -1: a directive's keyword argument. */
int fastexc_cmd_keyword(const char *arg, const char *const names[]);

/* Log the warnings found while the directives were read (post_config). */
void fastexc_cmd_log_warnings(server_rec *s);

#endif /* MOD_FASTEXC_DIRECTIVES_H */
