/*
 * mod_fastexc_tunnel.h - the tunnel watchers (FastExcWebSocketTunnelClose).
 */
#ifndef MOD_FASTEXC_TUNNEL_H
#define MOD_FASTEXC_TUNNEL_H

#include "httpd.h"

void fastexc_tunnel_filters(void);
int fastexc_tunnel_create_req(request_rec *r, request_rec *pr);

#endif /* MOD_FASTEXC_TUNNEL_H */
