/*
 * mod_fastexc_account.c - Accounting: every exception sent is logged once
 * (FastExcLogLevel), left in the notes and the environment for
 * mod_log_config and other modules, and counted in shared memory that
 * mod_status and the Prometheus metrics (mod_fastexc_metrics.c) show.
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
#include "mod_fastexc_raise.h"
#include "mod_fastexc_render.h"
#include "mod_fastexc_account.h"

/* ---- 64-bit counters in shared memory ------------------------------ */

/* A counter every child adds to at once. With lock-free 64-bit atomics
 * (every 64-bit target, and i386 and armhf) one word; without them two
 * 32-bit halves, the high one carried when the low one wraps (a reader in
 * that instant may see the low half wrapped before the carry). */
#if defined(__GCC_ATOMIC_LLONG_LOCK_FREE) && __GCC_ATOMIC_LLONG_LOCK_FREE == 2
#define FASTEXC_ACCOUNT_ATOMIC64 1
typedef struct {
    apr_uint64_t n __attribute__((aligned(8)));
} fastexc_count_t;

static APR_INLINE void fastexc_count_inc(fastexc_count_t *c)
{
    (void)__atomic_fetch_add(&c->n, 1, __ATOMIC_RELAXED);
}

static APR_INLINE apr_uint64_t fastexc_count_read(fastexc_count_t *c)
{
    return __atomic_load_n(&c->n, __ATOMIC_RELAXED);
}

/* Tunnels watched by the child in a scoreboard slot: its pid in the high
 * half, the count in the low one, changed together; a slot whose pid is no
 * longer the scoreboard's (a child that died, however) counts nothing. */
typedef struct {
    apr_uint64_t word __attribute__((aligned(8)));
} fastexc_slot_t;
#else
typedef struct {
    apr_uint32_t lo, hi;
} fastexc_count_t;

static void fastexc_count_inc(fastexc_count_t *c)
{
    if (apr_atomic_inc32(&c->lo) == APR_UINT32_MAX) {
        apr_atomic_inc32(&c->hi);
    }
}

static apr_uint64_t fastexc_count_read(fastexc_count_t *c)
{
    apr_uint32_t hi, lo;

    do {
        hi = apr_atomic_read32(&c->hi);
        lo = apr_atomic_read32(&c->lo);
    } while (hi != apr_atomic_read32(&c->hi));
    return ((apr_uint64_t)hi << 32) | lo;
}

/* Without 64-bit atomics one count for every child (slot 0): a child that
 * dies with tunnels leaves them counted. */
typedef struct {
    apr_uint32_t count, unused;
} fastexc_slot_t;
#endif

/* Counts of exceptions sent, across all children and generations: in
 * anonymous shared memory made by the parent before it forks, kept across
 * restarts. A new layout gets memory of its own (the key names it). */
#define FASTEXC_ACCOUNT_KEY "fastexc_account_counters/2"
typedef struct {
    fastexc_count_t http[FASTEXC_COUNT_HTTP_N][FASTEXC_SOURCES];
    fastexc_count_t ws[FASTEXC_COUNT_WS_N][FASTEXC_CAUSES];
    apr_uint32_t nslots;            /* ServerLimit when made */
    fastexc_slot_t slots[];         /* by scoreboard slot */
} fastexc_account_counters_t;

const char *const fastexc_account_source_names[FASTEXC_SOURCES] = {
    "raise", "httpd", "backend", "api"
};
const char *const fastexc_account_cause_names[FASTEXC_CAUSES] = {
    "answer", "backend_error", "tunnel_backend", "tunnel_timeout", "restart",
    "stop"
};

/* What the access log can show: %{fastexc-sent-status}n and so on; the
 * same in the environment, %{FASTEXC_SENT_STATUS}e. */
#define FASTEXC_NOTE_SENT_STATUS "fastexc-sent-status"
#define FASTEXC_NOTE_SENT_DETAIL "fastexc-sent-detail"
#define FASTEXC_NOTE_SENT_SOURCE "fastexc-sent-source"
#define FASTEXC_NOTE_SENT_WS_CODE "fastexc-sent-ws-code"
#define FASTEXC_NOTE_SENT_WS_REASON "fastexc-sent-ws-reason"
#define FASTEXC_NOTE_SENT_WS_CAUSE "fastexc-sent-ws-cause"
#define FASTEXC_ENV_SENT_STATUS "FASTEXC_SENT_STATUS"
#define FASTEXC_ENV_SENT_DETAIL "FASTEXC_SENT_DETAIL"
#define FASTEXC_ENV_SENT_SOURCE "FASTEXC_SENT_SOURCE"
#define FASTEXC_ENV_SENT_WS_CODE "FASTEXC_SENT_WS_CODE"
#define FASTEXC_ENV_SENT_WS_REASON "FASTEXC_SENT_WS_REASON"
#define FASTEXC_ENV_SENT_WS_CAUSE "FASTEXC_SENT_WS_CAUSE"

/* NULL: not counting */
static fastexc_account_counters_t *fastexc_account_counters;

/* The shared counters once per httpd run: they outlive restarts. The
 * version is logged once per generation (not in the first, trial reading
 * of the configuration at startup). */
void fastexc_account_init(server_rec *s)
{
    apr_pool_t *process = s->process->pool;
    apr_shm_t *shm = NULL;

    apr_pool_userdata_get((void **)&shm, FASTEXC_ACCOUNT_KEY, process);
    if (!shm) {
        int limit = 0;
        apr_size_t size;
        apr_status_t rv;

        if (ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &limit) != APR_SUCCESS
            || limit < 1) {
            limit = 1;
        }
        size = sizeof(fastexc_account_counters_t)
               + (apr_size_t)limit * sizeof(fastexc_slot_t);
        rv = apr_shm_create(&shm, size, NULL, process);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, FXLOGNO(0029)
                         "no shared memory for counting exceptions: "
                         "mod_status and the metrics will not show them");
            shm = NULL;
        }
        else {
            fastexc_account_counters_t *ac = apr_shm_baseaddr_get(shm);
            memset(ac, 0, size);
            ac->nslots = (apr_uint32_t)limit;
            apr_pool_userdata_set(shm, FASTEXC_ACCOUNT_KEY,
                                  apr_pool_cleanup_null, process);
        }
    }
    fastexc_account_counters = shm ? apr_shm_baseaddr_get(shm) : NULL;
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, FXLOGNO(0040)
                     "mod_fastexc/%s configured (jansson %s; counters %s)",
                     MOD_FASTEXC_VERSION, JANSSON_VERSION,
                     fastexc_account_counters
                         ? "in shared memory, kept across restarts"
                         : "off: no shared memory");
    }
}

int fastexc_account_counting(void)
{
    return fastexc_account_counters != NULL;
}

/* ---- sources and causes ------------------------------------------- */

/* Which raise came from where: the raise that is r's now, marked with its
 * source in r's state (a raise made since is the configured one's). */
void fastexc_account_raised_by(request_rec *r, int source)
{
    fastexc_req_conf *rc = fastexc_raise_state(r);

    if (!rc || !rc->raised || source < 0 || source >= FASTEXC_SOURCES) {
        return;
    }
    rc->raised_by = rc->raised;
    rc->raised_source = source;
}

/* Where resp, sent on r, came from, worked out as the error path chose it
 * (mod_fastexc_error.c): r's own raise (configured, unless marked by
 * fastexc_account_raised_by()), else the notes, else FastExc On rendering
 * a proxied request's error (the backend's, overridden; or mod_proxy's
 * 502/503/504 when the backend cannot be had) or httpd's. */
static int fastexc_account_source_of(request_rec *r,
                                     const fastexc_response_t *resp)
{
    const fastexc_req_conf *rc = fastexc_raise_state(r);

    if (rc && rc->raised && rc->raised == resp) {
        return rc->raised_by == resp ? rc->raised_source
                                     : FASTEXC_SOURCE_RAISE;
    }
    if (apr_table_get(r->notes, FASTEXC_NOTE_DETAIL_JSON)
        || apr_table_get(r->notes, FASTEXC_NOTE_DETAIL)) {
        return FASTEXC_SOURCE_API;
    }
    if (r->proxyreq == PROXYREQ_REVERSE || r->proxyreq == PROXYREQ_PROXY) {
        if (apr_table_get(r->notes, "proxy-error-override")
            || resp->status == HTTP_BAD_GATEWAY
            || resp->status == HTTP_SERVICE_UNAVAILABLE
            || resp->status == HTTP_GATEWAY_TIME_OUT) {
            return FASTEXC_SOURCE_BACKEND;
        }
    }
    return FASTEXC_SOURCE_HTTPD;
}

int fastexc_account_tunnel_cause(int event)
{
    switch (event) {
    case FASTEXC_TUNNEL_BACKEND:
        return FASTEXC_CAUSE_TUNNEL_BACKEND;
    case FASTEXC_TUNNEL_TIMEOUT:
        return FASTEXC_CAUSE_TUNNEL_TIMEOUT;
    case FASTEXC_TUNNEL_RESTART:
        return FASTEXC_CAUSE_RESTART;
    case FASTEXC_TUNNEL_STOP:
        return FASTEXC_CAUSE_STOP;
    }
    return FASTEXC_CAUSE_TUNNEL_BACKEND;
}

/* ---- accounting ----------------------------------------------------- */

/* Every exception sent is counted, logged once (FastExcLogLevel) and left
 * in the notes and the environment. */
void fastexc_account_http_from(request_rec *r,
                               const fastexc_response_t *resp, int source)
{
    apr_size_t dlen;
    const char *d = fastexc_body_detail(resp->body, resp->body_len, &dlen);
    const char *detail = d ? apr_pstrmemdup(r->pool, d, dlen) : "";
    const char *status = apr_itoa(r->pool, resp->status);
    void (*put)(apr_table_t *, const char *, const char *);

    if (source < 0 || source >= FASTEXC_SOURCES) {
        source = fastexc_account_source_of(r, resp);
    }
    if (fastexc_account_counters && resp->status >= FASTEXC_COUNT_HTTP_MIN
        && resp->status < FASTEXC_COUNT_HTTP_MIN + FASTEXC_COUNT_HTTP_N) {
        fastexc_count_inc(&fastexc_account_counters->http[resp->status
                                              - FASTEXC_COUNT_HTTP_MIN][source]);
    }
    /* r's first exception adds its notes and variables (a set compares
     * every entry of the table first); a later one replaces them */
    put = apr_table_get(r->notes, FASTEXC_NOTE_SENT_STATUS) ? apr_table_setn
                                                            : apr_table_addn;
    put(r->notes, FASTEXC_NOTE_SENT_STATUS, status);
    put(r->notes, FASTEXC_NOTE_SENT_DETAIL, detail);
    put(r->notes, FASTEXC_NOTE_SENT_SOURCE,
        fastexc_account_source_names[source]);
    put = apr_table_get(r->subprocess_env, FASTEXC_ENV_SENT_STATUS)
          ? apr_table_setn : apr_table_addn;
    put(r->subprocess_env, FASTEXC_ENV_SENT_STATUS, status);
    put(r->subprocess_env, FASTEXC_ENV_SENT_DETAIL, detail);
    put(r->subprocess_env, FASTEXC_ENV_SENT_SOURCE,
        fastexc_account_source_names[source]);
    /* httpd's error log escapes control bytes and backslashes itself */
    ap_log_rerror(APLOG_MARK, fastexc_conf_log_level_of(r), 0, r, FXLOGNO(0027)
                  "exception %d, detail %.512s", resp->status, detail);
}

void fastexc_account_http(request_rec *r, const fastexc_response_t *resp)
{
    fastexc_account_http_from(r, resp, FASTEXC_SOURCE_UNSAID);
}

void fastexc_account_count_ws_cause(int code, int cause)
{
    if (cause < 0 || cause >= FASTEXC_CAUSES) {
        cause = FASTEXC_CAUSE_ANSWER;
    }
    if (fastexc_account_counters && code >= FASTEXC_COUNT_WS_MIN
        && code < FASTEXC_COUNT_WS_MIN + FASTEXC_COUNT_WS_N) {
        fastexc_count_inc(
            &fastexc_account_counters->ws[code - FASTEXC_COUNT_WS_MIN][cause]);
    }
}

void fastexc_account_ws_cause(request_rec *r, int code, const char *reason,
                              apr_size_t rlen, const char *context, int cause)
{
    const char *why = apr_pstrmemdup(r->pool, reason, rlen);
    const char *num = apr_itoa(r->pool, code);

    if (cause < 0 || cause >= FASTEXC_CAUSES) {
        cause = FASTEXC_CAUSE_ANSWER;
    }
    fastexc_account_count_ws_cause(code, cause);
    apr_table_setn(r->notes, FASTEXC_NOTE_SENT_WS_CODE, num);
    apr_table_setn(r->notes, FASTEXC_NOTE_SENT_WS_REASON, why);
    apr_table_setn(r->notes, FASTEXC_NOTE_SENT_WS_CAUSE,
                   fastexc_account_cause_names[cause]);
    apr_table_setn(r->subprocess_env, FASTEXC_ENV_SENT_WS_CODE, num);
    apr_table_setn(r->subprocess_env, FASTEXC_ENV_SENT_WS_REASON, why);
    apr_table_setn(r->subprocess_env, FASTEXC_ENV_SENT_WS_CAUSE,
                   fastexc_account_cause_names[cause]);
    ap_log_rerror(APLOG_MARK, fastexc_conf_log_level_of(r), 0, r, FXLOGNO(0028)
                  "WebSocket closed with %d, reason \"%s\"%s%s", code, why,
                  context ? ", " : "", context ? context : "");
}

/* ---- reading the counters ------------------------------------------- */

apr_uint64_t fastexc_account_http_count(int status, int source)
{
    if (!fastexc_account_counters || status < FASTEXC_COUNT_HTTP_MIN
        || status >= FASTEXC_COUNT_HTTP_MIN + FASTEXC_COUNT_HTTP_N
        || source < 0 || source >= FASTEXC_SOURCES) {
        return 0;
    }
    return fastexc_count_read(&fastexc_account_counters->http[
                                  status - FASTEXC_COUNT_HTTP_MIN][source]);
}

apr_uint64_t fastexc_account_ws_count(int code, int cause)
{
    if (!fastexc_account_counters || code < FASTEXC_COUNT_WS_MIN
        || code >= FASTEXC_COUNT_WS_MIN + FASTEXC_COUNT_WS_N
        || cause < 0 || cause >= FASTEXC_CAUSES) {
        return 0;
    }
    return fastexc_count_read(&fastexc_account_counters->ws[
                                  code - FASTEXC_COUNT_WS_MIN][cause]);
}

/* ---- the gauge of tunnels watched now -------------------------------- */

#ifdef FASTEXC_ACCOUNT_ATOMIC64
/* This process's scoreboard slot (the parent records a child's pid there
 * right after it forks, long before a tunnel), or -1. */
static int fastexc_account_slot(pid_t me)
{
    static volatile pid_t slot_pid;
    static volatile int slot = -1;
    int i, limit = 0;

    if (slot >= 0 && slot_pid == me) {
        return slot;
    }
    ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &limit);
    for (i = 0; i < limit && i < (int)fastexc_account_counters->nslots; i++) {
        process_score *ps = ap_get_scoreboard_process(i);
        if (ps && ps->pid == me) {
            slot = -1;
            slot_pid = me;
            slot = i;
            return i;
        }
    }
    return -1;
}
#endif

void fastexc_account_tunnel_watched(int delta)
{
    fastexc_account_counters_t *ac = fastexc_account_counters;
#ifdef FASTEXC_ACCOUNT_ATOMIC64
    pid_t me = getpid();
    apr_uint64_t pid = (apr_uint32_t)me, old, new;
    apr_uint64_t *word;
    int slot;

    if (!ac || !delta || (slot = fastexc_account_slot(me)) < 0) {
        return;
    }
    word = &ac->slots[slot].word;
    old = __atomic_load_n(word, __ATOMIC_RELAXED);
    do {
        /* a slot left by a child that died starts again from 0 */
        apr_uint32_t n = (old >> 32) == pid ? (apr_uint32_t)old : 0;
        if (delta < 0) {
            if (!n) {
                return;     /* never counted here */
            }
            n--;
        }
        else {
            n++;
        }
        new = (pid << 32) | n;
    } while (!__atomic_compare_exchange_n(word, &old, new, 0,
                                          __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
#else
    if (!ac || !delta) {
        return;
    }
    if (delta > 0) {
        apr_atomic_inc32(&ac->slots[0].count);
    }
    else if (apr_atomic_read32(&ac->slots[0].count)) {
        apr_atomic_dec32(&ac->slots[0].count);
    }
#endif
}

apr_uint64_t fastexc_account_tunnels_now(void)
{
    fastexc_account_counters_t *ac = fastexc_account_counters;
    apr_uint64_t sum = 0;
#ifdef FASTEXC_ACCOUNT_ATOMIC64
    apr_uint32_t i;

    if (!ac) {
        return 0;
    }
    for (i = 0; i < ac->nslots; i++) {
        apr_uint64_t w = __atomic_load_n(&ac->slots[i].word,
                                         __ATOMIC_RELAXED);
        process_score *ps;
        if ((w >> 32) && (ps = ap_get_scoreboard_process((int)i))
            && ps->pid > 0 && (apr_uint32_t)ps->pid == (w >> 32)) {
            sum += (apr_uint32_t)w;
        }
    }
#else
    if (ac) {
        sum = apr_atomic_read32(&ac->slots[0].count);
    }
#endif
    return sum;
}

/* ---- mod_status ------------------------------------------------------ */

/* mod_status: the version, counts by status and by close code (every
 * source and cause summed), in the HTML page and in ?auto
 * ("FastExcExceptions404: 12"). */
int fastexc_account_status(request_rec *r, int flags)
{
    int i, any = 0;

    if (flags & AP_STATUS_SHORT) {
        ap_rputs("FastExcVersion: " MOD_FASTEXC_VERSION "\n", r);
    }
    else {
        ap_rputs("<hr />\n<h2>mod_fastexc</h2>\n<dl><dt>Version: "
                 "mod_fastexc/" MOD_FASTEXC_VERSION "</dt></dl>\n", r);
    }
    if (!fastexc_account_counters) {
        return OK;
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("<table border=\"0\">"
                 "<tr><th>exceptions by status</th><th>sent</th></tr>\n", r);
    }
    for (i = 0; i < FASTEXC_COUNT_HTTP_N; i++) {
        apr_uint64_t n = 0;
        int k;
        for (k = 0; k < FASTEXC_SOURCES; k++) {
            n += fastexc_count_read(&fastexc_account_counters->http[i][k]);
        }
        if (n && (flags & AP_STATUS_SHORT)) {
            ap_rprintf(r, "FastExcExceptions%d: %" APR_UINT64_T_FMT "\n",
                       i + FASTEXC_COUNT_HTTP_MIN, n);
        }
        else if (n) {
            ap_rprintf(r, "<tr><td>%d</td><td>%" APR_UINT64_T_FMT
                       "</td></tr>\n", i + FASTEXC_COUNT_HTTP_MIN, n);
            any = 1;
        }
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rprintf(r, "%s<tr><th>WebSocket closes by code</th><th>sent</th>"
                   "</tr>\n", any ? "" : "<tr><td>none</td><td></td></tr>\n");
        any = 0;
    }
    for (i = 0; i < FASTEXC_COUNT_WS_N; i++) {
        apr_uint64_t n = 0;
        int k;
        for (k = 0; k < FASTEXC_CAUSES; k++) {
            n += fastexc_count_read(&fastexc_account_counters->ws[i][k]);
        }
        if (n && (flags & AP_STATUS_SHORT)) {
            ap_rprintf(r, "FastExcWebSocketCloses%d: %" APR_UINT64_T_FMT "\n",
                       i + FASTEXC_COUNT_WS_MIN, n);
        }
        else if (n) {
            ap_rprintf(r, "<tr><td>%d</td><td>%" APR_UINT64_T_FMT
                       "</td></tr>\n", i + FASTEXC_COUNT_WS_MIN, n);
            any = 1;
        }
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rprintf(r, "%s</table>\n",
                   any ? "" : "<tr><td>none</td><td></td></tr>\n");
    }
    return OK;
}
