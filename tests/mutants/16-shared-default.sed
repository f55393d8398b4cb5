# file: mod_fastexc.c
# tests: t/api.t t/leak.t
# bug: headers given with a default detail are set on the response shared
# by every request of the child (rendered once, at startup)
s/if (resp == fastexc_defaults\[resp->status - 200\]) {/if (0) {/
