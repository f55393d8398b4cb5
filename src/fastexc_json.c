/*
 * fastexc_json.c - JSON bodies byte-identical to FastAPI's.
 *
 * FastAPI renders with json.dumps(ensure_ascii=False, allow_nan=False,
 * separators=(",", ":")). jansson writes every byte here; its compact output
 * differs from Python's in two ways only, which fastexc_pythonize() mends in
 * one pass: control characters are escaped \u001F (Python: \u001f), and
 * reals are printed with %.17g (Python: shortest round-trip repr, 0.1 not
 * 0.10000000000000001, 1e+16 not 10000000000000000.0).
 */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"
#include "fastexc_core.h"

#define FASTEXC_DUMP_FLAGS \
    (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17))

/* printf and strtod follow LC_NUMERIC; JSON always uses '.'. */
static char fastexc_decimal_point(void)
{
    const struct lconv *lc = localeconv();
    return (lc && lc->decimal_point && lc->decimal_point[0])
        ? lc->decimal_point[0] : '.';
}

static double fastexc_strtod(const char *s, apr_size_t len)
{
    char buf[64];
    char dp = fastexc_decimal_point();
    apr_size_t i;

    if (len >= sizeof(buf)) {
        len = sizeof(buf) - 1;
    }
    for (i = 0; i < len; i++) {
        buf[i] = (s[i] == '.') ? dp : s[i];
    }
    buf[len] = '\0';
    return strtod(buf, NULL);
}

int fastexc_py_float(double v, char *buf, apr_size_t size)
{
    char tmp[40], digits[20];
    char dp = fastexc_decimal_point();
    int prec, exp10, ndig = 0, neg;
    const char *c;
    apr_size_t n = 0;

    if (!isfinite(v) || size < 32) {
        return -1;
    }
    neg = signbit(v) ? 1 : 0;
    if (v == 0.0) {
        apr_cpystrn(buf, neg ? "-0.0" : "0.0", size);
        return 0;
    }
    /* The fewest significant digits that read back as v: what Python's
     * repr (David Gay's shortest mode) prints; %.*e rounds correctly, so
     * the first precision that round-trips gives the same digits. */
    for (prec = 1; prec <= 17; prec++) {
        char *q;
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
        for (q = tmp; *q; q++) {
            if (*q == dp) {
                *q = '.';
            }
        }
        if (fastexc_strtod(tmp, strlen(tmp)) == v) {
            break;
        }
    }
    for (c = tmp + neg; *c && *c != 'e'; c++) {
        if (apr_isdigit(*c)) {
            digits[ndig++] = *c;
        }
    }
    while (ndig > 1 && digits[ndig - 1] == '0') {
        ndig--;
    }
    digits[ndig] = '\0';
    exp10 = atoi(c + 1);

    if (neg) {
        buf[n++] = '-';
    }
    if (exp10 >= -4 && exp10 < 16) {
        /* fixed notation, always with a fraction ("1.0") */
        int i;
        if (exp10 < 0) {
            buf[n++] = '0';
            buf[n++] = '.';
            for (i = 0; i < -exp10 - 1; i++) {
                buf[n++] = '0';
            }
            memcpy(buf + n, digits, ndig);
            n += ndig;
        }
        else {
            for (i = 0; i <= exp10; i++) {
                buf[n++] = i < ndig ? digits[i] : '0';
            }
            buf[n++] = '.';
            if (ndig > exp10 + 1) {
                memcpy(buf + n, digits + exp10 + 1, ndig - exp10 - 1);
                n += ndig - exp10 - 1;
            }
            else {
                buf[n++] = '0';
            }
        }
        buf[n] = '\0';
    }
    else {
        buf[n++] = digits[0];
        if (ndig > 1) {
            buf[n++] = '.';
            memcpy(buf + n, digits + 1, ndig - 1);
            n += ndig - 1;
        }
        snprintf(buf + n, size - n, "e%c%02d", exp10 < 0 ? '-' : '+',
                 exp10 < 0 ? -exp10 : exp10);
    }
    return 0;
}

/* Turn jansson's compact output into Python's bytes. len is the length of
 * in; the result is allocated in p. A real token grows by at most two bytes
 * (exponent sign and zero) and is at least three long, so 2 * len + 16 is
 * always enough. */
static char *fastexc_pythonize(apr_pool_t *p, const char *in, apr_size_t len,
                               apr_size_t *outlen)
{
    char *out = apr_palloc(p, 2 * len + 16);
    apr_size_t i = 0, o = 0;
    int in_string = 0;

    while (i < len) {
        char ch = in[i];
        if (in_string) {
            if (ch == '\\' && i + 1 < len) {
                out[o++] = in[i++];
                if (in[i] == 'u' && i + 4 < len) {
                    int k;
                    out[o++] = in[i++];
                    for (k = 0; k < 4; k++) {
                        out[o++] = apr_tolower(in[i++]);
                    }
                }
                else {
                    out[o++] = in[i++];
                }
                continue;
            }
            if (ch == '"') {
                in_string = 0;
            }
            out[o++] = in[i++];
        }
        else if (ch == '"') {
            in_string = 1;
            out[o++] = in[i++];
        }
        else if (ch == '-' || apr_isdigit(ch)) {
            apr_size_t start = i;
            int real = 0;
            while (i < len && (apr_isdigit(in[i]) || in[i] == '-'
                               || in[i] == '+' || in[i] == '.'
                               || in[i] == 'e' || in[i] == 'E')) {
                if (!apr_isdigit(in[i]) && in[i] != '-') {
                    real = 1;
                }
                i++;
            }
            if (real) {
                char num[40];
                if (fastexc_py_float(fastexc_strtod(in + start, i - start),
                                     num, sizeof(num)) == 0) {
                    apr_size_t nl = strlen(num);
                    memcpy(out + o, num, nl);
                    o += nl;
                    continue;
                }
            }
            memcpy(out + o, in + start, i - start);
            o += i - start;
        }
        else {
            out[o++] = in[i++];
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

json_t *fastexc_json_parse(apr_pool_t *p, const char *text, const char **err)
{
    json_error_t jerr;
    /* Python's json accepts \u0000 in strings: so do we. */
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES
                                 | JSON_ALLOW_NUL, &jerr);
    if (!v) {
        *err = apr_psprintf(p, "invalid JSON at line %d, column %d: %s",
                            jerr.line, jerr.column, jerr.text);
    }
    return v;
}

/* One dump into a buffer of guess bytes, and a second, of the exact size,
 * only if it was too small (json_dumpb() tells the size it needs). */
static char *fastexc_json_dump_sized(apr_pool_t *p, const json_t *v,
                                     apr_size_t guess, apr_size_t *len)
{
    char *raw = apr_palloc(p, guess);
    apr_size_t size = json_dumpb(v, raw, guess, FASTEXC_DUMP_FLAGS);

    if (size == 0) {
        return NULL;
    }
    if (size > guess) {
        raw = apr_palloc(p, size);
        if (json_dumpb(v, raw, size, FASTEXC_DUMP_FLAGS) != size) {
            return NULL;
        }
    }
    return fastexc_pythonize(p, raw, size, len);
}

char *fastexc_json_dump(apr_pool_t *p, const json_t *v, apr_size_t *len)
{
    return fastexc_json_dump_sized(p, v, 256, len);
}

/* The one place that knows a body's layout: {"detail":<detail>}. */
static const char fastexc_body_head[] = "{\"detail\":";
#define FASTEXC_BODY_HEAD_LEN (sizeof(fastexc_body_head) - 1)

static char *fastexc_wrap_detail(apr_pool_t *p, const char *d, apr_size_t dlen,
                                 apr_size_t *len)
{
    apr_size_t hl = FASTEXC_BODY_HEAD_LEN;
    char *body = apr_palloc(p, hl + dlen + 2);

    memcpy(body, fastexc_body_head, hl);
    memcpy(body + hl, d, dlen);
    body[hl + dlen] = '}';
    body[hl + dlen + 1] = '\0';
    *len = hl + dlen + 1;
    return body;
}

const char *fastexc_body_detail(const char *body, apr_size_t blen,
                                apr_size_t *dlen)
{
    apr_size_t hl = FASTEXC_BODY_HEAD_LEN;

    if (!body || blen < hl + 2 || memcmp(body, fastexc_body_head, hl) != 0
        || body[blen - 1] != '}') {
        return NULL;
    }
    *dlen = blen - hl - 1;
    return body + hl;
}

const char *fastexc_body_reason(apr_pool_t *p, const char *body,
                                apr_size_t blen, apr_size_t max,
                                apr_size_t *rlen)
{
    apr_size_t dlen = 0;
    const char *d = fastexc_body_detail(body, blen, &dlen);
    const char *text = d;
    apr_size_t tlen = dlen;
    json_t *v;

    if (!d) {
        *rlen = 0;
        return "";
    }
    /* a string detail is its text; any other JSON value, its JSON */
    v = json_loadb(d, dlen, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (v && json_is_string(v)) {
        tlen = json_string_length(v);
        text = apr_pmemdup(p, json_string_value(v), tlen);
    }
    json_decref(v);
    *rlen = fastexc_utf8_cut(text, tlen, max);
    return text;
}

char *fastexc_body_json(apr_pool_t *p, const json_t *detail, apr_size_t *len)
{
    apr_size_t dlen;
    char *d = fastexc_json_dump(p, detail, &dlen);

    return d ? fastexc_wrap_detail(p, d, dlen, len) : NULL;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 if the bytes there are not one. */
static apr_size_t fastexc_utf8_seq(const unsigned char *s, apr_size_t avail)
{
    unsigned char c = s[0];
    apr_size_t n, k;
    unsigned int cp;

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, cp = c & 0x1F;
    }
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, cp = c & 0x0F;
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, cp = c & 0x07;
    }
    else {
        return 0;
    }
    if (avail < n) {
        return 0;
    }
    for (k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
        || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return 0;
    }
    return n;
}

int fastexc_utf8_valid(const char *s, apr_size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t i = 0;

    while (i < len) {
        apr_size_t n = fastexc_utf8_seq(u + i, len - i);
        if (!n) {
            return 0;
        }
        i += n;
    }
    return 1;
}

apr_size_t fastexc_utf8_cut(const char *s, apr_size_t len, apr_size_t max)
{
    const unsigned char *u = (const unsigned char *)s;

    if (len <= max) {
        return len;
    }
    /* back up over continuation bytes to the start of a character */
    while (max > 0 && (u[max] & 0xC0) == 0x80) {
        max--;
    }
    return max;
}

char *fastexc_utf8_repair(apr_pool_t *p, const char *s, apr_size_t len,
                          apr_size_t *outlen, int *repaired)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t i = 0, o = 0;
    char *out;
    int bad = 0;

    /* Fast path: most input is valid and is returned as it is. */
    while (i < len) {
        apr_size_t n = fastexc_utf8_seq(u + i, len - i);
        if (!n) {
            break;
        }
        i += n;
    }
    if (i == len) {
        if (repaired) {
            *repaired = 0;
        }
        *outlen = len;
        return apr_pstrmemdup(p, s, len);
    }
    /* U+FFFD is 3 bytes, for each invalid byte. */
    out = apr_palloc(p, 3 * len + 1);
    memcpy(out, s, i);
    o = i;
    while (i < len) {
        apr_size_t n = fastexc_utf8_seq(u + i, len - i);
        if (n) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
        else {
            out[o++] = (char)0xEF;
            out[o++] = (char)0xBF;
            out[o++] = (char)0xBD;
            i++;
            bad = 1;
        }
    }
    out[o] = '\0';
    if (repaired) {
        *repaired = bad;
    }
    *outlen = o;
    return out;
}

char *fastexc_json_string(apr_pool_t *p, const char *text, apr_size_t len,
                          apr_size_t *out_len, int *repaired)
{
    /* jansson checks the UTF-8 itself: repaired (a copy) only if bad */
    json_t *s = json_stringn(text, len);
    apr_size_t size, guess;
    char *raw;

    if (repaired) {
        *repaired = 0;
    }
    if (!s) {
        apr_size_t tlen;
        const char *t = fastexc_utf8_repair(p, text, len, &tlen, repaired);
        s = json_stringn_nocheck(t, tlen);
        len = tlen;
        if (!s) {
            return NULL;
        }
    }
    /* at most \u00XX for each byte, the quotes and a NUL: one dump */
    guess = 6 * len + 3;
    raw = apr_palloc(p, guess);
    size = json_dumpb(s, raw, guess - 1, FASTEXC_DUMP_FLAGS);
    json_decref(s);
    if (size == 0 || size > guess - 1) {
        return NULL;
    }
    if (memchr(raw, '\\', size)) {
        /* an escape: Python writes \u00XX in lowercase */
        return fastexc_pythonize(p, raw, size, out_len);
    }
    raw[size] = '\0';
    *out_len = size;
    return raw;
}

char *fastexc_body_text(apr_pool_t *p, const char *text, apr_size_t len,
                        apr_size_t *body_len, int *repaired)
{
    apr_size_t dlen;
    char *d = fastexc_json_string(p, text, len, &dlen, repaired);

    if (!d) {
        /* Only an allocation failure inside jansson gets here. */
        d = "\"\"";
        dlen = 2;
    }
    return fastexc_wrap_detail(p, d, dlen, body_len);
}

/* A string member, repaired to valid UTF-8. */
static void fastexc_problem_string(apr_pool_t *p, json_t *o, const char *key,
                                   const char *value)
{
    apr_size_t len;

    value = fastexc_utf8_repair(p, value, strlen(value), &len, NULL);
    json_object_set_new(o, key, json_stringn_nocheck(value, len));
}

char *fastexc_problem_body(apr_pool_t *p, const char *body, apr_size_t blen,
                           const char *type, const char *title, int status,
                           const char *instance, apr_size_t *len)
{
    static const char *const own[] = { "type", "title", "status", "detail",
                                       "instance", NULL };
    apr_size_t dlen = 0;
    const char *d = fastexc_body_detail(body, blen, &dlen);
    json_t *detail, *o, *v;
    const char *key;
    char *out;
    int i;

    if (!d) {
        return NULL;
    }
    detail = json_loadb(d, dlen, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!detail) {
        return NULL;
    }
    /* RFC 9457's members first, in its order; then extensions, as given */
    o = json_object();
    for (i = 0; own[i]; i++) {
        const char *k = own[i];
        json_t *given = json_is_object(detail) ? json_object_get(detail, k)
                                               : NULL;
        if (strcmp(k, "status") == 0) {
            json_object_set_new(o, k, json_integer(status));
        }
        else if (given) {
            json_object_set(o, k, given);
        }
        else if (strcmp(k, "type") == 0) {
            fastexc_problem_string(p, o, k, type ? type : "about:blank");
        }
        else if (strcmp(k, "title") == 0 && title) {
            fastexc_problem_string(p, o, k, title);
        }
        else if (strcmp(k, "detail") == 0 && !json_is_object(detail)) {
            json_object_set(o, k, detail);
        }
        else if (strcmp(k, "instance") == 0 && instance) {
            fastexc_problem_string(p, o, k, instance);
        }
    }
    if (json_is_object(detail)) {
        json_object_foreach(detail, key, v) {
            if (!json_object_get(o, key)) {
                json_object_set(o, key, v);
            }
        }
    }
    json_decref(detail);
    out = fastexc_json_dump(p, o, len);
    json_decref(o);
    return out;
}
