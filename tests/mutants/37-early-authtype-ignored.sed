# file: glue/mod_fastexc_early.c
# tests: t/early.t
# bug: an AuthType in the URL's scope is ignored: a <Directory>'s grant, the only Require the AuthType has, is skipped and the raise becomes httpd's 500 (AuthType with no authorization)
s/           : ap_auth_type(r) ? FASTEXC_FS_INERT : FASTEXC_FS_GRANTS;/           : FASTEXC_FS_GRANTS;/
