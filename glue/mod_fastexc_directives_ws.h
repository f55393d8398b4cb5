/*
 * mod_fastexc_directives_ws.h - the handlers of the WebSocket answer
 * directives, for the command table (README: WebSockets).
 */
#ifndef MOD_FASTEXC_DIRECTIVES_WS_H
#define MOD_FASTEXC_DIRECTIVES_WS_H

#include "http_config.h"

const char *fastexc_cmd_ws_reject(cmd_parms *cmd, void *cfg,
                                  const char *mode, const char *arg);
const char *fastexc_cmd_ws_raise_code(cmd_parms *cmd, void *cfg,
                                      const char *which, const char *code);

#endif /* MOD_FASTEXC_DIRECTIVES_WS_H */
