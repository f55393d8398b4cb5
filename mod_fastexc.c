/*
 * mod_fastexc.c - FastAPI-style exceptions for Apache httpd 2.4.
 *
 * An exception ends a request with a status, the body {"detail": <detail>}
 * as compact JSON (byte for byte what FastAPI's HTTPException sends), the
 * status line with Python's reason phrase, and the headers it was given.
 *
 * Directives (server config, virtual host, <Directory>, <Location>, <Files>,
 * and .htaccess with AllowOverride FileInfo; never inside <Limit>):
 *
 *   FastExc On|Off
 *       Render every error response of the scope (status >= 400 through
 *       httpd's error path: httpd's own, other modules', a proxied backend's
 *       under ProxyErrorOverride On) as FastAPI JSON. Default Off.
 *
 *   FastExcRaise <status> [<detail>] ["Name: value" ...] [expr=<condition>]
 *   FastExcRaise Off
 *       Raise this exception for requests of the scope (for which the ap_expr
 *       condition holds), in the fixups phase, before any handler (proxied
 *       locations included). Several per scope: the first that holds wins;
 *       a scope's own rules come before those it inherits. "Off" stops the
 *       scope from inheriting its parents' rules.
 *
 *   FastExcDetail <status> [<detail>] ["Name: value" ...]
 *       The detail and headers of <status> when FastExc On renders it, and
 *       of `SetHandler fastexc` when it answers 404. Per status, a scope's
 *       own FastExcDetail replaces the inherited one.
 *
 *   SetHandler fastexc
 *       The location's content is an exception: a FastExcRaise rule that
 *       holds, or else 404 (FastAPI's answer for a path with no route).
 *
 * A <detail> is:  -            the status's reason phrase (the default)
 *                 json:<JSON>  any JSON value, checked at startup
 *                 text:<text>  text as written, no interpolation
 *                 <text>       text; %{...} parts are ap_expr string
 *                              expressions, evaluated per request and
 *                              JSON-escaped.
 * Header values may interpolate %{...} too; control bytes (CR, LF) that a
 * request brings into one are turned to spaces and logged.
 *
 * Log lines carry tags FX0001 and up, unique in this module.
 */

#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "ap_config.h"
#include "ap_expr.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_core.h"
#include "httpd.h"
#include "util_filter.h"

#include "fastexc_core.h"
#include "mod_fastexc.h"

/* ---- types ---------------------------------------------------------- */

#define FASTEXC_UNSET (-1)
#define FXLOGNO(n) "FX" #n ": "
#define FASTEXC_HANDLER "fastexc"
#define FASTEXC_FILTER "FASTEXC"

/* One piece of a template: static text, or an ap_expr string expression. */
typedef struct {
    const char *text;
    ap_expr_info_t *expr;
} fastexc_part_t;

typedef struct {
    const char *name;
    const char *value;          /* static value, or NULL */
    apr_array_header_t *parts;  /* fastexc_part_t, when interpolated */
} fastexc_header_t;

/* A configured exception (FastExcRaise, FastExcDetail). */
typedef struct {
    int status;
    const char *body;           /* rendered once at startup; NULL if template */
    apr_size_t body_len;
    apr_array_header_t *parts;  /* fastexc_part_t of a text template */
    apr_array_header_t *headers;/* fastexc_header_t */
    ap_expr_info_t *cond;       /* expr=, FastExcRaise only */
    const char *where;          /* "file:line", for log lines */
} fastexc_exc_t;

/* An exception as it is sent, rendered for one request. */
typedef struct {
    int status;
    const char *body;
    apr_size_t body_len;
    apr_table_t *headers;       /* may be NULL */
} fastexc_response_t;

typedef struct {
    int enabled;                /* FastExc; FASTEXC_UNSET until set */
    int raise_inherit;          /* 0 after "FastExcRaise Off" */
    apr_array_header_t *raises; /* fastexc_exc_t *: own, then inherited */
    apr_hash_t *details;        /* int status -> fastexc_exc_t * */
} fastexc_dir_conf;

typedef struct {
    fastexc_response_t *raised; /* the exception this request raised */
} fastexc_req_conf;

/* Filter state: the response to send, and whether headers were set. */
typedef struct {
    fastexc_response_t *resp;
    int started;
} fastexc_filter_ctx;

/* ---- module declaration -------------------------------------------- */

module AP_MODULE_DECLARE_DATA fastexc_module;

static ap_filter_rec_t *fastexc_filter_handle;

/* ---- helpers -------------------------------------------------------- */

static fastexc_req_conf *fastexc_req(request_rec *r, int create)
{
    fastexc_req_conf *rc = ap_get_module_config(r->request_config,
                                                &fastexc_module);
    if (!rc && create) {
        rc = apr_pcalloc(r->pool, sizeof(*rc));
        ap_set_module_config(r->request_config, &fastexc_module, rc);
    }
    return rc;
}

/* The detail used when none is given: the reason phrase, else httpd's. */
static const char *fastexc_default_detail(request_rec *r, int status)
{
    const char *phrase = fastexc_phrase(status);
    const char *line;

    if (phrase) {
        return phrase;
    }
    line = ap_get_status_line_ex(r->pool, status);
    return (line && atoi(line) == status && strlen(line) > 4) ? line + 4
                                                              : "Error";
}

static const char *fastexc_interpolate(request_rec *r,
                                       const apr_array_header_t *parts)
{
    const fastexc_part_t *part = (const fastexc_part_t *)parts->elts;
    apr_array_header_t *out = apr_array_make(r->pool, parts->nelts,
                                             sizeof(const char *));
    int i;

    for (i = 0; i < parts->nelts; i++) {
        const char *piece = part[i].text;
        if (part[i].expr) {
            const char *err = NULL;
            piece = ap_expr_str_exec(r, part[i].expr, &err);
            if (err || !piece) {
                ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, FXLOGNO(0001)
                              "cannot evaluate %s: %s", part[i].text,
                              err ? err : "no value");
                piece = "";
            }
        }
        APR_ARRAY_PUSH(out, const char *) = piece;
    }
    return apr_array_pstrcat(r->pool, out, 0);
}

/* Default bodies, {"detail":"<phrase>"}, rendered once per configuration
 * (post_config) for every status with a phrase. */
static fastexc_response_t *fastexc_defaults[400];

static fastexc_response_t *fastexc_default_response(request_rec *r,
                                                    int status)
{
    fastexc_response_t *resp;
    const char *detail;

    if (status >= 200 && status <= 599 && fastexc_defaults[status - 200]) {
        return fastexc_defaults[status - 200];
    }
    resp = apr_pcalloc(r->pool, sizeof(*resp));
    resp->status = status;
    detail = fastexc_default_detail(r, status);
    resp->body = fastexc_body_text(r->pool, detail, strlen(detail),
                                   &resp->body_len, NULL);
    return resp;
}

/* Render a configured exception for this request: interpolate its detail
 * and header values. exc NULL means the default detail of status. */
static fastexc_response_t *fastexc_render(request_rec *r,
                                          const fastexc_exc_t *exc,
                                          int status)
{
    fastexc_response_t *resp;
    int i;

    if (!exc || (!exc->parts && !exc->headers->nelts)) {
        if (exc && exc->body) {
            resp = apr_pcalloc(r->pool, sizeof(*resp));
            resp->status = status;
            resp->body = exc->body;
            resp->body_len = exc->body_len;
            return resp;
        }
        return fastexc_default_response(r, status);
    }
    resp = apr_pcalloc(r->pool, sizeof(*resp));
    resp->status = status;
    resp->body = exc->body;
    resp->body_len = exc->body_len;
    if (exc->parts) {
        const char *text = fastexc_interpolate(r, exc->parts);
        int repaired = 0;
        resp->body = fastexc_body_text(r->pool, text, strlen(text),
                                       &resp->body_len, &repaired);
        if (repaired) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, FXLOGNO(0002)
                          "detail of the exception at %s: invalid UTF-8 "
                          "from the request replaced by U+FFFD", exc->where);
        }
    }
    if (exc->headers->nelts) {
        const fastexc_header_t *h = (const fastexc_header_t *)exc->headers->elts;
        resp->headers = apr_table_make(r->pool, exc->headers->nelts);
        for (i = 0; i < exc->headers->nelts; i++) {
            const char *value = h[i].value;
            if (h[i].parts) {
                int changed = 0;
                value = fastexc_header_value_clean(
                    r->pool, fastexc_interpolate(r, h[i].parts), &changed);
                if (changed) {
                    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                                  FXLOGNO(0003) "header %s of the exception "
                                  "at %s: control bytes from the request "
                                  "turned to spaces", h[i].name, exc->where);
                }
            }
            apr_table_addn(resp->headers, h[i].name, value);
        }
    }
    return resp;
}

/* Build a response from a detail given at run time (C API, notes): bad
 * input is logged, and answered with fail_status and its default detail. */
static fastexc_response_t *fastexc_make(request_rec *r, const char *caller,
                                        int status, const char *detail,
                                        int is_json, int fail_status)
{
    fastexc_response_t *resp;
    const char *err = fastexc_status_check(status);

    if (err) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0004)
                      "%s: status %d refused (%s): answering %d", caller,
                      status, err, fail_status);
        return fastexc_default_response(r, fail_status);
    }
    if (!detail) {
        if (!fastexc_phrase(status)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0005)
                          "%s: status %d has no reason phrase and no detail "
                          "was given: answering %d", caller, status,
                          fail_status);
            return fastexc_default_response(r, fail_status);
        }
        return fastexc_default_response(r, status);
    }
    resp = apr_pcalloc(r->pool, sizeof(*resp));
    resp->status = status;
    if (is_json) {
        json_t *v = fastexc_json_parse(r->pool, detail, &err);
        if (!v) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0006)
                          "%s: detail is not JSON (%s): answering %d",
                          caller, err, fail_status);
            return fastexc_default_response(r, fail_status);
        }
        resp->body = fastexc_body_json(r->pool, v, &resp->body_len);
        json_decref(v);
        if (!resp->body) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0007)
                          "%s: cannot render the detail: answering %d",
                          caller, fail_status);
            return fastexc_default_response(r, fail_status);
        }
    }
    else {
        int repaired = 0;
        resp->body = fastexc_body_text(r->pool, detail, strlen(detail),
                                       &resp->body_len, &repaired);
        if (repaired) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, FXLOGNO(0008)
                          "%s: detail is not valid UTF-8: invalid bytes "
                          "replaced by U+FFFD", caller);
        }
    }
    return resp;
}

typedef struct {
    request_rec *r;
    apr_table_t *out;
} fastexc_hdr_check_t;

static int fastexc_check_header(void *rec, const char *name,
                                const char *value)
{
    fastexc_hdr_check_t *hc = rec;

    if (!fastexc_header_name_ok(name) || !fastexc_header_name_allowed(name)
        || !fastexc_header_value_ok(value)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, hc->r, FXLOGNO(0009)
                      "fastexc_raise: header \"%s\" left out: invalid or "
                      "reserved name, or a control byte in its value",
                      ap_escape_logitem(hc->r->pool, name));
        return 1;
    }
    apr_table_add(hc->out, name, value);
    return 1;
}

/* ---- request glue --------------------------------------------------- */

/* Record the exception on the request; the caller returns its status from
 * the hook, and ap_die() sends it through the error path, where
 * fastexc_insert_error_filter() finds it. */
static int fastexc_raise_response(request_rec *r, fastexc_response_t *resp)
{
    int idx = ap_index_of_response(resp->status);

    fastexc_req(r, 1)->raised = resp;
    /* ap_die() follows an ErrorDocument URL or path before any error filter
     * runs; a literal for this request keeps the exception the response
     * (the filter replaces the literal). */
    if (ap_response_code_string(r, idx)) {
        ap_custom_response(r, resp->status, resp->body);
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0010)
                  "raised %d%s", resp->status, r->main ? " (subrequest)" : "");
    return resp->status;
}

static int fastexc_raise_detail(request_rec *r, const char *caller,
                                int status, const char *detail, int is_json,
                                const apr_table_t *headers)
{
    fastexc_response_t *resp;

    if (!r) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    resp = fastexc_make(r, caller, status, detail, is_json,
                        HTTP_INTERNAL_SERVER_ERROR);
    if (headers && !apr_is_empty_table(headers)) {
        fastexc_hdr_check_t hc;
        if (resp == fastexc_defaults[resp->status - 200]) {
            fastexc_response_t *copy = apr_pmemdup(r->pool, resp,
                                                   sizeof(*resp));
            resp = copy;
        }
        hc.r = r;
        hc.out = apr_table_make(r->pool, 4);
        apr_table_do(fastexc_check_header, &hc, headers, NULL);
        resp->headers = hc.out;
    }
    return fastexc_raise_response(r, resp);
}

/* Public API: see include/mod_fastexc.h. */
static int fastexc_raise(request_rec *r, int status, const char *detail_json,
                         const apr_table_t *headers)
{
    return fastexc_raise_detail(r, "fastexc_raise", status, detail_json, 1,
                                headers);
}

static int fastexc_raise_text(request_rec *r, int status, const char *text,
                              const apr_table_t *headers)
{
    return fastexc_raise_detail(r, "fastexc_raise_text", status, text, 0,
                                headers);
}

/* The first FastExcRaise of the scope whose condition holds. */
static const fastexc_exc_t *fastexc_match(request_rec *r,
                                          const fastexc_dir_conf *dc)
{
    const fastexc_exc_t *const *exc;
    int i;

    if (!dc->raises) {
        return NULL;
    }
    exc = (const fastexc_exc_t *const *)dc->raises->elts;
    for (i = 0; i < dc->raises->nelts; i++) {
        const char *err = NULL;
        int rv;
        if (!exc[i]->cond) {
            return exc[i];
        }
        rv = ap_expr_exec(r, exc[i]->cond, &err);
        if (rv < 0 || err) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0011)
                          "FastExcRaise at %s: cannot evaluate expr=: %s",
                          exc[i]->where, err ? err : "error");
        }
        else if (rv > 0) {
            return exc[i];
        }
    }
    return NULL;
}

/* Fixups run after access control and before every handler, mod_proxy's
 * included, with the final per-directory configuration. */
static int fastexc_fixups(request_rec *r)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    const fastexc_exc_t *exc = fastexc_match(r, dc);

    if (!exc) {
        return DECLINED;
    }
    return fastexc_raise_response(r, fastexc_render(r, exc, exc->status));
}

static int fastexc_handler(request_rec *r)
{
    const fastexc_dir_conf *dc;
    const fastexc_exc_t *exc;
    int status = HTTP_NOT_FOUND;

    if (!r->handler || strcmp(r->handler, FASTEXC_HANDLER) != 0) {
        return DECLINED;
    }
    dc = ap_get_module_config(r->per_dir_config, &fastexc_module);
    exc = fastexc_match(r, dc);
    if (!exc && dc->details) {
        exc = apr_hash_get(dc->details, &status, sizeof(status));
    }
    return fastexc_raise_response(r, fastexc_render(r, exc,
                                                    exc ? exc->status
                                                        : status));
}

/* An ErrorDocument literal ("text") of this status, used as the detail when
 * FastExc On renders it and no FastExcDetail is given. */
static const char *fastexc_errordocument_text(request_rec *r)
{
    int idx = ap_index_of_response(r->status);
    const char *s;

    /* httpd maps a status it has no line for to 500's slot. */
    if (r->status != HTTP_INTERNAL_SERVER_ERROR
        && idx == ap_index_of_response(HTTP_INTERNAL_SERVER_ERROR)) {
        return NULL;
    }
    s = ap_response_code_string(r, idx);
    return (s && s[0] == '"') ? s + 1 : NULL;
}

/* What this error response should be, or NULL to leave it to httpd. */
static fastexc_response_t *fastexc_response_for(request_rec *r)
{
    fastexc_req_conf *rc = fastexc_req(r, 0);
    const fastexc_dir_conf *dc;
    const fastexc_exc_t *exc;
    const char *note;

    if (rc && rc->raised && rc->raised->status == r->status) {
        return rc->raised;
    }
    if ((note = apr_table_get(r->notes, FASTEXC_NOTE_DETAIL_JSON))) {
        return fastexc_make(r, "note " FASTEXC_NOTE_DETAIL_JSON, r->status,
                            note, 1, r->status);
    }
    if ((note = apr_table_get(r->notes, FASTEXC_NOTE_DETAIL))) {
        return fastexc_make(r, "note " FASTEXC_NOTE_DETAIL, r->status, note,
                            0, r->status);
    }
    dc = ap_get_module_config(r->per_dir_config, &fastexc_module);
    if (dc->enabled != 1 || r->status < 400) {
        return NULL;
    }
    exc = dc->details ? apr_hash_get(dc->details, &r->status,
                                     sizeof(r->status))
                      : NULL;
    if (!exc && (note = fastexc_errordocument_text(r))) {
        return fastexc_make(r, "ErrorDocument", r->status, note, 0,
                            r->status);
    }
    return fastexc_render(r, exc, r->status);
}

/* insert_error_filter runs inside ap_send_error_response(), after the
 * output chain was reset to the protocol filters and before httpd writes
 * its canned body. */
static void fastexc_insert_error_filter(request_rec *r)
{
    fastexc_response_t *resp = fastexc_response_for(r);
    fastexc_filter_ctx *ctx;

    if (!resp) {
        return;
    }
    ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    ctx->resp = resp;
    ap_add_output_filter_handle(fastexc_filter_handle, ctx, r,
                                r->connection);
}

static int fastexc_unset_header(void *rec, const char *name,
                                const char *value)
{
    request_rec *r = rec;

    apr_table_unset(r->headers_out, name);
    apr_table_unset(r->err_headers_out, name);
    return 1;
}

static int fastexc_set_header(void *rec, const char *name, const char *value)
{
    request_rec *r = rec;

    if (strcasecmp(name, "Content-Type") == 0) {
        ap_set_content_type(r, value);
    }
    else {
        apr_table_addn(r->err_headers_out, name, value);
    }
    return 1;
}

/* Status line and headers, before the first bucket reaches HTTP_HEADER.
 * ap_send_error_response() sets text/html after our hook ran, so the type
 * is set here; only err_headers_out survive an error response. */
static void fastexc_start_response(request_rec *r,
                                   const fastexc_response_t *resp)
{
    const char *phrase = fastexc_phrase(resp->status);

    r->status_line = apr_psprintf(r->pool, "%d %s", resp->status,
                                  phrase ? phrase : "");
    if (fastexc_status_has_body(resp->status)) {
        ap_set_content_type(r, "application/json");
    }
    else {
        /* 204/304 skip the part of ap_send_error_response() that clears
         * what the request set before the error. */
        apr_table_clear(r->headers_out);
        r->content_type = NULL;
    }
    if (resp->headers) {
        apr_table_do(fastexc_unset_header, r, resp->headers, NULL);
        apr_table_do(fastexc_set_header, r, resp->headers, NULL);
    }
}

/* Replaces httpd's canned error body with the exception's JSON body. The
 * body goes out with EOS in one brigade, so CONTENT_LENGTH can count it. */
static apr_status_t fastexc_out_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    fastexc_filter_ctx *ctx = f->ctx;
    apr_bucket *e, *next;

    if (!ctx->started) {
        fastexc_start_response(f->r, ctx->resp);
        ctx->started = 1;
    }
    for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb); e = next) {
        next = APR_BUCKET_NEXT(e);
        if (APR_BUCKET_IS_EOS(e)) {
            if (fastexc_status_has_body(ctx->resp->status)) {
                /* transient: copied if the core sets it aside */
                apr_bucket *b = apr_bucket_transient_create(
                    ctx->resp->body, ctx->resp->body_len,
                    f->c->bucket_alloc);
                APR_BUCKET_INSERT_BEFORE(e, b);
            }
            ap_remove_output_filter(f);
            break;
        }
        if (!APR_BUCKET_IS_METADATA(e)) {
            apr_bucket_delete(e);
        }
    }
    return ap_pass_brigade(f->next, bb);
}

static int fastexc_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    int status;

    for (status = 200; status <= 599; status++) {
        const char *phrase = fastexc_phrase(status);
        fastexc_response_t *resp = NULL;
        if (phrase) {
            resp = apr_pcalloc(pconf, sizeof(*resp));
            resp->status = status;
            resp->body = fastexc_body_text(pconf, phrase, strlen(phrase),
                                           &resp->body_len, NULL);
        }
        fastexc_defaults[status - 200] = resp;
    }
    return OK;
}

/* ---- create / merge ------------------------------------------------- */

static void *fastexc_create_dir_conf(apr_pool_t *p, char *dir)
{
    fastexc_dir_conf *dc = apr_pcalloc(p, sizeof(*dc));

    dc->enabled = FASTEXC_UNSET;
    dc->raise_inherit = FASTEXC_UNSET;
    return dc;
}

static void *fastexc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const fastexc_dir_conf *base = basev, *add = addv;
    fastexc_dir_conf *dc = apr_pcalloc(p, sizeof(*dc));

    dc->enabled = (add->enabled != FASTEXC_UNSET) ? add->enabled
                                                  : base->enabled;
    /* "FastExcRaise Off" cuts inheritance here; scopes below inherit the
     * result normally. */
    dc->raise_inherit = FASTEXC_UNSET;
    if (add->raise_inherit == 0 || !base->raises) {
        dc->raises = add->raises;
    }
    else if (!add->raises) {
        dc->raises = base->raises;
    }
    else {
        dc->raises = apr_array_append(p, add->raises, base->raises);
    }
    if (add->details && base->details) {
        dc->details = apr_hash_overlay(p, add->details, base->details);
    }
    else {
        dc->details = add->details ? add->details : base->details;
    }
    return dc;
}

/* ---- directive handlers --------------------------------------------- */

/* Compile a template (detail or header value) into parts. */
static const char *fastexc_compile_template(cmd_parms *cmd, const char *text,
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

static const char *fastexc_text_body(cmd_parms *cmd, fastexc_exc_t *exc,
                                     const char *text)
{
    int repaired = 0;

    exc->body = fastexc_body_text(cmd->pool, text, strlen(text),
                                  &exc->body_len, &repaired);
    return repaired ? "the detail is not valid UTF-8" : NULL;
}

static const char *fastexc_set_detail(cmd_parms *cmd, fastexc_exc_t *exc,
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
        return fastexc_text_body(cmd, exc, fastexc_phrase(exc->status));
    case FASTEXC_DETAIL_TEXT:
        return fastexc_text_body(cmd, exc, payload);
    case FASTEXC_DETAIL_JSON:
        v = fastexc_json_parse(cmd->pool, payload, &err);
        if (!v) {
            return apr_psprintf(cmd->pool, "json: detail: %s", err);
        }
        exc->body = fastexc_body_json(cmd->pool, v, &exc->body_len);
        json_decref(v);
        return exc->body ? NULL : "json: detail: cannot be rendered";
    case FASTEXC_DETAIL_TEMPLATE:
        if ((err = fastexc_text_body(cmd, exc, payload))) {
            return err;
        }
        exc->body = NULL;
        return fastexc_compile_template(cmd, payload, &exc->parts);
    }
    return NULL;
}

/* Parse "<status> [<detail>] ["Name: value" ...] [expr=...]". */
static const char *fastexc_parse_exc(cmd_parms *cmd, int argc,
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
    exc->where = apr_psprintf(cmd->pool, "%s:%d",
                              cmd->directive->filename,
                              cmd->directive->line_num);
    exc->headers = apr_array_make(cmd->pool, 2, sizeof(fastexc_header_t));
    if (argc > 1 && strncmp(argv[1], "expr=", 5) != 0) {
        const char *hname, *hvalue;
        detail = argv[i++];
        fastexc_detail_kind_e kind = fastexc_detail_classify(detail, &hvalue);
        if ((kind == FASTEXC_DETAIL_TEXT || kind == FASTEXC_DETAIL_TEMPLATE)
            && strncmp(detail, "text:", 5) != 0
            && !fastexc_header_parse(cmd->temp_pool, detail, &hname,
                                     &hvalue)) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                         FXLOGNO(0012) "%s at %s: the detail \"%s\" looks "
                         "like a header; write - before it to send it as a "
                         "header with the default detail, or text:... to "
                         "silence this", name, exc->where, detail);
        }
    }
    for (; i < argc; i++) {
        fastexc_header_t *h;
        if (strncmp(argv[i], "expr=", 5) == 0) {
            if (!allow_expr) {
                return apr_psprintf(cmd->pool, "%s: expr= is not an option "
                                    "of this directive", name);
            }
            if (exc->cond) {
                return apr_psprintf(cmd->pool, "%s: expr= given twice",
                                    name);
            }
            exc->cond = ap_expr_parse_cmd(cmd,
                                          apr_pstrdup(cmd->pool, argv[i] + 5),
                                          AP_EXPR_FLAG_DONT_VARY, &err, NULL);
            if (err) {
                return apr_psprintf(cmd->pool, "%s: cannot parse expr=%s: %s",
                                    name, argv[i] + 5, err);
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
            if ((err = fastexc_compile_template(cmd, h->value, &h->parts))) {
                return apr_psprintf(cmd->pool, "%s: header %s: %s", name,
                                    h->name, err);
            }
            h->value = NULL;
        }
    }
    if ((err = fastexc_set_detail(cmd, exc, apr_pstrdup(cmd->pool, detail)))) {
        return apr_psprintf(cmd->pool, "%s: %s", name, err);
    }
    *out = exc;
    return NULL;
}

static const char *fastexc_cmd_enable(cmd_parms *cmd, void *cfg, int flag)
{
    fastexc_dir_conf *dc = cfg;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);

    if (err) {
        return err;
    }
    dc->enabled = flag;
    return NULL;
}

static const char *fastexc_cmd_raise(cmd_parms *cmd, void *cfg, int argc,
                                     char *const argv[])
{
    fastexc_dir_conf *dc = cfg;
    fastexc_exc_t *exc;
    const char *err;

    if (argc >= 1 && strcasecmp(argv[0], "off") == 0) {
        if (argc > 1) {
            return "FastExcRaise: Off takes no other argument";
        }
        dc->raise_inherit = 0;
        return NULL;
    }
    if ((err = fastexc_parse_exc(cmd, argc, argv, 1, &exc))) {
        return err;
    }
    if (!dc->raises) {
        dc->raises = apr_array_make(cmd->pool, 2, sizeof(fastexc_exc_t *));
    }
    APR_ARRAY_PUSH(dc->raises, fastexc_exc_t *) = exc;
    return NULL;
}

static const char *fastexc_cmd_detail(cmd_parms *cmd, void *cfg, int argc,
                                      char *const argv[])
{
    fastexc_dir_conf *dc = cfg;
    fastexc_exc_t *exc, *prev;
    const char *err;

    if ((err = fastexc_parse_exc(cmd, argc, argv, 0, &exc))) {
        return err;
    }
    if (!dc->details) {
        dc->details = apr_hash_make(cmd->pool);
    }
    prev = apr_hash_get(dc->details, &exc->status, sizeof(exc->status));
    if (prev) {
        return apr_psprintf(cmd->pool, "FastExcDetail: status %d is already "
                            "given in this scope, at %s", exc->status,
                            prev->where);
    }
    apr_hash_set(dc->details, &exc->status, sizeof(exc->status), exc);
    return NULL;
}

/* ---- command table -------------------------------------------------- */

static const command_rec fastexc_cmds[] = {
    AP_INIT_FLAG("FastExc", fastexc_cmd_enable, NULL,
                 RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                 "On to render error responses in this scope as FastAPI "
                 "JSON"),
    AP_INIT_TAKE_ARGV("FastExcRaise", fastexc_cmd_raise, NULL,
                      RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                      "<status> [<detail>] [\"Name: value\" ...] "
                      "[expr=<condition>], or Off"),
    AP_INIT_TAKE_ARGV("FastExcDetail", fastexc_cmd_detail, NULL,
                      RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                      "<status> [<detail>] [\"Name: value\" ...]"),
    { NULL }
};

/* ---- hooks ---------------------------------------------------------- */

static void fastexc_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(fastexc_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* FIRST: raise before other fixups do work for a request that ends. */
    ap_hook_fixups(fastexc_fixups, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(fastexc_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(fastexc_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    fastexc_filter_handle = ap_register_output_filter(
        FASTEXC_FILTER, fastexc_out_filter, NULL, AP_FTYPE_CONTENT_SET);
    APR_REGISTER_OPTIONAL_FN(fastexc_raise);
    APR_REGISTER_OPTIONAL_FN(fastexc_raise_text);
}

AP_DECLARE_MODULE(fastexc) = {
    STANDARD20_MODULE_STUFF,
    fastexc_create_dir_conf,
    fastexc_merge_dir_conf,
    NULL,
    NULL,
    fastexc_cmds,
    fastexc_register_hooks
};
