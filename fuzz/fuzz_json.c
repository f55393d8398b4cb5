/*
 * fuzz_json.c - libFuzzer target: detail parsing and FastAPI-exact JSON
 * rendering, for configured JSON and for request bytes interpolated into a
 * text detail, as FastAPI bodies and as Problem Details. Whatever the input, the rendered body must be valid JSON
 * that reads back as the same value.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fastexc_core.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    apr_pool_t *p;
    char *text;
    const char *err;
    apr_size_t len, rlen;
    json_t *v, *back, *detail;
    char *body;
    int repaired;

    p = fuzz_pool();
    text = apr_pstrmemdup(p, (const char *)data, size);

    /* as configured JSON (json:...) */
    v = fastexc_json_parse(p, text, &err);
    if (v) {
        body = fastexc_body_json(p, v, &len);
        if (!body) {
            abort();
        }
        back = json_loadb(body, len, JSON_ALLOW_NUL, NULL);
        if (!back || !json_equal(json_object_get(back, "detail"), v)) {
            abort();
        }
        json_decref(back);
        json_decref(v);
    }

    /* as request bytes in a text detail */
    body = fastexc_body_text(p, (const char *)data, size, &len, &repaired);
    back = json_loadb(body, len, JSON_ALLOW_NUL, NULL);
    detail = back ? json_object_get(back, "detail") : NULL;
    if (!detail || !json_is_string(detail)) {
        abort();
    }
    if (!repaired && (json_string_length(detail) != size
                      || memcmp(json_string_value(detail), data, size))) {
        abort();
    }
    if (!fastexc_utf8_valid(fastexc_utf8_repair(p, (const char *)data, size,
                                                &rlen, NULL), rlen)) {
        abort();
    }
    json_decref(back);

    /* as Problem Details, the input also as the request path (instance) */
    body = fastexc_problem_body(p, body, len, NULL, "Bad Request", 400, text,
                                &len);
    back = body ? json_loadb(body, len, JSON_ALLOW_NUL, NULL) : NULL;
    if (!back || json_integer_value(json_object_get(back, "status")) != 400) {
        abort();
    }
    json_decref(back);
    apr_pool_destroy(p);
    return 0;
}
