/*
 * mod_fastexc_account.c - Accounting: every exception sent is logged once
 * (FastExcLogLevel), left in the notes for mod_log_config, and counted in
 * shared memory that mod_status shows.
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
#include "mod_fastexc_account.h"

/* Counts of exceptions sent, across all children: in anonymous shared
 * memory made by the parent before it forks, kept across restarts. */
#define FASTEXC_COUNT_HTTP_MIN 200
#define FASTEXC_COUNT_HTTP_N 400
#define FASTEXC_COUNT_WS_MIN 1000
#define FASTEXC_COUNT_WS_N 4000
typedef struct {
    apr_uint32_t http[FASTEXC_COUNT_HTTP_N];    /* by status, 200-599 */
    apr_uint32_t ws[FASTEXC_COUNT_WS_N];        /* by close code, 1000-4999 */
} fastexc_account_counters_t;

/* What the access log can show: %{fastexc-sent-status}n and so on. */
#define FASTEXC_NOTE_SENT_STATUS "fastexc-sent-status"
#define FASTEXC_NOTE_SENT_DETAIL "fastexc-sent-detail"
#define FASTEXC_NOTE_SENT_WS_CODE "fastexc-sent-ws-code"
#define FASTEXC_NOTE_SENT_WS_REASON "fastexc-sent-ws-reason"

/* NULL: not counting */
static fastexc_account_counters_t *fastexc_account_counters;

/* The shared counters once per httpd run: they outlive restarts. */
void fastexc_account_init(server_rec *s)
{
    static const char key[] = "fastexc_account_counters";
    apr_pool_t *process = s->process->pool;
    apr_shm_t *shm = NULL;

    apr_pool_userdata_get((void **)&shm, key, process);
    if (!shm) {
        apr_status_t rv = apr_shm_create(
            &shm, sizeof(fastexc_account_counters_t), NULL, process);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, FXLOGNO(0029)
                         "no shared memory for counting exceptions: "
                         "mod_status will not show them");
            shm = NULL;
        }
        else {
            memset(apr_shm_baseaddr_get(shm), 0,
                   sizeof(fastexc_account_counters_t));
            apr_pool_userdata_set(shm, key, apr_pool_cleanup_null, process);
        }
    }
    fastexc_account_counters = shm ? apr_shm_baseaddr_get(shm) : NULL;
}

/* Every exception sent is counted, logged once (FastExcLogLevel) and left
 * in the notes for mod_log_config. */
void fastexc_account_http(request_rec *r,
                          const fastexc_response_t *resp)
{
    apr_size_t dlen;
    const char *d = fastexc_body_detail(resp->body, resp->body_len, &dlen);
    const char *detail = d ? apr_pstrmemdup(r->pool, d, dlen) : "";

    if (fastexc_account_counters && resp->status >= FASTEXC_COUNT_HTTP_MIN
        && resp->status < FASTEXC_COUNT_HTTP_MIN + FASTEXC_COUNT_HTTP_N) {
        apr_atomic_inc32(&fastexc_account_counters->http[resp->status
                                                 - FASTEXC_COUNT_HTTP_MIN]);
    }
    apr_table_setn(r->notes, FASTEXC_NOTE_SENT_STATUS,
                   apr_itoa(r->pool, resp->status));
    apr_table_setn(r->notes, FASTEXC_NOTE_SENT_DETAIL, detail);
    /* httpd's error log escapes control bytes and backslashes itself */
    ap_log_rerror(APLOG_MARK, fastexc_conf_log_level_of(r), 0, r, FXLOGNO(0027)
                  "exception %d, detail %.512s", resp->status, detail);
}

void fastexc_account_count_ws(int code)
{
    if (fastexc_account_counters && code >= FASTEXC_COUNT_WS_MIN
        && code < FASTEXC_COUNT_WS_MIN + FASTEXC_COUNT_WS_N) {
        apr_atomic_inc32(
            &fastexc_account_counters->ws[code - FASTEXC_COUNT_WS_MIN]);
    }
}

void fastexc_account_ws(request_rec *r, int code, const char *reason,
                        apr_size_t rlen, const char *context)
{
    const char *why = apr_pstrmemdup(r->pool, reason, rlen);

    fastexc_account_count_ws(code);
    apr_table_setn(r->notes, FASTEXC_NOTE_SENT_WS_CODE,
                   apr_itoa(r->pool, code));
    apr_table_setn(r->notes, FASTEXC_NOTE_SENT_WS_REASON, why);
    ap_log_rerror(APLOG_MARK, fastexc_conf_log_level_of(r), 0, r, FXLOGNO(0028)
                  "WebSocket closed with %d, reason \"%s\"%s%s", code, why,
                  context ? ", " : "", context ? context : "");
}

/* mod_status: counts by status and by close code, in the HTML page and
 * in ?auto ("FastExcExceptions404: 12"). */
int fastexc_account_status(request_rec *r, int flags)
{
    int i, any = 0;

    if (!fastexc_account_counters) {
        return OK;
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("<hr />\n<h2>mod_fastexc</h2>\n<table border=\"0\">"
                 "<tr><th>exceptions by status</th><th>sent</th></tr>\n", r);
    }
    for (i = 0; i < FASTEXC_COUNT_HTTP_N; i++) {
        apr_uint32_t n = apr_atomic_read32(&fastexc_account_counters->http[i]);
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
        apr_uint32_t n = apr_atomic_read32(&fastexc_account_counters->ws[i]);
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
