/*
 * fastexc_valid.c - reading and checking configured values: detail
 * arguments, templates, header fields.
 *
 * Configured values are checked once, when httpd reads its configuration;
 * values that come from a request at run time go through
 * fastexc_header_value_clean() so they can never end a header line.
 */
#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"
#include "fastexc_core.h"

fastexc_detail_kind_e fastexc_detail_classify(const char *arg,
                                              const char **payload)
{
    if (strcmp(arg, "-") == 0) {
        *payload = NULL;
        return FASTEXC_DETAIL_DEFAULT;
    }
    if (strncmp(arg, "json:", 5) == 0) {
        *payload = arg + 5;
        return FASTEXC_DETAIL_JSON;
    }
    if (strncmp(arg, "text:", 5) == 0) {
        *payload = arg + 5;
        return FASTEXC_DETAIL_TEXT;
    }
    *payload = arg;
    return fastexc_has_template(arg) ? FASTEXC_DETAIL_TEMPLATE
                                     : FASTEXC_DETAIL_TEXT;
}

int fastexc_has_template(const char *s)
{
    return strstr(s, "%{") != NULL;
}

const char *fastexc_template_split(apr_pool_t *p, const char *s,
                                   apr_array_header_t **segs)
{
    apr_array_header_t *a = apr_array_make(p, 4, sizeof(fastexc_segment_t));
    const char *cur = s;

    while (*cur) {
        const char *open = strstr(cur, "%{");
        const char *end;
        fastexc_segment_t *seg;
        int depth = 0;

        if (!open) {
            seg = apr_array_push(a);
            seg->is_expr = 0;
            seg->text = apr_pstrdup(p, cur);
            break;
        }
        if (open > cur) {
            seg = apr_array_push(a);
            seg->is_expr = 0;
            seg->text = apr_pstrmemdup(p, cur, open - cur);
        }
        /* Braces nest, as in %{tolower:%{HTTP:X-Id}}. */
        for (end = open + 1; *end; end++) {
            if (*end == '{') {
                depth++;
            }
            else if (*end == '}' && --depth == 0) {
                break;
            }
        }
        if (!*end) {
            return apr_psprintf(p, "unterminated %%{ in \"%s\"", s);
        }
        if (end == open + 2) {
            return apr_psprintf(p, "empty %%{} in \"%s\"", s);
        }
        seg = apr_array_push(a);
        seg->is_expr = 1;
        seg->text = apr_pstrmemdup(p, open, end + 1 - open);
        cur = end + 1;
    }
    *segs = a;
    return NULL;
}

/* RFC 9110 5.6.2: token = 1*tchar */
static int fastexc_is_tchar(unsigned char c)
{
    return apr_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int fastexc_header_name_ok(const char *name)
{
    const unsigned char *c = (const unsigned char *)name;

    if (!*c) {
        return 0;
    }
    for (; *c; c++) {
        if (!fastexc_is_tchar(*c)) {
            return 0;
        }
    }
    return 1;
}

int fastexc_header_value_ok(const char *value)
{
    const unsigned char *c = (const unsigned char *)value;

    for (; *c; c++) {
        if ((*c < 0x20 && *c != '\t') || *c == 0x7F) {
            return 0;
        }
    }
    return 1;
}

char *fastexc_header_value_clean(apr_pool_t *p, const char *value,
                                 int *changed)
{
    char *out, *c, *end;

    *changed = 0;
    if (fastexc_header_value_ok(value)) {
        return (char *)value;
    }
    out = apr_pstrdup(p, value);
    for (c = out; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if ((u < 0x20 && u != '\t') || u == 0x7F) {
            *c = ' ';
        }
    }
    *changed = 1;
    /* A field value has no leading or trailing white space. */
    for (c = out; *c == ' ' || *c == '\t'; c++)
        ;
    end = c + strlen(c);
    while (end > c && (end[-1] == ' ' || end[-1] == '\t')) {
        *--end = '\0';
    }
    return c;
}

int fastexc_header_name_allowed(const char *name)
{
    return strcasecmp(name, "Content-Length") != 0
        && strcasecmp(name, "Transfer-Encoding") != 0;
}

const char *fastexc_header_parse(apr_pool_t *p, const char *arg,
                                 const char **name, const char **value)
{
    const char *colon = strchr(arg, ':');
    const char *v, *end;
    char *n;

    if (!colon || colon == arg) {
        return apr_psprintf(p, "\"%s\" is not a header (\"Name: value\")",
                            arg);
    }
    n = apr_pstrmemdup(p, arg, colon - arg);
    if (!fastexc_header_name_ok(n)) {
        return apr_psprintf(p, "\"%s\" is not a valid header name", n);
    }
    if (!fastexc_header_name_allowed(n)) {
        return apr_psprintf(p, "%s is computed by httpd and cannot be given",
                            n);
    }
    for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
        ;
    if (!fastexc_header_value_ok(v)) {
        return apr_psprintf(p, "the value of header %s holds a control "
                            "character (CR, LF, NUL...)", n);
    }
    end = v + strlen(v);
    while (end > v && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    *name = n;
    *value = apr_pstrmemdup(p, v, end - v);
    return NULL;
}
