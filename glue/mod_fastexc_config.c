/*
 * mod_fastexc_config.c - The per-directory configuration: its types
 * (mod_fastexc_config.h), create and merge with one rule per field, and
 * the accessors that apply defaults where a field is read. The directives
 * that set it are in mod_fastexc_directives.c.
 */

#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_atomic.h"
#include "apr_poll.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "ap_config.h"
#include "ap_expr.h"
#include "ap_mpm.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_core.h"
#include "mod_proxy.h"
#include "mod_status.h"
#include "mpm_common.h"
#include "httpd.h"
#include "scoreboard.h"
#include "util_filter.h"

#include "fastexc_core.h"
#include "fastexc_ws.h"
#include "mod_fastexc.h"
#include "mod_fastexc_private.h"
#include "mod_fastexc_config.h"

/* What a tunnel's end sends by default, per FASTEXC_TUNNEL_* event. */
static const fastexc_ws_exc_t fastexc_tunnel_defaults[FASTEXC_TUNNEL_EVENTS]
    = { { { NULL, "default" }, 1011, "Backend went away", 17 },
        { { NULL, "default" }, 1001, "Idle timeout", 12 },
        { { NULL, "default" }, 1012, "Service restart", 15 },
        { { NULL, "default" }, 1001, "Going away", 10 } };

/* ---- defaults, applied where a field is read ------------------------- */

int fastexc_conf_enabled(const fastexc_dir_conf *dc)
{
    return dc->http.enabled == 1;
}

int fastexc_conf_raise_early(const fastexc_dir_conf *dc)
{
    return dc->http.early != FASTEXC_UNSET ? dc->http.early
                                           : FASTEXC_EARLY_AUTO;
}

int fastexc_conf_format(const fastexc_dir_conf *dc)
{
    return dc->http.format.how != FASTEXC_UNSET ? dc->http.format.how
                                            : FASTEXC_FORMAT_FASTAPI;
}

int fastexc_conf_backend_errors(const fastexc_dir_conf *dc)
{
    return dc->backend.errors != FASTEXC_UNSET ? dc->backend.errors
                                               : FASTEXC_BACKEND_OFF;
}

int fastexc_conf_negotiate(const fastexc_dir_conf *dc)
{
    return dc->http.negotiate == 1;
}

int fastexc_conf_reject_http(const fastexc_dir_conf *dc)
{
    return dc->ws.reject.how == FASTEXC_WS_REJECT_HTTP ? dc->ws.reject.status
                                                       : 0;
}

int fastexc_conf_raise_close(const fastexc_dir_conf *dc, int status)
{
    int cls = status / 100;
    const int *code = NULL;

    if (dc->ws.raise_codes
        && !(code = apr_hash_get(dc->ws.raise_codes, &status,
                                 sizeof(status)))) {
        code = apr_hash_get(dc->ws.raise_codes, &cls, sizeof(cls));
    }
    if (code) {
        return *code;
    }
    if (status == HTTP_TOO_MANY_REQUESTS
        || status == HTTP_SERVICE_UNAVAILABLE) {
        return 1013;    /* Try Again Later */
    }
    return cls == 5 ? 1011 : 1008;  /* Internal Error; Policy Violation */
}

int fastexc_conf_tunnel(const fastexc_dir_conf *dc)
{
    return dc->tunnel.on == 1;
}

apr_interval_time_t fastexc_conf_ws_timeout(const fastexc_dir_conf *dc)
{
    return dc->ws.close_timeout != FASTEXC_UNSET
        ? dc->ws.close_timeout : FASTEXC_WS_CLOSE_TIMEOUT_DEFAULT;
}

int fastexc_conf_log_level(const fastexc_dir_conf *dc)
{
    return dc->log.level != FASTEXC_UNSET ? dc->log.level
                                          : FASTEXC_LOG_LEVEL_DEFAULT;
}

int fastexc_conf_log_level_of(request_rec *r)
{
    return fastexc_conf_log_level(ap_get_module_config(r->per_dir_config,
                                                       &fastexc_module));
}

const fastexc_ws_exc_t *fastexc_conf_tunnel_close(const fastexc_dir_conf *dc,
                                                  int event)
{
    if (dc->tunnel.close[event].set == FASTEXC_UNSET) {
        return &fastexc_tunnel_defaults[event];
    }
    return dc->tunnel.close[event].exc;
}

int fastexc_conf_raise_early_any(server_rec *s)
{
    const fastexc_srv_conf *sc = ap_get_module_config(s->module_config,
                                                      &fastexc_module);

    return sc->early.any == 1 || sc->early.fs;
}

/* Whether an .htaccess file may carry a directive of ours: a <Directory>
 * of some server allows FileInfo (or All), or names one of ours in
 * AllowOverrideList. A virtual host's sections include the main's. */
static int fastexc_conf_htaccess_ours(server_rec *s)
{
    for (; s; s = s->next) {
        const core_server_config *sconf =
            ap_get_core_module_config(s->module_config);
        int i;

        for (i = 0; sconf->sec_dir && i < sconf->sec_dir->nelts; i++) {
            const core_dir_config *cd = ap_get_core_module_config(
                APR_ARRAY_IDX(sconf->sec_dir, i, ap_conf_vector_t *));
            const apr_array_header_t *list;
            int j;

            if (cd->override & OR_FILEINFO) {
                return 1;
            }
            list = cd->override_list ? apr_table_elts(cd->override_list)
                                     : NULL;
            for (j = 0; list && j < list->nelts; j++) {
                if (!strncasecmp(APR_ARRAY_IDX(list, j, apr_table_entry_t).key,
                                 "FastExc", 7)) {
                    return 1;
                }
            }
        }
    }
    return 0;
}

int fastexc_conf_uses(server_rec *s)
{
    int uses = 0;
    server_rec *vs;

    for (vs = s; vs; vs = vs->next) {
        const fastexc_srv_conf *sc = ap_get_module_config(vs->module_config,
                                                          &fastexc_module);
        uses |= (fastexc_conf_raise_early_any(vs) ? FASTEXC_USES_EARLY : 0)
                | (sc->negotiate.any == 1 ? FASTEXC_USES_NEGOTIATE : 0)
                | (sc->upgrade.any == 1 ? FASTEXC_USES_UPGRADE : 0);
    }
    /* FastExcRaiseEarly is refused in .htaccess */
    if (fastexc_conf_htaccess_ours(s)) {
        uses |= FASTEXC_USES_NEGOTIATE | FASTEXC_USES_UPGRADE;
    }
    return uses;
}

apr_interval_time_t fastexc_conf_tunnel_spread(server_rec *s)
{
    const fastexc_srv_conf *sc = ap_get_module_config(s->module_config,
                                                      &fastexc_module);

    return sc->tunnel.spread != FASTEXC_UNSET ? sc->tunnel.spread : 0;
}

/* ---- create / merge ------------------------------------------------- */

/* Every field "unset": a scope's configuration before its directives. */
static void fastexc_conf_unset(fastexc_dir_conf *dc)
{
    int i;

    dc->rules.raise.inherit = FASTEXC_UNSET;
    dc->rules.raise.list = NULL;
    dc->rules.ws.inherit = FASTEXC_UNSET;
    dc->rules.ws.list = NULL;
    dc->http.enabled = FASTEXC_UNSET;
    dc->http.early = FASTEXC_UNSET;
    dc->http.own_require = FASTEXC_UNSET;
    dc->http.details = NULL;
    dc->http.format.how = FASTEXC_UNSET;
    dc->http.format.envelope = NULL;
    dc->http.format.content_type = NULL;
    dc->http.problem_type = NULL;
    dc->http.problem_instance = NULL;
    dc->http.negotiate = FASTEXC_UNSET;
    dc->backend.errors = FASTEXC_UNSET;
    dc->ws.reject.how = FASTEXC_UNSET;
    dc->ws.reject.status = 0;
    dc->ws.backend.set = FASTEXC_UNSET;
    dc->ws.backend.exc = NULL;
    dc->ws.close_timeout = FASTEXC_UNSET;
    dc->ws.raise_codes = NULL;
    dc->tunnel.on = FASTEXC_UNSET;
    for (i = 0; i < FASTEXC_TUNNEL_EVENTS; i++) {
        dc->tunnel.close[i].set = FASTEXC_UNSET;
        dc->tunnel.close[i].exc = NULL;
    }
    dc->log.level = FASTEXC_UNSET;
    dc->nothing = 0;
}

/* A scope that set nothing, to tell one by its bytes: made by the first
 * create, at startup (before any thread), zeroed padding and all. */
static fastexc_dir_conf fastexc_conf_nothing;
static int fastexc_conf_nothing_made;

void *fastexc_conf_create(apr_pool_t *p, char *dir)
{
    /* zeroed: the padding compares equal too */
    fastexc_dir_conf *dc = apr_pcalloc(p, sizeof(*dc));

    fastexc_conf_unset(dc);
    if (!fastexc_conf_nothing_made) {
        fastexc_conf_unset(&fastexc_conf_nothing);
        fastexc_conf_nothing_made = 1;
    }
    return dc;
}

/* Whether dc is a scope that set nothing (a merged one never says so). */
static int fastexc_conf_is_nothing(const fastexc_dir_conf *dc)
{
    return memcmp(dc, &fastexc_conf_nothing, sizeof(*dc)) == 0;
}

/* A section's or .htaccess's configuration exists only where a directive
 * of ours was read (httpd creates it then), so the scopes that may set
 * nothing are the servers' own: compared once here, not per merge. A
 * virtual host without a directive of ours shares the main server's. */
void fastexc_conf_mark_nothing(server_rec *s)
{
    for (; s; s = s->next) {
        fastexc_dir_conf *dc = ap_get_module_config(s->lookup_defaults,
                                                    &fastexc_module);
        if (dc && fastexc_conf_is_nothing(dc)) {
            dc->nothing = 1;
        }
    }
}

/* A scope's own rules first, then the inherited ones unless cut ("Off").
 * The result is inherited normally by the scopes below. */
static fastexc_rules_t fastexc_conf_merge_rules(apr_pool_t *p,
                                                const fastexc_rules_t *base,
                                                const fastexc_rules_t *add)
{
    fastexc_rules_t rules = { FASTEXC_UNSET, add->list };

    if (add->inherit != 0 && base->list) {
        rules.list = add->list ? apr_array_append(p, add->list, base->list)
                               : base->list;
    }
    return rules;
}

/* Per status or class, a scope's own FastExcWebSocketRaiseCode replaces
 * the inherited one. */
static apr_hash_t *fastexc_conf_merge_hash(apr_pool_t *p, apr_hash_t *base,
                                           apr_hash_t *add)
{
    return (add && base) ? apr_hash_overlay(p, add, base)
                         : add ? add : base;
}

/* Per status, a scope's own FastExcDetail rules, then the inherited ones
 * for that status (unless the scope's own end with a rule without
 * condition, which always holds); other statuses are inherited. */
static apr_hash_t *fastexc_conf_merge_details(apr_pool_t *p, apr_hash_t *base,
                                              apr_hash_t *add)
{
    apr_hash_t *merged;
    apr_hash_index_t *hi;

    if (!add || !base) {
        return add ? add : base;
    }
    merged = apr_hash_overlay(p, add, base);
    for (hi = apr_hash_first(p, add); hi; hi = apr_hash_next(hi)) {
        const void *key;
        apr_ssize_t klen;
        void *val;
        const apr_array_header_t *own, *inherited;
        apr_hash_this(hi, &key, &klen, &val);
        own = val;
        inherited = apr_hash_get(base, key, klen);
        if (inherited
            && APR_ARRAY_IDX(own, own->nelts - 1, const fastexc_rule_t *)->cond) {
            apr_hash_set(merged, key, klen,
                         apr_array_append(p, own, inherited));
        }
    }
    return merged;
}

/* One merge rule per field: the scope's own value when it set one. */
#define FASTEXC_MERGE(f) \
    dc->f = (add->f != FASTEXC_UNSET) ? add->f : base->f
#define FASTEXC_MERGE_PTR(f) \
    dc->f = add->f ? add->f : base->f
#define FASTEXC_MERGE_BY(f, key) \
    dc->f = (add->f.key != FASTEXC_UNSET) ? add->f : base->f

/* Out of line: fastexc_conf_merge()'s usual path then saves no
 * registers. */
static __attribute__((noinline)) void *fastexc_conf_merge_fields(
    apr_pool_t *p, const fastexc_dir_conf *base, const fastexc_dir_conf *add)
{
    fastexc_dir_conf *dc = apr_palloc(p, sizeof(*dc));
    int i;

    dc->rules.raise = fastexc_conf_merge_rules(p, &base->rules.raise,
                                          &add->rules.raise);
    dc->rules.ws = fastexc_conf_merge_rules(p, &base->rules.ws, &add->rules.ws);
    FASTEXC_MERGE(http.enabled);
    FASTEXC_MERGE(http.early);
    FASTEXC_MERGE(http.own_require);
    dc->http.details = fastexc_conf_merge_details(p, base->http.details,
                                                  add->http.details);
    FASTEXC_MERGE_BY(http.format, how);
    FASTEXC_MERGE_PTR(http.problem_type);
    FASTEXC_MERGE_PTR(http.problem_instance);
    FASTEXC_MERGE(http.negotiate);
    FASTEXC_MERGE(backend.errors);
    FASTEXC_MERGE_BY(ws.reject, how);
    FASTEXC_MERGE_BY(ws.backend, set);
    FASTEXC_MERGE(ws.close_timeout);
    dc->ws.raise_codes = fastexc_conf_merge_hash(p, base->ws.raise_codes,
                                                 add->ws.raise_codes);
    FASTEXC_MERGE(tunnel.on);
    for (i = 0; i < FASTEXC_TUNNEL_EVENTS; i++) {
        FASTEXC_MERGE_BY(tunnel.close[i], set);
    }
    FASTEXC_MERGE(log.level);
    dc->nothing = 0;            /* both sides set something */
    return dc;
}

void *fastexc_conf_merge(apr_pool_t *p, void *basev, void *addv)
{
    const fastexc_dir_conf *base = basev, *add = addv;

    /* httpd merges every request's sections again: where one side set
     * nothing, the merge is the other side, as it stands (configurations
     * are never changed after startup; a rule list's "Off" is only read
     * from the side that adds). A flag, not a compare: two per request. */
    if (add->nothing) {
        return basev;
    }
    if (base->nothing) {
        return addv;
    }
    return fastexc_conf_merge_fields(p, base, add);
}

void *fastexc_conf_srv_create(apr_pool_t *p, server_rec *s)
{
    fastexc_srv_conf *sc = apr_palloc(p, sizeof(*sc));

    sc->early.any = FASTEXC_UNSET;
    sc->early.rules = FASTEXC_UNSET;
    sc->early.reads_map = FASTEXC_UNSET;
    sc->early.fs = NULL;
    sc->negotiate.any = FASTEXC_UNSET;
    sc->upgrade.any = FASTEXC_UNSET;
    sc->tunnel.spread = FASTEXC_UNSET;
    return sc;
}

void *fastexc_conf_srv_merge(apr_pool_t *p, void *basev, void *addv)
{
    const fastexc_srv_conf *base = basev, *add = addv;
    fastexc_srv_conf *dc = apr_palloc(p, sizeof(*dc));

    /* only ever set to 1: the main server's or the host's own */
    FASTEXC_MERGE(early.any);
    FASTEXC_MERGE(early.rules);
    FASTEXC_MERGE(early.reads_map);
    FASTEXC_MERGE_PTR(early.fs);
    FASTEXC_MERGE(negotiate.any);
    FASTEXC_MERGE(upgrade.any);
    FASTEXC_MERGE(tunnel.spread);
    return dc;
}
