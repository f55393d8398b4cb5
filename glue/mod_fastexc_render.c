/*
 * mod_fastexc_render.c - An exception rendered for one request: the default
 * bodies, configured details and headers interpolated per request, details
 * given at run time (C API, notes), and the FastExcFormat of the scope.
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
#include "fastexc_envelope.h"
#include "fastexc_ws.h"
#include "mod_fastexc.h"
#include "mod_fastexc_private.h"
#include "mod_fastexc_config.h"
#include "mod_fastexc_render.h"
#include "mod_fastexc_negotiate.h"

/* The detail used when none is given: the reason phrase, else httpd's. */
static const char *fastexc_render_default_detail(request_rec *r, int status)
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

/* One piece of a template for r: its text, or its %{...} evaluated ("" if
 * it cannot be, logged). */
static const char *fastexc_render_part(request_rec *r,
                                       const fastexc_part_t *part)
{
    const char *err = NULL;
    const char *piece;

    if (!part->expr) {
        return part->text;
    }
    piece = ap_expr_str_exec(r, part->expr, &err);
    if (err || !piece) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, FXLOGNO(0001)
                      "cannot evaluate %s: %s", part->text,
                      err ? err : "no value");
        return "";
    }
    return piece;
}

/* parts evaluated for r and joined into *text; returns how many %{...}
 * had no value (each gave ""). */
static int fastexc_render_join(request_rec *r,
                               const apr_array_header_t *parts,
                               const char **text)
{
    const fastexc_part_t *part = (const fastexc_part_t *)parts->elts;
    apr_array_header_t *out = apr_array_make(r->pool, parts->nelts,
                                             sizeof(const char *));
    int i, empty = 0;

    for (i = 0; i < parts->nelts; i++) {
        const char *piece = fastexc_render_part(r, &part[i]);
        empty += part[i].expr && !*piece;
        APR_ARRAY_PUSH(out, const char *) = piece;
    }
    *text = apr_array_pstrcat(r->pool, out, 0);
    return empty;
}

/* A detail or header template: a %{...} without a value gives "". */
static const char *fastexc_render_interpolate(request_rec *r,
                                              const apr_array_header_t *parts)
{
    const char *text;

    fastexc_render_join(r, parts, &text);
    return text;
}

/* FastExcProblemInstance: NULL (left out) if a %{...} has no value, as an
 * absent value in a template. */
static const char *fastexc_render_instance(request_rec *r,
                                           const apr_array_header_t *parts)
{
    const char *text;

    return fastexc_render_join(r, parts, &text) ? NULL : text;
}

/* Default bodies, {"detail":"<phrase>"}, rendered once per configuration
 * (post_config) for every status with a phrase. */
static const fastexc_response_t *fastexc_render_defaults[400];

/* Status lines, "404 Not Found" (FastAPI's phrases, not httpd's), made with
 * the default bodies: a raise sets one without formatting it. */
static const char *fastexc_render_status_lines[400];

static const fastexc_response_t *fastexc_render_default(request_rec *r,
                                                        int status)
{
    fastexc_response_t *resp;
    const char *detail;

    if (status >= 200 && status <= 599
        && fastexc_render_defaults[status - 200]) {
        return fastexc_render_defaults[status - 200];
    }
    resp = apr_pcalloc(r->pool, sizeof(*resp));
    resp->status = status;
    detail = fastexc_render_default_detail(r, status);
    resp->body = fastexc_body_text(r->pool, detail, strlen(detail),
                                   &resp->body_len, NULL);
    return resp;
}

/* Render a configured exception for this request: interpolate its detail
 * and header values. exc NULL means the default detail of status. */
const fastexc_response_t *fastexc_render(request_rec *r,
                                         const fastexc_exc_t *exc,
                                         int status)
{
    fastexc_response_t *resp;
    int i;

    if (!exc) {
        return fastexc_render_default(r, status);
    }
    /* the body was rendered at startup, unless it is a template */
    resp = apr_pcalloc(r->pool, sizeof(*resp));
    resp->status = status;
    resp->body = exc->body;
    resp->body_len = exc->body_len;
    if (exc->parts) {
        const char *text = fastexc_render_interpolate(r, exc->parts);
        int repaired = 0;
        resp->body = fastexc_body_text(r->pool, text, strlen(text),
                                       &resp->body_len, &repaired);
        if (repaired) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, FXLOGNO(0002)
                          "detail of the exception at %s: invalid UTF-8 "
                          "from the request replaced by U+FFFD",
                          exc->rule.where);
        }
    }
    if (exc->headers->nelts) {
        const fastexc_header_t *h =
            (const fastexc_header_t *)exc->headers->elts;
        resp->headers = apr_table_make(r->pool, exc->headers->nelts);
        for (i = 0; i < exc->headers->nelts; i++) {
            const char *value = h[i].value;
            if (h[i].parts) {
                int changed = 0;
                value = fastexc_header_value_clean(
                    r->pool, fastexc_render_interpolate(r, h[i].parts),
                    &changed);
                if (changed) {
                    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                                  FXLOGNO(0003) "header %s of the exception "
                                  "at %s: control bytes from the request "
                                  "turned to spaces", h[i].name,
                                  exc->rule.where);
                }
            }
            apr_table_addn(resp->headers, h[i].name, value);
        }
    }
    return resp;
}

/* What a run-time raise (C API, notes) answers before its detail is
 * rendered: fail_status for a status refused or a default detail that does
 * not exist (logged), the default of status when no detail is given, or
 * NULL: render the detail. */
static const fastexc_response_t *fastexc_render_preset(request_rec *r,
                                                       const char *caller,
                                                       int status,
                                                       const char *detail,
                                                       int fail_status)
{
    const char *err = fastexc_status_check(status);

    if (err) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0004)
                      "%s: status %d refused (%s): answering %d", caller,
                      status, err, fail_status);
        return fastexc_render_default(r, fail_status);
    }
    if (!detail) {
        if (!fastexc_phrase(status)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0005)
                          "%s: status %d has no reason phrase and no detail "
                          "was given: answering %d", caller, status,
                          fail_status);
            return fastexc_render_default(r, fail_status);
        }
        return fastexc_render_default(r, status);
    }
    return NULL;
}

const fastexc_response_t *fastexc_render_json(request_rec *r,
                                              const char *caller, int status,
                                              const char *detail,
                                              int fail_status)
{
    const fastexc_response_t *preset = fastexc_render_preset(
        r, caller, status, detail, fail_status);
    fastexc_response_t *resp;
    const char *err;
    json_t *v;

    if (preset) {
        return preset;
    }
    if (!(v = fastexc_json_parse(r->pool, detail, &err))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0006)
                      "%s: detail is not JSON (%s): answering %d",
                      caller, err, fail_status);
        return fastexc_render_default(r, fail_status);
    }
    resp = apr_pcalloc(r->pool, sizeof(*resp));
    resp->status = status;
    resp->body = fastexc_body_json(r->pool, v, &resp->body_len);
    json_decref(v);
    if (!resp->body) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0007)
                      "%s: cannot render the detail: answering %d",
                      caller, fail_status);
        return fastexc_render_default(r, fail_status);
    }
    return resp;
}

const fastexc_response_t *fastexc_render_text(request_rec *r,
                                              const char *caller, int status,
                                              const char *detail,
                                              int fail_status)
{
    const fastexc_response_t *preset = fastexc_render_preset(
        r, caller, status, detail, fail_status);
    fastexc_response_t *resp;
    int repaired = 0;

    if (preset) {
        return preset;
    }
    resp = apr_pcalloc(r->pool, sizeof(*resp));
    resp->status = status;
    resp->body = fastexc_body_text(r->pool, detail, strlen(detail),
                                   &resp->body_len, &repaired);
    if (repaired) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, FXLOGNO(0008)
                      "%s: detail is not valid UTF-8: invalid bytes "
                      "replaced by U+FFFD", caller);
    }
    return resp;
}

/* An ap_expr placeholder of a template, for r: an error is absent. */
static const char *fastexc_render_expr(void *ctx, const void *expr)
{
    request_rec *r = ctx;
    const char *err = NULL;
    const char *s = ap_expr_str_exec(r, (const ap_expr_info_t *)expr, &err);

    if (err) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, FXLOGNO(0043)
                      "FastExcFormat template: cannot evaluate a "
                      "placeholder (%s): absent", err);
        return NULL;
    }
    return s;
}

/* FastExcFormat problem: RFC 9457 Problem Details. */
static const fastexc_response_t *fastexc_render_problem(
    request_rec *r, const fastexc_dir_conf *dc,
    const fastexc_response_t *resp)
{
    fastexc_response_t *problem = apr_pmemdup(r->pool, resp, sizeof(*resp));
    const char *instance = r->uri;

    if (dc->http.problem_instance) {
        instance = fastexc_render_instance(r, dc->http.problem_instance);
    }
    problem->body = fastexc_problem_body(r->pool, resp->body, resp->body_len,
                                         dc->http.problem_type,
                                         fastexc_phrase(resp->status),
                                         resp->status, instance,
                                         &problem->body_len);
    if (!problem->body) {
        /* only a body that is not ours, which cannot happen: keep it */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0026)
                      "cannot render Problem Details for %d", resp->status);
        return resp;
    }
    problem->content_type = "application/problem+json";
    return problem;
}

/* FastExcFormat template: the operator's envelope, filled. */
static const fastexc_response_t *fastexc_render_template(
    request_rec *r, const fastexc_dir_conf *dc,
    const fastexc_response_t *resp)
{
    fastexc_response_t *out;
    fastexc_envelope_values_t v;
    int repaired = 0;

    v.detail = fastexc_body_detail(resp->body, resp->body_len, &v.detail_len);
    v.status = resp->status;
    v.title = fastexc_phrase(resp->status);
    /* the phrase's JSON string, as the default body holds it */
    v.title_json = NULL;
    if (v.title && resp->status >= 200 && resp->status <= 599
        && fastexc_render_defaults[resp->status - 200]) {
        const fastexc_response_t *def = fastexc_render_defaults[resp->status
                                                                - 200];
        v.title_json = fastexc_body_detail(def->body, def->body_len,
                                           &v.title_json_len);
    }
    /* only an envelope with per-request values can want it */
    v.traceparent = fastexc_envelope_dynamic(dc->http.format.envelope)
                    ? apr_table_get(r->headers_in, "traceparent") : NULL;
    v.eval = fastexc_render_expr;
    v.ctx = r;
    out = apr_pmemdup(r->pool, resp, sizeof(*resp));
    /* no detail: a body that is not ours, which cannot happen */
    out->body = v.detail ? fastexc_envelope_render(r->pool,
                                                   dc->http.format.envelope,
                                                   &v, &out->body_len,
                                                   &repaired)
                         : NULL;
    if (!out->body) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0044)
                      "cannot render the template for %d", resp->status);
        return resp;
    }
    if (repaired) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, FXLOGNO(0045)
                      "FastExcFormat template: invalid UTF-8 from the "
                      "request replaced by U+FFFD");
    }
    out->content_type = dc->http.format.content_type;
    return out;
}

/* resp in the scope's FastExcFormat, from the scope the response is sent
 * in (so raises through the C and notes APIs follow it too). */
const fastexc_response_t *fastexc_render_format(request_rec *r,
                                                const fastexc_response_t *resp)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    /* FastExcFormat, or what FastExcNegotiate chose for this request */
    int format = fastexc_negotiate_format(r, dc, &resp);

    if (!fastexc_status_has_body(resp->status)) {
        return resp;
    }
    switch (format) {
    case FASTEXC_FORMAT_HTML:
        return fastexc_negotiate_html(r, resp);
    case FASTEXC_FORMAT_PROBLEM:
        return fastexc_render_problem(r, dc, resp);
    case FASTEXC_FORMAT_TEMPLATE:
        return fastexc_render_template(r, dc, resp);
    default:
        return resp;
    }
}

static int fastexc_render_unset_header(void *rec, const char *name,
                                      const char *value)
{
    request_rec *r = rec;

    apr_table_unset(r->headers_out, name);
    apr_table_unset(r->err_headers_out, name);
    return 1;
}

static int fastexc_render_set_header(void *rec, const char *name,
                                    const char *value)
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

void fastexc_render_start(request_rec *r, const fastexc_response_t *resp)
{
    r->status_line = resp->status >= 200 && resp->status <= 599
                     ? fastexc_render_status_lines[resp->status - 200]
                     : apr_psprintf(r->pool, "%d ", resp->status);
    if (fastexc_status_has_body(resp->status)) {
        ap_set_content_type(r, resp->content_type ? resp->content_type
                                                  : "application/json");
    }
    else {
        /* 204/304 skip the part of ap_send_error_response() that clears
         * what the request set before the error. */
        apr_table_clear(r->headers_out);
        r->content_type = NULL;
    }
    if (resp->headers) {
        apr_table_do(fastexc_render_unset_header, r, resp->headers, NULL);
        apr_table_do(fastexc_render_set_header, r, resp->headers, NULL);
    }
}

/* On the wire now, not when the request ends: the client has it while
 * httpd logs and frees the request, and its next request on a keep-alive
 * connection is then often there to be read at once, without a return to
 * the MPM's listener (a static file's way: the core writes a file as it
 * comes). */
void fastexc_render_flush(conn_rec *c, apr_bucket_brigade *bb)
{
    apr_brigade_cleanup(bb);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(c->bucket_alloc));
    ap_pass_brigade(c->output_filters, bb);
}

/* Default bodies for every status with a phrase, once per configuration. */
void fastexc_render_init(apr_pool_t *pconf)
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
        fastexc_render_defaults[status - 200] = resp;
        fastexc_render_status_lines[status - 200] =
            apr_psprintf(pconf, "%d %s", status, phrase ? phrase : "");
    }
}
