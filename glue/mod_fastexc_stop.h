/*
 * mod_fastexc_stop.h - the child stops: tunnels told, in turn
 * (FastExcWebSocketTunnelClose restart and stop, and their spread).
 */
#ifndef MOD_FASTEXC_STOP_H
#define MOD_FASTEXC_STOP_H

#include "apr_network_io.h"
#include "httpd.h"

/* One running tunnel's place in this child's list, embedded in the tunnel
 * (its pool's lifetime). Zeroed: not listed. */
typedef struct fastexc_stop_entry fastexc_stop_entry_t;
struct fastexc_stop_entry {
    /* the child stops for FASTEXC_TUNNEL_RESTART or _STOP, plus 1 (0: not
     * told), set under the list's lock by the thread that wakes it */
    volatile apr_uint32_t ending;
    volatile apr_uint32_t mid_frame;    /* read by the waking thread */
    apr_socket_t *sock;         /* cut for reading when woken */
    unsigned closes;            /* 1 << event, for each event it closes on */
    apr_time_t wake_at;         /* its turn in a spread (0: none) */
    int registered;
    fastexc_stop_entry_t *prev, *next;
};

void fastexc_stop_register(fastexc_stop_entry_t *e, apr_socket_t *sock,
                           unsigned closes);
void fastexc_stop_unregister(fastexc_stop_entry_t *e);
/* The event the child stops for (FASTEXC_TUNNEL_*), or -1: not told. */
int fastexc_stop_ending(fastexc_stop_entry_t *e);
/* Whether e was told (fastexc_stop_ending() >= 0), as cheaply as a read
 * of a volatile word can be: a tunnel asks at every read with a frame end
 * in it. */
static APR_INLINE int fastexc_stop_told(const fastexc_stop_entry_t *e)
{
    return e->ending != 0;
}
void fastexc_stop_mid_frame(fastexc_stop_entry_t *e, int mid_frame);
void fastexc_stop_child_init(apr_pool_t *pchild, server_rec *s);
void fastexc_stop_child_stopping(apr_pool_t *pchild, int graceful);

#endif /* MOD_FASTEXC_STOP_H */
