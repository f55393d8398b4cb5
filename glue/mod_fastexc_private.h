/*
 * mod_fastexc_private.h - what every glue file of mod_fastexc shares: the
 * module (so LogLevel fastexc:debug reaches every file) and the log tag.
 */
#ifndef MOD_FASTEXC_PRIVATE_H
#define MOD_FASTEXC_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

extern module AP_MODULE_DECLARE_DATA fastexc_module;
APLOG_USE_MODULE(fastexc);

/* A log line's unique tag, like httpd's APLOGNO (README: log tags). */
#define FXLOGNO(n) "FX" #n ": "

/* A directive not set in a scope. */
#define FASTEXC_UNSET (-1)

#endif /* MOD_FASTEXC_PRIVATE_H */
