/*
 * mod_fastexc_error.c - httpd's error path: insert_error_filter decides what
 * an error response becomes, and the FASTEXC filter replaces httpd's canned
 * body with the exception.
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
#include "mod_fastexc_upgrade.h"
#include "mod_fastexc_negotiate.h"
#include "mod_fastexc_error.h"

#define FASTEXC_FILTER "FASTEXC"

static ap_filter_rec_t *fastexc_error_filter_handle;

/* Filter state: the response to send, and whether headers were set. */
typedef struct {
    const fastexc_response_t *resp;     /* NULL: send no body at all */
    int started;
} fastexc_error_ctx;

/* An ErrorDocument literal ("text") of this status, used as the detail when
 * FastExc On renders it and no FastExcDetail is given. */
static const char *fastexc_error_document_text(request_rec *r)
{
    int idx = ap_index_of_response(r->status);
    const char *s;

    /* httpd maps a status it has no line for to 500's slot. */
    if (r->status != HTTP_INTERNAL_SERVER_ERROR
        && idx == ap_index_of_response(HTTP_INTERNAL_SERVER_ERROR)) {
        return NULL;
    }
    s = ap_response_code_string(r, idx);
    return (s && s[0] == '"' && !fastexc_negotiate_placeholder(s)) ? s + 1
                                                                   : NULL;
}

/* What this error response should be, or NULL to leave it to httpd. */
static const fastexc_response_t *fastexc_error_response_for(request_rec *r)
{
    fastexc_req_conf *rc = fastexc_raise_state(r);
    const fastexc_dir_conf *dc;
    const fastexc_exc_t *exc;
    const char *note;

    if (fastexc_negotiate_grpc(r)) {
        /* a gRPC client reads grpc-status, or maps the HTTP status: a JSON
         * body would only be noise to it (README: gRPC) */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0050)
                      "gRPC request: error %d left to httpd", r->status);
        return NULL;
    }
    if (rc && rc->raised && rc->raised->status == r->status) {
        return rc->raised;
    }
    if ((note = apr_table_get(r->notes, FASTEXC_NOTE_DETAIL_JSON))) {
        return fastexc_render_json(r, "note " FASTEXC_NOTE_DETAIL_JSON,
                                 r->status, note, r->status);
    }
    if ((note = apr_table_get(r->notes, FASTEXC_NOTE_DETAIL))) {
        return fastexc_render_text(r, "note " FASTEXC_NOTE_DETAIL, r->status,
                                 note, r->status);
    }
    dc = ap_get_module_config(r->per_dir_config, &fastexc_module);
    if (!fastexc_conf_enabled(dc) || r->status < 400) {
        return NULL;
    }
    exc = fastexc_raise_detail(r, dc, r->status);
    if (!exc && (note = fastexc_error_document_text(r))) {
        return fastexc_render_text(r, "ErrorDocument", r->status, note,
                                 r->status);
    }
    return fastexc_render(r, exc, r->status);
}

/* insert_error_filter runs inside ap_send_error_response(), after the
 * output chain was reset to the protocol filters and before httpd writes
 * its canned body. */
void fastexc_error_insert_filter(request_rec *r)
{
    const fastexc_req_conf *rc = fastexc_raise_state(r);
    const fastexc_response_t *resp;
    fastexc_error_ctx *ctx;

    if (rc && rc->sent) {
        return;     /* a raise sent directly (mod_fastexc_raise.c) */
    }
    if (rc && rc->ws_answered) {
        /* the connection carries WebSocket frames now: no HTTP response of
         * any kind may follow our Close */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, FXLOGNO(0035)
                      "error %d after the WebSocket upgrade was answered: "
                      "not sent", r->status);
        resp = NULL;
    }
    else if (fastexc_upgrade_insert_error_close(r)
             || !(resp = fastexc_error_response_for(r))) {
        return;
    }
    else if (r->sent_bodyct) {
        /* the headers went out: a body appended now would be read as the
         * end of the one already started */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, FXLOGNO(0036)
                      "exception %d raised after the response started: not "
                      "sent", resp->status);
        resp = NULL;
    }
    else if (fastexc_negotiate_error_document(r)) {
        return;     /* an HTML client: the operator's ErrorDocument text */
    }
    else {
        fastexc_account_http(r, resp);
        resp = fastexc_render_format(r, resp);
    }
    ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    ctx->resp = resp;
    ap_add_output_filter_handle(fastexc_error_filter_handle, ctx, r,
                                r->connection);
}

/* Replaces httpd's canned error body with the exception's JSON body. The
 * body goes out with EOS in one brigade, so CONTENT_LENGTH can count it:
 * nothing passes before (a canned body over 8 KB comes in several
 * brigades, with flushes, which would send the headers without it). */
static apr_status_t fastexc_error_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    fastexc_error_ctx *ctx = f->ctx;
    apr_bucket *e;
    apr_status_t rv;

    if (!ctx->started && ctx->resp) {
        fastexc_render_start(f->r, ctx->resp);
    }
    ctx->started = 1;
    while ((e = APR_BRIGADE_FIRST(bb)) != APR_BRIGADE_SENTINEL(bb)) {
        if (APR_BUCKET_IS_EOS(e)) {
            if (ctx->resp && fastexc_status_has_body(ctx->resp->status)) {
                /* transient: copied if the core sets it aside */
                apr_bucket *b = apr_bucket_transient_create(
                    ctx->resp->body, ctx->resp->body_len,
                    f->c->bucket_alloc);
                APR_BUCKET_INSERT_BEFORE(e, b);
            }
            ap_remove_output_filter(f);
            rv = ap_pass_brigade(f->next, bb);
            fastexc_render_flush(f->c, bb);
            return rv;
        }
        apr_bucket_delete(e);
    }
    return APR_SUCCESS;
}

void fastexc_error_filters(void)
{
    fastexc_error_filter_handle = ap_register_output_filter(
        FASTEXC_FILTER, fastexc_error_filter, NULL, AP_FTYPE_CONTENT_SET);
}
