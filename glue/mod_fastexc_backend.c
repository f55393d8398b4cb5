/*
 * mod_fastexc_backend.c - A proxied backend's error responses
 * (FastExcBackendErrors): the FASTEXC_BACKEND output filter keeps the
 * backend's status and headers and replaces a body that is not JSON
 * (NonJSON) or any body (All) with the scope's exception. Also the gRPC
 * test every path of the module uses to step aside.
 *
 * What is JSON: a Content-Type application/json or any type with a +json
 * suffix (parameters ignored, case-insensitive). A response with no
 * Content-Type is sniffed: at most FASTEXC_BACKEND_SNIFF bytes are set
 * aside until the first byte that is not whitespace; "{" or "[" is JSON.
 * A body with a Content-Encoding is never sniffed (its bytes are not the
 * text), nor a HEAD's (there is none): both are judged by Content-Type
 * alone, and no Content-Type is not JSON. Errors httpd makes itself
 * (mod_proxy's 502/503, ProxyErrorOverride, ErrorDocument) go through the
 * error path, which drops this filter: they are FastExc On's
 * (mod_fastexc_error.c).
 */

#include "apr_lib.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "fastexc_core.h"
#include "mod_fastexc_private.h"
#include "mod_fastexc_config.h"
#include "mod_fastexc_render.h"
#include "mod_fastexc_raise.h"
#include "mod_fastexc_account.h"
#include "mod_fastexc_negotiate.h"
#include "mod_fastexc_backend.h"

#define FASTEXC_BACKEND_FILTER "FASTEXC_BACKEND"

/* The most bytes set aside to find whether a body with no Content-Type is
 * JSON: past it, a body that was only whitespace is not. */
#define FASTEXC_BACKEND_SNIFF 512

static ap_filter_rec_t *fastexc_backend_filter_handle;

/* Where the filter stands with the response. */
#define FASTEXC_BACKEND_HEADERS 0   /* first call: judge the headers */
#define FASTEXC_BACKEND_SNIFFING 1  /* no Content-Type: reading a prefix */
#define FASTEXC_BACKEND_REWRITE 2   /* dropping the body; ours at EOS */

typedef struct {
    int state;
    int mode;                       /* FASTEXC_BACKEND_NONJSON or _ALL */
    apr_bucket_brigade *held;       /* the prefix sniffed, r->pool */
    apr_size_t held_len;            /* at most FASTEXC_BACKEND_SNIFF */
    const fastexc_response_t *resp; /* the body sent instead */
} fastexc_backend_ctx;

/* The headers that describe the backend's body, not the response: gone
 * with the body. Content-Range stays on a 416, where it gives the
 * resource's length (RFC 9110 15.5.17). */
static const char *const fastexc_backend_body_headers[] = {
    "Content-Type", "Content-Length", "Content-Encoding", "Content-Range",
    "Content-Language", "Content-Location", "Content-Disposition",
    "Content-MD5", "Digest", "Content-Digest", "Repr-Digest", "ETag",
    "Last-Modified", "Transfer-Encoding", NULL
};

/* application/json, or <type>/<subtype>+json; parameters ignored. */
static int fastexc_backend_json_type(const char *ct)
{
    const char *end = ct + strcspn(ct, ";");
    const char *slash;

    while (ct < end && apr_isspace(*ct)) {
        ct++;
    }
    while (end > ct && apr_isspace(end[-1])) {
        end--;
    }
    if (end - ct == 16 && strncasecmp(ct, "application/json", 16) == 0) {
        return 1;
    }
    slash = memchr(ct, '/', end - ct);
    return slash && slash > ct && end - (slash + 1) > 5
           && strncasecmp(end - 5, "+json", 5) == 0;
}

void fastexc_backend_insert_filter(request_rec *r)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    fastexc_backend_ctx *ctx;
    int mode;

    /* the cheapest test first: every request passes here */
    if ((mode = fastexc_conf_backend_errors(dc)) == FASTEXC_BACKEND_OFF
        || r->proxyreq != PROXYREQ_REVERSE || r->main
        /* an ErrorDocument proxied: the operator's page for httpd's error */
        || (r->prev && ap_is_HTTP_ERROR(r->prev->status))) {
        return;
    }
    if (fastexc_negotiate_grpc(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0053)
                      "gRPC request: FastExcBackendErrors steps aside (the "
                      "backend's errors are passed as they are)");
        return;
    }
    ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    ctx->mode = mode;
    ap_add_output_filter_handle(fastexc_backend_filter_handle, ctx, r,
                                r->connection);
}

/* The backend's error is replaced: the scope's exception for its status
 * (FastExcDetail, else the reason phrase) in the scope's FastExcFormat,
 * the status and the other headers kept. */
static void fastexc_backend_rewrite(request_rec *r, fastexc_backend_ctx *ctx,
                                    const char *why)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    const fastexc_exc_t *exc = fastexc_raise_detail(r, dc, r->status);
    const fastexc_response_t *resp = fastexc_render(r, exc, r->status);
    int i;

    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0051)
                  "backend error %d rewritten: %s", r->status, why);
    fastexc_account_http_from(r, resp, FASTEXC_SOURCE_BACKEND);
    resp = fastexc_render_format(r, resp);
    for (i = 0; fastexc_backend_body_headers[i]; i++) {
        const char *name = fastexc_backend_body_headers[i];
        if (r->status == HTTP_RANGE_NOT_SATISFIABLE
            && strcmp(name, "Content-Range") == 0) {
            continue;
        }
        apr_table_unset(r->headers_out, name);
        apr_table_unset(r->err_headers_out, name);
    }
    r->content_encoding = NULL;
    r->content_languages = NULL;
    fastexc_render_start(r, resp);
    /* a HEAD gets the length a GET would (CONTENT_LENGTH keeps a HEAD's) */
    ap_set_content_length(r, resp->body_len);
    ctx->resp = resp;
    ctx->state = FASTEXC_BACKEND_REWRITE;
}

/* Out of the filter's way: the response passes as the backend sent it. */
static apr_status_t fastexc_backend_pass(ap_filter_t *f,
                                         apr_bucket_brigade *bb)
{
    fastexc_backend_ctx *ctx = f->ctx;

    if (ctx->held && !APR_BRIGADE_EMPTY(ctx->held)) {
        APR_BRIGADE_PREPEND(bb, ctx->held);
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

static void fastexc_backend_keep(request_rec *r, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0052)
                  "backend error %d kept: %s", r->status, why);
}

/* Why, with a value the response brought (fmt has one %s), made only
 * when the FX0051/FX0052 debug line will be written. */
static const char *fastexc_backend_why(request_rec *r, const char *fmt,
                                       const char *value)
{
    return APLOG_R_IS_LEVEL(r, APLOG_DEBUG) ? apr_psprintf(r->pool, fmt, value)
                                            : "";
}

/* Judged from the headers: 1 to pass, 0 when decided (rewrite) or left to
 * the sniffing. */
static int fastexc_backend_judge(ap_filter_t *f)
{
    request_rec *r = f->r;
    fastexc_backend_ctx *ctx = f->ctx;
    const char *ct = apr_table_get(r->headers_out, "Content-Type");
    const char *ce = apr_table_get(r->headers_out, "Content-Encoding");

    if (r->status < 400 || AP_STATUS_IS_HEADER_ONLY(r->status)) {
        return 1;
    }
    if (ctx->mode == FASTEXC_BACKEND_ALL) {
        fastexc_backend_rewrite(r, ctx, "FastExcBackendErrors All");
    }
    else if (ct) {
        if (fastexc_backend_json_type(ct)) {
            fastexc_backend_keep(r, fastexc_backend_why(r, "Content-Type %s",
                                                        ct));
            return 1;
        }
        fastexc_backend_rewrite(r, ctx, fastexc_backend_why(r,
                                "Content-Type %s is not JSON", ct));
    }
    else if (r->header_only) {
        fastexc_backend_rewrite(r, ctx, "HEAD with no Content-Type");
    }
    else if (ce && strcasecmp(ce, "identity") != 0) {
        fastexc_backend_rewrite(r, ctx, fastexc_backend_why(r,
                                "no Content-Type, Content-Encoding %s "
                                "(not sniffed)", ce));
    }
    else {
        ctx->state = FASTEXC_BACKEND_SNIFFING;
        ctx->held = apr_brigade_create(r->pool, f->c->bucket_alloc);
    }
    return 0;
}

/* A body with no Content-Type: its buckets set aside (at most
 * FASTEXC_BACKEND_SNIFF bytes) until its first byte that is not
 * whitespace says: "{" or "[" is JSON. Returns 1 to pass (JSON, or a
 * response that broke: httpd's to handle), 0 otherwise. */
static int fastexc_backend_sniff(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    fastexc_backend_ctx *ctx = f->ctx;

    while (!APR_BRIGADE_EMPTY(bb)) {
        apr_bucket *e = APR_BRIGADE_FIRST(bb);
        apr_size_t budget = FASTEXC_BACKEND_SNIFF - ctx->held_len;
        const char *data;
        apr_size_t len, i;

        if (APR_BUCKET_IS_EOS(e)) {
            fastexc_backend_rewrite(r, ctx, "no Content-Type, a body empty "
                                    "or only whitespace");
            return 0;
        }
        if (APR_BUCKET_IS_FLUSH(e)) {
            /* nothing may go out before the decision */
            apr_bucket_delete(e);
            continue;
        }
        if (APR_BUCKET_IS_METADATA(e)
            || apr_bucket_read(e, &data, &len, APR_BLOCK_READ)
               != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0054)
                          "backend error %d: the response broke before its "
                          "body could be judged: passed as it is", r->status);
            return 1;
        }
        for (i = 0; i < len && i < budget; i++) {
            if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r'
                && data[i] != '\n') {
                break;
            }
        }
        if (i < len && i < budget) {
            if (data[i] == '{' || data[i] == '[') {
                fastexc_backend_keep(r, "no Content-Type, the body starts "
                                     "with { or [");
                return 1;
            }
            fastexc_backend_rewrite(r, ctx, "no Content-Type, the body does "
                                    "not start with { or [");
            return 0;
        }
        if (len >= budget) {
            fastexc_backend_rewrite(r, ctx, "no Content-Type, "
                                    APR_STRINGIFY(FASTEXC_BACKEND_SNIFF)
                                    " bytes of whitespace");
            return 0;
        }
        /* whitespace only, and fewer bytes than the budget: kept */
        APR_BUCKET_REMOVE(e);
        if (apr_bucket_setaside(e, r->pool) != APR_SUCCESS) {
            apr_bucket_destroy(e);
            fastexc_backend_rewrite(r, ctx, "no Content-Type, a prefix "
                                    "that could not be kept");
            return 0;
        }
        APR_BRIGADE_INSERT_TAIL(ctx->held, e);
        ctx->held_len += len;
    }
    return 0;
}

/* The backend's body is dropped as it comes (nothing kept); at its EOS,
 * the exception's body goes out with it in one brigade, so CONTENT_LENGTH
 * counts it. A backend that breaks now does not spoil the exception: its
 * error bucket (HTTP_HEADER would make it a 502) goes with its body. */
static apr_status_t fastexc_backend_replace(ap_filter_t *f,
                                            apr_bucket_brigade *bb)
{
    fastexc_backend_ctx *ctx = f->ctx;
    apr_bucket *e, *next;
    apr_status_t rv;

    if (ctx->held) {
        apr_brigade_cleanup(ctx->held);
    }
    for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb); e = next) {
        next = APR_BUCKET_NEXT(e);
        if (APR_BUCKET_IS_EOS(e)) {
            if (!f->r->header_only && ctx->resp->body_len) {
                /* transient: copied if the core sets it aside */
                APR_BUCKET_INSERT_BEFORE(e, apr_bucket_transient_create(
                    ctx->resp->body, ctx->resp->body_len,
                    f->c->bucket_alloc));
            }
            /* what follows an EOS is not this response's */
            ap_remove_output_filter(f);
            rv = ap_pass_brigade(f->next, bb);
            fastexc_render_flush(f->c, bb);
            return rv;
        }
        if (!APR_BUCKET_IS_METADATA(e) || APR_BUCKET_IS_FLUSH(e)
            || AP_BUCKET_IS_ERROR(e)) {
            apr_bucket_delete(e);
        }
    }
    if (APR_BRIGADE_EMPTY(bb)) {
        return APR_SUCCESS;
    }
    return ap_pass_brigade(f->next, bb);
}

static apr_status_t fastexc_backend_filter(ap_filter_t *f,
                                           apr_bucket_brigade *bb)
{
    fastexc_backend_ctx *ctx = f->ctx;

    if (ctx->state == FASTEXC_BACKEND_HEADERS && fastexc_backend_judge(f)) {
        return fastexc_backend_pass(f, bb);
    }
    if (ctx->state == FASTEXC_BACKEND_SNIFFING
        && fastexc_backend_sniff(f, bb)) {
        return fastexc_backend_pass(f, bb);
    }
    if (ctx->state == FASTEXC_BACKEND_REWRITE) {
        return fastexc_backend_replace(f, bb);
    }
    return APR_SUCCESS;     /* still sniffing: all of bb is held */
}

void fastexc_backend_filters(void)
{
    /* after the resource filters (INFLATE, mod_substitute, mod_proxy_html:
     * they may change the backend's body), before every CONTENT_SET
     * filter (DEFLATE, mod_cache's CACHE_SAVE at CONTENT_SET + 1): the
     * body judged is the backend's, and what is compressed or cached is
     * the exception */
    fastexc_backend_filter_handle = ap_register_output_filter(
        FASTEXC_BACKEND_FILTER, fastexc_backend_filter, NULL,
        AP_FTYPE_CONTENT_SET - 1);
}
