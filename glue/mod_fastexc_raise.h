/*
 * mod_fastexc_raise.h - raising an exception: the C API, configured rules,
 * and what a request keeps of it.
 */
#ifndef MOD_FASTEXC_RAISE_H
#define MOD_FASTEXC_RAISE_H

#include "httpd.h"
#include "mod_fastexc_render.h"

typedef struct fastexc_tunnel fastexc_tunnel_t;

/* What a request keeps: in r->request_config. */
typedef struct {
    const fastexc_response_t *raised;   /* the exception r raised */
    const fastexc_response_t *raised_by;    /* raised marked by an API */
    int raised_source;          /* ... and its source (FASTEXC_SOURCE_*) */
    int blank;                  /* the status whose error page was made an
                                   empty literal for r (0: none) */
    int sent;                   /* sent directly, not by the error path */
    const char *early_uri;      /* FastExcRaiseEarly: not mapped if still */
    int early;                  /* ... On, or AUTO (FASTEXC_EARLY_*) */
    int early_ws;               /* ... for a FastExcWebSocket rule */
    int early_most;             /* ... AUTO: fastexc_early_most() */
    int unmapped;               /* ... and the URL was not mapped */
    int ws_answered;            /* 101 sent: the connection is taken over */
    int ws_http;                /* an upgrade answered over HTTP on purpose */
    fastexc_tunnel_t *tunnel;   /* a watched WebSocket tunnel */
} fastexc_req_conf;

/* What a connection keeps: in c->conn_config, made once per connection
 * (anything added per request would grow a keep-alive connection). */
typedef struct {
    struct fastexc_tunnel_watch *watch;     /* the tunnel watcher filters */
    int ws_scope;               /* an upgrade on c noted its scope: */
    apr_interval_time_t ws_close_timeout;   /* its close wait */
    int ws_log_level;                       /* and its log level */
} fastexc_conn_state_t;

/* c's state, made the first time. */
fastexc_conn_state_t *fastexc_raise_conn_state(conn_rec *c);

/* r's state, or NULL; r's state, made if needed. */
fastexc_req_conf *fastexc_raise_state(request_rec *r);
fastexc_req_conf *fastexc_raise_state_make(request_rec *r);

/* Raise resp (from fastexc_make_*) on r with the caller's headers, those
 * invalid or reserved left out (logged); returns what the hook returns. */
int fastexc_raise_made(request_rec *r, const fastexc_response_t *resp,
                       const apr_table_t *headers);

/* Public API: see include/mod_fastexc.h. */
int fastexc_raise(request_rec *r, int status, const char *detail_json,
                  const apr_table_t *headers);
int fastexc_raise_text(request_rec *r, int status, const char *text,
                       const apr_table_t *headers);

/* What a configured answer that recorded its raise (an upgrade rejected
 * over HTTP) returns for status: sent directly, as a configured raise is
 * (DONE), or status for the error path. */
int fastexc_raise_send_raised(request_rec *r, int status);

/* The first rule of rules (fastexc_rule_t first) whose condition holds. */
const void *fastexc_raise_match(request_rec *r,
                                const apr_array_header_t *rules,
                                const char *directive);

/* The FastExcDetail of status for r in scope dc: the first of its rules
 * whose condition holds (the scope's own, then inherited), or NULL. Every
 * lookup of a detail goes through here. */
const fastexc_exc_t *fastexc_raise_detail(request_rec *r,
                                          const fastexc_dir_conf *dc,
                                          int status);

/* No rule of the kind (ws: FastExcWebSocket, else FastExcRaise) answered
 * r: if r's URL was left unmapped for one, it goes on so (logged). */
void fastexc_raise_unanswered(request_rec *r, int ws);

int fastexc_raise_fixups(request_rec *r);
int fastexc_raise_handler(request_rec *r);

#endif /* MOD_FASTEXC_RAISE_H */
