# file: glue/mod_fastexc_config.c
# tests: t/lean.t
# bug: AllowOverrideList naming FastExcNegotiate not seen: its hook is not registered and a .htaccess FastExcNegotiate does nothing
s/"FastExc", 7)) {/"FastExc", 7) \&\& 0) {/
