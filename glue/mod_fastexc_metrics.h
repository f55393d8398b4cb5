/*
 * mod_fastexc_metrics.h - SetHandler fastexc-metrics: the shared counters
 * in Prometheus' text exposition format.
 */
#ifndef MOD_FASTEXC_METRICS_H
#define MOD_FASTEXC_METRICS_H

#include "httpd.h"

#define FASTEXC_METRICS_HANDLER "fastexc-metrics"

int fastexc_metrics_handler(request_rec *r);

#endif /* MOD_FASTEXC_METRICS_H */
