/*
 * mod_fastexc_stop.c - The child stops gracefully: this child's running
 * tunnels are told, at once or in turn over FastExcWebSocketTunnelCloseSpread,
 * by cutting their backends off for reading; each tunnel's worker then sends
 * its Close (mod_fastexc_tunnel.c).
 */

#include "apr_atomic.h"
#include "apr_thread_cond.h"
#include "apr_thread_mutex.h"
#include "apr_thread_proc.h"

#include "ap_mpm.h"
#include "http_main.h"
#include "http_log.h"
#include "httpd.h"
#include "scoreboard.h"

#include "mod_fastexc_private.h"
#include "mod_fastexc_config.h"
#include "mod_fastexc_stop.h"

/* This child's running tunnels, for a graceful restart or stop to close
 * them. */
static fastexc_stop_entry_t *fastexc_stop_list;
#if APR_HAS_THREADS
static apr_thread_mutex_t *fastexc_stop_lock;
/* FastExcWebSocketTunnelCloseSpread: a thread of its own wakes the
 * tunnels in turn (child_stopping runs on the MPM's listener or main
 * thread, which must not wait); made at child_init, so nothing is
 * allocated once the child stops. */
static apr_thread_t *fastexc_stop_waker;
static apr_thread_cond_t *fastexc_stop_waker_cond;
static int fastexc_stop_waker_quit;   /* under the list's lock */
#endif
static apr_interval_time_t fastexc_stop_spread;

static int fastexc_stop_generation;  /* this child's, from the MPM */
/* child_stopping saw a restart or a stop (the event plus 1, as an entry's
 * ending): a tunnel starting after it closes at once. Under the lock. */
static apr_uint32_t fastexc_stop_seen;

static int fastexc_stop_closes_for(const fastexc_stop_entry_t *e, int event)
{
    return (e->closes >> event) & 1;
}

/* Cut e's backend off for reading, so that its worker, asleep in the
 * tunnel's poll, wakes and sees the backend end: the child stops for
 * event. Under the list's lock. */
static void fastexc_stop_wake(fastexc_stop_entry_t *e, int event)
{
    apr_atomic_set32(&e->ending, (apr_uint32_t)event + 1);
    /* mid-frame, the worker cuts at the frame's end as the rest arrives:
     * a socket shut now would end it at whatever byte came last */
    if (e->sock && !apr_atomic_read32(&e->mid_frame)) {
        apr_socket_shutdown(e->sock, APR_SHUTDOWN_READ);
    }
}

/* Into this child's list of tunnels a restart or stop closes. Without the
 * list's lock (threads, and none could be made) tunnels are not listed: a
 * restart then leaves them as httpd does (FX0033 said so at start). */
void fastexc_stop_register(fastexc_stop_entry_t *e, apr_socket_t *sock,
                           unsigned closes)
{
#if APR_HAS_THREADS
    if (!fastexc_stop_lock) {
        return;
    }
    apr_thread_mutex_lock(fastexc_stop_lock);
#endif
    e->sock = sock;
    e->closes = closes;
    e->prev = NULL;
    e->next = fastexc_stop_list;
    if (fastexc_stop_list) {
        fastexc_stop_list->prev = e;
    }
    fastexc_stop_list = e;
    e->registered = 1;
    /* the 101 came after child_stopping went through the list: at once */
    if (fastexc_stop_seen
        && fastexc_stop_closes_for(e, (int)fastexc_stop_seen - 1)) {
        fastexc_stop_wake(e, (int)fastexc_stop_seen - 1);
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(fastexc_stop_lock);
#endif
}

/* Out of the list: child_stopping no longer touches the backend socket,
 * which may close now. */
void fastexc_stop_unregister(fastexc_stop_entry_t *e)
{
    if (!e->registered) {
        return;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_lock(fastexc_stop_lock);
#endif
    if (e->prev) {
        e->prev->next = e->next;
    }
    else {
        fastexc_stop_list = e->next;
    }
    if (e->next) {
        e->next->prev = e->prev;
    }
    e->registered = 0;
    e->sock = NULL;
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(fastexc_stop_lock);
#endif
}

int fastexc_stop_ending(fastexc_stop_entry_t *e)
{
    return (int)apr_atomic_read32(&e->ending) - 1;
}

/* For the thread that wakes e: may the socket be cut now. */
void fastexc_stop_mid_frame(fastexc_stop_entry_t *e, int mid_frame)
{
    if (e->registered) {
        apr_atomic_set32(&e->mid_frame, mid_frame != 0);
    }
}

/* Whether the restart and stop Closes are spread (a waker thread runs). */
static int fastexc_stop_spread_on(void)
{
#if APR_HAS_THREADS
    return fastexc_stop_waker != NULL;
#else
    return 0;
#endif
}

#if APR_HAS_THREADS
/* The spread's thread: from the stop on, wakes each listed tunnel at its
 * turn, until none is left (or the child stops at once). */
static void *APR_THREAD_FUNC fastexc_stop_waker_run(apr_thread_t *thd,
                                                    void *data)
{
    apr_thread_mutex_lock(fastexc_stop_lock);
    while (!fastexc_stop_waker_quit) {
        apr_time_t now = apr_time_now(), next = 0;
        fastexc_stop_entry_t *e;

        for (e = fastexc_stop_list; e; e = e->next) {
            if (!e->wake_at || apr_atomic_read32(&e->ending)) {
                continue;
            }
            if (e->wake_at <= now) {
                fastexc_stop_wake(e, (int)fastexc_stop_seen - 1);
            }
            else if (!next || e->wake_at < next) {
                next = e->wake_at;
            }
        }
        if (fastexc_stop_seen && !next) {
            break;      /* every turn is taken */
        }
        if (next) {
            apr_thread_cond_timedwait(fastexc_stop_waker_cond,
                                      fastexc_stop_lock, next - now);
        }
        else {
            apr_thread_cond_wait(fastexc_stop_waker_cond, fastexc_stop_lock);
        }
    }
    apr_thread_mutex_unlock(fastexc_stop_lock);
    apr_thread_exit(thd, APR_SUCCESS);
    return NULL;
}

/* The waker is told to quit (it may be waiting for a stop that never
 * came) and joined before the child's pool goes. */
static apr_status_t fastexc_stop_waker_join(void *data)
{
    apr_status_t rv;

    apr_thread_mutex_lock(fastexc_stop_lock);
    fastexc_stop_waker_quit = 1;
    apr_thread_cond_signal(fastexc_stop_waker_cond);
    apr_thread_mutex_unlock(fastexc_stop_lock);
    apr_thread_join(&rv, fastexc_stop_waker);
    fastexc_stop_waker = NULL;
    return APR_SUCCESS;
}

/* Threaded MPMs only (prefork never tells a child of a graceful stop). */
static void fastexc_stop_waker_start(apr_pool_t *pchild, server_rec *s)
{
    int threaded = 0;
    apr_status_t rv;

    if (!fastexc_stop_spread || !fastexc_stop_lock
        || ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded) != APR_SUCCESS
        || threaded == AP_MPMQ_NOT_SUPPORTED) {
        return;
    }
    if ((rv = apr_thread_cond_create(&fastexc_stop_waker_cond, pchild))
        != APR_SUCCESS
        || (rv = apr_thread_create(&fastexc_stop_waker, NULL,
                                   fastexc_stop_waker_run, NULL, pchild))
           != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, FXLOGNO(0041)
                     "no thread for FastExcWebSocketTunnelCloseSpread: a "
                     "restart or stop closes this child's tunnels at once");
        fastexc_stop_waker = NULL;
        return;
    }
    apr_pool_pre_cleanup_register(pchild, NULL, fastexc_stop_waker_join);
}
#endif

void fastexc_stop_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;

    if (ap_mpm_query(AP_MPMQ_GENERATION, &fastexc_stop_generation)
        != APR_SUCCESS) {
        fastexc_stop_generation = -1;
    }
    fastexc_stop_spread = fastexc_conf_tunnel_spread(s);
#if APR_HAS_THREADS
    if ((rv = apr_thread_mutex_create(&fastexc_stop_lock,
                                      APR_THREAD_MUTEX_DEFAULT, pchild))
        != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, FXLOGNO(0033)
                     "no lock for the list of WebSocket tunnels: a graceful "
                     "restart or stop will not close them");
        fastexc_stop_lock = NULL;
        return;
    }
    fastexc_stop_waker_start(pchild, s);
#endif
}

/* The MPM stops this child gracefully (threaded MPMs, from the listener or
 * the main thread): a restart if the parent moved to a new generation,
 * else a stop (graceful-stop, or the MPM retires the child: fewer idle
 * children, MaxConnectionsPerChild; the process goes away either way).
 * Each listed tunnel whose scope sends a Close for it is told, and cut off
 * from its backend for reading if it is at a frame boundary: at once, or
 * at its turn in the spread (FastExcWebSocketTunnelCloseSpread, evenly,
 * in the list's order). Its worker then sees the backend end and sends
 * the Close, in order with what it was forwarding; a tunnel in the middle
 * of a frame is cut by its worker where the frame ends. The backend still
 * gets the client's reply. Ungracefully (stop, ungraceful restart), the
 * MPM closed every connection of the child before telling modules: no
 * Close can be sent, and the spread ends. */
void fastexc_stop_child_stopping(apr_pool_t *pchild, int graceful)
{
    fastexc_stop_entry_t *e;
    apr_time_t now;
    int event, n = 0, i = 0;

#if APR_HAS_THREADS
    if (!fastexc_stop_lock) {
        return;
    }
#endif
    event = ap_scoreboard_image && fastexc_stop_generation >= 0
            && ap_scoreboard_image->global->running_generation
               != fastexc_stop_generation
            ? FASTEXC_TUNNEL_RESTART : FASTEXC_TUNNEL_STOP;
#if APR_HAS_THREADS
    apr_thread_mutex_lock(fastexc_stop_lock);
    if (!graceful) {
        fastexc_stop_waker_quit = 1;
        if (fastexc_stop_waker) {
            apr_thread_cond_signal(fastexc_stop_waker_cond);
        }
        apr_thread_mutex_unlock(fastexc_stop_lock);
        return;
    }
#else
    if (!graceful) {
        return;
    }
#endif
    if (fastexc_stop_seen) {
        graceful = 0;       /* told before: once */
    }
    else {
        fastexc_stop_seen = (apr_uint32_t)event + 1;
        for (e = fastexc_stop_list; e; e = e->next) {
            n += fastexc_stop_closes_for(e, event);
        }
        now = apr_time_now();
        for (e = fastexc_stop_list; e; e = e->next) {
            if (!fastexc_stop_closes_for(e, event)) {
                continue;
            }
            /* the i-th of n at i/n of the window: the first at once */
            if (i > 0 && fastexc_stop_spread_on()) {
                e->wake_at = now + fastexc_stop_spread * i / n;
                i++;
                continue;
            }
            fastexc_stop_wake(e, event);
            i++;
        }
#if APR_HAS_THREADS
        if (fastexc_stop_waker) {
            apr_thread_cond_signal(fastexc_stop_waker_cond);
        }
#endif
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(fastexc_stop_lock);
#endif
    if (graceful && n) {
        /* no allocation here: the MPM's threads still use pchild */
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf, FXLOGNO(0034)
                     "graceful %s: closing %d WebSocket tunnel(s) over %"
                     APR_TIME_T_FMT " ms",
                     event == FASTEXC_TUNNEL_RESTART ? "restart" : "stop", n,
                     i > 1 && fastexc_stop_spread_on()
                     ? apr_time_as_msec(fastexc_stop_spread) : 0);
    }
}
