/*
 * mod_fastexc_tunnel.c - The tunnel watchers of FastExcWebSocketTunnelClose:
 * a proxied WebSocket tunnel is followed frame by frame from its two
 * connections and gets a Close when it ends abnormally (backend gone, idle
 * timeout, graceful restart or stop: mod_fastexc_stop.c tells it).
 */

#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_proxy.h"
#include "util_filter.h"

#include "fastexc_core.h"
#include "fastexc_ws.h"
#include "mod_fastexc.h"
#include "mod_fastexc_private.h"
#include "mod_fastexc_config.h"
#include "mod_fastexc_raise.h"
#include "mod_fastexc_account.h"
#include "mod_fastexc_upgrade.h"
#include "mod_fastexc_stop.h"
#include "mod_fastexc_tunnel.h"

/* A connection's tunnel watcher filters, added once per connection, and
 * the tunnel they watch for the request in flight (NULL: none). */
typedef struct fastexc_tunnel_watch {
    fastexc_tunnel_t *t;
    /* t while its reads here may take the short way (fastexc_ws_dir_pass:
     * tunnelling, nothing pending or decided), else NULL: one test */
    fastexc_tunnel_t *fast;
    ap_filter_t *in, *out;
} fastexc_tunnel_watch_t;

/* A proxied WebSocket tunnel watched for FastExcWebSocketTunnelClose: from
 * mod_proxy_http's backend request (create_req) until the request ends.
 * Lives in r->pool; the backend's side of it (watcher, socket) is let go
 * when the backend connection is released, before r ends. */
struct fastexc_tunnel {
    request_rec *r;
    const fastexc_dir_conf *dc;
    conn_rec *origin_c;         /* the backend connection */
    apr_pool_t *origin_pool;    /* the backend request's, until released */
    fastexc_tunnel_watch_t *origin_w;  /* on the backend connection */
    fastexc_tunnel_watch_t *client_w;  /* on r->connection */
    fastexc_ws_dir_t down;      /* backend -> client frames */
    fastexc_ws_dir_t up;        /* client -> backend frames */
    int started;                /* the backend answered 101: tunnelling */
    int counted;                /* in the gauge of tunnels watched */
    int origin_ended;           /* the backend closed, failed or was cut */
    int close_pending;          /* send the Close at the next read: the
                                   backend's last data went on first */
    int mid_frame;              /* as last told to the stop entry */
    int client_gone;            /* reading or writing the client failed */
    int decided;                /* the end was dealt with, once */
    int cut;                    /* a restart or stop cut the backend off */
    int close_sent;             /* our Close went to the client */
    int handshake_done;         /* ... and the client's came back */
    fastexc_stop_entry_t stop;  /* in this child's list while it runs */
};

static ap_filter_rec_t *fastexc_tunnel_origin_in_handle;
static ap_filter_rec_t *fastexc_tunnel_client_in_handle;
static ap_filter_rec_t *fastexc_tunnel_client_out_handle;

/* ---- WebSocket tunnel glue ------------------------------------------ */

/* FastExcWebSocketTunnelClose: when mod_proxy_http's tunnel for a proxied
 * upgrade ends abnormally, httpd closes TCP and the client reports 1006.
 * Here the tunnel is watched by one input filter per direction, as it
 * reads: the backend connection's follows the frames going to the client
 * and sees the backend end (EOF, error) and tunnelling start; the client
 * connection's follows the client's frames. Headers only: payloads are
 * passed over by their length, unread. ap_proxy_tunnel_run() passes each
 * read on before it reads again, so what a read returned is what goes out
 * next: a Close is sent only at a frame boundary, never after the
 * backend's own Close, never after the client's (a closing handshake under
 * way ends as it will). mod_proxy_http discards the tunnel's status: an end
 * seen by neither side is its idle timeout, decided at the EOS that ends r
 * by a client output filter added when the tunnel is over (none in the
 * tunnel's way while it runs: it would be a call per write for nothing).
 *
 * The filters are added once per connection (their records come from
 * c->pool, so adding them per request would grow a keep-alive connection
 * without bound) and point at the watched tunnel of the request in flight,
 * or at none: then they pass everything through. */

/* c's watcher, its input filter added the first time (and only then). */
static fastexc_tunnel_watch_t *fastexc_tunnel_watch(conn_rec *c,
                                                    ap_filter_rec_t *in)
{
    fastexc_conn_state_t *cs = fastexc_raise_conn_state(c);

    if (!cs->watch) {
        cs->watch = apr_pcalloc(c->pool, sizeof(*cs->watch));
        cs->watch->in = ap_add_input_filter_handle(in, cs->watch, NULL, c);
    }
    return cs->watch;
}

/* Whether t's scope sends a Close when the child stops for event (a scope
 * that does not is left as httpd leaves it). */
static int fastexc_tunnel_closes_for(const fastexc_tunnel_t *t, int event)
{
    return fastexc_conf_tunnel_close(t->dc, event) != NULL;
}

/* The tunnel ended for event: send the configured Close if the frame
 * stream allows it. Runs once, on the worker that runs the tunnel. */
static void fastexc_tunnel_end(fastexc_tunnel_t *t, int event)
{
    static const char *const why[FASTEXC_TUNNEL_EVENTS] = {
        "the backend went away", "the tunnel timed out",
        "httpd is restarting", "httpd is stopping" };
    request_rec *r = t->r;
    conn_rec *c = r->connection;
    const fastexc_ws_exc_t *exc;
    const char *skip = NULL;
    apr_status_t rv;

    if (t->decided) {
        return;
    }
    t->decided = 1;
    if (t->origin_w->fast == t) {
        t->origin_w->fast = NULL;
    }
    exc = fastexc_conf_tunnel_close(t->dc, event);
    if (t->down.rd.state == FASTEXC_WS_CLOSED) {
        return;     /* the backend closed the WebSocket: a normal end */
    }
    if (t->up.rd.state == FASTEXC_WS_CLOSED) {
        skip = "the client had sent its Close";
    }
    else if (t->client_gone || c->aborted) {
        skip = "the client is gone";
    }
    else if (!exc) {
        skip = "no Close configured for this end";
    }
    else if (t->down.rd.state == FASTEXC_WS_INVALID) {
        skip = "the backend's frames could not be followed";
    }
    else if (!fastexc_ws_reader_at_boundary(&t->down.rd)) {
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
    /* through c's output filters: the client output filter, if added,
     * was let go of before this and passes it */
    rv = fastexc_upgrade_write_close(c, r->pool, exc->code, exc->reason,
                                exc->reason_len,
                                fastexc_conf_ws_timeout(t->dc));
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r, FXLOGNO(0032)
                      "WebSocket tunnel ended (%s): the Close could not "
                      "be written", why[event]);
        return;
    }
    t->close_sent = 1;
    fastexc_account_ws_cause(r, exc->code, exc->reason, exc->reason_len,
                             apr_psprintf(r->pool, "tunnel ended: %s",
                                          why[event]),
                             fastexc_account_tunnel_cause(event));
}

/* The backend's end as the tunnel's worker sees it: a restart or stop
 * that cut it off, or the backend itself. */
static int fastexc_tunnel_origin_event(fastexc_tunnel_t *t)
{
    int ending = fastexc_stop_ending(&t->stop);

    return ending >= 0 ? ending : FASTEXC_TUNNEL_BACKEND;
}

/* Let go of the backend connection. A write to the backend that failed
 * below our filters (ap_proxy_tunnel_run() flushing) left the connection
 * aborted: the backend's end, not a timeout. */
static void fastexc_tunnel_let_go(fastexc_tunnel_t *t)
{
    if (t->started && t->origin_c->aborted) {
        t->origin_ended = 1;
    }
    t->origin_pool = NULL;
    if (t->counted) {
        t->counted = 0;
        fastexc_account_tunnel_watched(-1);
    }
    fastexc_stop_unregister(&t->stop);
    if (t->origin_w->t == t) {
        t->origin_w->t = t->origin_w->fast = NULL;
    }
}

/* The tunnel is over and its end still to decide (a timeout, a client
 * gone, ...): the client output filter sees the EOS that ends r and
 * decides it. Added once per connection (c->pool); tunnelling left r's
 * chains at c's (ap_proxy_tunnel_create()), so they start with it too. */
static void fastexc_tunnel_watch_out(fastexc_tunnel_t *t)
{
    conn_rec *c = t->r->connection;

    if (!t->client_w->out) {
        t->client_w->out = ap_add_output_filter_handle(
            fastexc_tunnel_client_out_handle, t->client_w, NULL, c);
    }
    t->r->output_filters = t->r->proto_output_filters = c->output_filters;
}

/* The backend connection is released (its request pool goes first, while
 * its socket is still open): mod_proxy_http's tunnel returned. */
static apr_status_t fastexc_tunnel_release(void *data)
{
    fastexc_tunnel_t *t = data;

    fastexc_tunnel_let_go(t);
    if (t->started && !t->decided) {
        fastexc_tunnel_watch_out(t);
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
        fastexc_tunnel_let_go(t);
    }
    if (t->client_w->t == t) {
        t->client_w->t = t->client_w->fast = NULL;
    }
    return APR_SUCCESS;
}

/* mod_proxy_http made the request to the backend (pr, on the backend
 * connection) for r: a WebSocket upgrade in a FastExcWebSocketTunnelClose
 * scope is watched from here. */
int fastexc_tunnel_create_req(request_rec *r, request_rec *pr)
{
    const fastexc_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                      &fastexc_module);
    fastexc_req_conf *rc;
    fastexc_tunnel_t *t;
    conn_rec *oc;
    ap_filter_t *before;

    if (!fastexc_conf_tunnel(dc) || r->main || !pr || !(oc = pr->connection)
        || !fastexc_upgrade_is(r)) {
        return OK;
    }
    rc = fastexc_raise_state_make(r);
    if (rc->tunnel) {
        /* a retry on another backend: the earlier one was released */
        apr_pool_cleanup_kill(r->pool, rc->tunnel, fastexc_tunnel_done);
        fastexc_tunnel_done(rc->tunnel);
    }
    t = apr_pcalloc(r->pool, sizeof(*t));
    t->r = r;
    t->dc = dc;
    fastexc_ws_dir_init(&t->down);
    fastexc_ws_dir_init(&t->up);
    t->origin_c = oc;
    t->origin_pool = pr->pool;
    /* make_fake_req() gave pr the connection's filters before this hook:
     * once ours heads them, pr must start with it too, or HTTP_IN, added
     * later, is put where pr's chain no longer passes and the backend's
     * answer is read without its framing */
    before = oc->input_filters;
    t->origin_w = fastexc_tunnel_watch(oc, fastexc_tunnel_origin_in_handle);
    if (pr->input_filters == before) {
        pr->input_filters = oc->input_filters;
    }
    if (pr->proto_input_filters == before) {
        pr->proto_input_filters = oc->input_filters;
    }
    t->origin_w->t = t;
    t->origin_w->fast = NULL;
    /* the client's frames are read only once the 101 is on its way, but
     * from the first one: this filter is in place before */
    t->client_w = fastexc_tunnel_watch(r->connection,
                                       fastexc_tunnel_client_in_handle);
    t->client_w->t = t;
    t->client_w->fast = NULL;
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
    unsigned closes;

    t->started = 1;
    if (!t->counted) {
        t->counted = 1;
        fastexc_account_tunnel_watched(1);
    }
    closes = fastexc_tunnel_closes_for(t, FASTEXC_TUNNEL_RESTART)
             << FASTEXC_TUNNEL_RESTART
             | fastexc_tunnel_closes_for(t, FASTEXC_TUNNEL_STOP)
               << FASTEXC_TUNNEL_STOP;
    if (closes) {
        fastexc_stop_register(&t->stop, ap_get_conn_socket(t->origin_c),
                              closes);
    }
}

/* A restart or stop is under way: forward the whole frames of what was
 * read and cut the backend off after the last of them. What is read after
 * a cut is never forwarded; a frame under way is forwarded to its end
 * first (the cut then falls in a later read). t->down follows what is
 * forwarded. */
static void fastexc_tunnel_cut(fastexc_tunnel_t *t, apr_bucket_brigade *bb)
{
    fastexc_ws_reader_t rd = t->down.rd;
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
            /* forwarded as it is */
            fastexc_ws_tracker_follow(&t->down.rd, bb, APR_BRIGADE_FIRST(bb));
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
            t->down.rd = rd;
            return;
        }
    }
    if (!found) {
        t->down.rd = rd;
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
    /* what is forwarded ends where a frame ends */
    fastexc_ws_tracker_init(&t->down.rd);
    t->cut = 1;
}

/* What a read of the backend returned (rv, bb), the long way: tunnelling
 * starts, the frames are followed (or cut at a restart or stop), and the
 * backend's end is seen. Out of line, as is the rest of the long way: the
 * filters' own calls stay small. */
static __attribute__((noinline))
apr_status_t fastexc_tunnel_origin_read(fastexc_tunnel_t *t,
                                        apr_bucket_brigade *bb,
                                        ap_input_mode_t mode, apr_status_t rv,
                                        apr_bucket *from)
{
    /* headers are read by lines; only the tunnel reads bytes after 101 */
    if (t->decided || mode != AP_MODE_READBYTES) {
        return rv;
    }
    if (!t->started) {
        if (t->r->status != HTTP_SWITCHING_PROTOCOLS) {
            return rv;
        }
        fastexc_tunnel_start(t);
    }
    if (rv == APR_SUCCESS) {
        fastexc_ws_dir_sync(&t->down);
        if (from) {
            /* the short way passed over what came before */
            fastexc_ws_tracker_follow(&t->down.rd, bb, from);
        }
        else if (fastexc_stop_told(&t->stop)) {
            fastexc_tunnel_cut(t, bb);
            if (t->cut && APR_BRIGADE_EMPTY(bb)) {
                rv = APR_EOF;
            }
        }
        else {
            fastexc_ws_tracker_follow(&t->down.rd, bb, APR_BRIGADE_FIRST(bb));
        }
        fastexc_ws_dir_synced(&t->down);
        /* the thread that wakes a listed tunnel cuts it at once only at a
         * frame boundary: told when that changes (never on the short way,
         * which stays inside a frame) */
        if (t->stop.registered) {
            int mid = !fastexc_ws_reader_at_boundary(&t->down.rd);
            if (mid != t->mid_frame) {
                t->mid_frame = mid;
                fastexc_stop_mid_frame(&t->stop, mid);
            }
        }
    }
    t->origin_w->fast = t->cut ? NULL : t;
    if (rv == APR_SUCCESS) {
        /* an EOS ends what a read returns (core's, mod_ssl's) */
        if (APR_BRIGADE_EMPTY(bb)
            || !APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(bb))) {
            return rv;
        }
        if (APR_BRIGADE_FIRST(bb) != APR_BRIGADE_LAST(bb)) {
            /* data before it: the tunnel passes it on, then reads again,
             * and the Close follows it then */
            t->origin_ended = 1;
            t->close_pending = 1;
            t->origin_w->fast = NULL;
            return rv;
        }
    }
    else if (APR_STATUS_IS_EAGAIN(rv)) {
        return rv;
    }
    /* EOF or an error: the backend is gone (or was cut off by a restart or
     * a stop). Send the Close now: once this returns, the tunnel shuts the
     * client's side down. */
    t->origin_ended = 1;
    fastexc_tunnel_end(t, fastexc_tunnel_origin_event(t));
    return rv;
}

/* A read of the backend that may not take the short way. */
static __attribute__((noinline))
apr_status_t fastexc_tunnel_origin_slow(ap_filter_t *f, apr_bucket_brigade *bb,
                                        ap_input_mode_t mode,
                                        apr_read_type_e block,
                                        apr_off_t readbytes)
{
    fastexc_tunnel_watch_t *w = f->ctx;
    fastexc_tunnel_t *t = w->t;
    apr_status_t rv;

    if (!t) {
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    if (t->cut || t->close_pending) {
        /* a restart or stop cut the backend off, or its last data went
         * on before its EOF: nothing more is read */
        rv = APR_EOF;
        if (t->decided) {
            return rv;
        }
    }
    else {
        rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    return fastexc_tunnel_origin_read(t, bb, mode, rv, NULL);
}

/* ap_get_brigade(f->next, ...) on the short way: in 2.4 it is only this
 * call behind a NULL test (util_filter.c), and below a connection filter
 * there is always another (the network's: core's, mod_http2's; mod_logio's
 * above it, built into Debian's httpd): a hop less per read. */
#define fastexc_tunnel_next(f, bb, mode, block, readbytes) \
    ((f)->next->frec->filter_func.in_func((f)->next, bb, mode, block, \
                                          readbytes))

/* A read of the backend on the short way that did not succeed (EAGAIN,
 * EOF, an error): the long way. A call of its own, so that the short way
 * sets up no argument of the other call's before it knows which. */
static __attribute__((noinline))
apr_status_t fastexc_tunnel_origin_failed(fastexc_tunnel_t *t,
                                          apr_bucket_brigade *bb,
                                          apr_status_t rv)
{
    return fastexc_tunnel_origin_read(t, bb, AP_MODE_READBYTES, rv, NULL);
}

/* The backend's bytes, read for the client: the frames going to the
 * client are followed here, and the backend's end seen. */
static apr_status_t fastexc_tunnel_origin_in(ap_filter_t *f,
                                             apr_bucket_brigade *bb,
                                             ap_input_mode_t mode,
                                             apr_read_type_e block,
                                             apr_off_t readbytes)
{
    fastexc_tunnel_t *t = ((fastexc_tunnel_watch_t *)f->ctx)->fast;
    apr_bucket *from;
    apr_status_t rv;

    if (!t || mode != AP_MODE_READBYTES) {
        return fastexc_tunnel_origin_slow(f, bb, mode, block, readbytes);
    }
    rv = fastexc_tunnel_next(f, bb, mode, block, readbytes);
    if (rv != APR_SUCCESS) {
        return fastexc_tunnel_origin_failed(t, bb, rv);
    }
    /* rv is APR_SUCCESS: not kept across the calls below */
    if (!(from = fastexc_ws_dir_pass(&t->down, bb))) {
        return APR_SUCCESS;
    }
    /* told of a restart or stop: the long way cuts at the first frame end,
     * from the read's start. Asked only here: a read with no frame end in
     * it has nothing to cut at, and the cut would forward it all, as the
     * short way does. */
    if (fastexc_stop_told(&t->stop)) {
        fastexc_ws_dir_unpass(&t->down, bb, from);
        return fastexc_tunnel_origin_read(t, bb, mode, APR_SUCCESS, NULL);
    }
    if (!(from = fastexc_ws_dir_ends(&t->down, bb, from))) {
        return APR_SUCCESS;
    }
    return fastexc_tunnel_origin_read(t, bb, mode, APR_SUCCESS, from);
}

/* What a read of the client returned (rv, bb), the long way. */
static __attribute__((noinline))
apr_status_t fastexc_tunnel_client_read(fastexc_tunnel_t *t,
                                        apr_bucket_brigade *bb,
                                        ap_input_mode_t mode, apr_status_t rv,
                                        apr_bucket *from)
{
    /* before the 101 these are HTTP bytes; after, only frames */
    if (mode != AP_MODE_READBYTES
        || t->r->status != HTTP_SWITCHING_PROTOCOLS) {
        return rv;
    }
    if (rv != APR_SUCCESS) {
        if (!APR_STATUS_IS_EAGAIN(rv)) {
            t->client_gone = 1;
        }
        return rv;
    }
    fastexc_ws_dir_sync(&t->up);
    /* from: the short way passed over what came before */
    if (fastexc_ws_tracker_follow(&t->up.rd, bb,
                                  from ? from : APR_BRIGADE_FIRST(bb))) {
        t->client_gone = 1;
    }
    fastexc_ws_dir_synced(&t->up);
    if (t->close_sent && t->up.rd.state == FASTEXC_WS_CLOSED) {
        t->handshake_done = 1;
    }
    t->client_w->fast = t->handshake_done ? NULL : t;
    return rv;
}

/* A read of the client that may not take the short way. */
static __attribute__((noinline))
apr_status_t fastexc_tunnel_client_slow(ap_filter_t *f, apr_bucket_brigade *bb,
                                        ap_input_mode_t mode,
                                        apr_read_type_e block,
                                        apr_off_t readbytes)
{
    fastexc_tunnel_watch_t *w = f->ctx;
    fastexc_tunnel_t *t = w->t;

    if (!t) {
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    /* our Close went out and the client's came back (passed on: the
     * backend gets the reply): the closing handshake is over, and so is
     * this side. The tunnel reads again at once (until EAGAIN) and sees it
     * end; over HTTP/2 it cannot half-close the stream and would keep it,
     * and its worker, until the tunnel's timeout. */
    if (t->handshake_done) {
        return APR_EOF;
    }
    return fastexc_tunnel_client_read(
        t, bb, mode, ap_get_brigade(f->next, bb, mode, block, readbytes),
        NULL);
}

/* The same for a read of the client. */
static __attribute__((noinline))
apr_status_t fastexc_tunnel_client_failed(fastexc_tunnel_t *t,
                                          apr_bucket_brigade *bb,
                                          apr_status_t rv)
{
    return fastexc_tunnel_client_read(t, bb, AP_MODE_READBYTES, rv, NULL);
}

/* The client's bytes, read for the backend: its frames are followed. */
static apr_status_t fastexc_tunnel_client_in(ap_filter_t *f,
                                             apr_bucket_brigade *bb,
                                             ap_input_mode_t mode,
                                             apr_read_type_e block,
                                             apr_off_t readbytes)
{
    fastexc_tunnel_t *t = ((fastexc_tunnel_watch_t *)f->ctx)->fast;
    apr_bucket *from;
    apr_status_t rv;

    if (!t || mode != AP_MODE_READBYTES) {
        return fastexc_tunnel_client_slow(f, bb, mode, block, readbytes);
    }
    rv = fastexc_tunnel_next(f, bb, mode, block, readbytes);
    if (rv != APR_SUCCESS) {
        return fastexc_tunnel_client_failed(t, bb, rv);
    }
    /* rv is APR_SUCCESS: not kept across the calls below */
    if (!(from = fastexc_ws_dir_pass(&t->up, bb))
        || !(from = fastexc_ws_dir_ends(&t->up, bb, from))) {
        return APR_SUCCESS;
    }
    return fastexc_tunnel_client_read(t, bb, mode, APR_SUCCESS, from);
}

/* Added when the tunnel is over with its end undecided: at the EOS that
 * ends r, an end neither side saw is the tunnel's timeout (or a restart or
 * stop). */
static apr_status_t fastexc_tunnel_client_out(ap_filter_t *f,
                                              apr_bucket_brigade *bb)
{
    fastexc_tunnel_watch_t *w = f->ctx;
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
            w->t = w->fast = NULL;
            return ap_pass_brigade(f->next, bb);
        }
        if (APR_BUCKET_IS_EOS(e)) {
            eos = e;
            break;
        }
    }
    if (!eos) {
        rv = ap_pass_brigade(f->next, bb);
        t->client_gone |= rv != APR_SUCCESS;
        return rv;
    }
    /* the tunnel is over: what comes first goes first, then ours (which
     * this filter, let go of, passes through) */
    {
        apr_bucket_brigade *rest = apr_brigade_split(bb, eos);
        rv = APR_BRIGADE_EMPTY(bb) ? APR_SUCCESS : ap_pass_brigade(f->next, bb);
        t->client_gone |= rv != APR_SUCCESS;
        w->t = w->fast = NULL;
        if (!t->decided) {
            int ending = fastexc_stop_ending(&t->stop);
            fastexc_tunnel_end(t, t->origin_ended ? FASTEXC_TUNNEL_BACKEND
                                  : ending >= 0 ? ending
                                  : FASTEXC_TUNNEL_TIMEOUT);
        }
        return ap_pass_brigade(f->next, rest);
    }
}

/* Connection filters (AP_FTYPE_CONNECTION), so they see the frames above
 * TLS. */
void fastexc_tunnel_filters(void)
{
    fastexc_tunnel_origin_in_handle = ap_register_input_filter(
        "FASTEXC_TUNNEL_ORIGIN_IN", fastexc_tunnel_origin_in, NULL,
        AP_FTYPE_CONNECTION);
    fastexc_tunnel_client_in_handle = ap_register_input_filter(
        "FASTEXC_TUNNEL_CLIENT_IN", fastexc_tunnel_client_in, NULL,
        AP_FTYPE_CONNECTION);
    fastexc_tunnel_client_out_handle = ap_register_output_filter(
        "FASTEXC_TUNNEL_CLIENT_OUT", fastexc_tunnel_client_out, NULL,
        AP_FTYPE_CONNECTION);
}
