#!/usr/bin/env python3
"""Every field of the per-directory configuration has its "unset" value in
fastexc_conf_unset() (what fastexc_conf_create() makes) and its merge rule in
fastexc_conf_merge_fields() (fastexc_conf_merge() when both sides set
something), and every field of the server-wide one in
fastexc_conf_srv_create() and fastexc_conf_srv_merge(): a field added
without both fails `make lint`.

Fields are read from the struct in glue/mod_fastexc_config.h, nested structs
by their path (http.enabled); a member whose type is a typedef (a rules list,
a close slot) counts as one field, set and merged whole or by its members.
"""
import re
import sys

HEADER = "glue/mod_fastexc_config.h"
SOURCE = "glue/mod_fastexc_config.c"


def fields(header, struct):
    text = open(header, encoding="utf-8").read()
    end = text.find("\n} %s;" % struct)
    start = text.rfind("typedef struct {", 0, end)
    if end < 0 or start < 0:
        sys.exit("check-config: no %s in %s" % (struct, header))
    body = re.sub(r"/\*.*?\*/", "", text[start + 16:end], flags=re.S)
    out, group = [], None
    for line in body.split("\n"):
        line = line.strip()
        if line.startswith("struct") and line.endswith("{"):
            group = []
        elif line.startswith("}"):
            out += [line.strip("}; ") + "." + f for f in group]
            group = None
        elif line.endswith(";"):
            decl = line[:-1].split(",")[0]
            name = re.sub(r"\[.*\]", "", decl.split()[-1]).lstrip("*")
            (out if group is None else group).append(name)
    return out


def function_body(source, name):
    text = open(source, encoding="utf-8").read()
    m = re.search(r"\n[^\n]*\b%s\([^)]*\)\n\{(.*?)\n\}" % name, text, re.S)
    if not m:
        sys.exit("check-config: no %s() in %s" % (name, source))
    return m.group(1)


# (struct, its create function and the variable it fills, its merge)
CONFIGS = (
    ("fastexc_dir_conf", "fastexc_conf_unset", "dc",
     "fastexc_conf_merge_fields"),
    ("fastexc_srv_conf", "fastexc_conf_srv_create", "sc",
     "fastexc_conf_srv_merge"),
)


def main():
    bad, counts = [], []
    for struct, create_fn, var, merge_fn in CONFIGS:
        create = function_body(SOURCE, create_fn)
        merge = function_body(SOURCE, merge_fn)
        names = fields(HEADER, struct)
        counts.append(len(names))
        for f in names:
            pat = re.escape(f)
            if not re.search(r"%s->%s\b" % (var, pat), create):
                bad.append("%s has no unset value in %s()" % (f, create_fn))
            if not (re.search(r"dc->%s\b" % pat, merge)
                    or re.search(r"FASTEXC_MERGE\w*\(%s\b" % pat, merge)):
                bad.append("%s has no merge rule in %s()" % (f, merge_fn))
    if bad:
        for b in bad:
            print("check-config: " + b, file=sys.stderr)
        sys.exit(1)
    print("check-config: %d per-directory and %d server-wide fields, each "
          "with an unset value and a merge rule" % tuple(counts))


if __name__ == "__main__":
    main()
