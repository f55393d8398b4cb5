# file: glue/mod_fastexc_raise.c
# tests: t/api_edges.t
# bug: the first raise's empty error page kept when a second raise replaces it (the first status returned then sends a blank page, not httpd's)
s/        crc->response_code_strings\[ap_index_of_response(rc->blank)\] = NULL;/        (void)crc;/
