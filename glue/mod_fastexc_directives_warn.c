/*
 * mod_fastexc_directives_warn.c - the warnings found while the directives
 * are read (a detail that looks like a header), kept until the error log
 * is open and logged from post_config.
 */

#include "apr_tables.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_core.h"

#include "mod_fastexc_private.h"
#include "mod_fastexc_directives.h"

/* Warnings found while directives are read: the error log is not open
 * yet (httpd opens it after), so they are kept and logged by post_config,
 * where operators look; `apachectl -t` runs no post_config: stderr. */
static apr_array_header_t *fastexc_cmd_warnings;

static apr_status_t fastexc_cmd_warnings_gone(void *data)
{
    fastexc_cmd_warnings = NULL;
    return APR_SUCCESS;
}

/* The one warning directives have today: a detail that looks like a
 * header. */
static void fastexc_cmd_log_warning(server_rec *s, const char *text)
{
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, FXLOGNO(0012) "%s", text);
}

void fastexc_cmd_warn(cmd_parms *cmd, const char *text)
{
    if (ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_CONFIG_TEST) {
        fastexc_cmd_log_warning(cmd->server, text);
        return;
    }
    if (!fastexc_cmd_warnings) {
        fastexc_cmd_warnings = apr_array_make(cmd->pool, 2,
                                              sizeof(const char *));
        apr_pool_cleanup_register(cmd->pool, NULL, fastexc_cmd_warnings_gone,
                                  apr_pool_cleanup_null);
    }
    APR_ARRAY_PUSH(fastexc_cmd_warnings, const char *) = text;
}

void fastexc_cmd_log_warnings(server_rec *s)
{
    int i;

    for (i = 0; fastexc_cmd_warnings && i < fastexc_cmd_warnings->nelts;
         i++) {
        fastexc_cmd_log_warning(
            s, APR_ARRAY_IDX(fastexc_cmd_warnings, i, const char *));
    }
    fastexc_cmd_warnings = NULL;
}
