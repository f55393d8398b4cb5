/*
 * mod_fastexc_upgrade.h - WebSocket answers.
 */
#ifndef MOD_FASTEXC_UPGRADE_H
#define MOD_FASTEXC_UPGRADE_H

#include "httpd.h"

void fastexc_upgrade_filters(void);

/* An RFC 6455 opening handshake (or RFC 8441's, through mod_http2). */
int fastexc_upgrade_is(request_rec *r);

/* Write a Close frame on c and flush it, blocking writes within limit. */
apr_status_t fastexc_upgrade_write_close(conn_rec *c, apr_pool_t *p, int code,
                                         const char *reason, apr_size_t rlen,
                                         apr_interval_time_t limit);

/* insert_error_filter: 1 if r's error response is replaced by 101 and a
 * Close (notes, FastExcWebSocketBackendError), else 0. */
int fastexc_upgrade_insert_error_close(request_rec *r);

/* Public API: see include/mod_fastexc.h. */
int fastexc_raise_websocket(request_rec *r, int code, const char *reason);
apr_status_t fastexc_websocket_close(conn_rec *c, int code,
                                     const char *reason);

int fastexc_upgrade_handler(request_rec *r);
void fastexc_upgrade_insert_filter(request_rec *r);

#endif /* MOD_FASTEXC_UPGRADE_H */
