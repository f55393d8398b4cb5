/*
 * mod_fastexc_error.h - httpd's error path.
 */
#ifndef MOD_FASTEXC_ERROR_H
#define MOD_FASTEXC_ERROR_H

#include "httpd.h"

void fastexc_error_filters(void);
void fastexc_error_insert_filter(request_rec *r);

#endif /* MOD_FASTEXC_ERROR_H */
