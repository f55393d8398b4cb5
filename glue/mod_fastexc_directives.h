/*
 * mod_fastexc_directives.h - the command table.
 */
#ifndef MOD_FASTEXC_DIRECTIVES_H
#define MOD_FASTEXC_DIRECTIVES_H

#include "http_config.h"

extern const command_rec fastexc_cmds[];

#endif /* MOD_FASTEXC_DIRECTIVES_H */
