# file: glue/mod_fastexc_config.c
# tests: t/lean.t
# bug: every server's scope marked as setting nothing, a virtual host's directives included (a merge drops them)
s/if (dc \&\& fastexc_conf_is_nothing(dc)) {/if (dc) {/
