/*
 * mod_fastexc_config.h - the per-directory configuration (directive
 * reference: README.md) and the accessors that apply its defaults.
 */
#ifndef MOD_FASTEXC_CONFIG_H
#define MOD_FASTEXC_CONFIG_H

#include "apr_hash.h"
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_expr.h"

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

#define FASTEXC_LOG_LEVEL_DEFAULT APLOG_INFO

extern const command_rec fastexc_cmds[];

void *fastexc_create_dir_conf(apr_pool_t *p, char *dir);
void *fastexc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);

/* FastExcWebSocketCloseTimeout of a scope, default applied. */
apr_interval_time_t fastexc_ws_timeout(const fastexc_dir_conf *dc);

/* FastExcLogLevel of r's scope, default applied. */
int fastexc_log_level(request_rec *r);

/* The Close a scope sends for a tunnel's end (FASTEXC_TUNNEL_*), default
 * applied, or NULL for Off. */
const fastexc_ws_exc_t *fastexc_tunnel_exc(const fastexc_dir_conf *dc,
                                           int event);

#endif /* MOD_FASTEXC_CONFIG_H */
