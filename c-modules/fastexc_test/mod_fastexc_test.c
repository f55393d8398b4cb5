/*
 * mod_fastexc_test.c - a module that raises through mod_fastexc's public C
 * API, built by Apache::Test from c-modules/ for t/api.t.
 *
 * A request picks what to raise with headers (tests only):
 *   X-Raise-Phase   the hook to raise from: post_read_request,
 *                   translate_name, map_to_storage, header_parser,
 *                   access_checker, check_authn, check_authz, type_checker,
 *                   fixups, handler
 *   X-Raise-Status  the status (default 418)
 *   X-Raise-Text    a text detail (fastexc_raise_text), or
 *   X-Raise-Json    a JSON detail (fastexc_raise); neither: default detail
 *   X-Raise-Header, X-Raise-Header-2  "Name: value" headers to pass
 *   X-Raise-Bad-Header  set: also pass headers with CR/LF and reserved names
 *   X-Raise-Sub     set: raise only in subrequests
 *   X-Raise-WS-Code a WebSocketException instead (fastexc_raise_websocket),
 *   X-Raise-WS-Reason   with this reason ("long:N" for N bytes of "é")
 * `SetHandler fastexc-test-lean` raises 404 with the default detail
 * (fastexc_raise_text(r, 404, NULL, NULL)) and reads nothing from the
 * request: the C API's own cost, for make bench and t/api.t.
 * `SetHandler fastexc-test-floor` answers the same 404 without mod_fastexc,
 * from the fixups phase as a configured raise: the least any module does
 * to answer once httpd has mapped the URL (make bench's bound for a raise
 * after the mapping; t/api.t).
 * `SetHandler fastexc-test-subreq` looks up a URI (X-Lookup) as a
 * subrequest and reports its status, to show that a raise there sends
 * nothing; `SetHandler fastexc-test-ws` is a WebSocket endpoint of its own
 * that sends "hello" and then closes with fastexc_websocket_close(4002).
 *
 * The API from unusual places (t/api_edges.t):
 *   SetHandler fastexc-test-late   writes "partial\n", then raises 418 "too
 *       late" (header X-Late: raised) and returns its status; X-Late: flush
 *       flushes the body first (the status line and headers are sent);
 *       X-Late: flush-plain returns 418 after the flush without raising
 *       (httpd's own answer, for comparison).
 *   SetHandler fastexc-test-twice  raises twice in one request, X-Twice:
 *       http      404 "first" (X-First) then 409 "second" (X-Second); the
 *                 second's status is returned, or the first's with
 *                 X-Return: first
 *       bad       404 "first", then 400 with a detail that is not JSON
 *       ws        fastexc_raise_websocket 4001 "first", then 4002 "second"
 *       ws-http   fastexc_raise_websocket 4001 "first", then 409 "after"
 *   output filter FASTEXC_TEST_RAISE  raises 409 "from a filter" (header
 *       X-From-Filter) as X-Filter-Raise says:
 *       first     on its first brigade, answered with an error bucket
 *       late      after the body went out (flushed), then an error bucket
 *       noerror   raised, then the body passed on unchanged (no error)
 *       plain     no raise: only the error bucket (httpd's own answer)
 */
#define HTTPD_TEST_REQUIRE_APACHE 2.4

#if CONFIG_FOR_HTTPD_TEST

<Location /api>
    SetHandler fastexc-test
</Location>
<Location /api/auth>
    AuthType Basic
    AuthName "fastexc test"
    Require valid-user
</Location>
<Location /api/subreq>
    SetHandler fastexc-test-subreq
</Location>
<Location /api/lean>
    SetHandler fastexc-test-lean
</Location>
<Location /api/floor>
    SetHandler fastexc-test-floor
</Location>
<Location /api/wsown>
    SetHandler fastexc-test-ws
</Location>
<Location /api/wsown-short>
    SetHandler fastexc-test-ws
    FastExcWebSocketCloseTimeout 1
</Location>
<Location /api/late>
    SetHandler fastexc-test-late
</Location>
<Location /api/late-problem>
    SetHandler fastexc-test-late
    FastExcFormat problem
</Location>
<Location /api/twice>
    SetHandler fastexc-test-twice
    FastExcWebSocketCloseTimeout 1
</Location>
<Location /api/twice-problem>
    SetHandler fastexc-test-twice
    FastExcWebSocketCloseTimeout 1
    FastExcFormat problem
</Location>
Alias /api-filter "@DocumentRoot@/static"
<Location /api-filter>
    SetOutputFilter FASTEXC_TEST_RAISE
</Location>
<Location /api/errdoc>
    ErrorDocument 404 /api-errdoc.html
    ErrorDocument 500 /api-errdoc.html
</Location>

#endif

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_auth.h"
#include "apr_base64.h"
#include "apr_sha1.h"
#include "apr_strings.h"
#include "mod_fastexc.h"

module AP_MODULE_DECLARE_DATA fastexc_test_module;

static APR_OPTIONAL_FN_TYPE(fastexc_raise) *test_raise;
static APR_OPTIONAL_FN_TYPE(fastexc_raise_text) *test_raise_text;
static APR_OPTIONAL_FN_TYPE(fastexc_raise_websocket) *test_raise_ws;
static APR_OPTIONAL_FN_TYPE(fastexc_websocket_close) *test_ws_close;

static int test_add_header(void *rec, const char *key, const char *value)
{
    apr_table_t *t = rec;
    const char *colon = strchr(value, ':');

    if (colon) {
        const char *v = colon + 1;
        while (*v == ' ') {
            v++;
        }
        apr_table_add(t, apr_pstrmemdup(apr_table_elts(t)->pool, value,
                                        colon - value), v);
    }
    return 1;
}

/* Raise if this request asks for it in this phase; DECLINED otherwise. */
static int test_maybe_raise(request_rec *r, const char *phase)
{
    const char *want = apr_table_get(r->headers_in, "X-Raise-Phase");
    const char *s, *text, *json;
    apr_table_t *headers;
    int status = 418;

    if (!want || strcmp(want, phase) != 0) {
        return DECLINED;
    }
    if (apr_table_get(r->headers_in, "X-Raise-Sub") && !r->main) {
        return DECLINED;
    }
    if (!test_raise || !test_raise_text || !test_raise_ws) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "FXT0001: mod_fastexc's API is not available");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if ((s = apr_table_get(r->headers_in, "X-Raise-WS-Code"))) {
        const char *reason = apr_table_get(r->headers_in, "X-Raise-WS-Reason");
        if (reason && strncmp(reason, "long:", 5) == 0) {
            int n = atoi(reason + 5), i;
            char *buf = apr_palloc(r->pool, 2 * n + 1);
            for (i = 0; i < n; i++) {
                buf[2 * i] = (char)0xC3;
                buf[2 * i + 1] = (char)0xA9;
            }
            buf[2 * n] = '\0';
            reason = buf;
        }
        return test_raise_ws(r, atoi(s), reason);
    }
    if ((s = apr_table_get(r->headers_in, "X-Raise-Status"))) {
        status = atoi(s);
    }
    headers = apr_table_make(r->pool, 4);
    /* httpd joins repeated request headers with ", ": a second name */
    apr_table_do(test_add_header, headers, r->headers_in, "X-Raise-Header",
                 "X-Raise-Header-2", NULL);
    if (apr_table_get(r->headers_in, "X-Raise-Bad-Header")) {
        apr_table_set(headers, "X-Injected", "a\r\nSet-Cookie: evil=1");
        apr_table_set(headers, "Bad Name", "x");
        apr_table_set(headers, "Content-Length", "999");
        apr_table_set(headers, "X-Good", "kept");
    }
    text = apr_table_get(r->headers_in, "X-Raise-Text");
    json = apr_table_get(r->headers_in, "X-Raise-Json");
    if (json) {
        return test_raise(r, status, json, headers);
    }
    return test_raise_text(r, status, text, headers);
}

#define TEST_PHASE_HOOK(name)                                   \
    static int test_##name(request_rec *r)                      \
    {                                                           \
        return test_maybe_raise(r, #name);                      \
    }

TEST_PHASE_HOOK(post_read_request)
TEST_PHASE_HOOK(translate_name)
TEST_PHASE_HOOK(map_to_storage)
TEST_PHASE_HOOK(header_parser)
TEST_PHASE_HOOK(access_checker)
TEST_PHASE_HOOK(type_checker)
TEST_PHASE_HOOK(fixups)

/* The test's own authn: raise, or accept everyone as "tester" so that the
 * authz phase is reached. */
static int test_check_authn(request_rec *r)
{
    int rv;

    if (strncmp(r->uri, "/api/", 5) != 0) {
        return DECLINED;
    }
    rv = test_maybe_raise(r, "check_authn");
    if (rv != DECLINED) {
        return rv;
    }
    r->user = "tester";
    r->ap_auth_type = "Basic";
    return OK;
}

static int test_check_authz(request_rec *r)
{
    return test_maybe_raise(r, "check_authz");
}

static int test_handler(request_rec *r)
{
    int rv;

    if (!r->handler) {
        return DECLINED;
    }
    if (strcmp(r->handler, "fastexc-test-lean") == 0) {
        /* what a module's raise costs, nothing read from the request */
        return test_raise_text ? test_raise_text(r, HTTP_NOT_FOUND, NULL, NULL)
                               : DECLINED;
    }
    if (strcmp(r->handler, "fastexc-test") != 0) {
        return DECLINED;
    }
    rv = test_maybe_raise(r, "handler");
    if (rv != DECLINED) {
        return rv;
    }
    ap_set_content_type(r, "text/plain");
    ap_rputs("not raised\n", r);
    return OK;
}

static int test_subreq_handler(request_rec *r)
{
    const char *uri;
    request_rec *sub;

    if (!r->handler || strcmp(r->handler, "fastexc-test-subreq") != 0) {
        return DECLINED;
    }
    uri = apr_table_get(r->headers_in, "X-Lookup");
    sub = ap_sub_req_lookup_uri(uri ? uri : "/", r, NULL);
    ap_set_content_type(r, "text/plain");
    ap_rprintf(r, "subrequest status %d\n", sub->status);
    ap_destroy_sub_req(sub);
    return OK;
}

/* A WebSocket endpoint of this module's own: handshake, one text frame,
 * then mod_fastexc closes the established connection. */
static int test_ws_handler(request_rec *r)
{
    conn_rec *c = r->connection;
    apr_bucket_brigade *bb;
    const char *key;
    apr_sha1_ctx_t sha;
    unsigned char digest[APR_SHA1_DIGESTSIZE];
    char accept[32];
    static const char hello[] = { (char)0x81, 5, 'h', 'e', 'l', 'l', 'o' };

    if (!r->handler || strcmp(r->handler, "fastexc-test-ws") != 0) {
        return DECLINED;
    }
    key = apr_table_get(r->headers_in, "Sec-WebSocket-Key");
    if (!key || !test_ws_close) {
        return HTTP_BAD_REQUEST;
    }
    apr_sha1_init(&sha);
    apr_sha1_update(&sha, key, strlen(key));
    apr_sha1_update(&sha, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
    apr_sha1_final(digest, &sha);
    apr_base64_encode(accept, (const char *)digest, sizeof(digest));
    apr_table_setn(r->headers_out, "Upgrade", "websocket");
    apr_table_setn(r->headers_out, "Connection", "Upgrade");
    apr_table_set(r->headers_out, "Sec-WebSocket-Accept", accept);
    r->status = HTTP_SWITCHING_PROTOCOLS;
    ap_send_interim_response(r, 1);
    ap_remove_input_filter_byhandle(c->input_filters, "reqtimeout");
    r->output_filters = r->proto_output_filters = c->output_filters;
    r->input_filters = r->proto_input_filters = c->input_filters;
    bb = apr_brigade_create(r->pool, c->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(hello,
                                                           sizeof(hello),
                                                           c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(c->bucket_alloc));
    ap_pass_brigade(c->output_filters, bb);
    test_ws_close(c, 4002, "closed by its module");
    return DONE;
}

/* ---- the API from unusual places (t/api_edges.t) ---- */

static apr_table_t *test_one_header(request_rec *r, const char *name,
                                    const char *value)
{
    apr_table_t *h = apr_table_make(r->pool, 1);

    apr_table_setn(h, name, value);
    return h;
}

/* Raise after output was produced: buffered only, or flushed (the status
 * line and headers already sent). */
static int test_late_handler(request_rec *r)
{
    const char *mode;

    if (!r->handler || strcmp(r->handler, "fastexc-test-late") != 0) {
        return DECLINED;
    }
    if (!test_raise_text) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    mode = apr_table_get(r->headers_in, "X-Late");
    ap_set_content_type(r, "text/plain");
    ap_rputs("partial\n", r);
    if (mode && strncmp(mode, "flush", 5) == 0) {
        ap_rflush(r);
    }
    if (mode && strcmp(mode, "flush-plain") == 0) {
        return 418;     /* no raise: httpd's own answer, for comparison */
    }
    return test_raise_text(r, 418, "too late",
                           test_one_header(r, "X-Late", "raised"));
}

/* Two raises in one request. */
static int test_twice_handler(request_rec *r)
{
    const char *mode, *ret;
    int first, second;

    if (!r->handler || strcmp(r->handler, "fastexc-test-twice") != 0) {
        return DECLINED;
    }
    if (!test_raise || !test_raise_text || !test_raise_ws) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    mode = apr_table_get(r->headers_in, "X-Twice");
    ret = apr_table_get(r->headers_in, "X-Return");
    mode = mode ? mode : "http";
    if (strcmp(mode, "bad") == 0) {
        first = test_raise_text(r, 404, "first",
                                test_one_header(r, "X-First", "1"));
        second = test_raise(r, 400, "{not json", NULL);
    }
    else if (strcmp(mode, "ws") == 0) {
        first = test_raise_ws(r, 4001, "first");
        second = test_raise_ws(r, 4002, "second");
    }
    else if (strcmp(mode, "ws-http") == 0) {
        first = test_raise_ws(r, 4001, "first");
        second = test_raise_text(r, 409, "after", NULL);
    }
    else {
        first = test_raise_text(r, 404, "first",
                                test_one_header(r, "X-First", "1"));
        second = test_raise_text(r, 409, "second",
                                 test_one_header(r, "X-Second", "1"));
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "FXT0002: raised twice (%s): "
                  "%d then %d", mode, first, second);
    return (ret && strcmp(ret, "first") == 0) ? first : second;
}

typedef struct {
    int done;
} test_filter_ctx;

/* An output filter that raises (X-Filter-Raise: first, late, noerror). */
static apr_status_t test_raise_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    test_filter_ctx *ctx = f->ctx;
    const char *mode = apr_table_get(r->headers_in, "X-Filter-Raise");
    apr_bucket_brigade *rest;
    apr_bucket *e;
    int status;

    if (!mode || !test_raise_text) {
        ap_remove_output_filter(f);
        return ap_pass_brigade(f->next, bb);
    }
    if (!ctx) {
        ctx = f->ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    }
    if (ctx->done) {
        return ap_pass_brigade(f->next, bb);
    }
    ctx->done = 1;
    if (strcmp(mode, "late") == 0) {
        /* the body first, flushed: the status line and headers go out */
        for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb)
             && !APR_BUCKET_IS_EOS(e); e = APR_BUCKET_NEXT(e)) {
        }
        rest = apr_brigade_split(bb, e);
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(f->c->bucket_alloc));
        if (ap_pass_brigade(f->next, bb) != APR_SUCCESS) {
            return AP_FILTER_ERROR;
        }
        bb = rest;
    }
    status = strcmp(mode, "plain") == 0 ? HTTP_CONFLICT
        : test_raise_text(r, 409, "from a filter",
                          test_one_header(r, "X-From-Filter", "yes"));
    if (strcmp(mode, "noerror") == 0) {
        return ap_pass_brigade(f->next, bb);
    }
    /* as a filter reports an error: an error bucket, then EOS */
    apr_brigade_cleanup(bb);
    APR_BRIGADE_INSERT_TAIL(bb, ap_bucket_error_create(status, NULL, r->pool,
                                                       f->c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(f->c->bucket_alloc));
    return ap_pass_brigade(f->next, bb);
}

static void test_retrieve(void)
{
    test_raise = APR_RETRIEVE_OPTIONAL_FN(fastexc_raise);
    test_raise_text = APR_RETRIEVE_OPTIONAL_FN(fastexc_raise_text);
    test_raise_ws = APR_RETRIEVE_OPTIONAL_FN(fastexc_raise_websocket);
    test_ws_close = APR_RETRIEVE_OPTIONAL_FN(fastexc_websocket_close);
}

/* SetHandler fastexc-test-floor: no rule, no JSON made, no note, no
 * count; the bytes, in the phase a configured raise sends its own, and on
 * the wire at once as a raise's are. */
static int test_floor_fixups(request_rec *r)
{
    static const char body[] = "{\"detail\":\"Not Found\"}";
    apr_bucket_brigade *bb;

    if (!r->handler || strcmp(r->handler, "fastexc-test-floor") != 0) {
        return DECLINED;
    }
    r->status = HTTP_NOT_FOUND;
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, sizeof(body) - 1);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(
        body, sizeof(body) - 1, r->connection->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb,
        apr_bucket_eos_create(r->connection->bucket_alloc));
    ap_pass_brigade(r->output_filters, bb);
    /* on the wire before r ends, as a raise is sent */
    apr_brigade_cleanup(bb);
    APR_BRIGADE_INSERT_TAIL(bb,
        apr_bucket_flush_create(r->connection->bucket_alloc));
    ap_pass_brigade(r->connection->output_filters, bb);
    return DONE;
}

static void test_register_hooks(apr_pool_t *p)
{
    ap_hook_optional_fn_retrieve(test_retrieve, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(test_post_read_request, NULL, NULL,
                              APR_HOOK_FIRST);
    ap_hook_translate_name(test_translate_name, NULL, NULL,
                           APR_HOOK_REALLY_FIRST);
    ap_hook_map_to_storage(test_map_to_storage, NULL, NULL,
                           APR_HOOK_REALLY_FIRST);
    ap_hook_header_parser(test_header_parser, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_access_checker(test_access_checker, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_check_authn(test_check_authn, NULL, NULL, APR_HOOK_FIRST,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_authz(test_check_authz, NULL, NULL, APR_HOOK_FIRST,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_type_checker(test_type_checker, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_fixups(test_fixups, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_fixups(test_floor_fixups, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_handler(test_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(test_subreq_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(test_ws_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(test_late_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(test_twice_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_output_filter("FASTEXC_TEST_RAISE", test_raise_filter, NULL,
                              AP_FTYPE_RESOURCE);
}

module AP_MODULE_DECLARE_DATA fastexc_test_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    test_register_hooks
};
