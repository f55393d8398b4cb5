/*
 * mod_fastexc_upgrade.c - WebSocket answers: a raised or failed upgrade gets
 * 101 and a Close frame (or an HTTP rejection), then the wait for the
 * client's Close; the C API fastexc_raise_websocket and
 * fastexc_websocket_close.
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

#define FASTEXC_WS_FILTER "FASTEXC_WS"

static ap_filter_rec_t *fastexc_upgrade_filter_handle;

/* WebSocket filter state: the close to send instead of the response. */
typedef struct {
    int code;
    const char *reason;
    apr_size_t reason_len;
    int cause;                  /* FASTEXC_CAUSE_* */
    int done;
} fastexc_upgrade_ctx;

/* ---- WebSocket request glue ---------------------------------------- */

/* An RFC 6455 opening handshake: GET, HTTP/1.1 or later, Upgrade:
 * websocket and Connection: upgrade. mod_http2 turns an RFC 8441 extended
 * CONNECT into such a GET on its secondary connection (c->master). */
int fastexc_upgrade_is(request_rec *r)
{
    const char *upgrade;
    const char *conn;

    /* every request asks: the request line decides before a header
     * lookup (an HTTP/1.0 request, a POST, a HEAD never upgrade) */
    if (r->method_number != M_GET || r->proto_num < HTTP_VERSION(1, 1)
        || !(upgrade = apr_table_get(r->headers_in, "Upgrade"))
        || !ap_find_token(r->pool, upgrade, "websocket")) {
        return 0;
    }
    conn = apr_table_get(r->headers_in, "Connection");
    return r->connection->master
        || (conn && ap_find_token(r->pool, conn, "upgrade"));
}

/* After our Close, read what the client sends until its Close arrives, it
 * goes away, it sends what is not WebSocket frames, or timeout passes: no
 * read ever blocks (poll with the time left, then non-blocking reads), so
 * a silent client holds the worker at most timeout. Data frames are
 * discarded unread. r may be NULL (fastexc_websocket_close). */
static void fastexc_upgrade_await_close(conn_rec *c, request_rec *r,
                                        apr_interval_time_t timeout)
{
    apr_pollfd_t pfd;
    apr_bucket_brigade *bb;
    fastexc_ws_reader_t rd;
    apr_time_t deadline = apr_time_now() + timeout;
    apr_pool_t *p = r ? r->pool : c->pool;
    const char *how = "timed out";
    int eos_seen = 0;

    memset(&pfd, 0, sizeof(pfd));
    pfd.p = p;
    pfd.desc_type = APR_NO_DESC;
    pfd.reqevents = APR_POLLIN;
    if (ap_get_pollfd_from_conn(c, &pfd, NULL) != APR_SUCCESS
        || pfd.desc_type == APR_NO_DESC) {
        return;
    }
    /* Never change the socket of an HTTP/2 stream's connection. */
    if (!c->master && pfd.desc_type == APR_POLL_SOCKET) {
        apr_socket_opt_set(pfd.desc.s, APR_SO_NONBLOCK, 1);
    }
    bb = apr_brigade_create(p, c->bucket_alloc);
    fastexc_ws_reader_init(&rd);
    for (;;) {
        apr_interval_time_t left;
        apr_int32_t n;
        int got = 0;
        apr_status_t rv = ap_get_brigade(c->input_filters, bb,
                                         AP_MODE_READBYTES,
                                         APR_NONBLOCK_READ, 8192);
        if (rv == APR_SUCCESS) {
            apr_bucket *e;
            for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb)
                 && rd.state == FASTEXC_WS_MORE; e = APR_BUCKET_NEXT(e)) {
                const char *data;
                apr_size_t len;
                if (APR_BUCKET_IS_EOS(e)) {
                    /* on an HTTP/2 stream the first read gives EOS, then
                     * data follows; a second EOS, or one on HTTP/1.1, is
                     * the end */
                    if (!c->master || eos_seen++) {
                        how = "client went away";
                        rv = APR_EOF;
                        break;
                    }
                    continue;
                }
                if (APR_BUCKET_IS_METADATA(e)
                    || apr_bucket_read(e, &data, &len, APR_NONBLOCK_READ)
                       != APR_SUCCESS) {
                    continue;
                }
                got += len > 0;
                fastexc_ws_reader_feed(&rd, (const unsigned char *)data, len);
            }
            apr_brigade_cleanup(bb);
            if (rd.state == FASTEXC_WS_CLOSED) {
                how = "client closed";
                break;
            }
            if (rd.state == FASTEXC_WS_INVALID) {
                how = "client sent invalid frames";
                break;
            }
            if (rv == APR_EOF) {
                break;
            }
            if (got) {
                continue;
            }
        }
        else if (!APR_STATUS_IS_EAGAIN(rv)) {
            how = "client went away";
            break;
        }
        left = deadline - apr_time_now();
        if (left <= 0) {
            break;
        }
        rv = apr_poll(&pfd, 1, &n, left);
        if (rv != APR_SUCCESS && !APR_STATUS_IS_EINTR(rv)) {
            if (!APR_STATUS_IS_TIMEUP(rv)) {
                how = "poll failed";
            }
            break;
        }
    }
    if (r) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0013)
                      "WebSocket close handshake: %s (client code %d)", how,
                      rd.close_code);
    }
    else {
        ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, FXLOGNO(0014)
                      "WebSocket close handshake: %s (client code %d)", how,
                      rd.close_code);
    }
}

/* Bound the blocking writes on c to limit (or the socket's own timeout if
 * shorter) until fastexc_upgrade_unbound(): a client that does not read holds
 * the worker that long at most, not Timeout. An HTTP/2 stream's
 * connection (c->master) has no socket of its own to touch. */
typedef struct {
    apr_socket_t *sock;
    apr_interval_time_t saved;
} fastexc_upgrade_bound_t;

static void fastexc_upgrade_bound(conn_rec *c, apr_interval_time_t limit,
                                  fastexc_upgrade_bound_t *b)
{
    b->sock = c->master ? NULL : ap_get_conn_socket(c);
    if (b->sock && apr_socket_timeout_get(b->sock, &b->saved) == APR_SUCCESS
        && (b->saved < 0 || b->saved > limit)) {
        apr_socket_timeout_set(b->sock, limit);
    }
    else {
        b->sock = NULL;
    }
}

static void fastexc_upgrade_unbound(const fastexc_upgrade_bound_t *b)
{
    if (b->sock) {
        apr_socket_timeout_set(b->sock, b->saved);
    }
}

/* Append a Close frame and a flush to bb (empty, or what goes before the
 * frame) and pass it down c's output filters, within limit. */
static apr_status_t fastexc_upgrade_pass_close(conn_rec *c,
                                               apr_bucket_brigade *bb,
                                               int code, const char *reason,
                                               apr_size_t rlen,
                                               apr_interval_time_t limit)
{
    unsigned char frame[FASTEXC_WS_CLOSE_FRAME_MAX];
    apr_size_t flen = fastexc_ws_close_frame(frame, code, reason, rlen);
    fastexc_upgrade_bound_t bound;
    apr_status_t rv;

    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_heap_create((const char *)frame,
                                                       flen, NULL,
                                                       c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(c->bucket_alloc));
    fastexc_upgrade_bound(c, limit, &bound);
    rv = ap_pass_brigade(c->output_filters, bb);
    fastexc_upgrade_unbound(&bound);
    apr_brigade_cleanup(bb);
    return rv;
}

apr_status_t fastexc_upgrade_write_close(conn_rec *c, apr_pool_t *p,
                                         int code, const char *reason,
                                         apr_size_t rlen,
                                         apr_interval_time_t limit)
{
    return fastexc_upgrade_pass_close(c, apr_brigade_create(p,
                                                            c->bucket_alloc),
                                      code, reason, rlen, limit);
}

/* Send a Close frame on the connection, after head if not NULL (the 101
 * fastexc_upgrade_switch() left unsent), then wait for the client's. */
static apr_status_t fastexc_upgrade_send_close(conn_rec *c, request_rec *r,
                                               apr_bucket_brigade *head,
                                               int code, const char *reason,
                                               apr_size_t rlen,
                                               apr_interval_time_t timeout)
{
    apr_pool_t *p = r ? r->pool : c->pool;
    apr_status_t rv = fastexc_upgrade_pass_close(
        c, head ? head : apr_brigade_create(p, c->bucket_alloc), code,
        reason, rlen, timeout);

    if (rv == APR_SUCCESS) {
        fastexc_upgrade_await_close(c, r, timeout);
    }
    return rv;
}

/* Answer the opening handshake with 101 and take the connection over, as
 * ap_proxy_tunnel_create() does: from here on, bytes are WebSocket frames
 * on c, and the connection closes after this request. Over HTTP/1.1 the
 * 101 is returned unsent, for fastexc_upgrade_send_close(); else NULL. */
static apr_bucket_brigade *fastexc_upgrade_switch(request_rec *r)
{
    conn_rec *c = r->connection;
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    char accept[FASTEXC_WS_ACCEPT_LEN + 1];
    apr_bucket_brigade *head = NULL;

    fastexc_ws_accept(apr_table_get(r->headers_in, "Sec-WebSocket-Key"),
                      accept);
    apr_table_clear(r->headers_out);
    r->status = HTTP_SWITCHING_PROTOCOLS;
    r->status_line = "101 Switching Protocols";
    fastexc_raise_state_make(r)->ws_answered = 1;
    if (c->master) {
        /* an HTTP/2 stream: mod_http2 answers RFC 8441's CONNECT from
         * what ap_send_interim_response() writes */
        fastexc_upgrade_bound_t bound;
        apr_table_setn(r->headers_out, "Upgrade", "websocket");
        apr_table_setn(r->headers_out, "Connection", "Upgrade");
        apr_table_set(r->headers_out, "Sec-WebSocket-Accept", accept);
        fastexc_upgrade_bound(c, fastexc_conf_ws_timeout(dc), &bound);
        ap_send_interim_response(r, 1);
        fastexc_upgrade_unbound(&bound);
    }
    else {
        /* the bytes ap_send_interim_response() writes (server/protocol.c),
         * without its flush: the Close goes in the same write, one segment
         * the client reads at once */
        const char *line = apr_pstrcat(r->pool, AP_SERVER_PROTOCOL " ",
                                       r->status_line, CRLF
                                       "Upgrade: websocket" CRLF
                                       "Connection: Upgrade" CRLF
                                       "Sec-WebSocket-Accept: ", accept,
                                       CRLF CRLF, NULL);
        head = apr_brigade_create(r->pool, c->bucket_alloc);
        APR_BRIGADE_INSERT_TAIL(head, apr_bucket_pool_create(
            line, strlen(line), r->pool, c->bucket_alloc));
    }
    /* the close handshake has its own timeout */
    ap_remove_input_filter_byhandle(c->input_filters, "reqtimeout");
    c->keepalive = AP_CONN_CLOSE;
    return head;
}

/* The handshake errors RFC 6455 4.2.2 asks for, as HTTP exceptions; 0 if
 * the handshake can be answered. */
static int fastexc_upgrade_bad_handshake(request_rec *r, const char **detail,
                                         int *version_header)
{
    const char *version = apr_table_get(r->headers_in,
                                        "Sec-WebSocket-Version");

    *version_header = 0;
    if (!version || strcmp(version, "13") != 0) {
        *detail = "Unsupported WebSocket version: Sec-WebSocket-Version "
                  "must be 13";
        *version_header = 1;
        return HTTP_UPGRADE_REQUIRED;
    }
    if (fastexc_ws_key_check(apr_table_get(r->headers_in,
                                           "Sec-WebSocket-Key"))) {
        *detail = "Invalid Sec-WebSocket-Key";
        return HTTP_BAD_REQUEST;
    }
    return 0;
}

/* Answer an upgrade over HTTP on purpose (FastExcWebSocketReject http, a
 * bad handshake, a bad call of the API): never turned into a Close. */
static int fastexc_upgrade_http(request_rec *r,
                                const fastexc_response_t *resp,
                                const apr_table_t *headers)
{
    fastexc_raise_state_make(r)->ws_http = 1;
    return fastexc_raise_made(r, resp, headers);
}

/* Answer a WebSocket upgrade with an exception: 101 and a Close frame
 * (FastExcWebSocketReject close, the default), or an HTTP status and a
 * FastAPI body (http). Returns what the hook returns. */
static int fastexc_upgrade_answer(request_rec *r, int code, const char *reason,
                                  apr_size_t rlen)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    const fastexc_req_conf *rc = fastexc_raise_state(r);
    apr_bucket_brigade *head;
    const char *detail;
    int status, version_header;

    if (rc && rc->ws_answered) {
        /* a second answer would be a second 101 after our Close */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, FXLOGNO(0037)
                      "WebSocket upgrade already answered: close %d not sent",
                      code);
        return DONE;
    }
    if ((status = fastexc_conf_reject_http(dc))) {
        return fastexc_upgrade_http(r, fastexc_render_text(
            r, "FastExcWebSocketReject http", status,
            rlen ? apr_pstrmemdup(r->pool, reason, rlen) : NULL,
            HTTP_INTERNAL_SERVER_ERROR), NULL);
    }
    if ((status = fastexc_upgrade_bad_handshake(r, &detail, &version_header))) {
        apr_table_t *h = NULL;
        if (version_header) {
            h = apr_table_make(r->pool, 1);
            apr_table_setn(h, "Sec-WebSocket-Version", "13");
        }
        return fastexc_upgrade_http(r, fastexc_render_text(
            r, "WebSocket handshake", status, detail,
            HTTP_INTERNAL_SERVER_ERROR), h);
    }
    head = fastexc_upgrade_switch(r);
    r->output_filters = r->proto_output_filters = r->connection->output_filters;
    r->input_filters = r->proto_input_filters = r->connection->input_filters;
    fastexc_account_ws_cause(r, code, reason, rlen, NULL,
                             FASTEXC_CAUSE_ANSWER);
    fastexc_upgrade_send_close(r->connection, r, head, code, reason, rlen,
                               fastexc_conf_ws_timeout(dc));
    return DONE;
}

/* Run-time close codes and reasons (API, notes): a bad code is refused;
 * a reason is made valid UTF-8 and cut to 123 bytes at a character. */
static const char *fastexc_upgrade_runtime_reason(request_rec *r,
                                                  const char *caller,
                                                  const char *reason,
                                                  apr_size_t *rlen)
{
    apr_size_t len;
    int repaired = 0;

    if (!reason) {
        *rlen = 0;
        return "";
    }
    reason = fastexc_utf8_repair(r->pool, reason, strlen(reason), &len,
                                 &repaired);
    if (repaired) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, FXLOGNO(0017)
                      "%s: reason is not valid UTF-8: invalid bytes "
                      "replaced by U+FFFD", caller);
    }
    *rlen = fastexc_utf8_cut(reason, len, FASTEXC_WS_REASON_MAX);
    if (*rlen < len) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, FXLOGNO(0018)
                      "%s: reason of %" APR_SIZE_T_FMT " bytes cut to %"
                      APR_SIZE_T_FMT " (a close reason is at most 123)",
                      caller, len, *rlen);
    }
    return reason;
}

/* Public API: see include/mod_fastexc.h. */
static int fastexc_upgrade_raise_websocket(request_rec *r, int code,
                                           const char *reason);

int fastexc_raise_websocket(request_rec *r, int code, const char *reason)
{
    int rv = fastexc_upgrade_raise_websocket(r, code, reason);

    if (r) {
        fastexc_account_raised_by(r, FASTEXC_SOURCE_API);
    }
    return rv;
}

static int fastexc_upgrade_raise_websocket(request_rec *r, int code,
                                           const char *reason)
{
    const char *err;
    apr_size_t rlen;

    if (!r) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if ((err = fastexc_ws_code_check(code))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0019)
                      "fastexc_raise_websocket: close code %d refused (%s): "
                      "answering 500", code, err);
        return fastexc_upgrade_http(r, fastexc_render_text(
            r, "fastexc_raise_websocket", HTTP_INTERNAL_SERVER_ERROR, NULL,
            HTTP_INTERNAL_SERVER_ERROR), NULL);
    }
    reason = fastexc_upgrade_runtime_reason(r, "fastexc_raise_websocket",
                                            reason,
                                       &rlen);
    if (r->main || !fastexc_upgrade_is(r)) {
        /* Not a handshake (or a subrequest, which never sends): the HTTP
         * rejection uvicorn would give. */
        return fastexc_upgrade_http(r, fastexc_render_text(
            r, "fastexc_raise_websocket", HTTP_FORBIDDEN,
            rlen ? apr_pstrmemdup(r->pool, reason, rlen) : NULL,
            HTTP_INTERNAL_SERVER_ERROR), NULL);
    }
    return fastexc_upgrade_answer(r, code, reason, rlen);
}

apr_status_t fastexc_websocket_close(conn_rec *c, int code,
                                     const char *reason)
{
    const fastexc_conn_state_t *cs;
    const fastexc_dir_conf *dc;
    apr_interval_time_t timeout;
    const char *err;
    apr_size_t rlen;
    int level;

    if (!c) {
        return APR_EINVAL;
    }
    if ((err = fastexc_ws_code_check(code))) {
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, FXLOGNO(0020)
                      "fastexc_websocket_close: close code %d refused (%s)",
                      code, err);
        return APR_EINVAL;
    }
    reason = reason ? reason : "";
    rlen = strlen(reason);
    if (!fastexc_utf8_valid(reason, rlen)) {
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, FXLOGNO(0021)
                      "fastexc_websocket_close: reason is not valid UTF-8");
        return APR_EINVAL;
    }
    if (rlen > FASTEXC_WS_REASON_MAX) {
        rlen = fastexc_utf8_cut(reason, rlen, FASTEXC_WS_REASON_MAX);
        ap_log_cerror(APLOG_MARK, APLOG_WARNING, 0, c, FXLOGNO(0022)
                      "fastexc_websocket_close: reason cut to %"
                      APR_SIZE_T_FMT " bytes", rlen);
    }
    /* the scope of the upgrade that made the WebSocket, else the
     * virtual host's */
    cs = ap_get_module_config(c->conn_config, &fastexc_module);
    if (!cs || !cs->ws_scope) {
        dc = ap_get_module_config(c->base_server->lookup_defaults,
                                  &fastexc_module);
        timeout = fastexc_conf_ws_timeout(dc);
        level = fastexc_conf_log_level(dc);
    }
    else {
        timeout = cs->ws_close_timeout;
        level = cs->ws_log_level;
    }
    fastexc_account_count_ws_cause(code, FASTEXC_CAUSE_ANSWER);
    ap_log_cerror(APLOG_MARK, level, 0, c, FXLOGNO(0016)
                  "WebSocket closed with %d, reason \"%s\"", code,
                  apr_pstrmemdup(c->pool, reason, rlen));
    c->keepalive = AP_CONN_CLOSE;
    return fastexc_upgrade_send_close(c, NULL, NULL, code, reason, rlen,
                                      timeout);
}

/* An upgrade another module may answer and later close itself with
 * fastexc_websocket_close(c): that close follows r's scope (values, not
 * dc: a merged configuration may live in r->pool). */
static void fastexc_upgrade_note_scope(request_rec *r,
                                       const fastexc_dir_conf *dc)
{
    fastexc_conn_state_t *cs = fastexc_raise_conn_state(r->connection);

    cs->ws_scope = 1;
    cs->ws_close_timeout = fastexc_conf_ws_timeout(dc);
    cs->ws_log_level = fastexc_conf_log_level(dc);
}

/* An upgrade: its scope noted, a FastExcWebSocket rule that holds
 * answered. */
static __attribute__((noinline)) int fastexc_upgrade_handshake(request_rec *r)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    const fastexc_ws_exc_t *exc;

    fastexc_upgrade_note_scope(r, dc);
    if (!dc->rules.ws.list
        || !(exc = fastexc_raise_match(r, dc->rules.ws.list,
                                       "FastExcWebSocket"))) {
        fastexc_raise_unanswered(r, 1);
        return DECLINED;
    }
    /* a configured answer over HTTP (FastExcWebSocketReject http, a bad
     * handshake) is sent directly, as a configured raise is; the C API's
     * keeps its status for the caller's hook */
    return fastexc_raise_send_raised(r, fastexc_upgrade_answer(
        r, exc->code, exc->reason, exc->reason_len));
}

/* Runs REALLY_FIRST, before mod_proxy's handler (FIRST): a matching upgrade
 * is answered here and no backend connection is ever opened. */
int fastexc_upgrade_handler(request_rec *r)
{
    /* every request passes here: the cheapest test first, the handshake
     * out of line (this test then saves no registers) */
    if (r->main || !fastexc_upgrade_is(r)) {
        return DECLINED;
    }
    return fastexc_upgrade_handshake(r);
}

/* r's scope if r is an upgrade that may be answered with a Close (not a
 * subrequest, not FastExcWebSocketReject http, a valid handshake), or
 * NULL. */
static const fastexc_dir_conf *fastexc_upgrade_closable(request_rec *r)
{
    const fastexc_dir_conf *dc;
    const char *detail;
    int version_header;

    if (r->main || !fastexc_upgrade_is(r)) {
        return NULL;
    }
    dc = ap_get_module_config(r->per_dir_config, &fastexc_module);
    if (fastexc_conf_reject_http(dc)
        || fastexc_upgrade_bad_handshake(r, &detail, &version_header)) {
        return NULL;
    }
    return dc;
}

/* FastExcWebSocketBackendError's Close for a proxied upgrade, or NULL. */
static fastexc_upgrade_ctx *fastexc_upgrade_backend_close(request_rec *r,
                                                const fastexc_dir_conf *dc)
{
    fastexc_upgrade_ctx *ctx;

    if (!dc->ws.backend.exc || r->proxyreq != PROXYREQ_REVERSE) {
        return NULL;
    }
    ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    ctx->code = dc->ws.backend.exc->code;
    ctx->reason = dc->ws.backend.exc->reason;
    ctx->reason_len = dc->ws.backend.exc->reason_len;
    ctx->cause = FASTEXC_CAUSE_BACKEND_ERROR;
    return ctx;
}

/* A raise (FastExcRaise, SetHandler fastexc, the C API) that hits a
 * WebSocket upgrade: a Close with the status's code and the detail as the
 * reason, which a browser can read (an HTTP error reaches its script as
 * 1006 with no reason); NULL for another error. */
static fastexc_upgrade_ctx *fastexc_upgrade_raise_close(
    request_rec *r, const fastexc_dir_conf *dc)
{
    const fastexc_req_conf *rc = fastexc_raise_state(r);
    fastexc_upgrade_ctx *ctx;

    if (!rc || !rc->raised || rc->raised->status != r->status
        || rc->ws_http) {
        return NULL;
    }
    ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    ctx->code = fastexc_conf_raise_close(dc, r->status);
    ctx->reason = fastexc_body_reason(r->pool, rc->raised->body,
                                      rc->raised->body_len,
                                      FASTEXC_WS_REASON_MAX,
                                      &ctx->reason_len);
    ctx->cause = FASTEXC_CAUSE_ANSWER;
    return ctx;
}

/* The close this upgrade gets instead of its error response, or NULL: a
 * close code left in the notes (mod_lua...), a raise's, or
 * FastExcWebSocketBackendError for a proxied upgrade that failed (the
 * statuses mod_proxy answers). */
static fastexc_upgrade_ctx *fastexc_upgrade_error_close(request_rec *r)
{
    const fastexc_dir_conf *dc = fastexc_upgrade_closable(r);
    const char *note;
    fastexc_upgrade_ctx *ctx;

    if (!dc) {
        return NULL;
    }
    if ((note = apr_table_get(r->notes, FASTEXC_NOTE_WS_CODE))) {
        const char *err;
        ctx = apr_pcalloc(r->pool, sizeof(*ctx));
        ctx->code = atoi(note);
        if ((err = fastexc_ws_code_check(ctx->code))) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0024)
                          "note " FASTEXC_NOTE_WS_CODE ": close code %s "
                          "refused (%s)", note, err);
            return NULL;
        }
        ctx->reason = fastexc_upgrade_runtime_reason(
            r, "note " FASTEXC_NOTE_WS_REASON,
            apr_table_get(r->notes, FASTEXC_NOTE_WS_REASON),
            &ctx->reason_len);
        ctx->cause = FASTEXC_CAUSE_ANSWER;
        return ctx;
    }
    if ((ctx = fastexc_upgrade_raise_close(r, dc))) {
        return ctx;
    }
    if (r->status == HTTP_INTERNAL_SERVER_ERROR
        || r->status == HTTP_BAD_GATEWAY
        || r->status == HTTP_SERVICE_UNAVAILABLE
        || r->status == HTTP_GATEWAY_TIME_OUT) {
        return fastexc_upgrade_backend_close(r, dc);
    }
    return NULL;
}

/* Sends 101 and a Close instead of the response passing through (an error
 * response, or a backend's non-101 answer to a proxied upgrade), then
 * swallows that response: nothing of it reaches the client. */
static apr_status_t fastexc_upgrade_filter(ap_filter_t *f,
                                           apr_bucket_brigade *bb)
{
    fastexc_upgrade_ctx *ctx = f->ctx;
    request_rec *r = f->r;
    apr_bucket *e;
    int eos = 0;

    if (!ctx->done) {
        const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                          &fastexc_module);
        ctx->done = 1;
        if (r->status == HTTP_SWITCHING_PROTOCOLS) {
            /* the backend upgraded: nothing to do */
            ap_remove_output_filter(f);
            return ap_pass_brigade(f->next, bb);
        }
        fastexc_account_ws_cause(r, ctx->code, ctx->reason, ctx->reason_len,
                                 apr_psprintf(r->pool, "instead of HTTP %d",
                                              r->status), ctx->cause);
        fastexc_upgrade_send_close(r->connection, r,
                                   fastexc_upgrade_switch(r), ctx->code,
                                   ctx->reason, ctx->reason_len,
                                   fastexc_conf_ws_timeout(dc));
    }
    for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb);
         e = APR_BUCKET_NEXT(e)) {
        eos |= APR_BUCKET_IS_EOS(e);
    }
    apr_brigade_cleanup(bb);
    if (eos) {
        /* end the exchange on the connection itself (an HTTP/2 stream
         * ends with it) */
        apr_bucket_brigade *end = apr_brigade_create(r->pool,
                                                     f->c->bucket_alloc);
        APR_BRIGADE_INSERT_TAIL(end, apr_bucket_eos_create(f->c->bucket_alloc));
        ap_remove_output_filter(f);
        return ap_pass_brigade(f->c->output_filters, end);
    }
    return APR_SUCCESS;
}

/* A proxied upgrade in a FastExcWebSocketBackendError scope: watch for a
 * non-101 answer from the backend. */
void fastexc_upgrade_insert_filter(request_rec *r)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    fastexc_upgrade_ctx *ctx;

    /* the cheapest test first: every request passes here */
    if (dc->ws.backend.exc && r->proxyreq == PROXYREQ_REVERSE
        && (dc = fastexc_upgrade_closable(r))
        && (ctx = fastexc_upgrade_backend_close(r, dc))) {
        ap_add_output_filter_handle(fastexc_upgrade_filter_handle, ctx, r,
                                    r->connection);
    }
}

/* insert_error_filter runs inside ap_send_error_response(), after the
 * output chain was reset to the protocol filters. */
int fastexc_upgrade_insert_error_close(request_rec *r)
{
    fastexc_upgrade_ctx *ws = fastexc_upgrade_error_close(r);

    if (!ws) {
        return 0;
    }
    /* the error path drops request filters: (re)add ours */
    ap_add_output_filter_handle(fastexc_upgrade_filter_handle, ws, r,
                                r->connection);
    return 1;
}

void fastexc_upgrade_filters(void)
{
    fastexc_upgrade_filter_handle = ap_register_output_filter(
        FASTEXC_WS_FILTER, fastexc_upgrade_filter, NULL, AP_FTYPE_CONTENT_SET);
}
