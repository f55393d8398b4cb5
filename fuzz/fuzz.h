/*
 * fuzz.h - what every libFuzzer target here shares: APR, initialised once,
 * and a pool per input, destroyed by the target when it is done.
 */
#ifndef FASTEXC_FUZZ_H
#define FASTEXC_FUZZ_H

#include "apr_general.h"
#include "apr_pools.h"
#include "apr_strings.h"

static apr_pool_t *fuzz_pool(void)
{
    static apr_pool_t *root;
    apr_pool_t *p;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    return p;
}

#endif
