/*
 * fastexc_accept.c - an Accept header (RFC 9110 12.5.1) read for content
 * negotiation: the quality each offered media type gets, and the choice.
 *
 *   Accept = #( media-range [ weight ] )
 *   media-range = ( "* / *" / ( type "/" "*" ) / ( type "/" subtype ) )
 *                 parameters
 *   weight = OWS ";" OWS "q=" qvalue
 *   qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
 */
#include <string.h>

#include "apr_lib.h"
#include "fastexc_accept.h"

/* RFC 9110 5.6.2 tchar */
static int fastexc_accept_tchar(char c)
{
    return apr_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *fastexc_accept_ows(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

static const char *fastexc_accept_token(const char *p)
{
    while (fastexc_accept_tchar(*p)) {
        p++;
    }
    return p;
}

/* A quoted-string starting at p ('"'): the byte after it, or NULL if it
 * does not end. */
static const char *fastexc_accept_quoted(const char *p)
{
    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1]) {
            p++;
        }
    }
    return *p == '"' ? p + 1 : NULL;
}

/* A qvalue of len bytes at s into *q (0-1000); 0 if it is not one. */
static int fastexc_accept_qvalue(const char *s, apr_size_t len, int *q)
{
    apr_size_t i;
    int v, scale = 100;

    if (len < 1 || (s[0] != '0' && s[0] != '1')
        || (len > 1 && (s[1] != '.' || len > 5))) {
        return 0;
    }
    v = (s[0] - '0') * 1000;
    for (i = 2; i < len; i++, scale /= 10) {
        if (!apr_isdigit(s[i]) || (s[0] == '1' && s[i] != '0')) {
            return 0;
        }
        v += (s[i] - '0') * scale;
    }
    *q = v;
    return 1;
}

/* Whether the len bytes at s are word, ignoring case. */
static int fastexc_accept_is(const char *s, apr_size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* The specificity of the media range type/sub (tlen, slen bytes) for
 * offer: 2 for type/subtype, 1 for type/ *, 0 for * / *; -1 if it does
 * not match (or is not a valid range). */
static int fastexc_accept_match(const char *type, apr_size_t tlen,
                                const char *sub, apr_size_t slen,
                                const char *offer)
{
    const char *slash = strchr(offer, '/');
    apr_size_t otlen;

    if (!slash) {
        return -1;
    }
    otlen = (apr_size_t)(slash - offer);
    if (fastexc_accept_is(type, tlen, "*")) {
        return fastexc_accept_is(sub, slen, "*") ? 0 : -1;
    }
    if (tlen != otlen || strncasecmp(type, offer, tlen) != 0) {
        return -1;
    }
    if (fastexc_accept_is(sub, slen, "*")) {
        return 1;
    }
    return fastexc_accept_is(sub, slen, slash + 1) ? 2 : -1;
}

int fastexc_accept_quality(const char *accept, const char *offer)
{
    const char *p = accept;
    int best_spec = -1, best_q = -1;

    if (!accept) {
        return -1;
    }
    while (*p) {
        const char *type, *sub = NULL;
        apr_size_t tlen, slen = 0;
        int q = 1000, seen_q = 0, ok = 1, spec;

        p = fastexc_accept_ows(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (!*p) {
            break;
        }
        /* type "/" subtype */
        type = p;
        p = fastexc_accept_token(p);
        tlen = (apr_size_t)(p - type);
        if (!tlen || *p != '/') {
            ok = 0;
        }
        else {
            sub = ++p;
            p = fastexc_accept_token(p);
            slen = (apr_size_t)(p - sub);
            ok = slen > 0;
        }
        /* parameters: q, once; those before it are the media type's, those
         * after it accept extensions (neither compared) */
        while (ok) {
            const char *name, *value;
            apr_size_t nlen, vlen;

            p = fastexc_accept_ows(p);
            if (*p != ';') {
                break;
            }
            p = fastexc_accept_ows(p + 1);
            name = p;
            p = fastexc_accept_token(p);
            nlen = (apr_size_t)(p - name);
            if (!nlen) {
                continue;       /* "text/html;" : an empty parameter */
            }
            if (*p != '=') {
                ok = 0;
                break;
            }
            value = ++p;
            if (*p == '"') {
                if (!(p = fastexc_accept_quoted(p))) {
                    return best_q;  /* unterminated: nothing more to read */
                }
            }
            else {
                p = fastexc_accept_token(p);
            }
            vlen = (apr_size_t)(p - value);
            if (!seen_q && fastexc_accept_is(name, nlen, "q")) {
                seen_q = 1;
                ok = fastexc_accept_qvalue(value, vlen, &q);
            }
        }
        p = fastexc_accept_ows(p);
        if (*p && *p != ',') {
            ok = 0;
        }
        /* a malformed element: on to the next one, quotes respected */
        while (*p && *p != ',') {
            if (*p == '"') {
                if (!(p = fastexc_accept_quoted(p))) {
                    return best_q;
                }
                continue;
            }
            p++;
        }
        if (!ok) {
            continue;
        }
        spec = fastexc_accept_match(type, tlen, sub, slen, offer);
        if (spec > best_spec || (spec == best_spec && spec >= 0 && q > best_q)) {
            best_spec = spec;
            best_q = q;
        }
    }
    return best_q;
}

int fastexc_accept_choose(const char *accept, const char *const *offers,
                          int n)
{
    int i, best = -1, best_q = 0;

    for (i = 0; i < n; i++) {
        int q = fastexc_accept_quality(accept, offers[i]);
        if (q > best_q) {
            best = i;
            best_q = q;
        }
    }
    return best;
}
