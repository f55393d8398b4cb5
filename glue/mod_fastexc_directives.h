/*
 * mod_fastexc_directives.h - the command table.
 */
#ifndef MOD_FASTEXC_DIRECTIVES_H
#define MOD_FASTEXC_DIRECTIVES_H

#include "http_config.h"

extern const command_rec fastexc_cmds[];

/* Log the warnings found while the directives were read (post_config). */
void fastexc_cmd_log_warnings(server_rec *s);

#endif /* MOD_FASTEXC_DIRECTIVES_H */
