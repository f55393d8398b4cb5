/*
 * mod_fastexc_account.h - every exception sent: logged, noted (request
 * notes and environment variables), counted in shared memory (mod_status,
 * the Prometheus metrics of mod_fastexc_metrics).
 */
#ifndef MOD_FASTEXC_ACCOUNT_H
#define MOD_FASTEXC_ACCOUNT_H

#include "httpd.h"
#include "mod_fastexc_render.h"

/* Where an exception sent came from: the label source= of the metrics,
 * the note fastexc-sent-source. */
#define FASTEXC_SOURCE_RAISE   0    /* FastExcRaise, SetHandler fastexc, a
                                     * FastExcWebSocket upgrade answered
                                     * over HTTP (reject http, handshake) */
#define FASTEXC_SOURCE_HTTPD   1    /* FastExc On: httpd's own error, or
                                     * another module's status */
#define FASTEXC_SOURCE_BACKEND 2    /* FastExc On: a proxied request's error
                                     * (the backend's, or mod_proxy's when
                                     * the backend is down) */
#define FASTEXC_SOURCE_API     3    /* the C API or the notes API */
#define FASTEXC_SOURCES        4
/* Not said by the caller: worked out from the request (see the .c). */
#define FASTEXC_SOURCE_UNSAID  (-1)

/* Why a WebSocket was closed: the label cause=, the note
 * fastexc-sent-ws-cause. */
#define FASTEXC_CAUSE_ANSWER         0  /* the module answered the upgrade or
                                         * closed it: FastExcWebSocket, the C
                                         * and notes APIs */
#define FASTEXC_CAUSE_BACKEND_ERROR  1  /* FastExcWebSocketBackendError */
#define FASTEXC_CAUSE_TUNNEL_BACKEND 2  /* a watched tunnel's backend went */
#define FASTEXC_CAUSE_TUNNEL_TIMEOUT 3  /* a watched tunnel timed out */
#define FASTEXC_CAUSE_RESTART        4  /* a tunnel closed for a restart */
#define FASTEXC_CAUSE_STOP           5  /* a tunnel closed for a stop */
#define FASTEXC_CAUSES               6

/* The counters in shared memory, once per httpd run (post_config); logs
 * the module's version once per generation (FX0040). */
void fastexc_account_init(server_rec *s);

/* An exception sent on r: counted under its status and source, logged
 * once (FX0027), left in the notes and the environment. */
void fastexc_account_http_from(request_rec *r, const fastexc_response_t *resp,
                               int source);
/* A WebSocket closed on r with code and reason: counted under its code and
 * cause, logged once (FX0028, context appended), noted. */
void fastexc_account_ws_cause(request_rec *r, int code, const char *reason,
                              apr_size_t rlen, const char *context, int cause);
/* Counted only (fastexc_websocket_close(): no request, it logs itself). */
void fastexc_account_count_ws_cause(int code, int cause);

/* The exception r raised (fastexc_raise_state(r)->raised, as it is now)
 * came from source: for a caller of fastexc_raise_made() that is not a
 * configured raise (the C API). */
void fastexc_account_raised_by(request_rec *r, int source);
/* The cause of a tunnel's end (FASTEXC_TUNNEL_*). */
int fastexc_account_tunnel_cause(int event);
/* A tunnel of this child is watched (+1), or no longer (-1): the gauge of
 * tunnels watched now, summed over the children alive. */
void fastexc_account_tunnel_watched(int delta);

/* An exception sent on r whose source the caller leaves to be worked out
 * from the request (the error path, a configured raise). */
void fastexc_account_http(request_rec *r, const fastexc_response_t *resp);

int fastexc_account_status(request_rec *r, int flags);

/* ---- what the metrics read ---------------------------------------- */

#define FASTEXC_COUNT_HTTP_MIN 200
#define FASTEXC_COUNT_HTTP_N 400
#define FASTEXC_COUNT_WS_MIN 1000
#define FASTEXC_COUNT_WS_N 4000

/* Labels of sources and causes, by number. */
extern const char *const fastexc_account_source_names[FASTEXC_SOURCES];
extern const char *const fastexc_account_cause_names[FASTEXC_CAUSES];

/* Whether the counters are in shared memory (else they read 0). */
int fastexc_account_counting(void);
/* Exceptions sent with status (200-599) from source, over all children
 * and generations since httpd started. */
apr_uint64_t fastexc_account_http_count(int status, int source);
/* WebSocket closes sent with code (1000-4999) for cause. */
apr_uint64_t fastexc_account_ws_count(int code, int cause);
/* Tunnels watched now, summed over the children alive. */
apr_uint64_t fastexc_account_tunnels_now(void);

#endif /* MOD_FASTEXC_ACCOUNT_H */
