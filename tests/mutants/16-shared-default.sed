# file: glue/mod_fastexc_raise.c
# tests: t/api.t t/leak.t
# bug: headers given with a raise are set on the response it was given,
# which may be shared by every request of the child (a default detail)
s/fastexc_response_t \*copy = apr_pmemdup(r->pool, resp, sizeof(\*resp));/fastexc_response_t *copy = (fastexc_response_t *)resp;/
