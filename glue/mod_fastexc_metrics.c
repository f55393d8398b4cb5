/*
 * mod_fastexc_metrics.c - SetHandler fastexc-metrics: what the module sent,
 * in Prometheus' text exposition format (version 0.0.4), read from the
 * counters every child and generation shares (mod_fastexc_account.c).
 *
 * Every family has its HELP and TYPE lines; the series of each source and
 * cause are there from zero; a status or close code is listed, with every
 * source or cause, from the first exception or close sent with it (label
 * values are bounded: statuses 200-599, codes 1000-4999, fixed sources and
 * causes). Counters are 64-bit and kept across graceful restarts.
 */

#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"

#include "mod_fastexc.h"
#include "mod_fastexc_private.h"
#include "mod_fastexc_account.h"
#include "mod_fastexc_metrics.h"

static void fastexc_metrics_family(request_rec *r, const char *name,
                                   const char *type, const char *help)
{
    ap_rprintf(r, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void fastexc_metrics_exceptions(request_rec *r)
{
    apr_uint64_t total[FASTEXC_SOURCES] = { 0 };
    apr_uint64_t n[FASTEXC_SOURCES];
    int status, k, any;

    for (status = FASTEXC_COUNT_HTTP_MIN;
         status < FASTEXC_COUNT_HTTP_MIN + FASTEXC_COUNT_HTTP_N; status++) {
        for (k = 0; k < FASTEXC_SOURCES; k++) {
            total[k] += fastexc_account_http_count(status, k);
        }
    }
    fastexc_metrics_family(r, "fastexc_exceptions_total", "counter",
        "Exceptions sent, by source: raise (FastExcRaise, SetHandler "
        "fastexc, an upgrade answered over HTTP), httpd (FastExc On: "
        "httpd's or a module's error), backend (FastExc On: a proxied "
        "request's error), api (the C or notes API).");
    for (k = 0; k < FASTEXC_SOURCES; k++) {
        ap_rprintf(r, "fastexc_exceptions_total{source=\"%s\"} %"
                   APR_UINT64_T_FMT "\n", fastexc_account_source_names[k],
                   total[k]);
    }
    fastexc_metrics_family(r, "fastexc_exceptions_by_status_total",
        "counter", "Exceptions sent, by HTTP status and source; a status is "
        "listed, with every source, once one was sent.");
    for (status = FASTEXC_COUNT_HTTP_MIN;
         status < FASTEXC_COUNT_HTTP_MIN + FASTEXC_COUNT_HTTP_N; status++) {
        for (k = 0, any = 0; k < FASTEXC_SOURCES; k++) {
            any |= (n[k] = fastexc_account_http_count(status, k)) != 0;
        }
        for (k = 0; any && k < FASTEXC_SOURCES; k++) {
            ap_rprintf(r, "fastexc_exceptions_by_status_total{status=\"%d\","
                       "source=\"%s\"} %" APR_UINT64_T_FMT "\n", status,
                       fastexc_account_source_names[k], n[k]);
        }
    }
}

static void fastexc_metrics_closes(request_rec *r)
{
    apr_uint64_t total[FASTEXC_CAUSES] = { 0 };
    apr_uint64_t n[FASTEXC_CAUSES];
    int code, k, any;

    for (code = FASTEXC_COUNT_WS_MIN;
         code < FASTEXC_COUNT_WS_MIN + FASTEXC_COUNT_WS_N; code++) {
        for (k = 0; k < FASTEXC_CAUSES; k++) {
            total[k] += fastexc_account_ws_count(code, k);
        }
    }
    fastexc_metrics_family(r, "fastexc_websocket_closes_total", "counter",
        "WebSocket Close frames sent, by cause: answer (FastExcWebSocket, "
        "the C or notes API), backend_error (FastExcWebSocketBackendError), "
        "tunnel_backend, tunnel_timeout, restart, stop (a watched tunnel "
        "ended: FastExcWebSocketTunnelClose).");
    for (k = 0; k < FASTEXC_CAUSES; k++) {
        ap_rprintf(r, "fastexc_websocket_closes_total{cause=\"%s\"} %"
                   APR_UINT64_T_FMT "\n", fastexc_account_cause_names[k],
                   total[k]);
    }
    fastexc_metrics_family(r, "fastexc_websocket_closes_by_code_total",
        "counter", "WebSocket Close frames sent, by close code and cause; a "
        "code is listed, with every cause, once one was sent.");
    for (code = FASTEXC_COUNT_WS_MIN;
         code < FASTEXC_COUNT_WS_MIN + FASTEXC_COUNT_WS_N; code++) {
        for (k = 0, any = 0; k < FASTEXC_CAUSES; k++) {
            any |= (n[k] = fastexc_account_ws_count(code, k)) != 0;
        }
        for (k = 0; any && k < FASTEXC_CAUSES; k++) {
            ap_rprintf(r, "fastexc_websocket_closes_by_code_total{code=\"%d\","
                       "cause=\"%s\"} %" APR_UINT64_T_FMT "\n", code,
                       fastexc_account_cause_names[k], n[k]);
        }
    }
}

int fastexc_metrics_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, FASTEXC_METRICS_HANDLER) != 0) {
        return DECLINED;
    }
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!fastexc_account_counting()) {
        /* FX0029 said so at startup: no numbers rather than zeros */
        return HTTP_SERVICE_UNAVAILABLE;
    }
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only) {
        return OK;
    }
    fastexc_metrics_exceptions(r);
    fastexc_metrics_closes(r);
    fastexc_metrics_family(r, "fastexc_tunnels_watched", "gauge",
        "Proxied WebSocket tunnels watched now "
        "(FastExcWebSocketTunnelClose), over every child.");
    ap_rprintf(r, "fastexc_tunnels_watched %" APR_UINT64_T_FMT "\n",
               fastexc_account_tunnels_now());
    fastexc_metrics_family(r, "fastexc_build_info", "gauge",
        "mod_fastexc's version, as a label; always 1.");
    ap_rputs("fastexc_build_info{version=\"" MOD_FASTEXC_VERSION "\"} 1\n", r);
    return OK;
}
