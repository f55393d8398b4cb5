/*
 * fuzz_envelope.c - libFuzzer target: FastExcFormat templates and the values
 * a request brings. The input is a template, a NUL, then the value every
 * ap_expr placeholder evaluates to (any bytes), a NUL, then a detail (JSON
 * or text). A template that compiles must render, with any values and
 * either absent rule, to one valid JSON object.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include "fuzz.h"
#include "fastexc_core.h"
#include "fastexc_envelope.h"

static const char *fuzz_compile(void *ctx, const char *text,
                                const void **expr)
{
    *expr = text;
    return NULL;
}

static const char *fuzz_eval(void *ctx, const void *expr)
{
    return ctx;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *in = (const char *)data;
    const char *nul = memchr(in, '\0', size);
    const char *tmpl, *value = "", *detail_in = "x";
    const char *nul2;
    const fastexc_envelope_t *env;
    fastexc_envelope_values_t v;
    apr_size_t blen, len;
    const char *body;
    json_t *parsed;
    int omit;

    tmpl = apr_pstrmemdup(p, in, nul ? (apr_size_t)(nul - in) : size);
    if (nul) {
        size_t rest = size - (nul - in) - 1;
        nul2 = memchr(nul + 1, '\0', rest);
        value = apr_pstrmemdup(p, nul + 1,
                               nul2 ? (apr_size_t)(nul2 - nul - 1) : rest);
        if (nul2) {
            detail_in = apr_pstrmemdup(p, nul2 + 1,
                                       rest - (nul2 - nul - 1) - 1);
        }
    }
    for (omit = 0; omit < 2; omit++) {
        char *out;
        json_t *d;
        const char *err;

        if (fastexc_envelope_compile(p, tmpl, omit, fuzz_compile, NULL,
                                     &env)) {
            break;
        }
        /* the detail as the renderers make it: JSON if it parses, else
         * text */
        d = fastexc_json_parse(p, detail_in, &err);
        body = d ? fastexc_body_json(p, d, &blen)
                 : fastexc_body_text(p, detail_in, strlen(detail_in), &blen,
                                     NULL);
        json_decref(d);
        if (!body) {
            continue;
        }
        memset(&v, 0, sizeof(v));
        v.status = 404;
        v.detail = fastexc_body_detail(body, blen, &v.detail_len);
        v.title = fastexc_phrase(404);
        v.traceparent = value;
        v.eval = fuzz_eval;
        v.ctx = (void *)value;
        out = fastexc_envelope_render(p, env, &v, &len, NULL);
        if (!out) {
            abort();
        }
        parsed = json_loadb(out, len, JSON_ALLOW_NUL, NULL);
        if (!parsed || !json_is_object(parsed)) {
            abort();
        }
        json_decref(parsed);
    }
    apr_pool_destroy(p);
    return 0;
}
