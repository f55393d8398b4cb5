/*
 * mod_fastexc_early.h - whether a URL a scope surely raises must be mapped
 * to the filesystem first, where FastExcRaiseEarly leaves it to the
 * configuration (README: FastExcRaiseEarly).
 */
#ifndef MOD_FASTEXC_EARLY_H
#define MOD_FASTEXC_EARLY_H

#include "httpd.h"
#include "http_config.h"

/* What the filesystem's sections of one server can do to its raises, read
 * from httpd's configuration tree. */
typedef struct fastexc_early_fs fastexc_early_fs_t;

/* post_config: each server whose configuration files hold a FastExcRaise
 * rule gets what its sections (the main server's and its own) can do,
 * unless something makes every URL of it need the mapping. Before the
 * hooks are registered (fastexc_conf_uses()). */
void fastexc_early_read(apr_pool_t *p, server_rec *s);

/* Whether the scope the directive being read is in is a <Location> that
 * holds its own Require (and no AuthMerging but Off): mod_authz_core then
 * replaces every <Directory>'s Require with the <Location>'s. */
int fastexc_early_own_require(const cmd_parms *cmd);

/* translate_name, for a URL its scope (r's configuration: the
 * <Location>s') surely raises with FastExcRaiseEarly unset: the most a
 * section that covers its file may do (FASTEXC_FS_*) and leave the answer
 * as it is. own_require: fastexc_early_own_require() of the scope. Only
 * where fastexc_early_read() found the server's sections can leave it. */
int fastexc_early_most(request_rec *r, int own_require);

/* map_to_storage, for that URL: whether no section that covers r's file
 * does more than most (fastexc_early_most()). */
int fastexc_early_unmapped(request_rec *r, int most);

#endif /* MOD_FASTEXC_EARLY_H */
