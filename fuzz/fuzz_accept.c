/*
 * fuzz_accept.c - libFuzzer target: Accept headers as a client sends them.
 * A quality is -1 or 0-1000; the choice is -1 or an offer whose quality is
 * the highest and above 0, the first of those.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "fastexc_accept.h"

static const char *const offers[] = { "application/json",
                                      "application/problem+json",
                                      "text/html" };

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    const char *accept = apr_pstrmemdup(p, (const char *)data, size);
    int q[3], i, best = -1, chosen;

    for (i = 0; i < 3; i++) {
        q[i] = fastexc_accept_quality(accept, offers[i]);
        if (q[i] < -1 || q[i] > 1000) {
            abort();
        }
        if (q[i] > 0 && (best < 0 || q[i] > q[best])) {
            best = i;
        }
    }
    chosen = fastexc_accept_choose(accept, offers, 3);
    if (chosen != best) {
        abort();
    }
    apr_pool_destroy(p);
    return 0;
}
