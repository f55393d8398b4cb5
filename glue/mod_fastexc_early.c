/*
 * mod_fastexc_early.c - whether a URL a scope surely raises must be mapped
 * to the filesystem first (README: FastExcRaiseEarly): translate_name
 * notes it, map_to_storage decides. Mapping merges the <Directory>,
 * <DirectoryMatch>, <Files> and <FilesMatch> sections that cover the file;
 * a raise reads no file, so only what those sections do to an answer
 * counts (fastexc_fs_directive()), read once from httpd's configuration
 * tree.
 */
#include "apr_fnmatch.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_request.h"

#include "fastexc_fs.h"
#include "mod_fastexc_private.h"
#include "mod_fastexc_config.h"
#include "mod_fastexc_early.h"
#include "mod_fastexc_raise.h"
#include "mod_fastexc_upgrade.h"

/* One section that may change a raise's answer (more than inert). */
typedef struct {
    const char *dir;            /* a <Directory>'s path as httpd keeps it,
                                   or NULL: it may cover any file */
    int kind;                   /* FASTEXC_FS_* */
    const char *where;          /* "file:line", for debug lines */
} fastexc_early_sect_t;

struct fastexc_early_fs {
    apr_array_header_t *sects;  /* fastexc_early_sect_t */
    int merging;                /* AuthMerging And or Or outside them: a
                                   <Location>'s Require adds to theirs */
    int says;                   /* every URL needs the mapping: an <If>
                                   that reads what it finds, a server's
                                   Options that refuse links */
};

static int fastexc_early_is(const ap_directive_t *n, const char *name)
{
    return !strcasecmp(n->directive, name);
}

static int fastexc_early_is_fs(const ap_directive_t *n)
{
    return fastexc_early_is(n, "<Directory")
           || fastexc_early_is(n, "<DirectoryMatch")
           || fastexc_early_is(n, "<Files")
           || fastexc_early_is(n, "<FilesMatch");
}

/* What a section's directives (from n on) can do: the most of theirs. A
 * <Files> inside counts where its section does. */
static int fastexc_early_kind(const ap_directive_t *n)
{
    int kind = FASTEXC_FS_INERT;

    for (; n; n = n->next) {
        int k = fastexc_fs_directive(n->directive, n->args);

        if (fastexc_early_is(n, "<Files") || fastexc_early_is(n, "<FilesMatch")) {
            k = fastexc_early_kind(n->first_child);
        }
        else if (k == FASTEXC_FS_REQUIRES && n->first_child) {
            /* <RequireAll> and its kind: what it holds */
            int inner = fastexc_early_kind(n->first_child);
            k = inner > k ? inner : k;
        }
        kind = k > kind ? k : kind;
    }
    return kind;
}

/* A <Directory>'s path as core keeps it (dirsection() in server/core.c:
 * canonical, ending with "/"), or NULL where it may cover any file: a
 * regular expression, a wildcard, a path httpd would refuse. */
static const char *fastexc_early_dir(apr_pool_t *p, const ap_directive_t *n)
{
    const char *end = ap_strrchr_c(n->args, '>');
    const char *arg, *path;
    char *merged;
    apr_status_t rv;

    if (!fastexc_early_is(n, "<Directory") || !end) {
        return NULL;
    }
    arg = apr_pstrndup(p, n->args, end - n->args);
    path = ap_getword_conf(p, &arg);
    if (!strcmp(path, "/")) {
        return path;
    }
    if (!*path || !strcmp(path, "~")) {
        return NULL;
    }
    rv = apr_filepath_merge(&merged, NULL, path, APR_FILEPATH_TRUENAME, p);
    if (rv != APR_SUCCESS || apr_fnmatch_test(merged)) {
        return NULL;
    }
    return merged[strlen(merged) - 1] == '/' ? merged
                                             : apr_pstrcat(p, merged, "/",
                                                           NULL);
}

/* The nodes from n on, of one server (a <VirtualHost> is read on its
 * own): its sections into fs, and what else counts. */
static void fastexc_early_scan(apr_pool_t *p, const ap_directive_t *n,
                               fastexc_early_fs_t *fs)
{
    for (; n; n = n->next) {
        if (fastexc_early_is(n, "<VirtualHost")) {
            continue;
        }
        if (fastexc_early_is_fs(n)) {
            int kind = fastexc_early_kind(n->first_child);
            if (kind > FASTEXC_FS_INERT) {
                fastexc_early_sect_t *sect = apr_array_push(fs->sects);
                sect->dir = fastexc_early_dir(p, n);
                sect->kind = kind;
                sect->where = apr_psprintf(p, "%s:%d", n->filename,
                                           n->line_num);
            }
            continue;
        }
        if (fastexc_early_is(n, "AuthMerging")
                 && strcasecmp(n->args, "Off")) {
            fs->merging = 1;
        }
        else if ((fastexc_early_is(n, "<If") || fastexc_early_is(n, "<ElseIf"))
                 && fastexc_fs_reads_map(n->args)) {
            /* decided before the mapping, then again after it */
            fs->says = 1;
        }
        else if (fastexc_early_is(n, "Options")
                 && (!n->parent || fastexc_early_is(n->parent, "<VirtualHost"))
                 && fastexc_fs_directive(n->directive, n->args)
                    == FASTEXC_FS_SAYS) {
            /* a server's own: every directory's, links refused */
            fs->says = 1;
        }
        fastexc_early_scan(p, n->first_child, fs);
    }
}

/* The <VirtualHost> node s was made from (core notes where), or NULL. */
static const ap_directive_t *fastexc_early_vhost(const ap_directive_t *n,
                                                 const server_rec *s)
{
    for (; n; n = n->next) {
        const ap_directive_t *found;
        if (fastexc_early_is(n, "<VirtualHost")) {
            if (s->defn_name && (unsigned)n->line_num == s->defn_line_number
                && !strcmp(n->filename, s->defn_name)) {
                return n;
            }
            continue;
        }
        if ((found = fastexc_early_vhost(n->first_child, s))) {
            return found;
        }
    }
    return NULL;
}

static fastexc_early_fs_t *fastexc_early_fs_make(apr_pool_t *p)
{
    fastexc_early_fs_t *fs = apr_pcalloc(p, sizeof(*fs));

    fs->sects = apr_array_make(p, 4, sizeof(fastexc_early_sect_t));
    return fs;
}

void fastexc_early_read(apr_pool_t *p, server_rec *s)
{
    fastexc_early_fs_t *main_fs = fastexc_early_fs_make(p);
    const fastexc_srv_conf *main_sc = ap_get_module_config(s->module_config,
                                                           &fastexc_module);
    server_rec *vs;

    fastexc_early_scan(p, ap_conftree, main_fs);
    for (vs = s; vs; vs = vs->next) {
        fastexc_srv_conf *sc = ap_get_module_config(vs->module_config,
                                                    &fastexc_module);
        fastexc_early_fs_t *fs = main_fs;

        if (vs != s && sc == main_sc) {
            /* a host with no directive of ours shares the main server's
             * settings (httpd's merge): its own, for what is its own */
            sc = apr_pmemdup(p, sc, sizeof(*sc));
            ap_set_module_config(vs->module_config, &fastexc_module, sc);
        }
        sc->early.fs = NULL;
        if (sc->early.rules != 1 || sc->early.reads_map == 1) {
            continue;
        }
        if (vs != s) {
            const ap_directive_t *node = fastexc_early_vhost(ap_conftree, vs);
            if (!node) {
                continue;   /* not placed: mapped as always */
            }
            fs = fastexc_early_fs_make(p);
            fastexc_early_scan(p, node->first_child, fs);
            fs->sects = apr_array_append(p, main_fs->sects, fs->sects);
            fs->merging |= main_fs->merging;
            fs->says |= main_fs->says;
        }
        if (!fs->says) {
            sc->early.fs = fs;
        }
    }
}

int fastexc_early_own_require(const cmd_parms *cmd)
{
    const ap_directive_t *parent = cmd->directive->parent, *n;
    int own = 0;

    if (!parent || (!fastexc_early_is(parent, "<Location")
                    && !fastexc_early_is(parent, "<LocationMatch"))) {
        return 0;
    }
    for (n = parent->first_child; n; n = n->next) {
        if (fastexc_early_is(n, "AuthMerging") && strcasecmp(n->args, "Off")) {
            return 0;   /* added to what comes before, not replacing it */
        }
        int kind = fastexc_fs_directive(n->directive, n->args);
        own |= kind == FASTEXC_FS_GRANTS || kind == FASTEXC_FS_REQUIRES;
    }
    return own;
}

/* For a URL its scope (r's configuration: the <Location>s') surely
 * raises with FastExcRaiseEarly unset, in a server whose sections are fs:
 * the most a section that covers its file may do (FASTEXC_FS_*) and leave
 * the answer as it is. */
static int fastexc_early_most(request_rec *r, const fastexc_early_fs_t *fs,
                              int own_require)
{
    /* a Require of the <Location>'s own replaces theirs; else a grant is
     * what no Require gives, unless an AuthType (r's scope is the
     * <Location>s' now) needs one */
    return own_require && !fs->merging ? FASTEXC_FS_REQUIRES
           : ap_auth_type(r) ? FASTEXC_FS_INERT : FASTEXC_FS_GRANTS;
}

/* Whether no section that covers r's file does more than most. */
static int fastexc_early_unmapped(request_rec *r, int most)
{
    const fastexc_srv_conf *sc = ap_get_module_config(r->server->module_config,
                                                      &fastexc_module);
    const fastexc_early_fs_t *fs = sc->early.fs;
    const fastexc_early_sect_t *sect;
    char *name;
    int i;

    if (!fs || !r->filename) {
        return 0;
    }
    /* the file name as ap_directory_walk() matches it; most are already */
    name = r->filename;
    if (!fastexc_fs_canonical(name)
        && apr_filepath_merge(&name, NULL, r->filename,
                              APR_FILEPATH_NOTRELATIVE, r->pool)
           != APR_SUCCESS) {
        return 0;
    }
    sect = (const fastexc_early_sect_t *)fs->sects->elts;
    for (i = 0; i < fs->sects->nelts; i++) {
        if (sect[i].kind > most
            && (!sect[i].dir || fastexc_fs_covers(sect[i].dir, name))) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0047)
                          "mapped before the raise: the section at %s "
                          "covers %s and may change the answer",
                          sect[i].where, name);
            return 0;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, FXLOGNO(0046)
                  "raised without mapping %s: no section that covers it "
                  "can change the answer", name);
    return 1;
}

/* translate_name. httpd merges <Location> and <If> over the server's
 * configuration before translate_name, maps the URL to the filesystem
 * (<Directory>, <Files>, .htaccess: map_to_storage) and merges them again
 * over the server's. Where, before translation, the scope surely raises
 * (its first FastExcRaise rule has no condition; for a WebSocket upgrade
 * in a scope without them, its first FastExcWebSocket rule) and does not say
 * FastExcRaiseEarly Off, the URL is noted; if translation left it as it
 * was, the second merge is the first one again, and the URL is not mapped
 * (as mod_proxy does for ProxyPass URLs): with FastExcRaiseEarly On
 * whatever the sections say, by default where none that covers the file
 * can change the answer. Access control in
 * <Location> runs after, as always. */
int fastexc_early_translate(request_rec *r)
{
    const fastexc_srv_conf *sc = ap_get_module_config(r->server->module_config,
                                                      &fastexc_module);
    const fastexc_dir_conf *dc;
    const apr_array_header_t *rules;
    const fastexc_rule_t *first;
    fastexc_req_conf *rc;
    int early;

    if (r->main || !fastexc_conf_raise_early_any(r->server)) {
        return DECLINED;
    }
    dc = ap_get_module_config(r->per_dir_config, &fastexc_module);
    /* what answers: a FastExcRaise rule (in fixups), else for a WebSocket
     * upgrade a FastExcWebSocket rule (the upgrade handler) */
    rules = dc->rules.raise.list;
    if (!rules && dc->rules.ws.list && fastexc_upgrade_is(r)) {
        rules = dc->rules.ws.list;
    }
    /* left to the sections: only where a server's may leave it unmapped
     * (else nothing is noted, and the URL is mapped as always) */
    if (rules
        && (early = fastexc_conf_raise_early(dc)) != FASTEXC_EARLY_OFF
        && (early == FASTEXC_EARLY_ON || sc->early.fs)
        && (first = APR_ARRAY_IDX(rules, 0, const fastexc_rule_t *))
        && !first->cond) {
        rc = fastexc_raise_state_make(r);
        rc->early_uri = apr_pstrdup(r->pool, r->uri);
        rc->early = early;
        rc->early_ws = rules != dc->rules.raise.list;
        if (early == FASTEXC_EARLY_AUTO) {
            rc->early_most = fastexc_early_most(r, sc->early.fs,
                                                dc->http.own_require == 1);
        }
    }
    return DECLINED;
}

int fastexc_early_map_to_storage(request_rec *r)
{
    fastexc_req_conf *rc = fastexc_raise_state(r);

    if (!rc || !rc->early_uri || r->proxyreq
        || strcmp(rc->early_uri, r->uri) != 0) {
        return DECLINED;
    }
    rc->unmapped = rc->early == FASTEXC_EARLY_ON
                   || fastexc_early_unmapped(r, rc->early_most);
    return rc->unmapped ? OK : DECLINED;
}
