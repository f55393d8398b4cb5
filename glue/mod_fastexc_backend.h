/*
 * mod_fastexc_backend.h - a proxied backend's error responses
 * (FastExcBackendErrors), and the gRPC requests the module steps aside for.
 */
#ifndef MOD_FASTEXC_BACKEND_H
#define MOD_FASTEXC_BACKEND_H

#include "httpd.h"

/* Registers the FASTEXC_BACKEND output filter (register_hooks). */
void fastexc_backend_filters(void);

/* insert_filter: adds the filter to a reverse-proxied request of a scope
 * with FastExcBackendErrors NonJSON or All; nothing otherwise. */
void fastexc_backend_insert_filter(request_rec *r);

#endif /* MOD_FASTEXC_BACKEND_H */
