/*
 * mod_fastexc_account.h - every exception sent: logged, noted, counted.
 */
#ifndef MOD_FASTEXC_ACCOUNT_H
#define MOD_FASTEXC_ACCOUNT_H

#include "httpd.h"
#include "mod_fastexc_render.h"

/* The counters in shared memory, once per httpd run (post_config). */
void fastexc_account_init(server_rec *s);

void fastexc_account_http(request_rec *r, const fastexc_response_t *resp);
void fastexc_account_count_ws(int code);
void fastexc_account_ws(request_rec *r, int code, const char *reason,
                        apr_size_t rlen, const char *context);
int fastexc_account_status(request_rec *r, int flags);

#endif /* MOD_FASTEXC_ACCOUNT_H */
