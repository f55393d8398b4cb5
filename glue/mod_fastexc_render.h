/*
 * mod_fastexc_render.h - an exception rendered for one request.
 */
#ifndef MOD_FASTEXC_RENDER_H
#define MOD_FASTEXC_RENDER_H

#include "httpd.h"
#include "mod_fastexc_config.h"

/* An exception as it is sent, rendered for one request. */
typedef struct {
    int status;
    const char *body;
    apr_size_t body_len;
    apr_table_t *headers;       /* may be NULL */
    const char *content_type;   /* NULL: application/json */
} fastexc_response_t;

/* The default bodies, once per configuration (post_config). Responses
 * are shared (defaults, configured bodies) and never changed: a caller
 * that needs another copies it. */
void fastexc_render_init(apr_pool_t *pconf);

/* A configured exception rendered for r (NULL: the default of status). */
const fastexc_response_t *fastexc_render(request_rec *r,
                                         const fastexc_exc_t *exc,
                                         int status);

/* A response from a detail given at run time (C API, notes), as JSON text
 * or as text; NULL detail: the default. Bad input is logged and answered
 * with fail_status and its default detail. */
const fastexc_response_t *fastexc_render_json(request_rec *r,
                                              const char *caller, int status,
                                              const char *detail,
                                              int fail_status);
const fastexc_response_t *fastexc_render_text(request_rec *r,
                                              const char *caller, int status,
                                              const char *detail,
                                              int fail_status);

/* resp in the format of r's scope (FastExcFormat). */
const fastexc_response_t *fastexc_render_format(request_rec *r,
                                                const fastexc_response_t *resp);

/* resp's status line and headers on r, as the response's own, before its
 * first bucket reaches HTTP_HEADER (on an error response:
 * ap_send_error_response() set text/html after the error filters were
 * added, and only err_headers_out survive it). */
void fastexc_render_start(request_rec *r, const fastexc_response_t *resp);

/* After an exception's EOS went by: what c's core keeps of it (a small
 * response waits for the end of its request) written now, through bb
 * (emptied). */
void fastexc_render_flush(conn_rec *c, apr_bucket_brigade *bb);

#endif /* MOD_FASTEXC_RENDER_H */
