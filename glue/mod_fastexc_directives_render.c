/*
 * mod_fastexc_directives_render.c - the directives of how an HTTP exception
 * is rendered (FastExcFormat fastapi|problem|template, FastExcProblemType,
 * FastExcProblemInstance) and of a backend's errors rendered
 * (FastExcBackendErrors), checked once, at startup; the command table that
 * names them is in mod_fastexc_directives.c.
 */

#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "ap_expr.h"

#include "fastexc_core.h"
#include "fastexc_envelope.h"
#include "mod_fastexc_private.h"
#include "mod_fastexc_config.h"
#include "mod_fastexc_directives.h"
#include "mod_fastexc_directives_render.h"

/* An ap_expr placeholder of a FastExcFormat template. */
static const char *fastexc_cmd_envelope_expr(void *ctx, const char *text,
                                             const void **expr)
{
    const char *err = NULL;

    fastexc_cmd_note_expr((cmd_parms *)ctx, text);
    *expr = ap_expr_parse_cmd((cmd_parms *)ctx, text,
                              AP_EXPR_FLAG_STRING_RESULT, &err, NULL);
    return err ? apr_psprintf(((cmd_parms *)ctx)->pool, "cannot parse %s: %s",
                              text, err)
               : NULL;
}

/* A media type: type "/" subtype, tokens, then parameters if any. */
static int fastexc_cmd_media_type(apr_pool_t *p, const char *arg)
{
    const char *slash = strchr(arg, '/');
    const char *semi = strchr(arg, ';');
    apr_size_t end = semi ? (apr_size_t)(semi - arg) : strlen(arg);

    if (!slash || (apr_size_t)(slash - arg) >= end) {
        return 0;
    }
    return fastexc_header_name_ok(apr_pstrmemdup(p, arg, slash - arg))
           && fastexc_header_name_ok(apr_pstrmemdup(p, slash + 1,
                                                    end - (slash - arg) - 1))
           && fastexc_header_value_ok(arg);
}

/* FastExcFormat fastapi|problem|template '<JSON>' [type=..] [absent=..] */
const char *fastexc_cmd_format(cmd_parms *cmd, void *cfg, int argc,
                               char *const argv[])
{
    fastexc_dir_conf *dc = cfg;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);
    const struct fastexc_envelope *env;
    const char *type = "application/json";
    int omit = 0, i;

    if (err) {
        return err;
    }
    if (argc == 1 && strcasecmp(argv[0], "fastapi") == 0) {
        dc->http.format.how = FASTEXC_FORMAT_FASTAPI;
        return NULL;
    }
    if (argc == 1 && strcasecmp(argv[0], "problem") == 0) {
        dc->http.format.how = FASTEXC_FORMAT_PROBLEM;
        return NULL;
    }
    if (argc > 1 && (strcasecmp(argv[0], "fastapi") == 0
                     || strcasecmp(argv[0], "problem") == 0)) {
        return apr_psprintf(cmd->pool, "FastExcFormat: %s takes no other "
                            "argument", argv[0]);
    }
    if (argc == 0 || strcasecmp(argv[0], "template") != 0) {
        return apr_psprintf(cmd->pool, "FastExcFormat: \"%s\" is not "
                            "fastapi, problem or template '<JSON>'",
                            argc ? argv[0] : "");
    }
    if (argc < 2) {
        return "FastExcFormat: template needs the template, a JSON object "
               "in quotes";
    }
    for (i = 2; i < argc; i++) {
        if (strncasecmp(argv[i], "type=", 5) == 0) {
            type = argv[i] + 5;
            if (!fastexc_cmd_media_type(cmd->temp_pool, type)) {
                return apr_psprintf(cmd->pool, "FastExcFormat: type \"%s\" "
                                    "is not a media type "
                                    "(application/vnd.example+json)", type);
            }
        }
        else if (strcasecmp(argv[i], "absent=null") == 0) {
            omit = 0;
        }
        else if (strcasecmp(argv[i], "absent=omit") == 0) {
            omit = 1;
        }
        else {
            return apr_psprintf(cmd->pool, "FastExcFormat: \"%s\" is not "
                                "type=<media type>, absent=null or "
                                "absent=omit", argv[i]);
        }
    }
    err = fastexc_envelope_compile(cmd->pool, argv[1], omit,
                                   fastexc_cmd_envelope_expr, cmd, &env);
    if (err) {
        return apr_psprintf(cmd->pool, "FastExcFormat: %s", err);
    }
    dc->http.format.how = FASTEXC_FORMAT_TEMPLATE;
    dc->http.format.envelope = env;
    dc->http.format.content_type = apr_pstrdup(cmd->pool, type);
    return NULL;
}

/* FastExcProblemInstance <text with %{...}> */
const char *fastexc_cmd_problem_instance(cmd_parms *cmd, void *cfg,
                                         const char *arg)
{
    fastexc_dir_conf *dc = cfg;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);

    if (err) {
        return err;
    }
    if (!fastexc_utf8_valid(arg, strlen(arg))) {
        return "FastExcProblemInstance: not valid UTF-8";
    }
    if ((err = fastexc_cmd_template(cmd, arg, &dc->http.problem_instance))) {
        return apr_psprintf(cmd->pool, "FastExcProblemInstance: %s", err);
    }
    return NULL;
}

const char *fastexc_cmd_problem_type(cmd_parms *cmd, void *cfg,
                                     const char *arg)
{
    fastexc_dir_conf *dc = cfg;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);
    const char *c;

    if (err) {
        return err;
    }
    /* RFC 9457 3.1.1: a URI reference; an absolute URI is what clients can
     * rely on */
    for (c = arg; *c && *c != ':' && *c != '/'; c++)
        ;
    if (!*arg || *c != ':' || c == arg
        || !fastexc_utf8_valid(arg, strlen(arg))
        || strpbrk(arg, " \t\"<>\\^`{|}") || !fastexc_header_value_ok(arg)) {
        return apr_psprintf(cmd->pool, "FastExcProblemType: \"%s\" is not an "
                            "absolute URI (https://example.com/probs/out-of-"
                            "credit, about:blank)", arg);
    }
    dc->http.problem_type = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* FastExcBackendErrors Off|NonJSON|All */
const char *fastexc_cmd_backend_errors(cmd_parms *cmd, void *cfg,
                                       const char *arg)
{
    static const char *const names[] = { "off", "nonjson", "all", NULL };
    fastexc_dir_conf *dc = cfg;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);
    int i;

    if (err) {
        return err;
    }
    if ((i = fastexc_cmd_keyword(arg, names)) >= 0) {
        dc->backend.errors = FASTEXC_BACKEND_OFF + i;
        return NULL;
    }
    return apr_psprintf(cmd->pool, "FastExcBackendErrors: \"%s\" is not Off, "
                        "NonJSON or All", arg);
}
