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
#define FASTEXC_FORMAT_TEMPLATE 2

/* FastExcFormat: which, and the template's envelope and type. */
typedef struct {
    int how;                    /* FASTEXC_FORMAT_*, or UNSET */
    const struct fastexc_envelope *envelope;    /* template */
    const char *content_type;   /* template */
} fastexc_format_t;

/* FastExcBackendErrors: which bodies of a proxied backend's errors are
 * rewritten (mod_fastexc_backend.c). */
#define FASTEXC_BACKEND_OFF 0
#define FASTEXC_BACKEND_NONJSON 1
#define FASTEXC_BACKEND_ALL 2

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
#define FASTEXC_TUNNEL_STOP 3
#define FASTEXC_TUNNEL_EVENTS 4

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
#define FASTEXC_LOG_LEVEL_DEFAULT APLOG_INFO

/* The rules of FastExcRaise or FastExcWebSocket in a scope: its own, then
 * the inherited ones unless "Off" cut them there. */
typedef struct {
    int inherit;                /* 0 after "... Off"; UNSET */
    apr_array_header_t *list;   /* fastexc_exc_t * or fastexc_ws_exc_t * */
} fastexc_rules_t;

/* FastExcWebSocketReject: how, and with http the status. */
typedef struct {
    int how;                    /* FASTEXC_WS_REJECT_*, or UNSET */
    int status;
} fastexc_reject_t;

/* One scope's configuration, by feature. Every field has its "unset" value
 * in fastexc_conf_create() and its merge rule in
 * fastexc_conf_merge_fields(), one line each (scripts/check-config.py
 * checks both); defaults are applied where a field is read, by the accessors
 * below. */
typedef struct {
    struct {                    /* rules */
        fastexc_rules_t raise;              /* FastExcRaise */
        fastexc_rules_t ws;                 /* FastExcWebSocket */
    } rules;
    struct {                    /* HTTP exceptions */
        int enabled;                        /* FastExc */
        int early;                          /* FastExcRaiseEarly */
        int own_require;                    /* 1: a <Location> with a
                                               rule holds its own
                                               Require (not a directive:
                                               fastexc_early_own_require) */
        apr_hash_t *details;                /* FastExcDetail: status -> its
                                               rules (array of exc *), the
                                               scope's own, then inherited */
        fastexc_format_t format;            /* FastExcFormat */
        const char *problem_type;           /* FastExcProblemType */
        apr_array_header_t *problem_instance;   /* FastExcProblemInstance:
                                                   fastexc_part_t */
        int negotiate;                      /* FastExcNegotiate */
    } http;
    struct {                    /* a proxied backend's errors */
        int errors;                         /* FastExcBackendErrors */
    } backend;
    struct {                    /* WebSocket answers */
        fastexc_reject_t reject;            /* FastExcWebSocketReject */
        fastexc_close_slot_t backend;       /* FastExcWebSocketBackendError */
        apr_interval_time_t close_timeout;  /* FastExcWebSocketCloseTimeout */
        apr_hash_t *raise_codes;            /* FastExcWebSocketRaiseCode:
                                               status, or 4/5 for a class,
                                               -> close code */
    } ws;
    struct {                    /* FastExcWebSocketTunnelClose */
        int on;
        fastexc_close_slot_t close[FASTEXC_TUNNEL_EVENTS];  /* per end */
    } tunnel;
    struct {                    /* logging */
        int level;                          /* FastExcLogLevel */
    } log;
    int nothing;                /* 1: a server's scope found at startup to
                                   set nothing (so a merge with it is the
                                   other side); 0: not known */
} fastexc_dir_conf;

void *fastexc_conf_create(apr_pool_t *p, char *dir);
void *fastexc_conf_merge(apr_pool_t *p, void *basev, void *addv);

/* After the configuration is read (post_config): marks each server's scope
 * that sets nothing, for fastexc_conf_merge(). */
void fastexc_conf_mark_nothing(server_rec *s);

/* The server-wide settings: what a child does as a whole, once (only the
 * main server's are read). Unset values and merge rules as above. */
typedef struct {
    struct {                    /* FastExcRaiseEarly */
        int any;                            /* On in a scope of this server */
        int rules;                          /* a FastExcRaise or
                                               FastExcWebSocket rule in this
                                               server's configuration files */
        int reads_map;                      /* an expression of ours there
                                               reads what the mapping finds
                                               (fastexc_fs_reads_map) */
        const struct fastexc_early_fs *fs;  /* made at post_config: what its
                                               sections can do to a raise
                                               (mod_fastexc_early.c), or
                                               NULL: every URL is mapped
                                               unless FastExcRaiseEarly On */
    } early;
    struct {                    /* FastExcNegotiate */
        int any;                            /* On in a scope of this server's
                                               configuration files */
    } negotiate;
    struct {                    /* the upgrade handler's work */
        int any;                            /* a FastExcWebSocket rule,
                                               FastExcWebSocketCloseTimeout or
                                               FastExcLogLevel in this
                                               server's configuration files */
    } upgrade;
    struct {                    /* FastExcWebSocketTunnelClose */
        apr_interval_time_t spread;         /* FastExcWebSocketTunnelCloseSpread */
    } tunnel;
} fastexc_srv_conf;

void *fastexc_conf_srv_create(apr_pool_t *p, server_rec *s);
void *fastexc_conf_srv_merge(apr_pool_t *p, void *basev, void *addv);

/* Whether a URL of s may be raised without being mapped: a scope of s (or
 * of the main server, whose <Location>s s inherits) says FastExcRaiseEarly
 * On, or its sections leave it to the URL (fastexc_early_read). */
int fastexc_conf_raise_early_any(server_rec *s);

/* What the configuration of every server (s and the virtual hosts after
 * it) uses that needs a hook of its own: FASTEXC_USES_* bits. An .htaccess
 * file that may carry a directive of ours (AllowOverride FileInfo or an
 * AllowOverrideList naming one) counts as using those it may carry. */
#define FASTEXC_USES_EARLY     1    /* FastExcRaiseEarly On, or a server's
                                       sections leave it to the URL */
#define FASTEXC_USES_NEGOTIATE 2    /* FastExcNegotiate On */
#define FASTEXC_USES_UPGRADE   4    /* a FastExcWebSocket rule,
                                       FastExcWebSocketCloseTimeout or
                                       FastExcLogLevel: what an upgrade is
                                       answered by or noted with */
int fastexc_conf_uses(server_rec *s);

/* FastExcWebSocketTunnelCloseSpread, default applied (0: all at once). */
apr_interval_time_t fastexc_conf_tunnel_spread(server_rec *s);

/* FastExc of a scope: 1 if On (default Off). */
int fastexc_conf_enabled(const fastexc_dir_conf *dc);

/* FastExcRaiseEarly of a scope: On, Off, or left to what the sections that
 * cover the file can do (the default, mod_fastexc_early.c). */
#define FASTEXC_EARLY_OFF 0
#define FASTEXC_EARLY_ON 1
#define FASTEXC_EARLY_AUTO 2
int fastexc_conf_raise_early(const fastexc_dir_conf *dc);

/* FastExcFormat of a scope, default applied (fastapi): FASTEXC_FORMAT_*;
 * a template's is in dc->http.format. */
int fastexc_conf_format(const fastexc_dir_conf *dc);

/* FastExcBackendErrors of a scope, default applied (Off):
 * FASTEXC_BACKEND_*. */
int fastexc_conf_backend_errors(const fastexc_dir_conf *dc);

/* FastExcNegotiate of a scope: 1 if On (default Off). */
int fastexc_conf_negotiate(const fastexc_dir_conf *dc);

/* FastExcWebSocketReject http of a scope: its status, or 0 if the scope
 * closes (the default). */
int fastexc_conf_reject_http(const fastexc_dir_conf *dc);

/* The close code a raise of status answers a WebSocket upgrade with
 * (FastExcWebSocketRaiseCode, else 1013 for 429 and 503, 1011 for other
 * 5xx, 1008 for 4xx). */
int fastexc_conf_raise_close(const fastexc_dir_conf *dc, int status);

/* FastExcWebSocketTunnelClose of a scope: 1 if On (default Off). */
int fastexc_conf_tunnel(const fastexc_dir_conf *dc);

/* FastExcWebSocketCloseTimeout of a scope, default applied. */
apr_interval_time_t fastexc_conf_ws_timeout(const fastexc_dir_conf *dc);

/* FastExcLogLevel of a scope, default applied; of r's scope. */
int fastexc_conf_log_level(const fastexc_dir_conf *dc);
int fastexc_conf_log_level_of(request_rec *r);

/* The Close a scope sends for a tunnel's end (FASTEXC_TUNNEL_*), default
 * applied, or NULL for Off. */
const fastexc_ws_exc_t *fastexc_conf_tunnel_close(const fastexc_dir_conf *dc,
                                                  int event);

#endif /* MOD_FASTEXC_CONFIG_H */
