/*
 * fuzz_template.c - libFuzzer target: detail arguments as written in
 * httpd.conf. A template splits into pieces that put back together give the
 * argument unchanged (static text comes out as written).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fastexc_core.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    apr_pool_t *p;
    const char *payload;
    char *arg;
    apr_array_header_t *segs;

    p = fuzz_pool();
    arg = apr_pstrmemdup(p, (const char *)data, size);

    if (fastexc_detail_classify(arg, &payload) == FASTEXC_DETAIL_TEMPLATE) {
        if (!fastexc_template_split(p, payload, &segs)) {
            const fastexc_segment_t *s = (const fastexc_segment_t *)segs->elts;
            char *joined = "";
            int i;
            for (i = 0; i < segs->nelts; i++) {
                if (s[i].is_expr && (strncmp(s[i].text, "%{", 2) != 0
                                     || s[i].text[strlen(s[i].text) - 1]
                                        != '}')) {
                    abort();
                }
                joined = apr_pstrcat(p, joined, s[i].text, NULL);
            }
            if (strcmp(joined, payload) != 0) {
                abort();
            }
        }
    }
    apr_pool_destroy(p);
    return 0;
}
