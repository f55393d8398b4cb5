/*
 * check_fastexc.c - Check unit tests for mod_fastexc's pure logic: the
 * runner. The tests are in check_core.c (HTTP), check_ws.c (WebSocket),
 * check_envelope.c (FastExcFormat template), check_accept.c (content
 * negotiation) and check_fs.c (what a section of the filesystem can do to a
 * raise decided before the URL is mapped).
 *
 * Every test is a loop over a table of labelled cases. Expected JSON bytes
 * were produced by Python 3.11's json.dumps(v, ensure_ascii=False,
 * allow_nan=False, separators=(",", ":")) and phrases by http.HTTPStatus, the
 * functions FastAPI uses; the conformance test (t/conformance.t) checks the
 * same against a live FastAPI, and make differential against Python.
 */
#include <check.h>
#include <stdlib.h>

#include "apr_general.h"
#include "check_fastexc.h"

apr_pool_t *pool;

void check_setup(void)
{
    apr_pool_create(&pool, NULL);
}

void check_teardown(void)
{
    apr_pool_destroy(pool);
}

int main(void)
{
    Suite *s = suite_create("fastexc");
    SRunner *sr;
    int failed;

    apr_initialize();
    suite_add_tcase(s, check_core_tcase());
    suite_add_tcase(s, check_ws_tcase());
    suite_add_tcase(s, check_envelope_tcase());
    suite_add_tcase(s, check_accept_tcase());
    suite_add_tcase(s, check_fs_tcase());
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
