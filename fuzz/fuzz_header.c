/*
 * fuzz_header.c - libFuzzer target: configured header arguments and header
 * values built from request bytes. A header that passes must never carry a
 * control byte; a cleaned value never does.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fastexc_core.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    apr_pool_t *p;
    const char *name, *value, *clean;
    char *arg;
    int changed;

    p = fuzz_pool();
    arg = apr_pstrmemdup(p, (const char *)data, size);

    if (!fastexc_header_parse(p, arg, &name, &value)) {
        if (!fastexc_header_name_ok(name) || !fastexc_header_value_ok(value)
            || !fastexc_header_name_allowed(name)
            || strchr(value, '\r') || strchr(value, '\n')) {
            abort();
        }
    }
    clean = fastexc_header_value_clean(p, arg, &changed);
    if (!fastexc_header_value_ok(clean) || strchr(clean, '\r')
        || strchr(clean, '\n') || (!changed && strcmp(clean, arg) != 0)) {
        abort();
    }
    apr_pool_destroy(p);
    return 0;
}
