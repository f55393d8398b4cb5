/*
 * mod_fastexc_negotiate.h - FastExcNegotiate: the form of an exception
 * chosen by the request's Accept (the scope's JSON, Problem Details, or
 * HTML), Vary, the built-in HTML page, and ErrorDocument kept for the
 * clients it was written for.
 */
#ifndef MOD_FASTEXC_NEGOTIATE_H
#define MOD_FASTEXC_NEGOTIATE_H

#include "httpd.h"
#include "mod_fastexc_config.h"
#include "mod_fastexc_render.h"

/* Not a FastExcFormat: the form only negotiation chooses. */
#define FASTEXC_FORMAT_HTML 100

/* The media type a FastExcFormat's JSON is offered as (the one place it is
 * decided, for the offer). */
const char *fastexc_negotiate_json_type(const fastexc_dir_conf *dc,
                                        int format);

/* The format r's exception takes in scope dc: FastExcFormat, or with
 * FastExcNegotiate On what the Accept header prefers (FASTEXC_FORMAT_HTML
 * included). With negotiation on, Vary: Accept goes with the response
 * (*resp is replaced by a copy when its own headers carry a Vary). */
int fastexc_negotiate_format(request_rec *r, const fastexc_dir_conf *dc,
                             const fastexc_response_t **resp);

/* resp as the built-in HTML page (resp itself for a status without body). */
const fastexc_response_t *fastexc_negotiate_html(request_rec *r,
                                                 const fastexc_response_t *resp);

/* Whether r's scope negotiates and its client is answered in HTML: a
 * raise then leaves an ErrorDocument for its status to httpd. */
int fastexc_negotiate_wants_html(request_rec *r);

/* In insert_error_filter: 1 when r's error is answered by the operator's
 * ErrorDocument literal for an HTML client (left to httpd, Vary noted). */
int fastexc_negotiate_error_document(request_rec *r);

/* Whether an ErrorDocument literal (as ap_response_code_string() gives it)
 * is the module's own placeholder, not the operator's text. */
int fastexc_negotiate_placeholder(const char *literal);

/* Whether r is a gRPC request: a POST whose Content-Type is
 * application/grpc or application/grpc+<codec> (parameters allowed,
 * case-insensitive; gRPC over HTTP/2 calls every method with POST). A gRPC
 * client takes no JSON: every path of the module steps aside for it. */
int fastexc_negotiate_grpc(const request_rec *r);

/* Once, at startup (post_config). */
void fastexc_negotiate_init(void);

/* header_parser: keeps a JSON client of a FastExc On scope on JSON when
 * ErrorDocument URLs are configured; Vary on an ErrorDocument's request. */
int fastexc_negotiate_header_parser(request_rec *r);

#endif /* MOD_FASTEXC_NEGOTIATE_H */
