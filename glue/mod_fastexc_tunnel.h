/*
 * mod_fastexc_tunnel.h - the tunnel watchers (FastExcWebSocketTunnelClose).
 */
#ifndef MOD_FASTEXC_TUNNEL_H
#define MOD_FASTEXC_TUNNEL_H

#include "httpd.h"

void fastexc_tunnel_filters(void);
void fastexc_tunnel_child_init(apr_pool_t *pchild, server_rec *s);
void fastexc_tunnel_child_stopping(apr_pool_t *pchild, int graceful);
int fastexc_tunnel_create_req(request_rec *r, request_rec *pr);

#endif /* MOD_FASTEXC_TUNNEL_H */
