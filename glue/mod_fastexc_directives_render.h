/*
 * mod_fastexc_directives_render.h - the handlers of the rendering
 * directives, for the command table (README: Problem Details, Templates,
 * FastExcBackendErrors).
 */
#ifndef MOD_FASTEXC_DIRECTIVES_RENDER_H
#define MOD_FASTEXC_DIRECTIVES_RENDER_H

#include "http_config.h"

const char *fastexc_cmd_format(cmd_parms *cmd, void *cfg, int argc,
                               char *const argv[]);
const char *fastexc_cmd_problem_type(cmd_parms *cmd, void *cfg,
                                     const char *arg);
const char *fastexc_cmd_problem_instance(cmd_parms *cmd, void *cfg,
                                         const char *arg);
const char *fastexc_cmd_backend_errors(cmd_parms *cmd, void *cfg,
                                       const char *arg);

#endif /* MOD_FASTEXC_DIRECTIVES_RENDER_H */
