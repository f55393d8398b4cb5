/*
 * mod_fastexc_directives.c - The directives: each one's handler, parsing
 * and checking its arguments once, at startup, with errors that name the
 * directive, and the command table. The reference is README.md.
 */

#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_atomic.h"
#include "apr_poll.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "ap_config.h"
#include "ap_expr.h"
#include "ap_mpm.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_core.h"
#include "mod_proxy.h"
#include "mod_status.h"
#include "mpm_common.h"
#include "httpd.h"
#include "scoreboard.h"
#include "util_filter.h"

#include "fastexc_core.h"
#include "fastexc_fs.h"
#include "fastexc_ws.h"
#include "mod_fastexc.h"
#include "mod_fastexc_private.h"
#include "mod_fastexc_config.h"
#include "mod_fastexc_directives.h"
#include "mod_fastexc_directives_render.h"
#include "mod_fastexc_directives_ws.h"
#include "mod_fastexc_early.h"

/* The ends FastExcWebSocketTunnelClose names, per FASTEXC_TUNNEL_*. */
static const char *const fastexc_cmd_tunnel_ends[FASTEXC_TUNNEL_EVENTS]
    = { "backend", "timeout", "restart", "stop" };

/* The "file:line" of the directive being read. */
static const char *fastexc_cmd_where(cmd_parms *cmd)
{
    return apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                        cmd->directive->line_num);
}

/* Read an "expr=<condition>" argument into rule. */
static const char *fastexc_cmd_parse_cond(cmd_parms *cmd, const char *arg,
                                      fastexc_rule_t *rule)
{
    const char *err = NULL;

    if (rule->cond) {
        return apr_psprintf(cmd->pool, "%s: expr= given twice",
                            cmd->cmd->name);
    }
    fastexc_cmd_note_expr(cmd, arg + 5);
    rule->cond = ap_expr_parse_cmd(cmd, apr_pstrdup(cmd->pool, arg + 5),
                                   AP_EXPR_FLAG_DONT_VARY, &err, NULL);
    if (err) {
        return apr_psprintf(cmd->pool, "%s: cannot parse %s: %s",
                            cmd->cmd->name, arg, err);
    }
    return NULL;
}

/* Compile a template (detail or header value) into parts. */
const char *fastexc_cmd_template(cmd_parms *cmd, const char *text,
                                 apr_array_header_t **parts)
{
    apr_array_header_t *segs;
    const fastexc_segment_t *seg;
    const char *err = fastexc_template_split(cmd->pool, text, &segs);
    int i;

    if (err) {
        return err;
    }
    *parts = apr_array_make(cmd->pool, segs->nelts, sizeof(fastexc_part_t));
    seg = (const fastexc_segment_t *)segs->elts;
    for (i = 0; i < segs->nelts; i++) {
        fastexc_part_t *part = apr_array_push(*parts);
        part->text = seg[i].text;
        part->expr = NULL;
        if (seg[i].is_expr) {
            fastexc_cmd_note_expr(cmd, seg[i].text);
            part->expr = ap_expr_parse_cmd(cmd, seg[i].text,
                                           AP_EXPR_FLAG_STRING_RESULT, &err,
                                           NULL);
            if (err) {
                return apr_psprintf(cmd->pool, "cannot parse %s: %s",
                                    seg[i].text, err);
            }
        }
    }
    return NULL;
}

static const char *fastexc_cmd_text_body(cmd_parms *cmd, fastexc_exc_t *exc,
                                     const char *text)
{
    int repaired = 0;

    exc->body = fastexc_body_text(cmd->pool, text, strlen(text),
                                  &exc->body_len, &repaired);
    return repaired ? "the detail is not valid UTF-8" : NULL;
}

static const char *fastexc_cmd_set_detail(cmd_parms *cmd, fastexc_exc_t *exc,
                                      const char *arg)
{
    const char *payload, *err = NULL;
    json_t *v;

    switch (fastexc_detail_classify(arg, &payload)) {
    case FASTEXC_DETAIL_DEFAULT:
        if (!fastexc_phrase(exc->status)) {
            return apr_psprintf(cmd->pool, "status %d has no standard reason "
                                "phrase: give a detail", exc->status);
        }
        return fastexc_cmd_text_body(cmd, exc, fastexc_phrase(exc->status));
    case FASTEXC_DETAIL_TEXT:
        return fastexc_cmd_text_body(cmd, exc, payload);
    case FASTEXC_DETAIL_JSON:
        v = fastexc_json_parse(cmd->pool, payload, &err);
        if (!v) {
            return apr_psprintf(cmd->pool, "json: detail: %s", err);
        }
        exc->body = fastexc_body_json(cmd->pool, v, &exc->body_len);
        json_decref(v);
        return exc->body ? NULL : "json: detail: cannot be rendered";
    case FASTEXC_DETAIL_TEMPLATE:
        /* rendered per request: only its text is checked now */
        if (!fastexc_utf8_valid(payload, strlen(payload))) {
            return "the detail is not valid UTF-8";
        }
        return fastexc_cmd_template(cmd, payload, &exc->parts);
    }
    return NULL;
}

/* Parse "<status> [<detail>] ["Name: value" ...] [expr=...]". */
static const char *fastexc_cmd_parse_exc(cmd_parms *cmd, int argc,
                                     char *const argv[], int allow_expr,
                                     fastexc_exc_t **out)
{
    const char *name = cmd->cmd->name;
    const char *detail = "-", *err;
    fastexc_exc_t *exc;
    int i = 1;

    if ((err = ap_check_cmd_context(cmd, NOT_IN_LIMIT))) {
        return err;
    }
    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s: needs a status", name);
    }
    exc = apr_pcalloc(cmd->pool, sizeof(*exc));
    if (fastexc_status_parse(argv[0], &exc->status) != 0) {
        return apr_psprintf(cmd->pool, "%s: \"%s\" is not a status (three "
                            "digits)", name, argv[0]);
    }
    if ((err = fastexc_status_check(exc->status))) {
        return apr_psprintf(cmd->pool, "%s: status %d: %s", name,
                            exc->status, err);
    }
    exc->rule.where = fastexc_cmd_where(cmd);
    exc->headers = apr_array_make(cmd->pool, 2, sizeof(fastexc_header_t));
    if (argc > 1 && strncmp(argv[1], "expr=", 5) != 0) {
        const char *hname, *hvalue;
        detail = argv[i++];
        fastexc_detail_kind_e kind = fastexc_detail_classify(detail, &hvalue);
        if ((kind == FASTEXC_DETAIL_TEXT || kind == FASTEXC_DETAIL_TEMPLATE)
            && strncmp(detail, "text:", 5) != 0
            && !fastexc_header_parse(cmd->temp_pool, detail, &hname,
                                     &hvalue)) {
            fastexc_cmd_warn(cmd, apr_psprintf(
                cmd->pool, "%s at %s: the detail \"%s\" looks "
                "like a header; write - before it to send it as a header "
                "with the default detail, or text:... to silence this", name,
                exc->rule.where, detail));
        }
    }
    for (; i < argc; i++) {
        fastexc_header_t *h;
        if (strncmp(argv[i], "expr=", 5) == 0) {
            if (!allow_expr) {
                return apr_psprintf(cmd->pool, "%s: expr= is not an option "
                                    "of this directive", name);
            }
            if ((err = fastexc_cmd_parse_cond(cmd, argv[i], &exc->rule))) {
                return err;
            }
            continue;
        }
        h = apr_array_push(exc->headers);
        memset(h, 0, sizeof(*h));
        if ((err = fastexc_header_parse(cmd->pool, argv[i], &h->name,
                                        &h->value))) {
            return apr_psprintf(cmd->pool, "%s: %s", name, err);
        }
        if (fastexc_has_template(h->value)) {
            if ((err = fastexc_cmd_template(cmd, h->value, &h->parts))) {
                return apr_psprintf(cmd->pool, "%s: header %s: %s", name,
                                    h->name, err);
            }
            h->value = NULL;
        }
    }
    if ((err = fastexc_cmd_set_detail(cmd, exc, apr_pstrdup(cmd->pool, detail)))) {
        return apr_psprintf(cmd->pool, "%s: %s", name, err);
    }
    *out = exc;
    return NULL;
}

/* argv[0] is word ("On", "Off") standing alone: 1, with *err set if other
 * arguments follow it (lead, if any, is what came before it). */
static int fastexc_cmd_word(cmd_parms *cmd, int argc, char *const argv[],
                        const char *word, const char *lead, const char **err)
{
    *err = NULL;
    if (argc < 1 || strcasecmp(argv[0], word) != 0) {
        return 0;
    }
    if (argc > 1) {
        *err = apr_psprintf(cmd->pool, "%s: %s%s%s takes no other argument",
                            cmd->cmd->name, lead ? lead : "", lead ? " " : "",
                            word);
    }
    return 1;
}

/* The server's settings if the directive is read from the configuration
 * files, else NULL (.htaccess, read per request: too late for a hook). A
 * directive whose work needs a hook says so there (mod_fastexc.c registers
 * only the hooks the configuration uses). */
static fastexc_srv_conf *fastexc_cmd_in_files(cmd_parms *cmd)
{
    return (cmd->override & (RSRC_CONF | ACCESS_CONF))
           ? ap_get_module_config(cmd->server->module_config, &fastexc_module)
           : NULL;
}

void fastexc_cmd_note_expr(cmd_parms *cmd, const char *text)
{
    fastexc_srv_conf *sc = fastexc_cmd_in_files(cmd);

    if (sc && fastexc_fs_reads_map(text)) {
        sc->early.reads_map = 1;
    }
}

/* FastExc On|Off and FastExcNegotiate On|Off: alone (httpd's FLAG would
 * ignore words after it); cmd->info is the field's offset in the scope's
 * configuration. */
static const char *fastexc_cmd_on_off(cmd_parms *cmd, void *cfg, int argc,
                                      char *const argv[])
{
    int *field = (int *)((char *)cfg + (apr_size_t)cmd->info);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);
    fastexc_srv_conf *sc;

    if (err) {
        return err;
    }
    if (argc != 1
        || (strcasecmp(argv[0], "on") && strcasecmp(argv[0], "off"))) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " must be On or Off",
                           NULL);
    }
    *field = strcasecmp(argv[0], "on") == 0;
    /* FastExcNegotiate On: its header_parser */
    if (*field && (apr_size_t)cmd->info
                  == APR_OFFSETOF(fastexc_dir_conf, http.negotiate)
        && (sc = fastexc_cmd_in_files(cmd))) {
        sc->negotiate.any = 1;
    }
    return NULL;
}

/* Decided before <Directory> and <Files> are walked: only where that
 * happens, the server, a virtual host, <Location> or <LocationMatch>. */
static const char *fastexc_cmd_raise_early(cmd_parms *cmd, void *cfg, int on)
{
    fastexc_dir_conf *dc = cfg;
    const ap_directive_t *parent = cmd->directive->parent;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);

    if (err) {
        return err;
    }
    if (cmd->path && (!parent
                      || (strcasecmp(parent->directive, "<Location")
                          && strcasecmp(parent->directive, "<LocationMatch")))) {
        return "FastExcRaiseEarly: only in the server, a virtual host or "
               "<Location>: it acts before <Directory>, <Files> and "
               ".htaccess are read";
    }
    dc->http.early = on;
    if (on) {
        /* so that only servers that use it pay for the peek */
        fastexc_srv_conf *sc = ap_get_module_config(
            cmd->server->module_config, &fastexc_module);
        sc->early.any = 1;
    }
    return NULL;
}

/* FastExcDetail: a rule appended to the scope's own for its status; a
 * rule without condition holds always, so it must be the last. */
static const char *fastexc_cmd_detail(cmd_parms *cmd, void *cfg, int argc,
                                      char *const argv[])
{
    fastexc_dir_conf *dc = cfg;
    fastexc_exc_t *exc;
    apr_array_header_t *rules;
    const fastexc_rule_t *last;
    const char *err;

    if ((err = fastexc_cmd_parse_exc(cmd, argc, argv, 1, &exc))) {
        return err;
    }
    if (!dc->http.details) {
        dc->http.details = apr_hash_make(cmd->pool);
    }
    rules = apr_hash_get(dc->http.details, &exc->status, sizeof(exc->status));
    if (!rules) {
        rules = apr_array_make(cmd->pool, 2, sizeof(fastexc_exc_t *));
        apr_hash_set(dc->http.details, &exc->status, sizeof(exc->status),
                     rules);
    }
    else if (!(last = APR_ARRAY_IDX(rules, rules->nelts - 1,
                                    const fastexc_rule_t *))->cond) {
        return apr_psprintf(cmd->pool, "FastExcDetail: status %d already has "
                            "a detail without condition in this scope, at "
                            "%s: a rule after it would never be used",
                            exc->status, last->where);
    }
    APR_ARRAY_PUSH(rules, fastexc_exc_t *) = exc;
    return NULL;
}

/* Parse "<code> [<reason>] [expr=...]". */
static const char *fastexc_cmd_parse_ws(cmd_parms *cmd, int argc,
                                    char *const argv[], int allow_expr,
                                    fastexc_ws_exc_t **out)
{
    const char *name = cmd->cmd->name;
    fastexc_ws_exc_t *exc;
    const char *err, *c;
    int i = 1;

    if ((err = ap_check_cmd_context(cmd, NOT_IN_LIMIT))) {
        return err;
    }
    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s: needs a close code", name);
    }
    for (c = argv[0]; apr_isdigit(*c); c++)
        ;
    if (*c || c == argv[0] || c - argv[0] > 4) {
        return apr_psprintf(cmd->pool, "%s: \"%s\" is not a close code", name,
                            argv[0]);
    }
    exc = apr_pcalloc(cmd->pool, sizeof(*exc));
    exc->code = atoi(argv[0]);
    if ((err = fastexc_ws_code_check(exc->code))) {
        return apr_psprintf(cmd->pool, "%s: close code %d: %s", name,
                            exc->code, err);
    }
    exc->rule.where = fastexc_cmd_where(cmd);
    exc->reason = "";
    if (argc > 1 && strncmp(argv[1], "expr=", 5) != 0) {
        exc->reason = apr_pstrdup(cmd->pool, argv[i++]);
    }
    exc->reason_len = strlen(exc->reason);
    if (!fastexc_utf8_valid(exc->reason, exc->reason_len)) {
        return apr_psprintf(cmd->pool, "%s: the reason is not valid UTF-8",
                            name);
    }
    if (exc->reason_len > FASTEXC_WS_REASON_MAX) {
        return apr_psprintf(cmd->pool, "%s: the reason is %" APR_SIZE_T_FMT
                            " bytes; a close reason is at most %d", name,
                            exc->reason_len, FASTEXC_WS_REASON_MAX);
    }
    for (; i < argc; i++) {
        if (!allow_expr || strncmp(argv[i], "expr=", 5) != 0) {
            return apr_psprintf(cmd->pool, "%s: \"%s\" is not an option "
                                "of this directive", name, argv[i]);
        }
        if ((err = fastexc_cmd_parse_cond(cmd, argv[i], &exc->rule))) {
            return err;
        }
    }
    *out = exc;
    return NULL;
}

/* The two kinds of rule, told apart by cmd->info: FastExcRaise and
 * FastExcWebSocket differ only in what one rule is. */
typedef struct {
    apr_size_t offset;          /* of the scope's fastexc_rules_t */
    const char *(*parse)(cmd_parms *cmd, int argc, char *const argv[],
                         void **rule);
} fastexc_cmd_rule_kind_t;

static const char *fastexc_cmd_parse_raise(cmd_parms *cmd, int argc,
                                       char *const argv[], void **rule)
{
    return fastexc_cmd_parse_exc(cmd, argc, argv, 1, (fastexc_exc_t **)rule);
}

static const char *fastexc_cmd_parse_ws_rule(cmd_parms *cmd, int argc,
                                         char *const argv[], void **rule)
{
    return fastexc_cmd_parse_ws(cmd, argc, argv, 1, (fastexc_ws_exc_t **)rule);
}

static const fastexc_cmd_rule_kind_t fastexc_cmd_raise_kind = {
    APR_OFFSETOF(fastexc_dir_conf, rules.raise), fastexc_cmd_parse_raise };
static const fastexc_cmd_rule_kind_t fastexc_cmd_ws_kind = {
    APR_OFFSETOF(fastexc_dir_conf, rules.ws), fastexc_cmd_parse_ws_rule };

/* A directive the upgrade handler reads: its handler. */
static void fastexc_cmd_mark_upgrade(cmd_parms *cmd)
{
    fastexc_srv_conf *sc = fastexc_cmd_in_files(cmd);

    if (sc) {
        sc->upgrade.any = 1;
    }
}

/* A FastExcRaise or FastExcWebSocket rule: whether the URLs it answers
 * need mapping first is decided at post_config (mod_fastexc_early.c) from
 * what the server's sections and this scope hold. */
static void fastexc_cmd_mark_rule(cmd_parms *cmd, fastexc_dir_conf *dc)
{
    fastexc_srv_conf *sc = fastexc_cmd_in_files(cmd);

    if (sc) {
        sc->early.rules = 1;
    }
    if (fastexc_early_own_require(cmd)) {
        dc->http.own_require = 1;
    }
}

/* FastExcRaise, FastExcWebSocket: a rule appended to the scope's own, or
 * "Off" alone, which cuts the inherited ones. */
static const char *fastexc_cmd_rule(cmd_parms *cmd, void *cfg, int argc,
                                    char *const argv[])
{
    const fastexc_cmd_rule_kind_t *kind = cmd->info;
    fastexc_rules_t *rules = (fastexc_rules_t *)((char *)cfg + kind->offset);
    void *rule;
    const char *err;

    if (fastexc_cmd_word(cmd, argc, argv, "Off", NULL, &err)) {
        if (!err) {
            rules->inherit = 0;
        }
        return err;
    }
    if ((err = kind->parse(cmd, argc, argv, &rule))) {
        return err;
    }
    if (kind == &fastexc_cmd_ws_kind) {
        fastexc_cmd_mark_upgrade(cmd);
    }
    fastexc_cmd_mark_rule(cmd, cfg);
    if (!rules->list) {
        rules->list = apr_array_make(cmd->pool, 2, sizeof(void *));
    }
    APR_ARRAY_PUSH(rules->list, void *) = rule;
    return NULL;
}

/* "<code> [<reason>]" or "Off" into a close slot (lead: what came
 * before, for messages). */
static const char *fastexc_cmd_parse_slot(cmd_parms *cmd, int argc,
                                      char *const argv[], const char *lead,
                                      fastexc_close_slot_t *slot)
{
    const char *err;

    if (fastexc_cmd_word(cmd, argc, argv, "Off", lead, &err)) {
        if (!err) {
            slot->set = 0;
            slot->exc = NULL;
        }
        return err;
    }
    slot->set = 1;
    return fastexc_cmd_parse_ws(cmd, argc, argv, 0, &slot->exc);
}

static const char *fastexc_cmd_ws_backend(cmd_parms *cmd, void *cfg,
                                          int argc, char *const argv[])
{
    fastexc_dir_conf *dc = cfg;

    return fastexc_cmd_parse_slot(cmd, argc, argv, NULL, &dc->ws.backend);
}

/* A time as httpd's own directives take it ("5", "1500ms"), into *t; NULL
 * or the error, naming the directive. */
static const char *fastexc_cmd_parse_time(cmd_parms *cmd, const char *arg,
                                          apr_interval_time_t *t)
{
    const char *unit = arg;

    while (apr_isdigit(*unit)) {
        unit++;
    }
    /* ap_timeout_parameter_parse() reads "soon" as 0 seconds: check the
     * form first */
    if (unit == arg || (*unit && strcmp(unit, "s") && strcmp(unit, "ms")
                        && strcmp(unit, "mi") && strcmp(unit, "h"))
        || ap_timeout_parameter_parse(arg, t, "s") != APR_SUCCESS || *t < 0) {
        return apr_psprintf(cmd->pool, "%s: \"%s\" is not a time (\"5\", "
                            "\"1500ms\")", cmd->cmd->name, arg);
    }
    return NULL;
}

static const char *fastexc_cmd_ws_timeout(cmd_parms *cmd, void *cfg,
                                          const char *arg)
{
    fastexc_dir_conf *dc = cfg;
    apr_interval_time_t t;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);

    if (err || (err = fastexc_cmd_parse_time(cmd, arg, &t))) {
        return err;
    }
    if (t > apr_time_from_sec(300)) {
        return "FastExcWebSocketCloseTimeout: at most 300 seconds: a worker "
               "waits that long for a silent client";
    }
    dc->ws.close_timeout = t;
    fastexc_cmd_mark_upgrade(cmd);
    return NULL;
}

/* Server-wide: a child closes its tunnels on one schedule. */
static const char *fastexc_cmd_ws_spread(cmd_parms *cmd, void *cfg,
                                         const char *arg)
{
    fastexc_srv_conf *sc = ap_get_module_config(cmd->server->module_config,
                                                &fastexc_module);
    apr_interval_time_t t;
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err || (err = fastexc_cmd_parse_time(cmd, arg, &t))) {
        return err;
    }
    if (t > apr_time_from_sec(3600)) {
        return "FastExcWebSocketTunnelCloseSpread: at most 3600 seconds";
    }
    sc->tunnel.spread = t;
    return NULL;
}

static const char *fastexc_cmd_ws_tunnel(cmd_parms *cmd, void *cfg,
                                         int argc, char *const argv[])
{
    fastexc_dir_conf *dc = cfg;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);
    int event;

    if (err) {
        return err;
    }
    if (fastexc_cmd_word(cmd, argc, argv, "On", NULL, &err)
        || fastexc_cmd_word(cmd, argc, argv, "Off", NULL, &err)) {
        if (!err) {
            dc->tunnel.on = strcasecmp(argv[0], "on") == 0;
        }
        return err;
    }
    for (event = 0; event < FASTEXC_TUNNEL_EVENTS; event++) {
        if (argc > 0
            && strcasecmp(argv[0], fastexc_cmd_tunnel_ends[event]) == 0) {
            break;
        }
    }
    if (argc < 2 || event == FASTEXC_TUNNEL_EVENTS) {
        return apr_psprintf(cmd->pool, "FastExcWebSocketTunnelClose: \"%s\" "
                            "is not On, Off, or an end (backend, timeout, "
                            "restart, stop) followed by a close code [reason] or "
                            "Off", argc ? argv[0] : "");
    }
    if ((err = fastexc_cmd_parse_slot(cmd, argc - 1, argv + 1,
                                  fastexc_cmd_tunnel_ends[event],
                                  &dc->tunnel.close[event]))) {
        return err;
    }
    /* naming an end turns the scope on, unless it says Off itself */
    if (dc->tunnel.on == FASTEXC_UNSET) {
        dc->tunnel.on = 1;
    }
    return NULL;
}

int fastexc_cmd_keyword(const char *arg, const char *const names[])
{
    int i;

    for (i = 0; names[i]; i++) {
        if (strcasecmp(arg, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

static const char *fastexc_cmd_log_level(cmd_parms *cmd, void *cfg,
                                         const char *arg)
{
    static const char *const names[] = { "emerg", "alert", "crit", "error",
                                         "warn", "notice", "info", "debug",
                                         NULL };
    fastexc_dir_conf *dc = cfg;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);
    int i;

    if (err) {
        return err;
    }
    if ((i = fastexc_cmd_keyword(arg, names)) >= 0) {
        dc->log.level = APLOG_EMERG + i;
        fastexc_cmd_mark_upgrade(cmd);
        return NULL;
    }
    return apr_psprintf(cmd->pool, "FastExcLogLevel: \"%s\" is not a level "
                        "(emerg, alert, crit, error, warn, notice, info, "
                        "debug)", arg);
}

/* ---- command table -------------------------------------------------- */

/* Where every directive but the server-wide one may stand: server,
 * virtual host, <Directory>, <Location>, <Files>, and .htaccess with
 * AllowOverride FileInfo. */
#define FASTEXC_WHERE (RSRC_CONF | ACCESS_CONF | OR_FILEINFO)

const command_rec fastexc_cmds[] = {
    AP_INIT_TAKE_ARGV("FastExc", fastexc_cmd_on_off,
                      (void *)APR_OFFSETOF(fastexc_dir_conf, http.enabled),
                      FASTEXC_WHERE,
                      "On to render error responses in this scope as "
                      "FastAPI JSON"),
    AP_INIT_TAKE_ARGV("FastExcRaise", fastexc_cmd_rule,
                      (void *)&fastexc_cmd_raise_kind,
                      FASTEXC_WHERE,
                      "<status> [<detail>] [\"Name: value\" ...] "
                      "[expr=<condition>], or Off"),
    AP_INIT_FLAG("FastExcRaiseEarly", fastexc_cmd_raise_early, NULL,
                 RSRC_CONF | ACCESS_CONF,
                 "a URL this scope surely raises, On: never mapped to the "
                 "filesystem (<Directory>, <Files>, .htaccess do not apply); "
                 "Off: always; unset: where a section covering it can "
                 "change the answer"),
    AP_INIT_TAKE_ARGV("FastExcDetail", fastexc_cmd_detail, NULL,
                      FASTEXC_WHERE,
                      "<status> [<detail>] [\"Name: value\" ...] "
                      "[expr=<condition>]"),
    AP_INIT_TAKE_ARGV("FastExcWebSocket", fastexc_cmd_rule,
                      (void *)&fastexc_cmd_ws_kind,
                      FASTEXC_WHERE,
                      "<close code> [<reason>] [expr=<condition>], or Off"),
    AP_INIT_TAKE12("FastExcWebSocketReject", fastexc_cmd_ws_reject, NULL,
                   FASTEXC_WHERE,
                   "close (101 and a Close frame) or http [<status>]"),
    AP_INIT_TAKE2("FastExcWebSocketRaiseCode", fastexc_cmd_ws_raise_code,
                  NULL, FASTEXC_WHERE,
                  "<status>|4xx|5xx <close code>: the Close a raise of that "
                  "status answers a WebSocket upgrade with"),
    AP_INIT_TAKE_ARGV("FastExcWebSocketBackendError", fastexc_cmd_ws_backend,
                      NULL, FASTEXC_WHERE,
                      "<close code> [<reason>] for a failed proxied "
                      "upgrade, or Off"),
    AP_INIT_TAKE1("FastExcLogLevel", fastexc_cmd_log_level, NULL,
                  FASTEXC_WHERE,
                  "the level each exception is logged at (default info)"),
    AP_INIT_TAKE_ARGV("FastExcFormat", fastexc_cmd_format, NULL,
                      FASTEXC_WHERE,
                      "fastapi ({\"detail\": ...}, the default), problem "
                      "(RFC 9457 application/problem+json) or template "
                      "'<JSON>' [type=<media type>] [absent=null|omit]"),
    AP_INIT_TAKE1("FastExcProblemInstance", fastexc_cmd_problem_instance,
                  NULL, FASTEXC_WHERE,
                  "the \"instance\" of Problem Details, %{...} evaluated "
                  "per request (default the request path)"),
    AP_INIT_TAKE1("FastExcBackendErrors", fastexc_cmd_backend_errors, NULL,
                  FASTEXC_WHERE,
                  "Off (the default), NonJSON (a proxied backend's error "
                  "bodies that are not JSON become the scope's exception) "
                  "or All (every backend error body)"),
    AP_INIT_TAKE_ARGV("FastExcNegotiate", fastexc_cmd_on_off,
                      (void *)APR_OFFSETOF(fastexc_dir_conf, http.negotiate),
                      FASTEXC_WHERE,
                      "On to answer exceptions in the form the request's "
                      "Accept prefers: the scope's JSON, Problem Details or "
                      "HTML (default Off)"),
    AP_INIT_TAKE1("FastExcProblemType", fastexc_cmd_problem_type, NULL,
                  FASTEXC_WHERE,
                  "the \"type\" URI of Problem Details (default about:blank)"),
    AP_INIT_TAKE1("FastExcWebSocketCloseTimeout", fastexc_cmd_ws_timeout,
                  NULL, FASTEXC_WHERE,
                  "how long to wait for the client's Close (default 5s)"),
    AP_INIT_TAKE_ARGV("FastExcWebSocketTunnelClose", fastexc_cmd_ws_tunnel,
                      NULL, FASTEXC_WHERE,
                      "On|Off, or backend|timeout|restart|stop <close "
                      "code> [<reason>] or Off: the Close a proxied "
                      "WebSocket gets when its tunnel ends abnormally"),
    AP_INIT_TAKE1("FastExcWebSocketTunnelCloseSpread", fastexc_cmd_ws_spread,
                  NULL, RSRC_CONF,
                  "a time: a child's restart and stop Closes spread evenly "
                  "over it (default 0, all at once)"),
    { NULL }
};
