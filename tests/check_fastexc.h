/*
 * check_fastexc.h - what the Check test files share: the pool each test
 * gets, and the tables' size.
 */
#ifndef CHECK_FASTEXC_H
#define CHECK_FASTEXC_H

#include <check.h>
#include "apr_pools.h"

extern apr_pool_t *pool;
void check_setup(void);
void check_teardown(void);

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

TCase *check_core_tcase(void);
TCase *check_ws_tcase(void);
TCase *check_envelope_tcase(void);
TCase *check_accept_tcase(void);
TCase *check_fs_tcase(void);

#endif /* CHECK_FASTEXC_H */
