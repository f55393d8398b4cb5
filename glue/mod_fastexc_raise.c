/*
 * mod_fastexc_raise.c - Raising: the C API (fastexc_raise,
 * fastexc_raise_text), configured FastExcRaise rules in fixups and
 * SetHandler fastexc, and the exception a request keeps for httpd's error
 * path.
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
#include "fastexc_ws.h"
#include "mod_fastexc.h"
#include "mod_fastexc_private.h"
#include "mod_fastexc_config.h"
#include "mod_fastexc_render.h"
#include "mod_fastexc_raise.h"
#include "mod_fastexc_account.h"
#include "mod_fastexc_negotiate.h"

#define FASTEXC_HANDLER "fastexc"

fastexc_conn_state_t *fastexc_raise_conn_state(conn_rec *c)
{
    fastexc_conn_state_t *cs = ap_get_module_config(c->conn_config,
                                                    &fastexc_module);

    if (!cs) {
        cs = apr_pcalloc(c->pool, sizeof(*cs));
        ap_set_module_config(c->conn_config, &fastexc_module, cs);
    }
    return cs;
}

fastexc_req_conf *fastexc_raise_state(request_rec *r)
{
    return ap_get_module_config(r->request_config, &fastexc_module);
}

fastexc_req_conf *fastexc_raise_state_make(request_rec *r)
{
    fastexc_req_conf *rc = fastexc_raise_state(r);

    if (!rc) {
        rc = apr_pcalloc(r->pool, sizeof(*rc));
        ap_set_module_config(r->request_config, &fastexc_module, rc);
    }
    return rc;
}

typedef struct {
    request_rec *r;
    apr_table_t *out;
} fastexc_raise_hdr_check_t;

static int fastexc_raise_check_header(void *rec, const char *name,
                                      const char *value)
{
    fastexc_raise_hdr_check_t *hc = rec;

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
 * fastexc_error_insert_filter() finds it. */
static int fastexc_raise_record(request_rec *r,
                                const fastexc_response_t *resp)
{
    int idx = ap_index_of_response(resp->status);
    fastexc_req_conf *rc = fastexc_raise_state_make(r);

    if (rc->blank && rc->blank != resp->status) {
        /* raised again with another status: the first may yet be returned,
         * and is then httpd's own again */
        core_request_config *crc = ap_get_core_module_config(r->request_config);
        crc->response_code_strings[ap_index_of_response(rc->blank)] = NULL;
        rc->blank = 0;
    }
    rc->raised = resp;
    if (fastexc_negotiate_grpc(r)) {
        /* a gRPC request's error stays httpd's, ErrorDocument and all */
    }
    else if (ap_response_code_string(r, idx)) {
        /* ap_die() follows an ErrorDocument URL or path before any error
         * filter runs; a literal for this request keeps the exception the
         * response (the filter replaces the literal). An HTML client of a
         * negotiating scope gets the ErrorDocument the operator wrote for
         * browsers. */
        if (!fastexc_negotiate_wants_html(r)) {
            ap_custom_response(r, resp->status, resp->body);
        }
    }
    else if (resp->status == HTTP_INTERNAL_SERVER_ERROR
             || idx != ap_index_of_response(HTTP_INTERNAL_SERVER_ERROR)) {
        /* no ErrorDocument: an empty literal, so that
         * ap_send_error_response() writes nothing for the error filter to
         * replace, instead of building its HTML page (not for a status
         * sharing 500's slot: a 500 of httpd's own would be blank) */
        ap_custom_response(r, resp->status, "");
        rc->blank = resp->status;
    }
    if (r->main) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0010)
                      "raised %d in a subrequest: its status, nothing sent",
                      resp->status);
    }
    else if (r->prev && ap_is_HTTP_ERROR(r->prev->status)) {
        /* ap_die() answers an error inside an error document with the
         * first error: this raise is never sent */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0038)
                      "raised %d in the ErrorDocument for %d: httpd sends "
                      "the error %d, not this", resp->status,
                      r->prev->status, r->prev->status);
    }
    return resp->status;
}

int fastexc_raise_made(request_rec *r, const fastexc_response_t *resp,
                       const apr_table_t *headers)
{
    if (headers && !apr_is_empty_table(headers)) {
        /* resp may be shared: the headers go on a copy */
        fastexc_response_t *copy = apr_pmemdup(r->pool, resp, sizeof(*resp));
        fastexc_raise_hdr_check_t hc;
        hc.r = r;
        hc.out = apr_table_make(r->pool, 4);
        apr_table_do(fastexc_raise_check_header, &hc, headers, NULL);
        copy->headers = hc.out;
        resp = copy;
    }
    return fastexc_raise_record(r, resp);
}

/* Public API: see include/mod_fastexc.h. */
int fastexc_raise(request_rec *r, int status, const char *detail_json,
                  const apr_table_t *headers)
{
    if (!r) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    status = fastexc_raise_made(r, fastexc_render_json(r, "fastexc_raise", status,
                                                   detail_json,
                                                   HTTP_INTERNAL_SERVER_ERROR),
                              headers);
    fastexc_account_raised_by(r, FASTEXC_SOURCE_API);
    return status;
}

int fastexc_raise_text(request_rec *r, int status, const char *text,
                       const apr_table_t *headers)
{
    if (!r) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    status = fastexc_raise_made(r, fastexc_render_text(r, "fastexc_raise_text",
                                                   status, text,
                                                   HTTP_INTERNAL_SERVER_ERROR),
                              headers);
    fastexc_account_raised_by(r, FASTEXC_SOURCE_API);
    return status;
}

/* The first rule (FastExcRaise, FastExcWebSocket) of rules whose condition
 * holds; a condition that cannot be evaluated is logged and skipped. */
const void *fastexc_raise_match(request_rec *r,
                                const apr_array_header_t *rules,
                                const char *directive)
{
    const fastexc_rule_t *const *rule;
    int i;

    if (!rules) {
        return NULL;
    }
    rule = (const fastexc_rule_t *const *)rules->elts;
    for (i = 0; i < rules->nelts; i++) {
        const char *err = NULL;
        int rv;
        if (!rule[i]->cond) {
            return rule[i];
        }
        rv = ap_expr_exec(r, rule[i]->cond, &err);
        if (rv < 0 || err) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0011)
                          "%s at %s: cannot evaluate expr=: %s", directive,
                          rule[i]->where, err ? err : "error");
        }
        else if (rv > 0) {
            return rule[i];
        }
    }
    return NULL;
}

const fastexc_exc_t *fastexc_raise_detail(request_rec *r,
                                          const fastexc_dir_conf *dc,
                                          int status)
{
    return dc->http.details
        ? fastexc_raise_match(r, apr_hash_get(dc->http.details, &status,
                                              sizeof(status)),
                              "FastExcDetail")
        : NULL;
}

/* A configured raise sent as the response itself: what ap_die(),
 * ap_send_error_response() and the error filter do together, without the
 * HTML page httpd builds for the filter to throw away. What only the error
 * path does keeps it: an ErrorDocument, Location (3xx, 201) and Allow (405,
 * 501), 204 and 304, a proxy's 401 made 407, an upgrade (but one answered
 * over HTTP on purpose: ws_http), a subrequest's status, an error in an
 * error document, HTTP/0.9. Returns
 * DONE once sent, else the status for the hook to return (ap_die()). */
static int fastexc_raise_send(request_rec *r, const fastexc_response_t *resp)
{
    int status = resp->status;
    apr_bucket_alloc_t *ba = r->connection->bucket_alloc;
    fastexc_req_conf *rc;
    apr_bucket_brigade *bb;
    apr_table_t *tmp;

    if (ap_response_code_string(r, ap_index_of_response(status))
        || r->main || r->assbackwards || !fastexc_status_has_body(status)
        || ap_is_HTTP_REDIRECT(status) || status == HTTP_CREATED
        || status == HTTP_METHOD_NOT_ALLOWED
        || status == HTTP_NOT_IMPLEMENTED
        || (status == HTTP_UNAUTHORIZED && r->proxyreq == PROXYREQ_PROXY)
        || (r->prev && ap_is_HTTP_ERROR(r->prev->status))
        || (apr_table_get(r->headers_in, "Upgrade")
            && !((rc = fastexc_raise_state(r)) && rc->ws_http))
        /* gRPC: the status through httpd's error path, its own body */
        || fastexc_negotiate_grpc(r)) {
        return fastexc_raise_record(r, resp);
    }
    rc = fastexc_raise_state_make(r);
    rc->raised = resp;
    rc->sent = 1;       /* the error filters below are others', not ours */
    /* ap_die() */
    r->status = status;
    if (ap_status_drops_connection(status)) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    /* ap_send_error_response(): the resource filters go, others' error
     * filters come (mod_headers' "always") */
    r->eos_sent = 0;
    r->output_filters = r->proto_output_filters;
    ap_run_insert_error_filter(r);
    tmp = r->headers_out;
    r->headers_out = r->err_headers_out;
    r->err_headers_out = tmp;
    apr_table_clear(r->err_headers_out);
    r->content_languages = NULL;
    r->content_encoding = NULL;
    r->clength = 0;
    /* the error filter's part: counted, then the scope's format */
    fastexc_account_http(r, resp);
    resp = fastexc_render_format(r, resp);
    fastexc_render_start(r, resp);
    /* body and EOS in one brigade, so CONTENT_LENGTH counts it; transient:
     * copied if the core sets it aside. A client gone is the core's to
     * log; the request body is discarded as the request ends
     * (ap_finalize_request_protocol()). */
    bb = apr_brigade_create(r->pool, ba);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_transient_create(resp->body,
                                                            resp->body_len,
                                                            ba));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
    ap_pass_brigade(r->output_filters, bb);
    fastexc_render_flush(r->connection, bb);
    return DONE;
}

int fastexc_raise_send_raised(request_rec *r, int status)
{
    const fastexc_req_conf *rc = fastexc_raise_state(r);

    return rc && rc->raised && rc->raised->status == status
           ? fastexc_raise_send(r, rc->raised) : status;
}

/* A URL left unmapped for a rule (mod_fastexc_early.c) goes on unmapped
 * when none answered it: said once, where each kind of rule is matched. */
void fastexc_raise_unanswered(request_rec *r, int ws)
{
    const fastexc_req_conf *rc = fastexc_raise_state(r);

    if (rc && rc->unmapped && rc->early_ws == ws) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, FXLOGNO(0042)
                      "FastExcRaiseEarly: the URL was not mapped to the "
                      "filesystem for a %s that did not answer it (an <If> "
                      "decided otherwise after translation)",
                      ws ? "FastExcWebSocket rule" : "FastExcRaise rule");
    }
}

/* Fixups run after access control and before every handler, mod_proxy's
 * included, with the final per-directory configuration. */
int fastexc_raise_fixups(request_rec *r)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    const fastexc_exc_t *exc;

    /* every request passes here: most scopes raise nothing */
    if (!dc->rules.raise.list
        || !(exc = fastexc_raise_match(r, dc->rules.raise.list,
                                       "FastExcRaise"))) {
        fastexc_raise_unanswered(r, 0);
        return DECLINED;
    }
    return fastexc_raise_send(r, fastexc_render(r, exc, exc->status));
}

int fastexc_raise_handler(request_rec *r)
{
    const fastexc_dir_conf *dc;
    const fastexc_exc_t *exc;
    int status = HTTP_NOT_FOUND;

    if (!r->handler || strcmp(r->handler, FASTEXC_HANDLER) != 0) {
        return DECLINED;
    }
    dc = ap_get_module_config(r->per_dir_config, &fastexc_module);
    exc = fastexc_raise_match(r, dc->rules.raise.list, "FastExcRaise");
    if (!exc) {
        exc = fastexc_raise_detail(r, dc, status);
    }
    return fastexc_raise_send(r, fastexc_render(r, exc,
                                                  exc ? exc->status
                                                      : status));
}
