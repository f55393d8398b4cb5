/*
 * mod_fastexc_directives_ws.c - the directives of how a WebSocket upgrade
 * that a raise or a rule ends is answered (README: WebSockets):
 * FastExcWebSocketReject, FastExcWebSocketRaiseCode. Checked once, at
 * startup; errors name the directive.
 */
#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"

#include "fastexc_core.h"
#include "fastexc_ws.h"
#include "mod_fastexc_private.h"
#include "mod_fastexc_config.h"
#include "mod_fastexc_directives_ws.h"

/* FastExcWebSocketReject close | http [<status>] */
const char *fastexc_cmd_ws_reject(cmd_parms *cmd, void *cfg,
                                  const char *mode, const char *arg)
{
    fastexc_dir_conf *dc = cfg;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);

    if (err) {
        return err;
    }
    if (strcasecmp(mode, "close") == 0 && !arg) {
        dc->ws.reject.how = FASTEXC_WS_REJECT_CLOSE;
        dc->ws.reject.status = 0;
        return NULL;
    }
    if (strcasecmp(mode, "http") != 0) {
        return apr_psprintf(cmd->pool, "FastExcWebSocketReject: \"%s%s%s\" "
                            "is not close or http [<status>]", mode,
                            arg ? " " : "", arg ? arg : "");
    }
    dc->ws.reject.how = FASTEXC_WS_REJECT_HTTP;
    dc->ws.reject.status = HTTP_FORBIDDEN;
    if (arg) {
        if (fastexc_status_parse(arg, &dc->ws.reject.status) != 0
            || dc->ws.reject.status < 400 || dc->ws.reject.status > 599) {
            return apr_psprintf(cmd->pool, "FastExcWebSocketReject: http "
                                "takes an error status (400-599), not "
                                "\"%s\"", arg);
        }
        if (!fastexc_phrase(dc->ws.reject.status)) {
            return apr_psprintf(cmd->pool, "FastExcWebSocketReject: status "
                                "%d has no standard reason phrase",
                                dc->ws.reject.status);
        }
    }
    return NULL;
}

/* FastExcWebSocketRaiseCode <status>|4xx|5xx <code> */
const char *fastexc_cmd_ws_raise_code(cmd_parms *cmd, void *cfg,
                                      const char *which, const char *code)
{
    fastexc_dir_conf *dc = cfg;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);
    const char *c;
    int *key = apr_palloc(cmd->pool, sizeof(*key));
    int *value = apr_palloc(cmd->pool, sizeof(*value));

    if (err) {
        return err;
    }
    if (strcasecmp(which, "4xx") == 0 || strcasecmp(which, "5xx") == 0) {
        *key = which[0] - '0';
    }
    else if (fastexc_status_parse(which, key) != 0 || *key < 400
             || *key > 599) {
        return apr_psprintf(cmd->pool, "FastExcWebSocketRaiseCode: \"%s\" "
                            "is not an error status (400-599), 4xx or 5xx",
                            which);
    }
    for (c = code; apr_isdigit(*c); c++)
        ;
    if (*c || c == code || c - code > 4) {
        return apr_psprintf(cmd->pool, "FastExcWebSocketRaiseCode: \"%s\" "
                            "is not a close code", code);
    }
    *value = atoi(code);
    if ((err = fastexc_ws_code_check(*value))) {
        return apr_psprintf(cmd->pool, "FastExcWebSocketRaiseCode: close "
                            "code %d: %s", *value, err);
    }
    if (!dc->ws.raise_codes) {
        dc->ws.raise_codes = apr_hash_make(cmd->pool);
    }
    apr_hash_set(dc->ws.raise_codes, key, sizeof(*key), value);
    return NULL;
}
