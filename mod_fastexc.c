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
 *   FastExcWebSocket <code> [<reason>] [expr=<condition>]
 *   FastExcWebSocket Off
 *       A WebSocket upgrade of the scope is answered 101, then a Close frame
 *       with this code and reason (FastAPI's WebSocketException), before any
 *       handler (no backend connection for proxied ones). Rules and "Off" as
 *       for FastExcRaise.
 *
 *   FastExcWebSocketReject close|http [<status>]
 *       close (default): as above. http: reject the handshake over HTTP as
 *       uvicorn does, with <status> (403) and {"detail": <reason>}.
 *
 *   FastExcWebSocketBackendError <code> [<reason>]
 *   FastExcWebSocketBackendError Off
 *       A proxied upgrade that fails (backend down, refusing, timing out,
 *       answering without 101) is answered 101 + Close with this code.
 *
 *   FastExcWebSocketCloseTimeout <time>
 *       How long to wait for the client's Close after ours (default 5s).
 *
 *   FastExcWebSocketTunnelClose On|Off
 *   FastExcWebSocketTunnelClose backend|timeout|restart <code> [<reason>]
 *   FastExcWebSocketTunnelClose backend|timeout|restart Off
 *       When a WebSocket tunnel proxied by mod_proxy_http ends abnormally,
 *       send the client a Close instead of a bare TCP close (1006): the
 *       backend went away (default 1011), the tunnel's idle timeout (1001),
 *       a graceful restart (1012). Only at a frame boundary, never after a
 *       Close went either way. Naming an end turns the scope On. Default
 *       Off.
 *
 *   FastExcFormat fastapi|problem
 *       fastapi (default): {"detail": ...}. problem: RFC 9457 Problem
 *       Details, application/problem+json, for every exception of the scope.
 *
 *   FastExcProblemType <absolute URI>
 *       The "type" member of Problem Details (default about:blank).
 *
 *   FastExcLogLevel <level>
 *       The level each exception sent is logged at, once (default info).
 *       Notes fastexc-sent-status, -detail, -ws-code, -ws-reason carry it
 *       to mod_log_config; mod_status shows counts across children.
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

/* ---- types ---------------------------------------------------------- */

#define FASTEXC_UNSET (-1)
#define FXLOGNO(n) "FX" #n ": "
#define FASTEXC_HANDLER "fastexc"
#define FASTEXC_FILTER "FASTEXC"
#define FASTEXC_WS_FILTER "FASTEXC_WS"

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

/* What a configured rule carries whatever it raises: its condition, and
 * where it was configured. First member of both kinds of rule below. */
typedef struct {
    ap_expr_info_t *cond;       /* expr=, or NULL: always */
    const char *where;          /* "file:line", for log lines */
} fastexc_rule_t;

/* A configured exception (FastExcRaise, FastExcDetail). */
typedef struct {
    fastexc_rule_t rule;
    int status;
    const char *body;           /* rendered once at startup; NULL if template */
    apr_size_t body_len;
    apr_array_header_t *parts;  /* fastexc_part_t of a text template */
    apr_array_header_t *headers;/* fastexc_header_t */
} fastexc_exc_t;

/* An exception as it is sent, rendered for one request. */
typedef struct {
    int status;
    const char *body;
    apr_size_t body_len;
    apr_table_t *headers;       /* may be NULL */
    const char *content_type;   /* NULL: application/json */
} fastexc_response_t;

#define FASTEXC_FORMAT_FASTAPI 0
#define FASTEXC_FORMAT_PROBLEM 1

/* A configured WebSocket close (FastExcWebSocket, ...BackendError). */
typedef struct {
    fastexc_rule_t rule;
    int code;
    const char *reason;
    apr_size_t reason_len;
} fastexc_ws_exc_t;

/* Why a proxied WebSocket tunnel ended, for FastExcWebSocketTunnelClose. */
#define FASTEXC_TUNNEL_BACKEND 0
#define FASTEXC_TUNNEL_TIMEOUT 1
#define FASTEXC_TUNNEL_RESTART 2
#define FASTEXC_TUNNEL_EVENTS 3

/* A close a scope may set, or turn Off, for one way a proxied WebSocket
 * ends (FastExcWebSocketBackendError, each FastExcWebSocketTunnelClose
 * end): inherited until set. */
typedef struct {
    int set;                    /* UNSET, 0 (Off) or 1 */
    fastexc_ws_exc_t *exc;      /* when set to 1 */
} fastexc_close_slot_t;

#define FASTEXC_WS_REJECT_CLOSE 0
#define FASTEXC_WS_REJECT_HTTP 1
#define FASTEXC_WS_CLOSE_TIMEOUT_DEFAULT apr_time_from_sec(5)

typedef struct {
    int enabled;                /* FastExc; FASTEXC_UNSET until set */
    int raise_inherit;          /* 0 after "FastExcRaise Off" */
    apr_array_header_t *raises; /* fastexc_exc_t *: own, then inherited */
    apr_hash_t *details;        /* int status -> fastexc_exc_t * */
    int ws_inherit;             /* 0 after "FastExcWebSocket Off" */
    apr_array_header_t *ws_raises;  /* fastexc_ws_exc_t *, like raises */
    int ws_reject;              /* FASTEXC_WS_REJECT_*, or UNSET */
    int ws_reject_status;       /* with http; set with ws_reject */
    fastexc_close_slot_t ws_backend;        /* FastExcWebSocketBackendError */
    apr_interval_time_t ws_close_timeout;   /* FASTEXC_UNSET until set */
    int format;                 /* FASTEXC_FORMAT_*, or UNSET */
    const char *problem_type;   /* FastExcProblemType; NULL until set */
    int log_level;              /* FastExcLogLevel (APLOG_*), or UNSET */
    int tunnel;                 /* FastExcWebSocketTunnelClose On/Off, UNSET */
    fastexc_close_slot_t tunnel_close[FASTEXC_TUNNEL_EVENTS];   /* per end */
} fastexc_dir_conf;

/* Counts of exceptions sent, across all children: in anonymous shared
 * memory made by the parent before it forks, kept across restarts. */
#define FASTEXC_COUNT_HTTP_MIN 200
#define FASTEXC_COUNT_HTTP_N 400
#define FASTEXC_COUNT_WS_MIN 1000
#define FASTEXC_COUNT_WS_N 4000
typedef struct {
    apr_uint32_t http[FASTEXC_COUNT_HTTP_N];    /* by status, 200-599 */
    apr_uint32_t ws[FASTEXC_COUNT_WS_N];        /* by close code, 1000-4999 */
} fastexc_counters_t;

#define FASTEXC_LOG_LEVEL_DEFAULT APLOG_INFO
/* What the access log can show: %{fastexc-sent-status}n and so on. */
#define FASTEXC_NOTE_SENT_STATUS "fastexc-sent-status"
#define FASTEXC_NOTE_SENT_DETAIL "fastexc-sent-detail"
#define FASTEXC_NOTE_SENT_WS_CODE "fastexc-sent-ws-code"
#define FASTEXC_NOTE_SENT_WS_REASON "fastexc-sent-ws-reason"

typedef struct fastexc_tunnel fastexc_tunnel_t;

/* A connection's tunnel watcher filters, added once per connection, and
 * the tunnel they watch for the request in flight (NULL: none). */
typedef struct {
    fastexc_tunnel_t *t;
    ap_filter_t *in, *out;
} fastexc_watch_t;

/* A proxied WebSocket tunnel watched for FastExcWebSocketTunnelClose: from
 * mod_proxy_http's backend request (create_req) until the request ends.
 * Lives in r->pool; the backend's side of it (watcher, socket) is let go
 * when the backend connection is released, before r ends. */
struct fastexc_tunnel {
    request_rec *r;
    const fastexc_dir_conf *dc;
    conn_rec *origin_c;         /* the backend connection */
    apr_socket_t *origin_sock;  /* until the backend is released */
    apr_pool_t *origin_pool;    /* the backend request's, until released */
    fastexc_watch_t *origin_w;  /* on the backend connection */
    fastexc_watch_t *client_w;  /* on r->connection */
    fastexc_ws_reader_t down;   /* backend -> client frames */
    fastexc_ws_reader_t up;     /* client -> backend frames */
    int started;                /* the backend answered 101: tunnelling */
    int origin_ended;           /* the backend closed, failed or was cut */
    int close_pending;          /* send the Close after data in flight */
    int client_gone;            /* reading or writing the client failed */
    int decided;                /* the end was dealt with, once */
    int cut;                    /* a restart cut the backend off here */
    volatile apr_uint32_t restarting;   /* set by child_stopping */
    volatile apr_uint32_t mid_frame;    /* read by child_stopping */
    int registered;
    fastexc_tunnel_t *prev, *next;      /* this child's running tunnels */
};

typedef struct {
    fastexc_response_t *raised; /* the exception this request raised */
    fastexc_tunnel_t *tunnel;   /* a watched WebSocket tunnel */
} fastexc_req_conf;

/* Filter state: the response to send, and whether headers were set. */
typedef struct {
    fastexc_response_t *resp;
    int started;
} fastexc_filter_ctx;

/* WebSocket filter state: the close to send instead of the response. */
typedef struct {
    int code;
    const char *reason;
    apr_size_t reason_len;
    int done;
} fastexc_ws_ctx;

/* ---- module declaration -------------------------------------------- */

/* Built with -fvisibility=hidden: this is the one symbol httpd looks up. */
module __attribute__((visibility("default"))) AP_MODULE_DECLARE_DATA
    fastexc_module;

static ap_filter_rec_t *fastexc_filter_handle;
static ap_filter_rec_t *fastexc_ws_filter_handle;
static fastexc_counters_t *fastexc_counters;    /* NULL: not counting */
static ap_filter_rec_t *fastexc_origin_in_handle;
static ap_filter_rec_t *fastexc_client_in_handle, *fastexc_client_out_handle;

/* This child's running tunnels, for a graceful restart to close them. */
static fastexc_tunnel_t *fastexc_tunnels;
#if APR_HAS_THREADS
static apr_thread_mutex_t *fastexc_tunnels_lock;
#endif
static int fastexc_generation;  /* this child's, from the MPM */
/* child_stopping saw a restart: a tunnel starting after it closes at once */
static volatile apr_uint32_t fastexc_restart_seen;

/* What a tunnel's end sends by default, per FASTEXC_TUNNEL_* event. */
static const fastexc_ws_exc_t fastexc_tunnel_defaults[FASTEXC_TUNNEL_EVENTS]
    = { { { NULL, "default" }, 1011, "Backend went away", 17 },
        { { NULL, "default" }, 1001, "Idle timeout", 12 },
        { { NULL, "default" }, 1012, "Service restart", 15 } };
static const char *const fastexc_tunnel_events[FASTEXC_TUNNEL_EVENTS]
    = { "backend", "timeout", "restart" };

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

    if (!exc) {
        return fastexc_default_response(r, status);
    }
    /* the body was rendered at startup, unless it is a template */
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
                          "from the request replaced by U+FFFD", exc->rule.where);
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
                                  "turned to spaces", h[i].name, exc->rule.where);
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

static int fastexc_log_level(request_rec *r)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);

    return dc->log_level != FASTEXC_UNSET ? dc->log_level
                                          : FASTEXC_LOG_LEVEL_DEFAULT;
}

/* Every exception sent is counted, logged once (FastExcLogLevel) and left
 * in the notes for mod_log_config. */
static void fastexc_account_http(request_rec *r,
                                 const fastexc_response_t *resp)
{
    /* the detail is the body without {"detail": and } */
    const char *detail = resp->body_len > 11
        ? apr_pstrmemdup(r->pool, resp->body + 10, resp->body_len - 11) : "";

    if (fastexc_counters && resp->status >= FASTEXC_COUNT_HTTP_MIN
        && resp->status < FASTEXC_COUNT_HTTP_MIN + FASTEXC_COUNT_HTTP_N) {
        apr_atomic_inc32(&fastexc_counters->http[resp->status
                                                 - FASTEXC_COUNT_HTTP_MIN]);
    }
    apr_table_setn(r->notes, FASTEXC_NOTE_SENT_STATUS,
                   apr_itoa(r->pool, resp->status));
    apr_table_setn(r->notes, FASTEXC_NOTE_SENT_DETAIL, detail);
    /* httpd's error log escapes control bytes and backslashes itself */
    ap_log_rerror(APLOG_MARK, fastexc_log_level(r), 0, r, FXLOGNO(0027)
                  "exception %d, detail %.512s", resp->status, detail);
}

static void fastexc_count_ws(int code)
{
    if (fastexc_counters && code >= FASTEXC_COUNT_WS_MIN
        && code < FASTEXC_COUNT_WS_MIN + FASTEXC_COUNT_WS_N) {
        apr_atomic_inc32(&fastexc_counters->ws[code - FASTEXC_COUNT_WS_MIN]);
    }
}

static void fastexc_account_ws(request_rec *r, int code, const char *reason,
                               apr_size_t rlen, const char *context)
{
    const char *why = apr_pstrmemdup(r->pool, reason, rlen);

    fastexc_count_ws(code);
    apr_table_setn(r->notes, FASTEXC_NOTE_SENT_WS_CODE,
                   apr_itoa(r->pool, code));
    apr_table_setn(r->notes, FASTEXC_NOTE_SENT_WS_REASON, why);
    ap_log_rerror(APLOG_MARK, fastexc_log_level(r), 0, r, FXLOGNO(0028)
                  "WebSocket closed with %d, reason \"%s\"%s%s", code, why,
                  context ? ", " : "", context ? context : "");
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
    if (r->main) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0010)
                      "raised %d in a subrequest: its status, nothing sent",
                      resp->status);
    }
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

/* The first rule (FastExcRaise, FastExcWebSocket) of rules whose condition
 * holds; a condition that cannot be evaluated is logged and skipped. */
static const void *fastexc_first_match(request_rec *r,
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

/* Fixups run after access control and before every handler, mod_proxy's
 * included, with the final per-directory configuration. */
static int fastexc_fixups(request_rec *r)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    const fastexc_exc_t *exc = fastexc_first_match(r, dc->raises,
                                                   "FastExcRaise");

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
    exc = fastexc_first_match(r, dc->raises, "FastExcRaise");
    if (!exc && dc->details) {
        exc = apr_hash_get(dc->details, &status, sizeof(status));
    }
    return fastexc_raise_response(r, fastexc_render(r, exc,
                                                    exc ? exc->status
                                                        : status));
}

/* ---- WebSocket request glue ---------------------------------------- */

/* An RFC 6455 opening handshake: GET, HTTP/1.1 or later, Upgrade:
 * websocket and Connection: upgrade. mod_http2 turns an RFC 8441 extended
 * CONNECT into such a GET on its secondary connection (c->master). */
static int fastexc_ws_is_upgrade(request_rec *r)
{
    const char *upgrade = apr_table_get(r->headers_in, "Upgrade");
    const char *conn = apr_table_get(r->headers_in, "Connection");

    return r->method_number == M_GET && r->proto_num >= HTTP_VERSION(1, 1)
        && upgrade && ap_find_token(r->pool, upgrade, "websocket")
        && (r->connection->master
            || (conn && ap_find_token(r->pool, conn, "upgrade")));
}

static apr_interval_time_t fastexc_ws_timeout(const fastexc_dir_conf *dc)
{
    return dc->ws_close_timeout != FASTEXC_UNSET
        ? dc->ws_close_timeout : FASTEXC_WS_CLOSE_TIMEOUT_DEFAULT;
}

/* After our Close, read what the client sends until its Close arrives, it
 * goes away, it sends what is not WebSocket frames, or timeout passes: no
 * read ever blocks (poll with the time left, then non-blocking reads), so
 * a silent client holds the worker at most timeout. Data frames are
 * discarded unread. r may be NULL (fastexc_websocket_close). */
static void fastexc_ws_await_close(conn_rec *c, request_rec *r,
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
 * shorter) until fastexc_ws_unbound(): a client that does not read holds
 * the worker that long at most, not Timeout. An HTTP/2 stream's
 * connection (c->master) has no socket of its own to touch. */
typedef struct {
    apr_socket_t *sock;
    apr_interval_time_t saved;
} fastexc_ws_bound_t;

static void fastexc_ws_bound(conn_rec *c, apr_interval_time_t limit,
                             fastexc_ws_bound_t *b)
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

static void fastexc_ws_unbound(const fastexc_ws_bound_t *b)
{
    if (b->sock) {
        apr_socket_timeout_set(b->sock, b->saved);
    }
}

/* Write a Close frame on the connection and flush it, within limit. */
static apr_status_t fastexc_ws_write_close(conn_rec *c, apr_pool_t *p,
                                           int code, const char *reason,
                                           apr_size_t rlen,
                                           apr_interval_time_t limit)
{
    unsigned char frame[FASTEXC_WS_CLOSE_FRAME_MAX];
    apr_size_t flen = fastexc_ws_close_frame(frame, code, reason, rlen);
    apr_bucket_brigade *bb = apr_brigade_create(p, c->bucket_alloc);
    fastexc_ws_bound_t bound;
    apr_status_t rv;

    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_heap_create((const char *)frame,
                                                       flen, NULL,
                                                       c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(c->bucket_alloc));
    fastexc_ws_bound(c, limit, &bound);
    rv = ap_pass_brigade(c->output_filters, bb);
    fastexc_ws_unbound(&bound);
    apr_brigade_cleanup(bb);
    return rv;
}

/* Send a Close frame on the connection, then wait for the client's. */
static apr_status_t fastexc_ws_send_close(conn_rec *c, request_rec *r,
                                          int code, const char *reason,
                                          apr_size_t rlen,
                                          apr_interval_time_t timeout)
{
    apr_status_t rv = fastexc_ws_write_close(c, r ? r->pool : c->pool, code,
                                             reason, rlen, timeout);

    if (rv == APR_SUCCESS) {
        fastexc_ws_await_close(c, r, timeout);
    }
    return rv;
}

/* Answer the opening handshake with 101 and take the connection over, as
 * ap_proxy_tunnel_create() does: from here on, bytes are WebSocket frames
 * on c, and the connection closes after this request. */
static void fastexc_ws_switch(request_rec *r)
{
    conn_rec *c = r->connection;
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    char accept[FASTEXC_WS_ACCEPT_LEN + 1];
    fastexc_ws_bound_t bound;

    fastexc_ws_accept(apr_table_get(r->headers_in, "Sec-WebSocket-Key"),
                      accept);
    apr_table_clear(r->headers_out);
    apr_table_setn(r->headers_out, "Upgrade", "websocket");
    apr_table_setn(r->headers_out, "Connection", "Upgrade");
    apr_table_set(r->headers_out, "Sec-WebSocket-Accept", accept);
    r->status = HTTP_SWITCHING_PROTOCOLS;
    r->status_line = "101 Switching Protocols";
    fastexc_ws_bound(c, fastexc_ws_timeout(dc), &bound);
    ap_send_interim_response(r, 1);
    fastexc_ws_unbound(&bound);
    /* the close handshake has its own timeout */
    ap_remove_input_filter_byhandle(c->input_filters, "reqtimeout");
    c->keepalive = AP_CONN_CLOSE;
}

/* The handshake errors RFC 6455 4.2.2 asks for, as HTTP exceptions; 0 if
 * the handshake can be answered. */
static int fastexc_ws_bad_handshake(request_rec *r, const char **detail,
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

/* Answer a WebSocket upgrade with an exception: 101 and a Close frame
 * (FastExcWebSocketReject close, the default), or an HTTP status and a
 * FastAPI body (http). Returns what the hook returns. */
static int fastexc_ws_answer(request_rec *r, int code, const char *reason,
                             apr_size_t rlen)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    const char *detail;
    int status, version_header;

    if (dc->ws_reject == FASTEXC_WS_REJECT_HTTP) {
        status = dc->ws_reject_status;
        return fastexc_raise_detail(r, "FastExcWebSocketReject http", status,
                                    rlen ? apr_pstrmemdup(r->pool, reason,
                                                          rlen) : NULL,
                                    0, NULL);
    }
    if ((status = fastexc_ws_bad_handshake(r, &detail, &version_header))) {
        apr_table_t *h = NULL;
        if (version_header) {
            h = apr_table_make(r->pool, 1);
            apr_table_setn(h, "Sec-WebSocket-Version", "13");
        }
        return fastexc_raise_detail(r, "WebSocket handshake", status, detail,
                                    0, h);
    }
    fastexc_ws_switch(r);
    r->output_filters = r->proto_output_filters = r->connection->output_filters;
    r->input_filters = r->proto_input_filters = r->connection->input_filters;
    fastexc_account_ws(r, code, reason, rlen, NULL);
    fastexc_ws_send_close(r->connection, r, code, reason, rlen,
                          fastexc_ws_timeout(dc));
    return DONE;
}

/* Run-time close codes and reasons (API, notes): a bad code is refused;
 * a reason is made valid UTF-8 and cut to 123 bytes at a character. */
static const char *fastexc_ws_runtime_reason(request_rec *r,
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
static int fastexc_raise_websocket(request_rec *r, int code,
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
        return fastexc_raise_detail(r, "fastexc_raise_websocket",
                                    HTTP_INTERNAL_SERVER_ERROR, NULL, 0,
                                    NULL);
    }
    reason = fastexc_ws_runtime_reason(r, "fastexc_raise_websocket", reason,
                                       &rlen);
    if (r->main || !fastexc_ws_is_upgrade(r)) {
        /* Not a handshake (or a subrequest, which never sends): the HTTP
         * rejection uvicorn would give. */
        return fastexc_raise_detail(r, "fastexc_raise_websocket",
                                    HTTP_FORBIDDEN,
                                    rlen ? apr_pstrmemdup(r->pool, reason,
                                                          rlen) : NULL,
                                    0, NULL);
    }
    return fastexc_ws_answer(r, code, reason, rlen);
}

static apr_status_t fastexc_websocket_close(conn_rec *c, int code,
                                            const char *reason)
{
    const fastexc_dir_conf *dc;
    const char *err;
    apr_size_t rlen;

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
    dc = ap_get_module_config(c->base_server->lookup_defaults,
                              &fastexc_module);
    fastexc_count_ws(code);
    ap_log_cerror(APLOG_MARK, dc->log_level != FASTEXC_UNSET ? dc->log_level
                  : FASTEXC_LOG_LEVEL_DEFAULT, 0, c, FXLOGNO(0016)
                  "WebSocket closed with %d, reason \"%s\"", code,
                  apr_pstrmemdup(c->pool, reason, rlen));
    c->keepalive = AP_CONN_CLOSE;
    return fastexc_ws_send_close(c, NULL, code, reason, rlen,
                                 fastexc_ws_timeout(dc));
}

/* Runs REALLY_FIRST, before mod_proxy's handler (FIRST): a matching upgrade
 * is answered here and no backend connection is ever opened. */
static int fastexc_ws_handler(request_rec *r)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    const fastexc_ws_exc_t *exc;

    /* every request passes here: the cheapest test first */
    if (!dc->ws_raises || r->main || !fastexc_ws_is_upgrade(r)
        || !(exc = fastexc_first_match(r, dc->ws_raises,
                                       "FastExcWebSocket"))) {
        return DECLINED;
    }
    return fastexc_ws_answer(r, exc->code, exc->reason, exc->reason_len);
}

/* The close this upgrade gets instead of an error response, or NULL: a
 * close code left in the notes (mod_lua...), or FastExcWebSocketBackendError
 * for a proxied upgrade that failed. */
static fastexc_ws_ctx *fastexc_ws_error_close(request_rec *r, int from_error)
{
    const fastexc_dir_conf *dc;
    const char *note;
    fastexc_ws_ctx *ctx;
    int version_header;

    if (r->main || !fastexc_ws_is_upgrade(r)) {
        return NULL;
    }
    dc = ap_get_module_config(r->per_dir_config, &fastexc_module);
    if (dc->ws_reject == FASTEXC_WS_REJECT_HTTP
        || fastexc_ws_bad_handshake(r, &note, &version_header)) {
        return NULL;
    }
    ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    if (from_error && (note = apr_table_get(r->notes, FASTEXC_NOTE_WS_CODE))) {
        const char *err;
        ctx->code = atoi(note);
        if ((err = fastexc_ws_code_check(ctx->code))) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, FXLOGNO(0024)
                          "note " FASTEXC_NOTE_WS_CODE ": close code %s "
                          "refused (%s)", note, err);
            return NULL;
        }
        ctx->reason = fastexc_ws_runtime_reason(
            r, "note " FASTEXC_NOTE_WS_REASON,
            apr_table_get(r->notes, FASTEXC_NOTE_WS_REASON),
            &ctx->reason_len);
        return ctx;
    }
    if (dc->ws_backend.exc && r->proxyreq == PROXYREQ_REVERSE
        && (!from_error || r->status == HTTP_INTERNAL_SERVER_ERROR
            || r->status == HTTP_BAD_GATEWAY
            || r->status == HTTP_SERVICE_UNAVAILABLE
            || r->status == HTTP_GATEWAY_TIME_OUT)) {
        ctx->code = dc->ws_backend.exc->code;
        ctx->reason = dc->ws_backend.exc->reason;
        ctx->reason_len = dc->ws_backend.exc->reason_len;
        return ctx;
    }
    return NULL;
}

/* Sends 101 and a Close instead of the response passing through (an error
 * response, or a backend's non-101 answer to a proxied upgrade), then
 * swallows that response: nothing of it reaches the client. */
static apr_status_t fastexc_ws_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    fastexc_ws_ctx *ctx = f->ctx;
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
        fastexc_account_ws(r, ctx->code, ctx->reason, ctx->reason_len,
                           apr_psprintf(r->pool, "instead of HTTP %d",
                                        r->status));
        fastexc_ws_switch(r);
        fastexc_ws_send_close(r->connection, r, ctx->code, ctx->reason,
                              ctx->reason_len, fastexc_ws_timeout(dc));
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
static void fastexc_insert_filter(request_rec *r)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    fastexc_ws_ctx *ctx;

    if (dc->ws_backend.exc && r->proxyreq == PROXYREQ_REVERSE
        && (ctx = fastexc_ws_error_close(r, 0))) {
        ap_add_output_filter_handle(fastexc_ws_filter_handle, ctx, r,
                                    r->connection);
    }
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

/* FastExcFormat problem: the same exception as RFC 9457 Problem Details,
 * from the scope the response is sent in (so raises through the C and
 * notes APIs follow it too). */
static fastexc_response_t *fastexc_format(request_rec *r,
                                          fastexc_response_t *resp)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    fastexc_response_t *problem;

    if (dc->format != FASTEXC_FORMAT_PROBLEM
        || !fastexc_status_has_body(resp->status)) {
        return resp;
    }
    problem = apr_pmemdup(r->pool, resp, sizeof(*resp));
    problem->body = fastexc_problem_body(r->pool, resp->body, resp->body_len,
                                         dc->problem_type,
                                         fastexc_phrase(resp->status),
                                         resp->status, r->uri,
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

/* insert_error_filter runs inside ap_send_error_response(), after the
 * output chain was reset to the protocol filters and before httpd writes
 * its canned body. */
static void fastexc_insert_error_filter(request_rec *r)
{
    fastexc_ws_ctx *ws = fastexc_ws_error_close(r, 1);
    fastexc_response_t *resp;
    fastexc_filter_ctx *ctx;

    if (ws) {
        /* the error path drops request filters: (re)add ours */
        ap_add_output_filter_handle(fastexc_ws_filter_handle, ws, r,
                                    r->connection);
        return;
    }
    resp = fastexc_response_for(r);
    if (!resp) {
        return;
    }
    fastexc_account_http(r, resp);
    resp = fastexc_format(r, resp);
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
        apr_table_do(fastexc_unset_header, r, resp->headers, NULL);
        apr_table_do(fastexc_set_header, r, resp->headers, NULL);
    }
}

/* Replaces httpd's canned error body with the exception's JSON body. The
 * body goes out with EOS in one brigade, so CONTENT_LENGTH can count it:
 * nothing passes before (a canned body over 8 KB comes in several
 * brigades, with flushes, which would send the headers without it). */
static apr_status_t fastexc_out_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    fastexc_filter_ctx *ctx = f->ctx;
    apr_bucket *e;

    if (!ctx->started) {
        fastexc_start_response(f->r, ctx->resp);
        ctx->started = 1;
    }
    while ((e = APR_BRIGADE_FIRST(bb)) != APR_BRIGADE_SENTINEL(bb)) {
        if (APR_BUCKET_IS_EOS(e)) {
            if (fastexc_status_has_body(ctx->resp->status)) {
                /* transient: copied if the core sets it aside */
                apr_bucket *b = apr_bucket_transient_create(
                    ctx->resp->body, ctx->resp->body_len,
                    f->c->bucket_alloc);
                APR_BUCKET_INSERT_BEFORE(e, b);
            }
            ap_remove_output_filter(f);
            return ap_pass_brigade(f->next, bb);
        }
        apr_bucket_delete(e);
    }
    return APR_SUCCESS;
}

/* ---- WebSocket tunnel glue ------------------------------------------ */

/* FastExcWebSocketTunnelClose: when mod_proxy_http's tunnel for a proxied
 * upgrade ends abnormally, httpd closes TCP and the client reports 1006.
 * Here the tunnel is watched from both of its connections: a filter on the
 * backend connection sees it end (EOF, error) and when tunnelling starts;
 * filters on the client connection follow the frames each way (headers
 * only, payloads passed over unread), so a Close is sent only at a frame
 * boundary, never after the backend's own Close, never after the client's
 * (a closing handshake under way ends as it will). mod_proxy_http discards
 * the tunnel's status: an end seen by neither side is its idle timeout.
 *
 * The filters are added once per connection (their records come from
 * c->pool, so adding them per request would grow a keep-alive connection
 * without bound) and point at the watched tunnel of the request in flight,
 * or at none: then they pass everything through. */

static const fastexc_ws_exc_t *fastexc_tunnel_exc(const fastexc_dir_conf *dc,
                                                  int event)
{
    if (dc->tunnel_close[event].set == FASTEXC_UNSET) {
        return &fastexc_tunnel_defaults[event];
    }
    return dc->tunnel_close[event].exc;
}

/* c's watcher, its input filter added the first time (and only then). */
static fastexc_watch_t *fastexc_watch(conn_rec *c, ap_filter_rec_t *in)
{
    fastexc_watch_t *w = ap_get_module_config(c->conn_config,
                                              &fastexc_module);

    if (!w) {
        w = apr_pcalloc(c->pool, sizeof(*w));
        w->in = ap_add_input_filter_handle(in, w, NULL, c);
        ap_set_module_config(c->conn_config, &fastexc_module, w);
    }
    return w;
}

/* Cut t's backend off for reading, so that its worker, asleep in the
 * tunnel's poll, wakes and sees the backend end. Under the list's lock. */
static void fastexc_tunnel_wake(fastexc_tunnel_t *t)
{
    apr_atomic_set32(&t->restarting, 1);
    /* mid-frame, the worker cuts at the frame's end as the rest arrives:
     * a socket shut now would end it at whatever byte came last */
    if (t->origin_sock && !apr_atomic_read32(&t->mid_frame)) {
        apr_socket_shutdown(t->origin_sock, APR_SHUTDOWN_READ);
    }
}

/* Into this child's list of tunnels a restart closes. Without the list's
 * lock (threads, and none could be made) tunnels are not listed: a
 * restart then leaves them as httpd does (FX0033 said so at start). */
static void fastexc_tunnel_register(fastexc_tunnel_t *t)
{
#if APR_HAS_THREADS
    if (!fastexc_tunnels_lock) {
        return;
    }
    apr_thread_mutex_lock(fastexc_tunnels_lock);
#endif
    t->next = fastexc_tunnels;
    if (fastexc_tunnels) {
        fastexc_tunnels->prev = t;
    }
    fastexc_tunnels = t;
    t->registered = 1;
    /* the 101 came after child_stopping went through the list */
    if (apr_atomic_read32(&fastexc_restart_seen)) {
        fastexc_tunnel_wake(t);
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(fastexc_tunnels_lock);
#endif
}

/* Out of the list: child_stopping no longer touches the backend socket,
 * which may close now. */
static void fastexc_tunnel_unregister(fastexc_tunnel_t *t)
{
    if (!t->registered) {
        t->origin_sock = NULL;
        return;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_lock(fastexc_tunnels_lock);
#endif
    if (t->prev) {
        t->prev->next = t->next;
    }
    else {
        fastexc_tunnels = t->next;
    }
    if (t->next) {
        t->next->prev = t->prev;
    }
    t->registered = 0;
    t->origin_sock = NULL;
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(fastexc_tunnels_lock);
#endif
}

/* The tunnel ended for event: send the configured Close if the frame
 * stream allows it. Runs once, on the worker that runs the tunnel. */
static void fastexc_tunnel_end(fastexc_tunnel_t *t, int event)
{
    static const char *const why[FASTEXC_TUNNEL_EVENTS] = {
        "the backend went away", "the tunnel timed out",
        "httpd is restarting" };
    request_rec *r = t->r;
    conn_rec *c = r->connection;
    const fastexc_ws_exc_t *exc;
    const char *skip = NULL;
    apr_status_t rv;

    if (t->decided) {
        return;
    }
    t->decided = 1;
    exc = fastexc_tunnel_exc(t->dc, event);
    if (t->down.state == FASTEXC_WS_CLOSED) {
        return;     /* the backend closed the WebSocket: a normal end */
    }
    if (t->up.state == FASTEXC_WS_CLOSED) {
        skip = "the client had sent its Close";
    }
    else if (t->client_gone || c->aborted) {
        skip = "the client is gone";
    }
    else if (!exc) {
        skip = "no Close configured for this end";
    }
    else if (t->down.state == FASTEXC_WS_INVALID) {
        skip = "the backend's frames could not be followed";
    }
    else if (!fastexc_ws_reader_at_boundary(&t->down)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, FXLOGNO(0030)
                      "WebSocket tunnel ended (%s) in the middle of a "
                      "frame: no Close can be sent", why[event]);
        return;
    }
    if (skip) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0031)
                      "WebSocket tunnel ended (%s): no Close sent, %s",
                      why[event], skip);
        return;
    }
    /* through the client output filter too: it sees this Close go by */
    rv = fastexc_ws_write_close(c, r->pool, exc->code, exc->reason,
                                exc->reason_len, fastexc_ws_timeout(t->dc));
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r, FXLOGNO(0032)
                      "WebSocket tunnel ended (%s): the Close could not "
                      "be written", why[event]);
        return;
    }
    fastexc_account_ws(r, exc->code, exc->reason, exc->reason_len,
                       apr_psprintf(r->pool, "tunnel ended: %s",
                                    why[event]));
}

/* The backend's end as the tunnel's worker sees it: a restart that cut it
 * off, or the backend itself. */
static int fastexc_tunnel_origin_event(fastexc_tunnel_t *t)
{
    return apr_atomic_read32(&t->restarting) ? FASTEXC_TUNNEL_RESTART
                                             : FASTEXC_TUNNEL_BACKEND;
}

/* The backend connection is released (its request pool goes first, while
 * its socket is still open): let go of it. A write to the backend that
 * failed below our filters (ap_proxy_tunnel_run() flushing) left the
 * connection aborted: the backend's end, not a timeout. */
static apr_status_t fastexc_tunnel_release(void *data)
{
    fastexc_tunnel_t *t = data;

    if (t->started && t->origin_c->aborted) {
        t->origin_ended = 1;
    }
    t->origin_pool = NULL;
    fastexc_tunnel_unregister(t);
    if (t->origin_w->t == t) {
        t->origin_w->t = NULL;
    }
    return APR_SUCCESS;
}

/* r ends (the client connection may be kept alive when the backend did not
 * upgrade). mod_proxy released the backend before; if it ever did not, t
 * (in r->pool) is let go of there now. */
static apr_status_t fastexc_tunnel_done(void *data)
{
    fastexc_tunnel_t *t = data;

    if (t->origin_pool) {
        apr_pool_cleanup_kill(t->origin_pool, t, fastexc_tunnel_release);
        fastexc_tunnel_release(t);
    }
    if (t->client_w->t == t) {
        t->client_w->t = NULL;
    }
    return APR_SUCCESS;
}

/* mod_proxy_http made the request to the backend (pr, on the backend
 * connection) for r: a WebSocket upgrade in a FastExcWebSocketTunnelClose
 * scope is watched from here. */
static int fastexc_proxy_create_req(request_rec *r, request_rec *pr)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    fastexc_req_conf *rc;
    fastexc_tunnel_t *t;
    conn_rec *oc;
    ap_filter_t *before;

    if (dc->tunnel != 1 || r->main || !pr || !(oc = pr->connection)
        || !fastexc_ws_is_upgrade(r)) {
        return OK;
    }
    rc = fastexc_req(r, 1);
    if (rc->tunnel) {
        /* a retry on another backend: the earlier one was released */
        apr_pool_cleanup_kill(r->pool, rc->tunnel, fastexc_tunnel_done);
        fastexc_tunnel_done(rc->tunnel);
    }
    t = apr_pcalloc(r->pool, sizeof(*t));
    t->r = r;
    t->dc = dc;
    fastexc_ws_tracker_init(&t->down);
    fastexc_ws_tracker_init(&t->up);
    t->origin_c = oc;
    t->origin_sock = ap_get_conn_socket(oc);
    t->origin_pool = pr->pool;
    /* make_fake_req() gave pr the connection's filters before this hook:
     * once ours heads them, pr must start with it too, or HTTP_IN, added
     * later, is put where pr's chain no longer passes and the backend's
     * answer is read without its framing */
    before = oc->input_filters;
    t->origin_w = fastexc_watch(oc, fastexc_origin_in_handle);
    if (pr->input_filters == before) {
        pr->input_filters = oc->input_filters;
    }
    if (pr->proto_input_filters == before) {
        pr->proto_input_filters = oc->input_filters;
    }
    t->origin_w->t = t;
    /* the client's frames are read only once the 101 is on its way, but
     * from the first one: this filter is in place before */
    t->client_w = fastexc_watch(r->connection, fastexc_client_in_handle);
    t->client_w->t = t;
    apr_pool_cleanup_register(pr->pool, t, fastexc_tunnel_release,
                              apr_pool_cleanup_null);
    apr_pool_cleanup_register(r->pool, t, fastexc_tunnel_done,
                              apr_pool_cleanup_null);
    rc->tunnel = t;
    return OK;
}

/* The first read of the backend's bytes after its 101: ap_proxy_tunnel_run()
 * is running, and nothing but the 101 went to the client yet. */
static void fastexc_tunnel_start(fastexc_tunnel_t *t)
{
    request_rec *r = t->r;
    conn_rec *c = r->connection;

    t->started = 1;
    if (!t->client_w->out) {
        t->client_w->out = ap_add_output_filter_handle(
            fastexc_client_out_handle, t->client_w, NULL, c);
    }
    /* as ap_proxy_tunnel_create() left them: the connection's filters, so
     * the EOS that ends r passes the client output filter */
    r->output_filters = r->proto_output_filters = c->output_filters;
    r->input_filters = r->proto_input_filters = c->input_filters;
    if (fastexc_tunnel_exc(t->dc, FASTEXC_TUNNEL_RESTART)) {
        fastexc_tunnel_register(t);
    }
}

/* A restart is under way: forward the whole frames of what was read and
 * cut the backend off after the last of them. What is read after a cut is
 * never forwarded; a frame under way is forwarded to its end first (the
 * cut then falls in a later read). */
static void fastexc_tunnel_cut(fastexc_tunnel_t *t, apr_bucket_brigade *bb)
{
    /* all read before went through the client output filter: t->down */
    fastexc_ws_reader_t rd = t->down;
    apr_bucket *e, *at = NULL;
    apr_size_t at_off = 0;
    int found = fastexc_ws_reader_at_boundary(&rd);

    for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb);
         e = APR_BUCKET_NEXT(e)) {
        const char *data;
        apr_size_t len, off = 0;

        if (APR_BUCKET_IS_METADATA(e)) {
            continue;
        }
        if (apr_bucket_read(e, &data, &len, APR_BLOCK_READ) != APR_SUCCESS) {
            return;
        }
        while (off < len && rd.state == FASTEXC_WS_MORE) {
            off += fastexc_ws_reader_feed_frame(
                &rd, (const unsigned char *)data + off, len - off);
            if (fastexc_ws_reader_at_boundary(&rd)) {
                found = 1;
                at = e;
                at_off = off;
            }
        }
        if (rd.state != FASTEXC_WS_MORE) {
            /* the backend's own Close, or frames no longer followed:
             * forwarded as they are, the end decides */
            return;
        }
    }
    if (!found) {
        return;
    }
    if (at) {
        if (at_off < at->length) {
            apr_bucket_split(at, at_off);
        }
        e = APR_BUCKET_NEXT(at);
    }
    else {
        e = APR_BRIGADE_FIRST(bb);
    }
    while (e != APR_BRIGADE_SENTINEL(bb)) {
        apr_bucket *next = APR_BUCKET_NEXT(e);
        apr_bucket_delete(e);
        e = next;
    }
    t->cut = 1;
}

static apr_status_t fastexc_origin_in_filter(ap_filter_t *f,
                                             apr_bucket_brigade *bb,
                                             ap_input_mode_t mode,
                                             apr_read_type_e block,
                                             apr_off_t readbytes)
{
    fastexc_watch_t *w = f->ctx;
    fastexc_tunnel_t *t = w->t;
    apr_status_t rv;
    int data = 0;

    if (t && t->cut) {
        /* a restart cut the backend off: nothing more is read */
        rv = APR_EOF;
        if (t->decided) {
            return rv;
        }
    }
    else {
        rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    /* headers are read by lines; only the tunnel reads bytes after 101 */
    if (!t || t->decided || mode != AP_MODE_READBYTES) {
        return rv;
    }
    if (!t->started) {
        if (t->r->status != HTTP_SWITCHING_PROTOCOLS) {
            return rv;
        }
        fastexc_tunnel_start(t);
    }
    if (rv == APR_SUCCESS && apr_atomic_read32(&t->restarting)) {
        fastexc_tunnel_cut(t, bb);
        if (t->cut && APR_BRIGADE_EMPTY(bb)) {
            rv = APR_EOF;
        }
    }
    if (rv == APR_SUCCESS) {
        /* an EOS ends what a read returns (core's, mod_ssl's) */
        if (APR_BRIGADE_EMPTY(bb)
            || !APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(bb))) {
            return rv;
        }
        data = APR_BRIGADE_FIRST(bb) != APR_BRIGADE_LAST(bb);
    }
    else if (APR_STATUS_IS_EAGAIN(rv)) {
        return rv;
    }
    /* EOF or an error: the backend is gone (or was cut off by a restart).
     * Send the Close now: once this returns, the tunnel shuts the client's
     * side down. With data still to go, after it (client output filter). */
    t->origin_ended = 1;
    if (data) {
        t->close_pending = 1;
    }
    else {
        fastexc_tunnel_end(t, fastexc_tunnel_origin_event(t));
    }
    return rv;
}

/* Follow one bucket: a payload the tracker may pass over is never read
 * (nor morphed), only buckets holding frame headers are. Inline: it runs
 * for every bucket a tunnel carries. */
static APR_INLINE void fastexc_tunnel_follow(fastexc_ws_reader_t *rd,
                                             apr_bucket *e)
{
    const char *data;
    apr_size_t len;

    if (APR_BUCKET_IS_METADATA(e) || rd->state != FASTEXC_WS_MORE
        || (e->length != (apr_size_t)-1
            && fastexc_ws_reader_skip(rd, e->length))) {
        return;
    }
    if (apr_bucket_read(e, &data, &len, APR_NONBLOCK_READ) != APR_SUCCESS) {
        rd->state = FASTEXC_WS_INVALID;     /* can no longer follow */
        return;
    }
    fastexc_ws_reader_feed(rd, (const unsigned char *)data, len);
}

static apr_status_t fastexc_client_in_filter(ap_filter_t *f,
                                             apr_bucket_brigade *bb,
                                             ap_input_mode_t mode,
                                             apr_read_type_e block,
                                             apr_off_t readbytes)
{
    fastexc_watch_t *w = f->ctx;
    fastexc_tunnel_t *t = w->t;
    apr_status_t rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    apr_bucket *e;

    /* before the 101 these are HTTP bytes; after, only frames */
    if (!t || t->r->status != HTTP_SWITCHING_PROTOCOLS
        || mode != AP_MODE_READBYTES) {
        return rv;
    }
    if (rv != APR_SUCCESS) {
        if (!APR_STATUS_IS_EAGAIN(rv)) {
            t->client_gone = 1;
        }
        return rv;
    }
    for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb)
         && t->up.state == FASTEXC_WS_MORE; e = APR_BUCKET_NEXT(e)) {
        if (APR_BUCKET_IS_EOS(e)) {
            t->client_gone = 1;
            break;
        }
        fastexc_tunnel_follow(&t->up, e);
    }
    return rv;
}

/* Follows what goes to the client after the 101; at the EOS that ends r,
 * an end neither side saw is the tunnel's timeout (or a restart). */
static apr_status_t fastexc_client_out_filter(ap_filter_t *f,
                                              apr_bucket_brigade *bb)
{
    fastexc_watch_t *w = f->ctx;
    fastexc_tunnel_t *t = w->t;
    apr_bucket *e, *eos = NULL;
    apr_status_t rv;

    if (!t || !t->started) {
        return ap_pass_brigade(f->next, bb);
    }
    for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb);
         e = APR_BUCKET_NEXT(e)) {
        if (AP_BUCKET_IS_EOR(e)) {
            /* r (and t) may be gone once this passes */
            w->t = NULL;
            return ap_pass_brigade(f->next, bb);
        }
        if (APR_BUCKET_IS_EOS(e)) {
            eos = e;
            break;
        }
        fastexc_tunnel_follow(&t->down, e);
    }
    if (t->registered) {
        /* for child_stopping (another thread): may the socket be cut now */
        apr_atomic_set32(&t->mid_frame,
                         !fastexc_ws_reader_at_boundary(&t->down));
    }
    if (eos) {
        /* the tunnel is over: what comes first goes first, then ours
         * (which this filter, let go of, passes through) */
        apr_bucket_brigade *rest = apr_brigade_split(bb, eos);
        rv = APR_BRIGADE_EMPTY(bb) ? APR_SUCCESS : ap_pass_brigade(f->next, bb);
        t->client_gone |= rv != APR_SUCCESS;
        w->t = NULL;
        if (!t->decided) {
            fastexc_tunnel_end(t, t->origin_ended ? FASTEXC_TUNNEL_BACKEND
                                  : apr_atomic_read32(&t->restarting)
                                  ? FASTEXC_TUNNEL_RESTART
                                  : FASTEXC_TUNNEL_TIMEOUT);
        }
        return ap_pass_brigade(f->next, rest);
    }
    rv = ap_pass_brigade(f->next, bb);
    if (rv != APR_SUCCESS) {
        t->client_gone = 1;
    }
    else if (t->close_pending && !t->decided) {
        fastexc_tunnel_end(t, fastexc_tunnel_origin_event(t));
    }
    return rv;
}

/* ---- create / merge ------------------------------------------------- */

static void *fastexc_create_dir_conf(apr_pool_t *p, char *dir)
{
    fastexc_dir_conf *dc = apr_pcalloc(p, sizeof(*dc));
    int i;

    dc->enabled = FASTEXC_UNSET;
    dc->raise_inherit = FASTEXC_UNSET;
    dc->ws_inherit = FASTEXC_UNSET;
    dc->ws_reject = FASTEXC_UNSET;
    dc->ws_backend.set = FASTEXC_UNSET;
    dc->ws_close_timeout = FASTEXC_UNSET;
    dc->format = FASTEXC_UNSET;
    dc->log_level = FASTEXC_UNSET;
    dc->tunnel = FASTEXC_UNSET;
    for (i = 0; i < FASTEXC_TUNNEL_EVENTS; i++) {
        dc->tunnel_close[i].set = FASTEXC_UNSET;
    }
    return dc;
}

/* A scope's own rules first, then the inherited ones unless cut ("Off"). */
static apr_array_header_t *fastexc_merge_rules(apr_pool_t *p,
                                               apr_array_header_t *base,
                                               apr_array_header_t *add,
                                               int inherit)
{
    if (inherit == 0 || !base) {
        return add;
    }
    if (!add) {
        return base;
    }
    return apr_array_append(p, add, base);
}

static void *fastexc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const fastexc_dir_conf *base = basev, *add = addv;
    fastexc_dir_conf *dc = apr_pcalloc(p, sizeof(*dc));
    int i;

    dc->enabled = (add->enabled != FASTEXC_UNSET) ? add->enabled
                                                  : base->enabled;
    /* "FastExcRaise Off" cuts inheritance here; scopes below inherit the
     * result normally. */
    dc->raise_inherit = FASTEXC_UNSET;
    dc->raises = fastexc_merge_rules(p, base->raises, add->raises,
                                     add->raise_inherit);
    dc->ws_inherit = FASTEXC_UNSET;
    dc->ws_raises = fastexc_merge_rules(p, base->ws_raises, add->ws_raises,
                                        add->ws_inherit);
    if (add->ws_reject != FASTEXC_UNSET) {
        dc->ws_reject = add->ws_reject;
        dc->ws_reject_status = add->ws_reject_status;
    }
    else {
        dc->ws_reject = base->ws_reject;
        dc->ws_reject_status = base->ws_reject_status;
    }
    dc->ws_backend = (add->ws_backend.set != FASTEXC_UNSET)
                   ? add->ws_backend : base->ws_backend;
    dc->ws_close_timeout = (add->ws_close_timeout != FASTEXC_UNSET)
                         ? add->ws_close_timeout : base->ws_close_timeout;
    dc->format = (add->format != FASTEXC_UNSET) ? add->format : base->format;
    dc->problem_type = add->problem_type ? add->problem_type
                                         : base->problem_type;
    dc->log_level = (add->log_level != FASTEXC_UNSET) ? add->log_level
                                                      : base->log_level;
    dc->tunnel = (add->tunnel != FASTEXC_UNSET) ? add->tunnel : base->tunnel;
    for (i = 0; i < FASTEXC_TUNNEL_EVENTS; i++) {
        dc->tunnel_close[i] = (add->tunnel_close[i].set != FASTEXC_UNSET)
                            ? add->tunnel_close[i] : base->tunnel_close[i];
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

/* The "file:line" of the directive being read. */
static const char *fastexc_where(cmd_parms *cmd)
{
    return apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                        cmd->directive->line_num);
}

/* Read an "expr=<condition>" argument into rule. */
static const char *fastexc_parse_cond(cmd_parms *cmd, const char *arg,
                                      fastexc_rule_t *rule)
{
    const char *err = NULL;

    if (rule->cond) {
        return apr_psprintf(cmd->pool, "%s: expr= given twice",
                            cmd->cmd->name);
    }
    rule->cond = ap_expr_parse_cmd(cmd, apr_pstrdup(cmd->pool, arg + 5),
                                   AP_EXPR_FLAG_DONT_VARY, &err, NULL);
    if (err) {
        return apr_psprintf(cmd->pool, "%s: cannot parse %s: %s",
                            cmd->cmd->name, arg, err);
    }
    return NULL;
}

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
        /* rendered per request: only its text is checked now */
        if (!fastexc_utf8_valid(payload, strlen(payload))) {
            return "the detail is not valid UTF-8";
        }
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
    exc->rule.where = fastexc_where(cmd);
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
                         "silence this", name, exc->rule.where, detail);
        }
    }
    for (; i < argc; i++) {
        fastexc_header_t *h;
        if (strncmp(argv[i], "expr=", 5) == 0) {
            if (!allow_expr) {
                return apr_psprintf(cmd->pool, "%s: expr= is not an option "
                                    "of this directive", name);
            }
            if ((err = fastexc_parse_cond(cmd, argv[i], &exc->rule))) {
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

/* argv[0] is word ("On", "Off") standing alone: 1, with *err set if other
 * arguments follow it (lead, if any, is what came before it). */
static int fastexc_word(cmd_parms *cmd, int argc, char *const argv[],
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

/* Append a rule (FastExcRaise, FastExcWebSocket) to a scope's own. */
static void fastexc_push_rule(apr_pool_t *p, apr_array_header_t **rules,
                              void *rule)
{
    if (!*rules) {
        *rules = apr_array_make(p, 2, sizeof(void *));
    }
    APR_ARRAY_PUSH(*rules, void *) = rule;
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

    if (fastexc_word(cmd, argc, argv, "Off", NULL, &err)) {
        if (!err) {
            dc->raise_inherit = 0;
        }
        return err;
    }
    if ((err = fastexc_parse_exc(cmd, argc, argv, 1, &exc))) {
        return err;
    }
    fastexc_push_rule(cmd->pool, &dc->raises, exc);
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
                            prev->rule.where);
    }
    apr_hash_set(dc->details, &exc->status, sizeof(exc->status), exc);
    return NULL;
}

/* Parse "<code> [<reason>] [expr=...]". */
static const char *fastexc_parse_ws(cmd_parms *cmd, int argc,
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
    exc->rule.where = fastexc_where(cmd);
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
        if ((err = fastexc_parse_cond(cmd, argv[i], &exc->rule))) {
            return err;
        }
    }
    *out = exc;
    return NULL;
}

static const char *fastexc_cmd_ws(cmd_parms *cmd, void *cfg, int argc,
                                  char *const argv[])
{
    fastexc_dir_conf *dc = cfg;
    fastexc_ws_exc_t *exc;
    const char *err;

    if (fastexc_word(cmd, argc, argv, "Off", NULL, &err)) {
        if (!err) {
            dc->ws_inherit = 0;
        }
        return err;
    }
    if ((err = fastexc_parse_ws(cmd, argc, argv, 1, &exc))) {
        return err;
    }
    fastexc_push_rule(cmd->pool, &dc->ws_raises, exc);
    return NULL;
}

/* "<code> [<reason>]" or "Off" into a close slot (lead: what came
 * before, for messages). */
static const char *fastexc_parse_slot(cmd_parms *cmd, int argc,
                                      char *const argv[], const char *lead,
                                      fastexc_close_slot_t *slot)
{
    const char *err;

    if (fastexc_word(cmd, argc, argv, "Off", lead, &err)) {
        if (!err) {
            slot->set = 0;
            slot->exc = NULL;
        }
        return err;
    }
    slot->set = 1;
    return fastexc_parse_ws(cmd, argc, argv, 0, &slot->exc);
}

static const char *fastexc_cmd_ws_backend(cmd_parms *cmd, void *cfg,
                                          int argc, char *const argv[])
{
    fastexc_dir_conf *dc = cfg;

    return fastexc_parse_slot(cmd, argc, argv, NULL, &dc->ws_backend);
}

static const char *fastexc_cmd_ws_reject(cmd_parms *cmd, void *cfg,
                                         const char *mode, const char *arg)
{
    fastexc_dir_conf *dc = cfg;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);

    if (err) {
        return err;
    }
    if (strcasecmp(mode, "close") == 0 && !arg) {
        dc->ws_reject = FASTEXC_WS_REJECT_CLOSE;
        dc->ws_reject_status = 0;
        return NULL;
    }
    if (strcasecmp(mode, "http") != 0) {
        return apr_psprintf(cmd->pool, "FastExcWebSocketReject: \"%s%s%s\" "
                            "is not close or http [<status>]", mode,
                            arg ? " " : "", arg ? arg : "");
    }
    dc->ws_reject = FASTEXC_WS_REJECT_HTTP;
    dc->ws_reject_status = HTTP_FORBIDDEN;
    if (arg) {
        if (fastexc_status_parse(arg, &dc->ws_reject_status) != 0
            || dc->ws_reject_status < 400 || dc->ws_reject_status > 599) {
            return apr_psprintf(cmd->pool, "FastExcWebSocketReject: http "
                                "takes an error status (400-599), not "
                                "\"%s\"", arg);
        }
        if (!fastexc_phrase(dc->ws_reject_status)) {
            return apr_psprintf(cmd->pool, "FastExcWebSocketReject: status "
                                "%d has no standard reason phrase",
                                dc->ws_reject_status);
        }
    }
    return NULL;
}

static const char *fastexc_cmd_ws_timeout(cmd_parms *cmd, void *cfg,
                                          const char *arg)
{
    fastexc_dir_conf *dc = cfg;
    apr_interval_time_t t;
    const char *unit = arg;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);

    if (err) {
        return err;
    }

    while (apr_isdigit(*unit)) {
        unit++;
    }
    /* ap_timeout_parameter_parse() reads "soon" as 0 seconds: check the
     * form first */
    if (unit == arg || (*unit && strcmp(unit, "s") && strcmp(unit, "ms")
                        && strcmp(unit, "mi") && strcmp(unit, "h"))
        || ap_timeout_parameter_parse(arg, &t, "s") != APR_SUCCESS || t < 0) {
        return apr_psprintf(cmd->pool, "FastExcWebSocketCloseTimeout: \"%s\" "
                            "is not a time (\"5\", \"1500ms\")", arg);
    }
    if (t > apr_time_from_sec(300)) {
        return "FastExcWebSocketCloseTimeout: at most 300 seconds: a worker "
               "waits that long for a silent client";
    }
    dc->ws_close_timeout = t;
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
    if (fastexc_word(cmd, argc, argv, "On", NULL, &err)
        || fastexc_word(cmd, argc, argv, "Off", NULL, &err)) {
        if (!err) {
            dc->tunnel = strcasecmp(argv[0], "on") == 0;
        }
        return err;
    }
    for (event = 0; event < FASTEXC_TUNNEL_EVENTS; event++) {
        if (argc > 0 && strcasecmp(argv[0], fastexc_tunnel_events[event]) == 0) {
            break;
        }
    }
    if (argc < 2 || event == FASTEXC_TUNNEL_EVENTS) {
        return apr_psprintf(cmd->pool, "FastExcWebSocketTunnelClose: \"%s\" "
                            "is not On, Off, or an end (backend, timeout, "
                            "restart) followed by a close code [reason] or "
                            "Off", argc ? argv[0] : "");
    }
    if ((err = fastexc_parse_slot(cmd, argc - 1, argv + 1,
                                  fastexc_tunnel_events[event],
                                  &dc->tunnel_close[event]))) {
        return err;
    }
    /* naming an end turns the scope on, unless it says Off itself */
    if (dc->tunnel == FASTEXC_UNSET) {
        dc->tunnel = 1;
    }
    return NULL;
}

static const char *fastexc_cmd_format(cmd_parms *cmd, void *cfg,
                                      const char *arg)
{
    fastexc_dir_conf *dc = cfg;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);

    if (err) {
        return err;
    }
    if (strcasecmp(arg, "fastapi") == 0) {
        dc->format = FASTEXC_FORMAT_FASTAPI;
    }
    else if (strcasecmp(arg, "problem") == 0) {
        dc->format = FASTEXC_FORMAT_PROBLEM;
    }
    else {
        return apr_psprintf(cmd->pool, "FastExcFormat: \"%s\" is not fastapi "
                            "or problem", arg);
    }
    return NULL;
}

static const char *fastexc_cmd_problem_type(cmd_parms *cmd, void *cfg,
                                            const char *arg)
{
    fastexc_dir_conf *dc = cfg;
    const char *err = ap_check_cmd_context(cmd, NOT_IN_LIMIT);
    const char *c;

    if (err) {
        return err;
    }
    /* RFC 9457 3.1.1: a URI reference; an absolute URI is what clients can
     * rely on */
    for (c = arg; *c && *c != ':' && *c != '/'; c++)
        ;
    if (!*arg || *c != ':' || c == arg
        || !fastexc_utf8_valid(arg, strlen(arg))
        || strpbrk(arg, " \t\"<>\\^`{|}") || !fastexc_header_value_ok(arg)) {
        return apr_psprintf(cmd->pool, "FastExcProblemType: \"%s\" is not an "
                            "absolute URI (https://example.com/probs/out-of-"
                            "credit, about:blank)", arg);
    }
    dc->problem_type = apr_pstrdup(cmd->pool, arg);
    return NULL;
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
    for (i = 0; names[i]; i++) {
        if (strcasecmp(arg, names[i]) == 0) {
            dc->log_level = APLOG_EMERG + i;
            return NULL;
        }
    }
    return apr_psprintf(cmd->pool, "FastExcLogLevel: \"%s\" is not a level "
                        "(emerg, alert, crit, error, warn, notice, info, "
                        "debug)", arg);
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
    AP_INIT_TAKE_ARGV("FastExcWebSocket", fastexc_cmd_ws, NULL,
                      RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                      "<close code> [<reason>] [expr=<condition>], or Off"),
    AP_INIT_TAKE12("FastExcWebSocketReject", fastexc_cmd_ws_reject, NULL,
                   RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                   "close (101 and a Close frame) or http [<status>]"),
    AP_INIT_TAKE_ARGV("FastExcWebSocketBackendError", fastexc_cmd_ws_backend,
                      NULL, RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                      "<close code> [<reason>] for a failed proxied "
                      "upgrade, or Off"),
    AP_INIT_TAKE1("FastExcLogLevel", fastexc_cmd_log_level, NULL,
                  RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                  "the level each exception is logged at (default info)"),
    AP_INIT_TAKE1("FastExcFormat", fastexc_cmd_format, NULL,
                  RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                  "fastapi ({\"detail\": ...}, the default) or problem "
                  "(RFC 9457 application/problem+json)"),
    AP_INIT_TAKE1("FastExcProblemType", fastexc_cmd_problem_type, NULL,
                  RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                  "the \"type\" URI of Problem Details (default about:blank)"),
    AP_INIT_TAKE1("FastExcWebSocketCloseTimeout", fastexc_cmd_ws_timeout,
                  NULL, RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                  "how long to wait for the client's Close (default 5s)"),
    AP_INIT_TAKE_ARGV("FastExcWebSocketTunnelClose", fastexc_cmd_ws_tunnel,
                      NULL, RSRC_CONF | ACCESS_CONF | OR_FILEINFO,
                      "On|Off, or backend|timeout|restart <close code> "
                      "[<reason>] or Off: the Close a proxied WebSocket "
                      "gets when its tunnel ends abnormally"),
    { NULL }
};

/* ---- hooks ---------------------------------------------------------- */

/* Default bodies for every status with a phrase, once per configuration;
 * the shared counters once per httpd run (they outlive restarts). */
static int fastexc_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    static const char key[] = "fastexc_counters";
    apr_pool_t *process = s->process->pool;
    apr_shm_t *shm = NULL;
    int status;

    apr_pool_userdata_get((void **)&shm, key, process);
    if (!shm) {
        apr_status_t rv = apr_shm_create(&shm, sizeof(fastexc_counters_t),
                                         NULL, process);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, FXLOGNO(0029)
                         "no shared memory for counting exceptions: "
                         "mod_status will not show them");
            shm = NULL;
        }
        else {
            memset(apr_shm_baseaddr_get(shm), 0, sizeof(fastexc_counters_t));
            apr_pool_userdata_set(shm, key, apr_pool_cleanup_null, process);
        }
    }
    fastexc_counters = shm ? apr_shm_baseaddr_get(shm) : NULL;

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

static void fastexc_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;

    if (ap_mpm_query(AP_MPMQ_GENERATION, &fastexc_generation)
        != APR_SUCCESS) {
        fastexc_generation = -1;
    }
#if APR_HAS_THREADS
    if ((rv = apr_thread_mutex_create(&fastexc_tunnels_lock,
                                      APR_THREAD_MUTEX_DEFAULT, pchild))
        != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, FXLOGNO(0033)
                     "no lock for the list of WebSocket tunnels: a graceful "
                     "restart will not close them");
        fastexc_tunnels_lock = NULL;
    }
#endif
}

/* The MPM stops this child gracefully (threaded MPMs, from the listener):
 * if it is a restart (the parent moved to a new generation), each listed
 * tunnel (its scope sends a Close for a restart) is told, and cut off from
 * its backend for reading if it is at a frame boundary. Its worker then
 * sees the backend end and sends the restart Close, in order with what it
 * was forwarding; a tunnel in the middle of a frame is cut by its worker
 * where the frame ends. The backend still gets the client's reply. A
 * graceful stop of this child alone (fewer idle children, MaxConnections-
 * PerChild) leaves tunnels to end on their own, as httpd does. */
static void fastexc_child_stopping(apr_pool_t *pchild, int graceful)
{
    fastexc_tunnel_t *t;
    int n = 0;

    if (!graceful || !ap_scoreboard_image || fastexc_generation < 0
        || ap_scoreboard_image->global->running_generation
           == fastexc_generation) {
        return;
    }
#if APR_HAS_THREADS
    if (!fastexc_tunnels_lock) {
        return;
    }
    apr_thread_mutex_lock(fastexc_tunnels_lock);
#endif
    apr_atomic_set32(&fastexc_restart_seen, 1);
    for (t = fastexc_tunnels; t; t = t->next) {
        fastexc_tunnel_wake(t);
        n++;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(fastexc_tunnels_lock);
#endif
    if (n) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf, FXLOGNO(0034)
                      "graceful restart: closing %d WebSocket tunnel(s)", n);
    }
}

/* mod_status: counts by status and by close code, in the HTML page and
 * in ?auto ("FastExcExceptions404: 12"). */
static int fastexc_status_hook(request_rec *r, int flags)
{
    int i, any = 0;

    if (!fastexc_counters) {
        return OK;
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("<hr />\n<h2>mod_fastexc</h2>\n<table border=\"0\">"
                 "<tr><th>exceptions by status</th><th>sent</th></tr>\n", r);
    }
    for (i = 0; i < FASTEXC_COUNT_HTTP_N; i++) {
        apr_uint32_t n = apr_atomic_read32(&fastexc_counters->http[i]);
        if (n && (flags & AP_STATUS_SHORT)) {
            ap_rprintf(r, "FastExcExceptions%d: %u\n",
                       i + FASTEXC_COUNT_HTTP_MIN, n);
        }
        else if (n) {
            ap_rprintf(r, "<tr><td>%d</td><td>%u</td></tr>\n",
                       i + FASTEXC_COUNT_HTTP_MIN, n);
            any = 1;
        }
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rprintf(r, "%s<tr><th>WebSocket closes by code</th><th>sent</th>"
                   "</tr>\n", any ? "" : "<tr><td>none</td><td></td></tr>\n");
        any = 0;
    }
    for (i = 0; i < FASTEXC_COUNT_WS_N; i++) {
        apr_uint32_t n = apr_atomic_read32(&fastexc_counters->ws[i]);
        if (n && (flags & AP_STATUS_SHORT)) {
            ap_rprintf(r, "FastExcWebSocketCloses%d: %u\n",
                       i + FASTEXC_COUNT_WS_MIN, n);
        }
        else if (n) {
            ap_rprintf(r, "<tr><td>%d</td><td>%u</td></tr>\n",
                       i + FASTEXC_COUNT_WS_MIN, n);
            any = 1;
        }
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rprintf(r, "%s</table>\n",
                   any ? "" : "<tr><td>none</td><td></td></tr>\n");
    }
    return OK;
}

static void fastexc_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(fastexc_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* FIRST: raise before other fixups do work for a request that ends. */
    ap_hook_fixups(fastexc_fixups, NULL, NULL, APR_HOOK_FIRST);
    /* REALLY_FIRST: before mod_proxy's handler (FIRST) opens a backend
     * connection for a proxied upgrade */
    ap_hook_handler(fastexc_ws_handler, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_handler(fastexc_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_filter(fastexc_insert_filter, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(fastexc_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    fastexc_filter_handle = ap_register_output_filter(
        FASTEXC_FILTER, fastexc_out_filter, NULL, AP_FTYPE_CONTENT_SET);
    fastexc_ws_filter_handle = ap_register_output_filter(
        FASTEXC_WS_FILTER, fastexc_ws_filter, NULL, AP_FTYPE_CONTENT_SET);
    /* Tunnel watchers: connection filters, CONNECTION type so they see
     * the frames above TLS. */
    fastexc_origin_in_handle = ap_register_input_filter(
        "FASTEXC_TUNNEL_ORIGIN_IN", fastexc_origin_in_filter, NULL,
        AP_FTYPE_CONNECTION);
    fastexc_client_in_handle = ap_register_input_filter(
        "FASTEXC_TUNNEL_CLIENT_IN", fastexc_client_in_filter, NULL,
        AP_FTYPE_CONNECTION);
    fastexc_client_out_handle = ap_register_output_filter(
        "FASTEXC_TUNNEL_CLIENT_OUT", fastexc_client_out_filter, NULL,
        AP_FTYPE_CONNECTION);
    ap_hook_child_init(fastexc_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_stopping(fastexc_child_stopping, NULL, NULL,
                           APR_HOOK_MIDDLE);
    /* optional: mod_fastexc loads without mod_proxy (no symbol of it is
     * used) */
    APR_OPTIONAL_HOOK(proxy, create_req, fastexc_proxy_create_req, NULL, NULL,
                      APR_HOOK_MIDDLE);
    /* optional: mod_fastexc loads without mod_status */
    APR_OPTIONAL_HOOK(ap, status_hook, fastexc_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
    APR_REGISTER_OPTIONAL_FN(fastexc_raise);
    APR_REGISTER_OPTIONAL_FN(fastexc_raise_text);
    APR_REGISTER_OPTIONAL_FN(fastexc_raise_websocket);
    APR_REGISTER_OPTIONAL_FN(fastexc_websocket_close);
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
