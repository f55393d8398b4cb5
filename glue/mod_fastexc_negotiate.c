/*
 * mod_fastexc_negotiate.c - FastExcNegotiate: an exception in the form the
 * request's Accept header prefers among the scope's JSON (FastExcFormat),
 * Problem Details and HTML; Vary: Accept on what it answers; the built-in
 * HTML page; and ErrorDocument: followed for HTML clients, kept away from
 * JSON clients. The Accept header itself is read in src/fastexc_accept.c.
 */

#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_core.h"

#include "fastexc_accept.h"
#include "fastexc_core.h"
#include "mod_fastexc_private.h"
#include "mod_fastexc_config.h"
#include "mod_fastexc_render.h"
#include "mod_fastexc_negotiate.h"

#define FASTEXC_PROBLEM_TYPE "application/problem+json"

/* What ap_custom_response() is given so that ap_die() does not follow an
 * ErrorDocument URL for a JSON client: a literal (not a URL: no scheme, no
 * leading /) that the error filter replaces, never sent. */
#define FASTEXC_NEGOTIATE_PLACEHOLDER "(mod_fastexc: JSON for this client)"

const char *fastexc_negotiate_json_type(const fastexc_dir_conf *dc,
                                        int format)
{
    switch (format) {
    case FASTEXC_FORMAT_PROBLEM:
        return FASTEXC_PROBLEM_TYPE;
    case FASTEXC_FORMAT_TEMPLATE:
        return dc->http.format.content_type;
    default:
        return "application/json";
    }
}

/* The format the Accept header of r prefers in scope dc (negotiation on):
 * the scope's JSON, then Problem Details, then HTML, ties in that order;
 * the scope's JSON when nothing offered is acceptable. */
static int fastexc_negotiate_choose(request_rec *r,
                                    const fastexc_dir_conf *dc)
{
    int format = fastexc_conf_format(dc);
    const char *offers[3];
    int formats[3], n = 0, i;

    offers[n] = fastexc_negotiate_json_type(dc, format);
    formats[n++] = format;
    if (strcmp(offers[0], FASTEXC_PROBLEM_TYPE) != 0) {
        offers[n] = FASTEXC_PROBLEM_TYPE;
        formats[n++] = FASTEXC_FORMAT_PROBLEM;
    }
    offers[n] = "text/html";
    formats[n++] = FASTEXC_FORMAT_HTML;
    i = fastexc_accept_choose(apr_table_get(r->headers_in, "Accept"), offers,
                              n);
    return i < 0 ? format : formats[i];
}

/* Vary: Accept in err_headers_out: it survives httpd's swap of the header
 * tables on the error path and an internal redirect to an ErrorDocument,
 * and httpd merges it with any other Vary when the headers go out. */
static void fastexc_negotiate_vary(request_rec *r)
{
    const char *vary = apr_table_get(r->err_headers_out, "Vary");

    if (!vary || !ap_find_token(r->pool, vary, "Accept")) {
        apr_table_mergen(r->err_headers_out, "Vary", "Accept");
    }
}

int fastexc_negotiate_format(request_rec *r, const fastexc_dir_conf *dc,
                             const fastexc_response_t **resp)
{
    const char *vary;
    int format;

    if (!fastexc_conf_negotiate(dc)) {
        return fastexc_conf_format(dc);
    }
    format = fastexc_negotiate_choose(r, dc);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0060)
                  "Accept \"%s\": exception %d as %s",
                  ap_escape_logitem(r->pool,
                                    apr_table_get(r->headers_in, "Accept")),
                  (*resp)->status,
                  format == FASTEXC_FORMAT_HTML
                      ? "text/html" : fastexc_negotiate_json_type(dc, format));
    /* the exception's own headers replace those of the same name on r
     * (fastexc_render_start): Accept joins its own Vary */
    if ((*resp)->headers
        && (vary = apr_table_get((*resp)->headers, "Vary"))) {
        fastexc_response_t *copy = apr_pmemdup(r->pool, *resp,
                                               sizeof(**resp));
        copy->headers = apr_table_copy(r->pool, (*resp)->headers);
        if (!ap_find_token(r->pool, vary, "Accept")) {
            apr_table_mergen(copy->headers, "Vary", "Accept");
        }
        *resp = copy;
    }
    else {
        fastexc_negotiate_vary(r);
    }
    return format;
}

const fastexc_response_t *fastexc_negotiate_html(request_rec *r,
                                                 const fastexc_response_t *resp)
{
    fastexc_response_t *page;
    const char *phrase = fastexc_phrase(resp->status);
    const char *detail, *title;
    apr_size_t dlen;

    if (!fastexc_status_has_body(resp->status)) {
        return resp;
    }
    if (!phrase) {
        const char *line = ap_get_status_line_ex(r->pool, resp->status);
        phrase = (line && atoi(line) == resp->status && strlen(line) > 4)
                 ? line + 4 : "";
    }
    /* a string detail's text, another JSON value's JSON text */
    detail = fastexc_body_reason(r->pool, resp->body, resp->body_len,
                                 resp->body_len, &dlen);
    title = ap_escape_html2(r->pool, apr_psprintf(r->pool, "%d %s",
                                                  resp->status, phrase), 0);
    page = apr_pmemdup(r->pool, resp, sizeof(*resp));
    page->body = apr_pstrcat(
        r->pool, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        "<title>", title, "</title></head>\n<body>\n<h1>", title,
        "</h1>\n<p>",
        ap_escape_html2(r->pool, apr_pstrmemdup(r->pool, detail, dlen), 0),
        "</p>\n</body></html>\n", NULL);
    page->body_len = strlen(page->body);
    page->content_type = "text/html; charset=utf-8";
    if (resp->headers && apr_table_get(resp->headers, "Content-Type")) {
        /* a configured Content-Type is for the JSON */
        page->headers = apr_table_copy(r->pool, resp->headers);
        apr_table_unset(page->headers, "Content-Type");
    }
    return page;
}

int fastexc_negotiate_wants_html(request_rec *r)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);

    return fastexc_conf_negotiate(dc)
           && fastexc_negotiate_choose(r, dc) == FASTEXC_FORMAT_HTML;
}

int fastexc_negotiate_grpc(const request_rec *r)
{
    const char *ct;

    /* every gRPC call is a POST: other requests need no header lookup */
    if (r->method_number != M_POST) {
        return 0;
    }
    ct = apr_table_get(r->headers_in, "Content-Type");
    return ct && strncasecmp(ct, "application/grpc", 16) == 0
           && (ct[16] == '\0' || ct[16] == '+' || ct[16] == ';'
               || ct[16] == ' ' || ct[16] == '\t');
}

int fastexc_negotiate_placeholder(const char *literal)
{
    return literal && literal[0] == '"'
           && strcmp(literal + 1, FASTEXC_NEGOTIATE_PLACEHOLDER) == 0;
}

int fastexc_negotiate_error_document(request_rec *r)
{
    const char *doc;

    if (!fastexc_negotiate_wants_html(r)) {
        return 0;
    }
    doc = ap_response_code_string(r, ap_index_of_response(r->status));
    if (!doc || doc[0] != '"' || fastexc_negotiate_placeholder(doc)) {
        return 0;
    }
    fastexc_negotiate_vary(r);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0061)
                  "an HTML client: the ErrorDocument text of %d is sent",
                  r->status);
    return 1;
}

/* The status of each of httpd's response slots (ap_index_of_response()),
 * for ap_custom_response(); made once, at startup. */
static int fastexc_negotiate_slot_status[RESPONSE_CODES];

void fastexc_negotiate_init(void)
{
    int status;

    for (status = 100; status <= 599; status++) {
        fastexc_negotiate_slot_status[ap_index_of_response(status)] = status;
    }
    /* a status without a slot of its own shares 500's */
    fastexc_negotiate_slot_status[ap_index_of_response(500)] = 500;
}

/* fastexc_negotiate_header_parser() past its test, out of line: the
 * test then saves no registers. */
static __attribute__((noinline)) int fastexc_negotiate_scope(
    request_rec *r, const fastexc_dir_conf *dc)
{
    const core_dir_config *cd;
    apr_hash_index_t *hi;
    int kept = 0;

    /* the request of an ErrorDocument path that negotiation chose for an
     * HTML client: err_headers_out is the failed request's, and its
     * response answers for it */
    if (r->prev && ap_is_HTTP_ERROR(r->prev->status)
        && fastexc_conf_negotiate(ap_get_module_config(r->prev->per_dir_config,
                                                       &fastexc_module))) {
        fastexc_negotiate_vary(r);
    }
    if (!fastexc_conf_negotiate(dc) || !fastexc_conf_enabled(dc)) {
        return DECLINED;
    }
    cd = ap_get_core_module_config(r->per_dir_config);
    if (!cd->response_code_exprs
        || fastexc_negotiate_choose(r, dc) == FASTEXC_FORMAT_HTML) {
        return DECLINED;
    }
    /* a JSON client in a FastExc On scope: ap_die() follows an ErrorDocument
     * URL or path before any error filter can answer; a literal for this
     * request instead lets the error filter answer in JSON */
    for (hi = apr_hash_first(r->pool, cd->response_code_exprs); hi;
         hi = apr_hash_next(hi)) {
        const void *key;
        const char *doc;
        int idx;
        apr_hash_this(hi, &key, NULL, NULL);
        idx = *(const int *)key;
        if (idx < 0 || idx >= RESPONSE_CODES
            || fastexc_negotiate_slot_status[idx] < 400) {
            continue;
        }
        /* the ErrorDocument as this request evaluates it */
        doc = ap_response_code_string(r, idx);
        if (doc && doc[0] != '"') {
            ap_custom_response(r, fastexc_negotiate_slot_status[idx],
                               FASTEXC_NEGOTIATE_PLACEHOLDER);
            kept++;
        }
    }
    if (kept) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0062)
                      "a JSON client: %d ErrorDocument URL(s) of the scope "
                      "not followed", kept);
    }
    return DECLINED;
}

int fastexc_negotiate_header_parser(request_rec *r)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);

    /* every request passes here: few are an ErrorDocument's (r->prev) or
     * in a FastExcNegotiate scope */
    if (!r->prev && !fastexc_conf_negotiate(dc)) {
        return DECLINED;
    }
    return fastexc_negotiate_scope(r, dc);
}
