/*
 * fastexc_core.h - mod_fastexc's pure logic: reason phrases, FastAPI-exact
 * JSON rendering, validation of configured and run-time values.
 *
 * Internal header. Everything here needs only APR and jansson, so the Check
 * unit tests exercise it without httpd. Strings returned are allocated in the
 * pool given; error messages never name a directive (the caller does).
 */
#ifndef FASTEXC_CORE_H
#define FASTEXC_CORE_H

#include <jansson.h>
#include "apr_pools.h"
#include "apr_tables.h"

/* ---- reason phrases (fastexc_phrase.c) ---- */

/** Python's http.HTTPStatus(status).phrase, the one FastAPI and uvicorn use;
 *  NULL for a status that has none. */
const char *fastexc_phrase(int status);

/** Whether a response with this status carries a body (FastAPI and RFC 9110:
 *  not for 1xx, 204, 205 and 304). */
int fastexc_status_has_body(int status);

/** NULL when status can be raised (200-599), else why not. */
const char *fastexc_status_check(int status);

/** Parse a three-digit status; 0 on success, -1 if not a status. */
int fastexc_status_parse(const char *s, int *status);

/* ---- JSON (fastexc_json.c) ---- */

/** Parse JSON text as one JSON value of any type, refusing duplicate keys,
 *  trailing bytes, NaN/Infinity and numbers out of range. Returns a new
 *  reference (the caller decrefs) or NULL with *err set. */
json_t *fastexc_json_parse(apr_pool_t *p, const char *text, const char **err);

/** Render a JSON value exactly as Python's json.dumps(v, ensure_ascii=False,
 *  separators=(",", ":")): raw UTF-8, lowercase \u00xx escapes, floats in
 *  shortest round-trip form. Returns NULL only if jansson cannot dump v. */
char *fastexc_json_dump(apr_pool_t *p, const json_t *v, apr_size_t *len);

/** The response body {"detail":<detail>} for a JSON detail. */
char *fastexc_body_json(apr_pool_t *p, const json_t *detail, apr_size_t *len);

/** The JSON string of len bytes of text (quotes included), as Python's
 *  json.dumps(ensure_ascii=False) writes it. Invalid UTF-8 is replaced by
 *  U+FFFD; *repaired (if not NULL) tells whether that happened. NULL only
 *  if jansson cannot allocate. */
char *fastexc_json_string(apr_pool_t *p, const char *text, apr_size_t len,
                          apr_size_t *out_len, int *repaired);

/** The response body {"detail":"<text>"} for a text detail of len bytes.
 *  Invalid UTF-8 is replaced by U+FFFD; *repaired (if not NULL) tells
 *  whether that happened. Never returns NULL. */
char *fastexc_body_text(apr_pool_t *p, const char *text, apr_size_t len,
                        apr_size_t *body_len, int *repaired);

/** The detail's JSON text in a body {"detail":<detail>} of blen bytes (as
 *  the functions above render it): *dlen bytes from the pointer returned,
 *  or NULL if the body is not one of ours. */
const char *fastexc_body_detail(const char *body, apr_size_t blen,
                                apr_size_t *dlen);

/** The detail of a body {"detail":<detail>} as a WebSocket close reason:
 *  a string detail's text, any other value's JSON, cut to at most max bytes
 *  at a UTF-8 character boundary (*rlen bytes from the pointer returned;
 *  "" if the body is not one of ours). */
const char *fastexc_body_reason(apr_pool_t *p, const char *body,
                                apr_size_t blen, apr_size_t max,
                                apr_size_t *rlen);

/** The RFC 9457 Problem Details body for a FastAPI body {"detail":...} of
 *  blen bytes (as the functions above render it): type, title, status,
 *  detail and instance, in that order. A JSON object detail gives its
 *  members instead: "type", "title", "detail" and "instance" among them
 *  replace the defaults, the others are extension members; "status" is
 *  always the response's. instance is repaired to valid UTF-8. Returns NULL
 *  if the body is not one of ours. */
char *fastexc_problem_body(apr_pool_t *p, const char *body, apr_size_t blen,
                           const char *type, const char *title, int status,
                           const char *instance, apr_size_t *len);

/** Format a double as Python's repr() does (shortest round-trip digits,
 *  exponent form below 1e-4 and from 1e16). buf needs 32 bytes. Returns
 *  -1 for NaN and infinities, which JSON cannot carry. */
int fastexc_py_float(double v, char *buf, apr_size_t size);

/** Copy of s (NUL-terminated) with every byte that is not part of a valid
 *  UTF-8 sequence replaced by U+FFFD. */
char *fastexc_utf8_repair(apr_pool_t *p, const char *s, apr_size_t len,
                          apr_size_t *outlen, int *repaired);

/** Whether len bytes at s are valid UTF-8. */
int fastexc_utf8_valid(const char *s, apr_size_t len);

/** The longest prefix of the UTF-8 text s (len bytes) that is at most max
 *  bytes and does not split a character. */
apr_size_t fastexc_utf8_cut(const char *s, apr_size_t len, apr_size_t max);

/* ---- configured values (fastexc_valid.c) ---- */

/** How a detail argument is written. */
typedef enum {
    FASTEXC_DETAIL_DEFAULT,   /* "-": the reason phrase */
    FASTEXC_DETAIL_TEXT,      /* plain text, or "text:..." */
    FASTEXC_DETAIL_TEMPLATE,  /* plain text holding %{...} */
    FASTEXC_DETAIL_JSON       /* "json:<JSON value>" */
} fastexc_detail_kind_e;

/** Classify a detail argument; *payload is the text after any prefix. */
fastexc_detail_kind_e fastexc_detail_classify(const char *arg,
                                              const char **payload);

/** One piece of a template: static text, or an ap_expr string expression
 *  written %{...} (text holds the whole %{...}). */
typedef struct {
    int is_expr;
    const char *text;
} fastexc_segment_t;

/** Split a template into static text and %{...} expressions (braces nest).
 *  Returns NULL and fills *segs, or an error (unterminated %{, empty %{}). */
const char *fastexc_template_split(apr_pool_t *p, const char *s,
                                   apr_array_header_t **segs);

/** Whether s holds an interpolation (%{). */
int fastexc_has_template(const char *s);

/** Whether name is an HTTP field name (RFC 9110 token). */
int fastexc_header_name_ok(const char *name);

/** Whether value can be sent as a field value: no control bytes but HTAB,
 *  so never CR, LF or NUL. */
int fastexc_header_value_ok(const char *value);

/** Copy of value with control bytes (CR, LF, NUL, ...) turned to spaces and
 *  leading/trailing white space trimmed; *changed tells if any was. */
char *fastexc_header_value_clean(apr_pool_t *p, const char *value,
                                 int *changed);

/** Split "Name: value" into a checked name and value. Returns NULL, or why
 *  the argument is not a header. Content-Length and Transfer-Encoding are
 *  refused (httpd computes them). */
const char *fastexc_header_parse(apr_pool_t *p, const char *arg,
                                 const char **name, const char **value);

/** Whether a header name may be given with an exception (not a framing
 *  header httpd owns). */
int fastexc_header_name_allowed(const char *name);

#endif /* FASTEXC_CORE_H */
