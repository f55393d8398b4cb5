# file: glue/mod_fastexc_config.c
# tests: t/lean.t
# bug: only the main server looked at for FastExcRaiseEarly and FastExcNegotiate: a virtual host's are never hooked
s/    for (vs = s; vs; vs = vs->next) {/    for (vs = s; vs; vs = NULL) {/
