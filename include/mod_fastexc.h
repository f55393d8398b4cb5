/*
 * mod_fastexc.h - public API of mod_fastexc, FastAPI-style exceptions for httpd.
 *
 * Other modules raise an HTTPException through APR optional functions, so they
 * neither link against mod_fastexc nor fail when it is not loaded:
 *
 *     #include "mod_fastexc.h"
 *
 *     static APR_OPTIONAL_FN_TYPE(fastexc_raise_text) *raise_text;
 *
 *     static void my_optional_fn_retrieve(void)
 *     {
 *         raise_text = APR_RETRIEVE_OPTIONAL_FN(fastexc_raise_text);
 *     }
 *
 *     static int my_access_checker(request_rec *r)
 *     {
 *         if (!apr_table_get(r->headers_in, "X-Api-Key") && raise_text)
 *             return raise_text(r, HTTP_UNAUTHORIZED, "Missing API key", NULL);
 *         return DECLINED;
 *     }
 *
 * A raise records the exception on the request and returns the status the
 * caller must return from its hook (post_read_request up to the handler);
 * httpd then sends it through its error path as FastAPI would:
 * status line with Python's reason phrase, `{"detail": ...}` as compact JSON,
 * `Content-Type: application/json` and the given headers. ErrorDocument is
 * bypassed for a raised exception. In a subrequest nothing is sent: the
 * status is the subrequest's result.
 *
 * Bad input never breaks the response: an invalid status, invalid JSON or a
 * detail with no reason phrase is logged and answered 500 (the return value
 * says so); an invalid header name or value is logged and left out; invalid
 * UTF-8 in a text detail is replaced by U+FFFD and logged.
 *
 * WebSocketException: fastexc_raise_websocket() answers a WebSocket opening
 * handshake with 101 and a Close frame carrying the code and reason (or, in
 * a scope with `FastExcWebSocketReject http`, an HTTP rejection), and
 * returns DONE; fastexc_websocket_close() closes an established WebSocket
 * that the calling module terminates itself.
 *
 * Modules that cannot call C (mod_lua, mod_perl) use request notes instead;
 * see README.md ("Notes API"):
 *     fastexc-detail       the detail as text
 *     fastexc-detail-json  the detail as a JSON value
 *     fastexc-ws-code      a WebSocket upgrade: close with this code
 *     fastexc-ws-reason    ... and this reason
 * then return the status from their hook; headers go in r->err_headers_out.
 */
#ifndef MOD_FASTEXC_H
#define MOD_FASTEXC_H

#include "httpd.h"
#include "apr_optional.h"
#include "apr_tables.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * mod_fastexc's version (the version of this header, and of the module
 * built with it; the module logs it at startup, tag FX0040). Test it at
 * compile time:
 *
 *     #if defined(MOD_FASTEXC_VERSION_NUM) && MOD_FASTEXC_VERSION_NUM >= 0x010000
 *
 * MOD_FASTEXC_VERSION_NUM is 0xMMmmpp: major, minor and patch, a byte each.
 */
#define MOD_FASTEXC_VERSION_MAJOR 1
#define MOD_FASTEXC_VERSION_MINOR 0
#define MOD_FASTEXC_VERSION_PATCH 0
#define MOD_FASTEXC_VERSION "1.0.0"
#define MOD_FASTEXC_VERSION_NUM ((MOD_FASTEXC_VERSION_MAJOR << 16) \
                                 | (MOD_FASTEXC_VERSION_MINOR << 8) \
                                 | MOD_FASTEXC_VERSION_PATCH)

/** Names of the request notes read when an error response is rendered. */
#define FASTEXC_NOTE_DETAIL      "fastexc-detail"
#define FASTEXC_NOTE_DETAIL_JSON "fastexc-detail-json"
/** For a WebSocket upgrade: close with this code (and reason) instead. */
#define FASTEXC_NOTE_WS_CODE     "fastexc-ws-code"
#define FASTEXC_NOTE_WS_REASON   "fastexc-ws-reason"

/**
 * Raise an HTTPException whose detail is a JSON value.
 * @param r           the request (any phase from post_read_request to handler)
 * @param status      200-599; 1xx and out-of-range statuses are answered 500
 * @param detail_json JSON text of the detail (any JSON value), or NULL for
 *                    the status's reason phrase
 * @param headers     headers to send with the response, or NULL; a
 *                    Content-Type here replaces application/json
 * @return the status the caller returns from its hook
 */
APR_DECLARE_OPTIONAL_FN(int, fastexc_raise,
                        (request_rec *r, int status, const char *detail_json,
                         const apr_table_t *headers));

/**
 * Raise an HTTPException whose detail is a text (sent as a JSON string).
 * @param text  UTF-8 text, or NULL for the status's reason phrase
 * Other parameters and the return value as for fastexc_raise().
 */
APR_DECLARE_OPTIONAL_FN(int, fastexc_raise_text,
                        (request_rec *r, int status, const char *text,
                         const apr_table_t *headers));

/**
 * Raise a WebSocketException on a WebSocket opening handshake: 101, then a
 * Close frame with code and reason, then the connection closes once the
 * client answers the Close (or FastExcWebSocketCloseTimeout passes).
 * @param r       the upgrade request (any phase from post_read_request to
 *                handler, before anything was sent)
 * @param code    1000-1003, 1007-1014 or 3000-4999; another is logged and
 *                answered with an HTTP 500
 * @param reason  UTF-8 text or NULL; cut to 123 bytes at a character
 *                boundary (logged) if longer
 * @return DONE, or an HTTP status (bad handshake: 400/426; not an upgrade,
 *         a subrequest, or `FastExcWebSocketReject http`: the rejection
 *         status) - in every case what the caller returns from its hook
 */
APR_DECLARE_OPTIONAL_FN(int, fastexc_raise_websocket,
                        (request_rec *r, int code, const char *reason));

/**
 * Close an established WebSocket that the calling module terminates: send
 * a Close frame with code and reason on c, wait (bounded) for the client's
 * Close, and mark c to be closed.
 * @return APR_SUCCESS, APR_EINVAL for a code that cannot be sent or a
 *         reason that is not UTF-8, or the error writing to c
 */
APR_DECLARE_OPTIONAL_FN(apr_status_t, fastexc_websocket_close,
                        (conn_rec *c, int code, const char *reason));

#ifdef __cplusplus
}
#endif

#endif /* MOD_FASTEXC_H */
