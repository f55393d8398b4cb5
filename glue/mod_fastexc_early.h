/*
 * mod_fastexc_early.h - whether a URL a scope surely raises must be mapped
 * to the filesystem first (README: FastExcRaiseEarly).
 */
#ifndef MOD_FASTEXC_EARLY_H
#define MOD_FASTEXC_EARLY_H

#include "httpd.h"
#include "http_config.h"

/* What the filesystem's sections of one server can do to its raises, read
 * from httpd's configuration tree. */
typedef struct fastexc_early_fs fastexc_early_fs_t;

/* post_config: each server whose configuration files hold a FastExcRaise
 * or FastExcWebSocket rule gets what its sections (the main server's and its own) can do,
 * unless something makes every URL of it need the mapping. Before the
 * hooks are registered (fastexc_conf_uses()). */
void fastexc_early_read(apr_pool_t *p, server_rec *s);

/* Whether the scope the directive being read is in is a <Location> that
 * holds its own Require (and no AuthMerging but Off): mod_authz_core then
 * replaces every <Directory>'s Require with the <Location>'s. */
int fastexc_early_own_require(const cmd_parms *cmd);

/* The hooks (mod_fastexc.c): translate_name notes a URL its scope surely
 * raises; map_to_storage leaves it unmapped where FastExcRaiseEarly On or
 * no section that covers its file can change the answer. */
int fastexc_early_translate(request_rec *r);
int fastexc_early_map_to_storage(request_rec *r);

#endif /* MOD_FASTEXC_EARLY_H */
