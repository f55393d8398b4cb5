/*
 * mod_fastexc.c - FastAPI-style exceptions for Apache httpd 2.4.
 *
 * An exception ends a request with a status, the body {"detail": <detail>}
 * as compact JSON (byte for byte what FastAPI's HTTPException sends), the
 * status line with Python's reason phrase, and the headers it was given; a
 * WebSocket exception ends an upgrade with a Close frame's code and reason.
 * The directives, the C and notes APIs and the log tags (FXnnnn) are
 * documented once, in README.md.
 *
 * This file is the module: its record, its hooks and why each runs when it
 * does, and the hand-offs to the glue files, one concern each (glue/):
 *
 *   mod_fastexc_config      per-directory config, merge, defaults
 *   mod_fastexc_directives  directive handlers, the command table
 *   mod_fastexc_directives_render  the rendering directives' handlers
 *   mod_fastexc_directives_warn    warnings found while they are read
 *   mod_fastexc_render      an exception rendered for one request
 *   mod_fastexc_raise       the C API and configured raises (fixups)
 *   mod_fastexc_error       httpd's error path and its body filter
 *   mod_fastexc_backend     a proxied backend's error bodies
 *   mod_fastexc_negotiate   FastExcNegotiate: JSON, Problem Details or HTML;
 *                           gRPC clients, which take none
 *   mod_fastexc_upgrade     WebSocket answers: 101, Close, the close wait
 *   mod_fastexc_tunnel      proxied tunnels watched, closed when they end
 *   mod_fastexc_stop        the child stops: its tunnels told, in turn
 *   mod_fastexc_account     log line, notes, counters, mod_status
 *   mod_fastexc_metrics     the counters for Prometheus (fastexc-metrics)
 *
 * Pure logic (JSON, phrases, validation, frames) is in src/, with no httpd
 * header, tested by Check without httpd.
 */

#include "apr_optional.h"
#include "apr_optional_hooks.h"

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_proxy.h"
#include "mpm_common.h"
#include "mod_status.h"

#include "mod_fastexc.h"
#include "mod_fastexc_account.h"
#include "mod_fastexc_backend.h"
#include "mod_fastexc_config.h"
#include "mod_fastexc_directives.h"
#include "mod_fastexc_early.h"
#include "mod_fastexc_error.h"
#include "mod_fastexc_metrics.h"
#include "mod_fastexc_negotiate.h"
#include "mod_fastexc_raise.h"
#include "mod_fastexc_render.h"
#include "mod_fastexc_stop.h"
#include "mod_fastexc_tunnel.h"
#include "mod_fastexc_upgrade.h"

/* Built with -fvisibility=hidden: this is the one symbol httpd looks up. */
module __attribute__((visibility("default"))) AP_MODULE_DECLARE_DATA
    fastexc_module;

/* The hooks only some configurations use (fastexc_conf_uses()),
 * registered once it is read, so that the others do not pay a call per
 * request for them. httpd sorted the hooks before post_config: sorted
 * again, each takes its place among the others'. */
static void fastexc_register_used_hooks(server_rec *s)
{
    const char *current = apr_hook_debug_current;
    int uses = fastexc_conf_uses(s);

    if (!uses) {
        return;
    }
    apr_hook_debug_current = fastexc_module.name;   /* as mod_info shows */
    if (uses & FASTEXC_USES_EARLY) {
        /* a raise without mapping the URL (FastExcRaiseEarly On, or where
         * the sections leave it to the URL): REALLY_FIRST, to see the URL
         * the <Location> walk just saw, before mod_rewrite (FIRST) or
         * another module changes it (it notes the URL and declines); then,
         * with mod_proxy's, before core walks the filesystem (core's walk
         * is REALLY_LAST) */
        ap_hook_translate_name(fastexc_early_translate, NULL, NULL,
                               APR_HOOK_REALLY_FIRST);
        ap_hook_map_to_storage(fastexc_early_map_to_storage, NULL, NULL,
                               APR_HOOK_FIRST);
    }
    if (uses & FASTEXC_USES_NEGOTIATE) {
        /* FastExcNegotiate: after the last walk (the scope is final),
         * before access control, the first phase that can end the request
         * with an error a JSON client must not see as an ErrorDocument
         * page */
        ap_hook_header_parser(fastexc_negotiate_header_parser, NULL, NULL,
                              APR_HOOK_MIDDLE);
    }
    if (uses & FASTEXC_USES_UPGRADE) {
        /* FastExcWebSocket rules answer an upgrade, and an upgrade's scope
         * is noted for the C API's close (its timeout, its log level):
         * REALLY_FIRST, before mod_proxy's handler (FIRST) opens a backend
         * connection for a proxied upgrade. Without any of those, an
         * upgrade's scope says what the server's defaults say, which the
         * C API's close falls back on. */
        ap_hook_handler(fastexc_upgrade_handler, NULL, NULL,
                        APR_HOOK_REALLY_FIRST);
    }
    apr_hook_debug_current = current;
    apr_hook_sort_all();
}

/* Default bodies once per configuration; the shared counters once per
 * httpd run (they outlive restarts). */
static int fastexc_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    fastexc_cmd_log_warnings(s);
    fastexc_conf_mark_nothing(s);
    /* what each server's sections can do to its raises, before the hooks
     * it takes are known */
    fastexc_early_read(pconf, s);
    fastexc_register_used_hooks(s);
    fastexc_account_init(s);
    fastexc_render_init(pconf);
    fastexc_negotiate_init();
    return OK;
}

/* SetHandler fastexc and fastexc-metrics, with one look at r->handler for
 * both: every request passes here (httpd names its content type as the
 * handler when none was set), few are ours. */
static int fastexc_handler(request_rec *r)
{
    int rv;

    if (!r->handler || r->handler[0] != 'f'
        || strncmp(r->handler, "fastexc", 7) != 0) {
        return DECLINED;
    }
    rv = fastexc_raise_handler(r);
    return rv != DECLINED ? rv : fastexc_metrics_handler(r);
}

/* A reverse-proxied request (mod_proxy's translate set r->proxyreq): a
 * failed upgrade in a FastExcWebSocketBackendError scope, and a backend's
 * error body in a FastExcBackendErrors one. One look at r->proxyreq for
 * every request: few are proxied. */
static void fastexc_insert_filter(request_rec *r)
{
    if (r->proxyreq != PROXYREQ_REVERSE) {
        return;
    }
    fastexc_upgrade_insert_filter(r);
    fastexc_backend_insert_filter(r);
}

static void fastexc_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(fastexc_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* FastExcRaiseEarly's, FastExcNegotiate's and the upgrade handler: at
     * post_config, where the configuration uses them
     * (fastexc_register_used_hooks) */
    /* FIRST: raise before other fixups do work for a request that ends. */
    ap_hook_fixups(fastexc_raise_fixups, NULL, NULL, APR_HOOK_FIRST);
    /* SetHandler fastexc; SetHandler fastexc-metrics: the counters for
     * Prometheus */
    ap_hook_handler(fastexc_handler, NULL, NULL, APR_HOOK_MIDDLE);
    /* the filters that watch a proxied backend's answer (insert_filter
     * runs in ap_invoke_handler(), before mod_proxy's handler passes the
     * response down r->output_filters; errors httpd makes itself go
     * through ap_send_error_response(), which drops them) */
    ap_hook_insert_filter(fastexc_insert_filter, NULL, NULL, APR_HOOK_MIDDLE);
    /* inside ap_send_error_response(), after the output chain was reset to
     * the protocol filters and before httpd writes its canned body */
    ap_hook_insert_error_filter(fastexc_error_insert_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    fastexc_error_filters();
    fastexc_backend_filters();
    fastexc_upgrade_filters();
    fastexc_tunnel_filters();
    /* the list of tunnels a stop closes, and the spread's thread */
    ap_hook_child_init(fastexc_stop_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    /* threaded MPMs, from the listener: a graceful restart or stop closes
     * tunnels */
    ap_hook_child_stopping(fastexc_stop_child_stopping, NULL, NULL,
                           APR_HOOK_MIDDLE);
    /* optional: mod_fastexc loads without mod_proxy (no symbol of it is
     * used) */
    APR_OPTIONAL_HOOK(proxy, create_req, fastexc_tunnel_create_req, NULL, NULL,
                      APR_HOOK_MIDDLE);
    /* optional: mod_fastexc loads without mod_status */
    APR_OPTIONAL_HOOK(ap, status_hook, fastexc_account_status, NULL, NULL,
                      APR_HOOK_MIDDLE);
    /* the public API (include/mod_fastexc.h), found by name */
    APR_REGISTER_OPTIONAL_FN(fastexc_raise);
    APR_REGISTER_OPTIONAL_FN(fastexc_raise_text);
    APR_REGISTER_OPTIONAL_FN(fastexc_raise_websocket);
    APR_REGISTER_OPTIONAL_FN(fastexc_websocket_close);
}

AP_DECLARE_MODULE(fastexc) = {
    STANDARD20_MODULE_STUFF,
    fastexc_conf_create,
    fastexc_conf_merge,
    fastexc_conf_srv_create,
    fastexc_conf_srv_merge,
    fastexc_cmds,
    fastexc_register_hooks
};
