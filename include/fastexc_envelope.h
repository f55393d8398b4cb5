/*
 * fastexc_envelope.h - FastExcFormat template: an operator's JSON envelope
 * with typed placeholders, compiled once at startup, rendered per request.
 *
 * Internal header; pure logic (APR and jansson only), tested by Check
 * without httpd. ap_expr placeholders are compiled and evaluated through
 * the caller's functions, so httpd stays outside.
 */
#ifndef FASTEXC_ENVELOPE_H
#define FASTEXC_ENVELOPE_H

#include "apr_pools.h"

typedef struct fastexc_envelope fastexc_envelope_t;

/** Compiles one %{...} that is not one of the envelope's own names (the
 *  whole "%{...}" text): NULL and *expr set, or why it cannot be. */
typedef const char *(*fastexc_envelope_compile_fn)(void *ctx,
                                                   const char *text,
                                                   const void **expr);

/** Evaluates a compiled %{...} for one request: its text, or NULL or ""
 *  when it has no value (absent). */
typedef const char *(*fastexc_envelope_eval_fn)(void *ctx, const void *expr);

/** Compile the template text (a JSON object; README: FastExcFormat
 *  template). omit: an absent value leaves its member out (else null).
 *  Returns NULL and sets *env, or what is wrong (never naming a
 *  directive). */
const char *fastexc_envelope_compile(apr_pool_t *p, const char *text,
                                     int omit,
                                     fastexc_envelope_compile_fn compile,
                                     void *ctx,
                                     const fastexc_envelope_t **env);

/** Whether the envelope has placeholders evaluated per request beyond the
 *  exception's own (ap_expr values, the trace context). */
int fastexc_envelope_dynamic(const fastexc_envelope_t *env);

/** What one exception fills an envelope with. */
typedef struct {
    int status;
    const char *detail;         /* the detail's JSON text */
    apr_size_t detail_len;
    const char *title;          /* the reason phrase; NULL: absent */
    const char *title_json;     /* its JSON string made in advance, or NULL */
    apr_size_t title_json_len;
    const char *traceparent;    /* the request's traceparent, or NULL */
    fastexc_envelope_eval_fn eval;
    void *ctx;
} fastexc_envelope_values_t;

/** The envelope filled for one exception, JSON as Python's json.dumps
 *  writes it compact; *repaired (if not NULL) tells whether a value had
 *  invalid UTF-8 replaced by U+FFFD. NULL only if jansson cannot render a
 *  value (out of memory). */
char *fastexc_envelope_render(apr_pool_t *p, const fastexc_envelope_t *env,
                              const fastexc_envelope_values_t *v,
                              apr_size_t *len, int *repaired);

/** The trace-id (32 hex digits) and parent-id (16) of a W3C traceparent
 *  header value, or 0 if it is not a valid one (Trace Context level 1:
 *  version ff, all-zero ids and wrong lengths refused; a later version's
 *  extra fields after a '-' allowed). */
int fastexc_traceparent_ids(apr_pool_t *p, const char *value,
                            const char **trace_id, const char **parent_id);

#endif /* FASTEXC_ENVELOPE_H */
