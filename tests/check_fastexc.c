/*
 * check_fastexc.c - Check unit tests for mod_fastexc's pure logic.
 *
 * Every test is a loop over a table of labelled cases. Expected JSON bytes
 * were produced by Python 3.11's json.dumps(v, ensure_ascii=False,
 * allow_nan=False, separators=(",", ":")) and phrases by http.HTTPStatus, the
 * functions FastAPI uses; the conformance test (t/conformance.t) checks the
 * same against a live FastAPI.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_strings.h"
#include "fastexc_core.h"
#include "fastexc_ws.h"

static apr_pool_t *pool;

static void setup(void)
{
    apr_pool_create(&pool, NULL);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- phrases and statuses ---- */

static const struct {
    int status;
    const char *phrase; /* NULL: none */
    int has_body;
    int raisable;
} status_cases[] = {
    { 200, "OK", 1, 1 },
    { 204, "No Content", 0, 1 },
    { 205, "Reset Content", 0, 1 },
    { 301, "Moved Permanently", 1, 1 },
    { 304, "Not Modified", 0, 1 },
    { 404, "Not Found", 1, 1 },
    { 413, "Request Entity Too Large", 1, 1 },
    { 418, "I'm a Teapot", 1, 1 },
    { 422, "Unprocessable Entity", 1, 1 },
    { 425, "Too Early", 1, 1 },
    { 451, "Unavailable For Legal Reasons", 1, 1 },
    { 299, NULL, 1, 1 },
    { 499, NULL, 1, 1 },
    { 511, "Network Authentication Required", 1, 1 },
    { 599, NULL, 1, 1 },
    { 100, "Continue", 0, 0 },
    { 101, "Switching Protocols", 0, 0 },
    { 199, NULL, 0, 0 },
    { 600, NULL, 1, 0 },
    { 0, NULL, 0, 0 },
};

START_TEST(test_status)
{
    const char *phrase = fastexc_phrase(status_cases[_i].status);

    if (status_cases[_i].phrase) {
        ck_assert_msg(phrase && !strcmp(phrase, status_cases[_i].phrase),
                      "phrase of %d: %s", status_cases[_i].status,
                      phrase ? phrase : "(null)");
    }
    else {
        ck_assert_msg(phrase == NULL, "%d has no phrase",
                      status_cases[_i].status);
    }
    ck_assert_int_eq(fastexc_status_has_body(status_cases[_i].status),
                     status_cases[_i].has_body);
    ck_assert_int_eq(fastexc_status_check(status_cases[_i].status) == NULL,
                     status_cases[_i].raisable);
}
END_TEST

static const struct {
    const char *label, *in;
    int ok, status;
} parse_cases[] = {
    { "plain", "404", 1, 404 },
    { "teapot", "418", 1, 418 },
    { "leading zero", "099", 1, 99 },
    { "two digits", "40", 0, 0 },
    { "four digits", "4040", 0, 0 },
    { "sign", "+40", 0, 0 },
    { "letters", "abc", 0, 0 },
    { "empty", "", 0, 0 },
    { "trailing space", "404 ", 0, 0 },
};

START_TEST(test_status_parse)
{
    int status = 0;
    int rv = fastexc_status_parse(parse_cases[_i].in, &status);

    ck_assert_msg((rv == 0) == parse_cases[_i].ok, "%s", parse_cases[_i].label);
    if (parse_cases[_i].ok) {
        ck_assert_int_eq(status, parse_cases[_i].status);
    }
}
END_TEST

/* ---- Python float repr ---- */

static const struct {
    double v;
    const char *py;
} float_cases[] = {
    { 0.1, "0.1" },
    { 1.0, "1.0" },
    { -0.0, "-0.0" },
    { 0.0, "0.0" },
    { 1e+16, "1e+16" },
    { 1000000000000000.0, "1000000000000000.0" },
    { 1.2345678901234568e+17, "1.2345678901234568e+17" },
    { 0.0001, "0.0001" },
    { 1e-05, "1e-05" },
    { 1.5e-07, "1.5e-07" },
    { 1e+22, "1e+22" },
    { 5e-324, "5e-324" },
    { 1.7976931348623157e+308, "1.7976931348623157e+308" },
    { -2.5, "-2.5" },
    { 100.0, "100.0" },
    { 3.14159, "3.14159" },
    { 0.3333333333333333, "0.3333333333333333" },
    { 9007199254740992.0, "9007199254740992.0" },
    { 9.999999999999998e+15, "9999999999999998.0" },
    { 12345.678, "12345.678" },
};

START_TEST(test_py_float)
{
    char buf[40];

    ck_assert_int_eq(fastexc_py_float(float_cases[_i].v, buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, float_cases[_i].py);
}
END_TEST

START_TEST(test_py_float_refuses_nonfinite)
{
    char buf[40];
    double bad[] = { NAN, INFINITY, -INFINITY };

    ck_assert_int_eq(fastexc_py_float(bad[_i], buf, sizeof(buf)), -1);
    /* and a positive control: a finite value is accepted */
    ck_assert_int_eq(fastexc_py_float(2.0, buf, sizeof(buf)), 0);
}
END_TEST

/* ---- JSON rendering ---- */

static const struct {
    const char *label, *in, *py;
} dump_cases[] = {
    { "object keeps key order", "{\"z\":1,\"a\":2}", "{\"z\":1,\"a\":2}" },
    { "scalars", "{\"a\":1,\"b\":[true,false,null],\"c\":\"x\"}",
      "{\"a\":1,\"b\":[true,false,null],\"c\":\"x\"}" },
    { "control escapes lowercase",
      "\"tab\\tnl\\nctl\\u0001\\u001f del\\u007f\"",
      "\"tab\\tnl\\nctl\\u0001\\u001f del\x7f\"" },
    { "reals as python", "[0.1,1e16,-0.0,1E2]", "[0.1,1e+16,-0.0,100.0]" },
    { "reals trimmed", "[1.0,2.50,1e-05]", "[1.0,2.5,1e-05]" },
    { "raw utf-8", "\"\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80 \\u2028\"",
      "\"\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80 \xe2\x80\xa8\"" },
    { "quote, backslash, slash", "\"quote\\\" back\\\\ slash/\"",
      "\"quote\\\" back\\\\ slash/\"" },
    { "backslash before u", "\"\\\\u00AB\"", "\"\\\\u00AB\"" },
    { "integer", "123", "123" },
    { "negative zero integer", "-0", "0" },
    { "big integer", "9223372036854775807", "9223372036854775807" },
    { "null", "null", "null" },
    { "nested empties", "{\"nested\":{\"a\":[{\"b\":[]}],\"e\":{}}}",
      "{\"nested\":{\"a\":[{\"b\":[]}],\"e\":{}}}" },
    { "nul", "\"\\u0000\"", "\"\\u0000\"" },
    { "short escapes", "\"\\b\\f\\r\"", "\"\\b\\f\\r\"" },
    { "number-like string", "\"1e16\"", "\"1e16\"" },
};

START_TEST(test_json_dump)
{
    const char *err = NULL;
    apr_size_t len;
    json_t *v = fastexc_json_parse(pool, dump_cases[_i].in, &err);
    char *out;

    ck_assert_msg(v != NULL, "%s: %s", dump_cases[_i].label, err);
    out = fastexc_json_dump(pool, v, &len);
    json_decref(v);
    ck_assert_msg(out && !strcmp(out, dump_cases[_i].py), "%s: got %s",
                  dump_cases[_i].label, out);
    ck_assert_int_eq(len, strlen(dump_cases[_i].py));
}
END_TEST

static const struct {
    const char *label, *in, *err_part;
} bad_json_cases[] = {
    { "duplicate key", "{\"a\":1,\"a\":2}", "duplicate" },
    { "trailing bytes", "{} x", "end of file expected" },
    { "NaN", "NaN", "invalid token" },
    { "Infinity", "[Infinity]", "invalid token" },
    { "real overflow", "1e400", "overflow" },
    { "integer overflow", "99999999999999999999", "too big" },
    { "unterminated", "{\"a\":", "" },
    { "empty", "", "" },
    { "invalid utf-8", "\"\xff\"", "" },
    { "single quotes", "{'a':1}", "" },
};

START_TEST(test_json_parse_refuses)
{
    const char *err = NULL;
    json_t *v = fastexc_json_parse(pool, bad_json_cases[_i].in, &err);

    ck_assert_msg(v == NULL, "%s was accepted", bad_json_cases[_i].label);
    ck_assert_msg(err && strstr(err, bad_json_cases[_i].err_part),
                  "%s: error \"%s\"", bad_json_cases[_i].label, err);
    /* positive control: the same call accepts valid JSON */
    v = fastexc_json_parse(pool, "{\"a\":[1]}", &err);
    ck_assert_ptr_nonnull(v);
    json_decref(v);
}
END_TEST

static const struct {
    const char *label, *in;
    apr_size_t len;
    const char *body;
    int repaired;
} body_cases[] = {
    { "plain", "Item not found", 14, "{\"detail\":\"Item not found\"}", 0 },
    { "empty", "", 0, "{\"detail\":\"\"}", 0 },
    { "quote and backslash", "a\"b\\c", 5, "{\"detail\":\"a\\\"b\\\\c\"}", 0 },
    { "json injection", "\"},\"x\":{\"", 9,
      "{\"detail\":\"\\\"},\\\"x\\\":{\\\"\"}", 0 },
    { "crlf", "a\r\nb", 4, "{\"detail\":\"a\\r\\nb\"}", 0 },
    { "control", "\x01\x1f", 2, "{\"detail\":\"\\u0001\\u001f\"}", 0 },
    { "utf-8 kept raw", "caf\xc3\xa9", 5, "{\"detail\":\"caf\xc3\xa9\"}", 0 },
    { "invalid byte", "a\xffz", 3, "{\"detail\":\"a\xef\xbf\xbdz\"}", 1 },
    { "overlong", "\xc0\xaf", 2,
      "{\"detail\":\"\xef\xbf\xbd\xef\xbf\xbd\"}", 1 },
    { "surrogate", "\xed\xa0\x80", 3,
      "{\"detail\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}", 1 },
    { "truncated", "ab\xe2\x82", 4,
      "{\"detail\":\"ab\xef\xbf\xbd\xef\xbf\xbd\"}", 1 },
    { "embedded nul", "a\0b", 3, "{\"detail\":\"a\\u0000b\"}", 0 },
};

START_TEST(test_body_text)
{
    int repaired = -1;
    apr_size_t len;
    char *body = fastexc_body_text(pool, body_cases[_i].in,
                                   body_cases[_i].len, &len, &repaired);

    ck_assert_msg(!strcmp(body, body_cases[_i].body), "%s: got %s",
                  body_cases[_i].label, body);
    ck_assert_int_eq(len, strlen(body_cases[_i].body));
    ck_assert_int_eq(repaired, body_cases[_i].repaired);
}
END_TEST

/* The detail inside a body: the one reader of the body's layout (the log
 * line and Problem Details use it). */
static const struct {
    const char *label;
    const char *body;
    const char *detail;         /* NULL: not one of ours */
} body_detail_cases[] = {
    { "text", "{\"detail\":\"Not Found\"}", "\"Not Found\"" },
    { "object", "{\"detail\":{\"a\":[1]}}", "{\"a\":[1]}" },
    { "number", "{\"detail\":7}", "7" },
    { "another key", "{\"title\":\"x\"}", NULL },
    { "no closing brace", "{\"detail\":\"x\"", NULL },
    { "empty detail", "{\"detail\":}", NULL },
    { "empty", "", NULL },
};

START_TEST(test_body_detail)
{
    const char *b = body_detail_cases[_i].body;
    apr_size_t dlen = 0;
    const char *d = fastexc_body_detail(b, strlen(b), &dlen);

    if (!body_detail_cases[_i].detail) {
        ck_assert_msg(d == NULL, "%s: not ours", body_detail_cases[_i].label);
        return;
    }
    ck_assert_msg(d && dlen == strlen(body_detail_cases[_i].detail)
                  && memcmp(d, body_detail_cases[_i].detail, dlen) == 0,
                  "%s: detail", body_detail_cases[_i].label);
}
END_TEST

/* A body's detail as a WebSocket close reason. */
static const struct {
    const char *label;
    const char *body;
    apr_size_t max;
    const char *reason;
} body_reason_cases[] = {
    { "a string's text", "{\"detail\":\"Not \\\"here\\\"\"}", 123,
      "Not \"here\"" },
    { "an object's JSON", "{\"detail\":{\"a\":1}}", 123, "{\"a\":1}" },
    { "cut at a character", "{\"detail\":\"\xc3\xa4\xc3\xa4\"}", 3,
      "\xc3\xa4" },
    { "not ours", "{\"title\":\"x\"}", 123, "" },
};

START_TEST(test_body_reason)
{
    const char *b = body_reason_cases[_i].body;
    apr_size_t rlen = 99;
    const char *r = fastexc_body_reason(pool, b, strlen(b),
                                        body_reason_cases[_i].max, &rlen);

    ck_assert_msg(rlen == strlen(body_reason_cases[_i].reason)
                  && memcmp(r, body_reason_cases[_i].reason, rlen) == 0,
                  "%s: got %.*s", body_reason_cases[_i].label, (int)rlen, r);
}
END_TEST

START_TEST(test_body_json)
{
    const char *err;
    apr_size_t len;
    json_t *v = fastexc_json_parse(pool, "{\"loc\":[\"body\",0],\"x\":0.5}",
                                   &err);
    char *body = fastexc_body_json(pool, v, &len);

    json_decref(v);
    ck_assert_str_eq(body, "{\"detail\":{\"loc\":[\"body\",0],\"x\":0.5}}");
    ck_assert_int_eq(len, strlen(body));
}
END_TEST

/* ---- RFC 9457 Problem Details ---- */

static const struct {
    const char *label, *body, *type, *title;
    int status;
    const char *instance, *problem; /* problem NULL: refused */
} problem_cases[] = {
    { "text detail", "{\"detail\":\"Item not found\"}", NULL, "Not Found",
      404, "/items/42",
      "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
      "\"detail\":\"Item not found\",\"instance\":\"/items/42\"}" },
    { "object detail: extension members", "{\"detail\":{\"loc\":[\"body\"],"
      "\"msg\":\"x\"}}", "https://example.com/probs/invalid",
      "Unprocessable Entity", 422, "/v",
      "{\"type\":\"https://example.com/probs/invalid\","
      "\"title\":\"Unprocessable Entity\",\"status\":422,\"instance\":\"/v\","
      "\"loc\":[\"body\"],\"msg\":\"x\"}" },
    { "object detail: its own members win, not status",
      "{\"detail\":{\"title\":\"Out of credit\",\"detail\":\"d\",\"status\":999,"
      "\"balance\":30,\"instance\":\"/acct/1\"}}", NULL, "Forbidden", 403, "/x",
      "{\"type\":\"about:blank\",\"title\":\"Out of credit\",\"status\":403,"
      "\"detail\":\"d\",\"instance\":\"/acct/1\",\"balance\":30}" },
    { "array detail", "{\"detail\":[1,2.5]}", NULL, "Bad Request", 400, "/x",
      "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,"
      "\"detail\":[1,2.5],\"instance\":\"/x\"}" },
    { "instance escaped and repaired", "{\"detail\":null}", NULL, "Conflict",
      409, "/a\"\xff\x01",
      "{\"type\":\"about:blank\",\"title\":\"Conflict\",\"status\":409,"
      "\"detail\":null,\"instance\":\"/a\\\"\xef\xbf\xbd\\u0001\"}" },
    { "no title", "{\"detail\":\"custom\"}", NULL, NULL, 299, "/x",
      "{\"type\":\"about:blank\",\"status\":299,\"detail\":\"custom\","
      "\"instance\":\"/x\"}" },
    { "not a body of ours", "garbage", NULL, "x", 400, "/x", NULL },
    { "broken JSON", "{\"detail\":{}", NULL, "x", 400, "/x", NULL },
};

START_TEST(test_problem)
{
    apr_size_t len = 0;
    char *out = fastexc_problem_body(pool, problem_cases[_i].body,
                                     strlen(problem_cases[_i].body),
                                     problem_cases[_i].type,
                                     problem_cases[_i].title,
                                     problem_cases[_i].status,
                                     problem_cases[_i].instance, &len);

    if (!problem_cases[_i].problem) {
        ck_assert_msg(out == NULL, "%s: accepted", problem_cases[_i].label);
        return;
    }
    ck_assert_msg(out && !strcmp(out, problem_cases[_i].problem), "%s: got %s",
                  problem_cases[_i].label, out);
    ck_assert_int_eq(len, strlen(problem_cases[_i].problem));
}
END_TEST

/* ---- detail arguments and templates ---- */

static const struct {
    const char *label, *arg;
    fastexc_detail_kind_e kind;
    const char *payload;
} classify_cases[] = {
    { "dash", "-", FASTEXC_DETAIL_DEFAULT, NULL },
    { "text", "Not here", FASTEXC_DETAIL_TEXT, "Not here" },
    { "json", "json:{\"a\":1}", FASTEXC_DETAIL_JSON, "{\"a\":1}" },
    { "json string", "json:\"x\"", FASTEXC_DETAIL_JSON, "\"x\"" },
    { "text prefix", "text:json:{}", FASTEXC_DETAIL_TEXT, "json:{}" },
    { "text keeps %{", "text:%{X}", FASTEXC_DETAIL_TEXT, "%{X}" },
    { "template", "at %{REQUEST_URI}", FASTEXC_DETAIL_TEMPLATE,
      "at %{REQUEST_URI}" },
    { "percent alone", "100% sure", FASTEXC_DETAIL_TEXT, "100% sure" },
    { "dash in text", "-x", FASTEXC_DETAIL_TEXT, "-x" },
};

START_TEST(test_detail_classify)
{
    const char *payload = "unset";
    fastexc_detail_kind_e k = fastexc_detail_classify(classify_cases[_i].arg,
                                                      &payload);

    ck_assert_msg(k == classify_cases[_i].kind, "%s", classify_cases[_i].label);
    if (classify_cases[_i].payload) {
        ck_assert_str_eq(payload, classify_cases[_i].payload);
    }
    else {
        ck_assert_ptr_null(payload);
    }
}
END_TEST

static const struct {
    const char *label, *in;
    int ok;
    const char *segs; /* segments joined by '|', expressions marked with '@' */
} template_cases[] = {
    { "one expr", "%{REQUEST_URI}", 1, "@%{REQUEST_URI}" },
    { "text around", "at %{REQUEST_URI} now", 1, "at |@%{REQUEST_URI}| now" },
    { "two exprs", "%{A}%{HTTP:X-Id}", 1, "@%{A}|@%{HTTP:X-Id}" },
    { "nested", "x %{tolower:%{HTTP:X}} y", 1,
      "x |@%{tolower:%{HTTP:X}}| y" },
    { "backslashes kept", "a\\n %{A}", 1, "a\\n |@%{A}" },
    { "unterminated", "at %{REQUEST_URI", 0, NULL },
    { "unbalanced nested", "%{a:%{b}", 0, NULL },
    { "empty", "x %{}", 0, NULL },
};

START_TEST(test_template_split)
{
    apr_array_header_t *segs = NULL;
    const char *err = fastexc_template_split(pool, template_cases[_i].in,
                                             &segs);

    if (!template_cases[_i].ok) {
        ck_assert_msg(err != NULL, "%s accepted", template_cases[_i].label);
        return;
    }
    ck_assert_msg(err == NULL, "%s: %s", template_cases[_i].label, err);
    {
        const fastexc_segment_t *s = (const fastexc_segment_t *)segs->elts;
        char *joined = "";
        int i;
        for (i = 0; i < segs->nelts; i++) {
            joined = apr_pstrcat(pool, joined, i ? "|" : "",
                                 s[i].is_expr ? "@" : "", s[i].text, NULL);
        }
        ck_assert_str_eq(joined, template_cases[_i].segs);
    }
}
END_TEST

/* ---- headers ---- */

static const struct {
    const char *label, *arg;
    int ok;
    const char *name, *value; /* or, when !ok, part of the error */
} header_cases[] = {
    { "simple", "X-Tea: green", 1, "X-Tea", "green" },
    { "no space", "X-A:b", 1, "X-A", "b" },
    { "trim", "X-A:   b c  ", 1, "X-A", "b c" },
    { "empty value", "X-A:", 1, "X-A", "" },
    { "colon in value", "Location: http://h/x", 1, "Location",
      "http://h/x" },
    { "content type", "Content-Type: text/plain", 1, "Content-Type",
      "text/plain" },
    { "utf-8 value", "X-A: caf\xc3\xa9", 1, "X-A", "caf\xc3\xa9" },
    { "no colon", "X-A green", 0, NULL, "not a header" },
    { "empty name", ": x", 0, NULL, "not a header" },
    { "space in name", "X A: b", 0, NULL, "not a valid header name" },
    { "cr in value", "X-A: b\rc", 0, NULL, "control" },
    { "lf in value", "X-A: b\nSet-Cookie: x", 0, NULL, "control" },
    { "nul-free ctl", "X-A: \x01", 0, NULL, "control" },
    { "content-length", "Content-Length: 5", 0, NULL, "computed by httpd" },
    { "transfer-encoding", "transfer-encoding: chunked", 0, NULL,
      "computed by httpd" },
};

START_TEST(test_header_parse)
{
    const char *name = NULL, *value = NULL;
    const char *err = fastexc_header_parse(pool, header_cases[_i].arg, &name,
                                           &value);

    if (header_cases[_i].ok) {
        ck_assert_msg(err == NULL, "%s: %s", header_cases[_i].label, err);
        ck_assert_str_eq(name, header_cases[_i].name);
        ck_assert_str_eq(value, header_cases[_i].value);
    }
    else {
        ck_assert_msg(err && strstr(err, header_cases[_i].value),
                      "%s: error \"%s\"", header_cases[_i].label, err);
    }
}
END_TEST

static const struct {
    const char *label, *in, *out;
    int changed;
} clean_cases[] = {
    { "clean", "abc", "abc", 0 },
    { "tab kept", "a\tb", "a\tb", 0 },
    { "crlf injection", "x\r\nSet-Cookie: a=b", "x  Set-Cookie: a=b", 1 },
    { "trailing lf", "abc\n", "abc", 1 },
    { "leading cr", "\rabc", "abc", 1 },
    { "del", "a\x7f" "b", "a b", 1 },
};

START_TEST(test_header_value_clean)
{
    int changed = -1;
    const char *out = fastexc_header_value_clean(pool, clean_cases[_i].in,
                                                 &changed);

    ck_assert_str_eq(out, clean_cases[_i].out);
    ck_assert_int_eq(changed, clean_cases[_i].changed);
    ck_assert(fastexc_header_value_ok(out));
}
END_TEST

static const struct {
    const char *name;
    int ok;
} name_cases[] = {
    { "X-Tea", 1 }, { "x_y.z~1!", 1 }, { "", 0 }, { "X Y", 0 },
    { "X:Y", 0 }, { "X\"", 0 }, { "\xc3\xa9", 0 }, { "X(", 0 },
};

START_TEST(test_header_name)
{
    ck_assert_int_eq(fastexc_header_name_ok(name_cases[_i].name),
                     name_cases[_i].ok);
}
END_TEST


/* ---- WebSocket ---- */

static const struct {
    int code;
    int ok;
} code_cases[] = {
    { 1000, 1 }, { 1001, 1 }, { 1003, 1 }, { 1004, 0 }, { 1005, 0 },
    { 1006, 0 }, { 1007, 1 }, { 1011, 1 }, { 1013, 1 }, { 1014, 1 },
    { 1015, 0 }, { 1016, 0 }, { 2999, 0 }, { 3000, 1 }, { 4000, 1 },
    { 4999, 1 }, { 5000, 0 }, { 999, 0 }, { 0, 0 }, { -1, 0 },
};

START_TEST(test_ws_code)
{
    ck_assert_msg((fastexc_ws_code_check(code_cases[_i].code) == NULL)
                  == code_cases[_i].ok, "code %d", code_cases[_i].code);
}
END_TEST

static const struct {
    const char *label, *key, *accept; /* accept NULL: key refused */
} key_cases[] = {
    { "RFC 6455 sample", "dGhlIHNhbXBsZSBub25jZQ==",
      "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" },
    { "all zero bytes", "AAAAAAAAAAAAAAAAAAAAAA==",
      "ICX+Yqv66kxgM0FcWaLWlFLwTAI=" },
    { "too short", "dGhlIHNhbXBsZQ==", NULL },
    { "no padding", "dGhlIHNhbXBsZSBub25jZQ", NULL },
    { "bad character", "dGhlIHNhbXBsZSBub25j*Q==", NULL },
    { "17 bytes", "dGhlIHNhbXBsZSBub25jZR==", NULL },
    { "empty", "", NULL },
    { "crlf", "dGhlIHNhbXBsZSBub25j\r\nQ==", NULL },
};

START_TEST(test_ws_key)
{
    const char *err = fastexc_ws_key_check(key_cases[_i].key);

    if (!key_cases[_i].accept) {
        ck_assert_msg(err != NULL, "%s accepted", key_cases[_i].label);
    }
    else {
        char accept[FASTEXC_WS_ACCEPT_LEN + 1];
        ck_assert_msg(err == NULL, "%s: %s", key_cases[_i].label, err);
        fastexc_ws_accept(key_cases[_i].key, accept);
        ck_assert_str_eq(accept, key_cases[_i].accept);
    }
}
END_TEST

static const struct {
    const char *label;
    int code;
    const char *reason;
    apr_size_t len;
    const char *frame;
    apr_size_t flen;
} frame_cases[] = {
    { "no reason", 1000, "", 0, "\x88\x02\x03\xe8", 4 },
    { "reason", 1008, "Policy", 6, "\x88\x08\x03\xf0Policy", 10 },
    { "application code", 4001, "x", 1, "\x88\x03\x0f\xa1x", 5 },
    { "utf-8 reason", 1011, "\xc3\xa9", 2, "\x88\x04\x03\xf3\xc3\xa9", 6 },
};

START_TEST(test_ws_close_frame)
{
    unsigned char buf[FASTEXC_WS_CLOSE_FRAME_MAX];
    apr_size_t n = fastexc_ws_close_frame(buf, frame_cases[_i].code,
                                          frame_cases[_i].reason,
                                          frame_cases[_i].len);

    ck_assert_int_eq(n, frame_cases[_i].flen);
    ck_assert_msg(memcmp(buf, frame_cases[_i].frame, n) == 0, "%s",
                  frame_cases[_i].label);
}
END_TEST

START_TEST(test_ws_close_frame_max)
{
    unsigned char buf[FASTEXC_WS_CLOSE_FRAME_MAX];
    char reason[200];
    apr_size_t n;

    memset(reason, 'r', sizeof(reason));
    n = fastexc_ws_close_frame(buf, 1000, reason, 123);
    ck_assert_int_eq(n, 127);
    ck_assert_int_eq(buf[1], 125);
    /* longer reasons are capped, never overflowing a control frame */
    n = fastexc_ws_close_frame(buf, 1000, reason, 200);
    ck_assert_int_eq(n, 127);
}
END_TEST

static const struct {
    const char *label, *s;
    apr_size_t max, cut;
    int valid;
} cut_cases[] = {
    { "short", "abc", 10, 3, 1 },
    { "exact", "abc", 3, 3, 1 },
    { "ascii cut", "abcdef", 4, 4, 1 },
    { "before 2-byte char", "ab\xc3\xa9", 3, 2, 1 },
    { "after 2-byte char", "ab\xc3\xa9z", 4, 4, 1 },
    { "inside 3-byte char", "a\xe2\x82\xac", 3, 1, 1 },
    { "inside 4-byte char", "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 6, 4, 1 },
    { "zero", "\xc3\xa9", 0, 0, 1 },
    { "invalid bytes", "a\xff", 5, 2, 0 },
    { "lone continuation", "\x80", 5, 1, 0 },
};

START_TEST(test_utf8_cut)
{
    apr_size_t len = strlen(cut_cases[_i].s);

    ck_assert_msg(fastexc_utf8_cut(cut_cases[_i].s, len, cut_cases[_i].max)
                  == cut_cases[_i].cut, "%s", cut_cases[_i].label);
    ck_assert_int_eq(fastexc_utf8_valid(cut_cases[_i].s, len),
                     cut_cases[_i].valid);
}
END_TEST

/* Build a client frame: masked unless told, with the header bits given. */
static apr_size_t client_frame(unsigned char *out, int b0, int masked,
                               const unsigned char *payload, apr_size_t len)
{
    static const unsigned char mask[4] = { 0x11, 0x22, 0x33, 0x44 };
    apr_size_t n = 0, i;

    out[n++] = (unsigned char)b0;
    if (len < 126) {
        out[n++] = (unsigned char)((masked ? 0x80 : 0) | len);
    }
    else {
        out[n++] = (unsigned char)((masked ? 0x80 : 0) | 126);
        out[n++] = (unsigned char)(len >> 8);
        out[n++] = (unsigned char)(len & 0xFF);
    }
    if (masked) {
        memcpy(out + n, mask, 4);
        n += 4;
    }
    for (i = 0; i < len; i++) {
        out[n++] = masked ? payload[i] ^ mask[i % 4] : payload[i];
    }
    return n;
}

enum { F_CLOSE_1000, F_CLOSE_EMPTY, F_TEXT, F_BIG_BINARY, F_PING, F_UNMASKED,
       F_RSV, F_OPCODE3, F_LONG_PING, F_FRAG_CLOSE, F_CLOSE_1BYTE,
       F_HEADER_ONLY, F_HTTP, F_HUGE64 };

static const struct {
    const char *label;
    int frames[3];          /* built in order; -1 ends */
    apr_size_t chunk;       /* bytes fed at a time */
    fastexc_ws_state_e state;
    int code;
} reader_cases[] = {
    { "close 1000", { F_CLOSE_1000, -1 }, 1000, FASTEXC_WS_CLOSED, 1000 },
    { "close 1000 byte by byte", { F_CLOSE_1000, -1 }, 1,
      FASTEXC_WS_CLOSED, 1000 },
    { "close without code", { F_CLOSE_EMPTY, -1 }, 1000, FASTEXC_WS_CLOSED,
      1005 },
    { "data then close", { F_TEXT, F_PING, F_CLOSE_1000 }, 1000,
      FASTEXC_WS_CLOSED, 1000 },
    { "300-byte frame then close, 7 at a time",
      { F_BIG_BINARY, F_CLOSE_1000, -1 }, 7, FASTEXC_WS_CLOSED, 1000 },
    { "data only", { F_TEXT, -1 }, 1000, FASTEXC_WS_MORE, 1005 },
    { "close header only", { F_HEADER_ONLY, -1 }, 1000, FASTEXC_WS_MORE,
      1005 },
    { "unmasked", { F_UNMASKED, -1 }, 1000, FASTEXC_WS_INVALID, 1005 },
    { "reserved bit", { F_RSV, -1 }, 1000, FASTEXC_WS_INVALID, 1005 },
    { "reserved opcode", { F_OPCODE3, -1 }, 1000, FASTEXC_WS_INVALID, 1005 },
    { "control frame over 125", { F_LONG_PING, -1 }, 1000,
      FASTEXC_WS_INVALID, 1005 },
    { "fragmented close", { F_FRAG_CLOSE, -1 }, 1000, FASTEXC_WS_INVALID,
      1005 },
    { "close with 1-byte payload", { F_CLOSE_1BYTE, -1 }, 1000,
      FASTEXC_WS_INVALID, 1005 },
    { "HTTP instead of frames", { F_HTTP, -1 }, 1000, FASTEXC_WS_INVALID,
      1005 },
    { "64-bit length with the top bit", { F_HUGE64, -1 }, 1000,
      FASTEXC_WS_INVALID, 1005 },
};

static apr_size_t build(unsigned char *out, int which)
{
    static const unsigned char close1000[] = { 0x03, 0xe8, 'b', 'y', 'e' };
    static const unsigned char text[] = "hello";
    unsigned char big[300];

    memset(big, 'x', sizeof(big));
    switch (which) {
    case F_CLOSE_1000:  return client_frame(out, 0x88, 1, close1000, 5);
    case F_CLOSE_EMPTY: return client_frame(out, 0x88, 1, NULL, 0);
    case F_TEXT:        return client_frame(out, 0x81, 1, text, 5);
    case F_BIG_BINARY:  return client_frame(out, 0x82, 1, big, 300);
    case F_PING:        return client_frame(out, 0x89, 1, text, 5);
    case F_UNMASKED:    return client_frame(out, 0x81, 0, text, 5);
    case F_RSV:         return client_frame(out, 0xC1, 1, text, 5);
    case F_OPCODE3:     return client_frame(out, 0x83, 1, text, 5);
    case F_LONG_PING:   return client_frame(out, 0x89, 1, big, 126);
    case F_FRAG_CLOSE:  return client_frame(out, 0x08, 1, close1000, 2);
    case F_CLOSE_1BYTE: return client_frame(out, 0x88, 1, close1000, 1);
    case F_HEADER_ONLY: return client_frame(out, 0x88, 1, close1000, 5) - 5;
    case F_HTTP:        memcpy(out, "GET / HTTP/1.1\r\n", 16); return 16;
    case F_HUGE64: {
        static const unsigned char h[] = { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0,
                                           0, 1, 1, 2, 3, 4 };
        memcpy(out, h, sizeof(h));
        return sizeof(h);
    }
    }
    return 0;
}

/* Feed buf to a reader chunk bytes at a time; its last state. */
static fastexc_ws_state_e feed_chunks(fastexc_ws_reader_t *rd,
                                      const unsigned char *buf, apr_size_t n,
                                      apr_size_t chunk)
{
    fastexc_ws_state_e st = rd->state;
    apr_size_t off;

    for (off = 0; off < n; off += chunk) {
        st = fastexc_ws_reader_feed(rd, buf + off,
                                    n - off < chunk ? n - off : chunk);
    }
    return st;
}

START_TEST(test_ws_reader)
{
    unsigned char buf[2048];
    apr_size_t n = 0;
    fastexc_ws_reader_t rd;
    fastexc_ws_state_e st;
    int k;

    for (k = 0; k < 3 && reader_cases[_i].frames[k] >= 0; k++) {
        n += build(buf + n, reader_cases[_i].frames[k]);
    }
    fastexc_ws_reader_init(&rd);
    st = feed_chunks(&rd, buf, n, reader_cases[_i].chunk);
    ck_assert_msg(st == reader_cases[_i].state, "%s: state %d",
                  reader_cases[_i].label, st);
    ck_assert_int_eq(rd.close_code, reader_cases[_i].code);
}
END_TEST

/* A tracker follows tunnelled frames either way: where they end, and
 * whether a Close went by. */
enum { T_S_TEXT, T_S_DEFLATE, T_S_BIG, T_S_CLOSE, T_S_CLOSE_NOCODE,
       T_S_PARTIAL, T_S_HEAD_BYTE, T_S_OPCODE3, T_S_FRAG, T_C_TEXT,
       T_C_CLOSE, T_S_HUGE64, T_S_LONG_CLOSE };

static const struct {
    const char *label;
    int frames[4];          /* built in order; -1 ends */
    apr_size_t chunk;       /* bytes fed at a time */
    fastexc_ws_state_e state;
    int boundary;           /* at a frame boundary afterwards */
    int code;
} tracker_cases[] = {
    { "server text", { T_S_TEXT, -1 }, 1000, FASTEXC_WS_MORE, 1, 1005 },
    { "server text byte by byte", { T_S_TEXT, T_S_TEXT, -1 }, 1,
      FASTEXC_WS_MORE, 1, 1005 },
    { "permessage-deflate frame (RSV1)", { T_S_DEFLATE, -1 }, 1000,
      FASTEXC_WS_MORE, 1, 1005 },
    { "300-byte frame, 7 at a time", { T_S_BIG, T_S_TEXT, -1 }, 7,
      FASTEXC_WS_MORE, 1, 1005 },
    { "unknown opcode followed", { T_S_OPCODE3, -1 }, 1000,
      FASTEXC_WS_MORE, 1, 1005 },
    { "fragments", { T_S_FRAG, T_S_FRAG, -1 }, 3, FASTEXC_WS_MORE, 1,
      1005 },
    { "frame cut short", { T_S_TEXT, T_S_PARTIAL, -1 }, 1000,
      FASTEXC_WS_MORE, 0, 1005 },
    { "first header byte only", { T_S_TEXT, T_S_HEAD_BYTE, -1 }, 1000,
      FASTEXC_WS_MORE, 0, 1005 },
    { "server close 1011", { T_S_TEXT, T_S_CLOSE, -1 }, 1000,
      FASTEXC_WS_CLOSED, 0, 1011 },
    { "server close 1011 byte by byte", { T_S_CLOSE, -1 }, 1,
      FASTEXC_WS_CLOSED, 0, 1011 },
    { "server close without code", { T_S_CLOSE_NOCODE, -1 }, 1000,
      FASTEXC_WS_CLOSED, 0, 1005 },
    { "frames after a close change nothing", { T_S_CLOSE, T_S_TEXT, -1 },
      1000, FASTEXC_WS_CLOSED, 0, 1011 },
    { "client frames (masked)", { T_C_TEXT, T_C_TEXT, -1 }, 5,
      FASTEXC_WS_MORE, 1, 1005 },
    { "client close (masked)", { T_C_TEXT, T_C_CLOSE, -1 }, 4,
      FASTEXC_WS_CLOSED, 0, 1000 },
    { "64-bit length with the top bit", { T_S_HUGE64, -1 }, 1000,
      FASTEXC_WS_INVALID, 0, 1005 },
    { "close longer than 125", { T_S_LONG_CLOSE, -1 }, 1000,
      FASTEXC_WS_INVALID, 0, 1005 },
};

static apr_size_t tracker_build(unsigned char *out, int which)
{
    static const unsigned char code1011[] = { 0x03, 0xf3, 'g', 'o', 'n',
                                               'e' };
    static const unsigned char code1000[] = { 0x03, 0xe8 };
    static const unsigned char text[] = "hello";
    unsigned char big[300];

    memset(big, 'x', sizeof(big));
    switch (which) {
    case T_S_TEXT:        return client_frame(out, 0x81, 0, text, 5);
    case T_S_DEFLATE:     return client_frame(out, 0xC1, 0, text, 5);
    case T_S_BIG:         return client_frame(out, 0x82, 0, big, 300);
    case T_S_CLOSE:       return client_frame(out, 0x88, 0, code1011, 6);
    case T_S_CLOSE_NOCODE: return client_frame(out, 0x88, 0, NULL, 0);
    case T_S_PARTIAL:     return client_frame(out, 0x81, 0, text, 5) - 2;
    case T_S_HEAD_BYTE:   out[0] = 0x81; return 1;
    case T_S_OPCODE3:     return client_frame(out, 0x83, 0, text, 5);
    case T_S_FRAG:        return client_frame(out, 0x01, 0, text, 5);
    case T_C_TEXT:        return client_frame(out, 0x81, 1, text, 5);
    case T_C_CLOSE:       return client_frame(out, 0x88, 1, code1000, 2);
    case T_S_LONG_CLOSE:  return client_frame(out, 0x88, 0, big, 200);
    case T_S_HUGE64: {
        static const unsigned char h[] = { 0x82, 0x7F, 0x80, 0, 0, 0, 0, 0,
                                           0, 1 };
        memcpy(out, h, sizeof(h));
        return sizeof(h);
    }
    }
    return 0;
}

START_TEST(test_ws_tracker)
{
    unsigned char buf[2048];
    apr_size_t n = 0;
    fastexc_ws_reader_t rd;
    fastexc_ws_state_e st;
    int k;

    for (k = 0; k < 4 && tracker_cases[_i].frames[k] >= 0; k++) {
        n += tracker_build(buf + n, tracker_cases[_i].frames[k]);
    }
    fastexc_ws_tracker_init(&rd);
    ck_assert_int_eq(fastexc_ws_reader_at_boundary(&rd), 1);
    st = feed_chunks(&rd, buf, n, tracker_cases[_i].chunk);
    ck_assert_msg(st == tracker_cases[_i].state, "%s: state %d",
                  tracker_cases[_i].label, st);
    ck_assert_msg(fastexc_ws_reader_at_boundary(&rd)
                  == tracker_cases[_i].boundary, "%s: boundary",
                  tracker_cases[_i].label);
    ck_assert_int_eq(rd.close_code, tracker_cases[_i].code);
}
END_TEST

/* Payloads can be passed over unread: the tunnel's buckets are never read
 * past a frame header. */
START_TEST(test_ws_tracker_skip)
{
    fastexc_ws_reader_t rd;
    static const unsigned char head[] = { 0x82, 0x7E, 0x01, 0x2C };  /* 300 */
    static const unsigned char close[] = { 0x88, 0x02, 0x03, 0xe8 };

    fastexc_ws_tracker_init(&rd);
    ck_assert(fastexc_ws_reader_skippable(&rd) == 0);
    fastexc_ws_reader_feed(&rd, head, sizeof(head));
    ck_assert(fastexc_ws_reader_skippable(&rd) == 300);
    ck_assert_int_eq(fastexc_ws_reader_at_boundary(&rd), 0);
    ck_assert_int_eq(fastexc_ws_reader_skip(&rd, 301), 0);   /* too much */
    ck_assert(fastexc_ws_reader_skippable(&rd) == 300);
    ck_assert_int_eq(fastexc_ws_reader_skip(&rd, 100), 1);
    ck_assert(fastexc_ws_reader_skippable(&rd) == 200);
    ck_assert_int_eq(fastexc_ws_reader_skip(&rd, 200), 1);
    ck_assert_int_eq(fastexc_ws_reader_at_boundary(&rd), 1);
    /* a Close's payload is read, never skipped */
    fastexc_ws_reader_feed(&rd, close, 2);
    ck_assert(fastexc_ws_reader_skippable(&rd) == 0);
    fastexc_ws_reader_feed(&rd, close + 2, 2);
    ck_assert_int_eq(rd.state, FASTEXC_WS_CLOSED);
    ck_assert_int_eq(rd.close_code, 1000);
}
END_TEST

/* Passing over 0 bytes changes nothing, even inside a frame header (a
 * zero-length bucket in a tunnel once reset a header in part). */
START_TEST(test_ws_tracker_skip_zero)
{
    fastexc_ws_reader_t rd;
    static const unsigned char frames[] = { 0x81, 0x02, 'h', 'i',
                                            0x88, 0x02, 0x03, 0xe8 };

    fastexc_ws_tracker_init(&rd);
    ck_assert_int_eq(fastexc_ws_reader_skip(&rd, 0), 1);
    ck_assert_int_eq(fastexc_ws_reader_at_boundary(&rd), 1);
    fastexc_ws_reader_feed(&rd, frames, 1);             /* half a header */
    ck_assert_int_eq(fastexc_ws_reader_skip(&rd, 0), 1);
    ck_assert_int_eq(fastexc_ws_reader_at_boundary(&rd), 0);
    fastexc_ws_reader_feed(&rd, frames + 1, 3);         /* its end */
    ck_assert_int_eq(fastexc_ws_reader_at_boundary(&rd), 1);
    fastexc_ws_reader_feed(&rd, frames + 4, 4);
    ck_assert_int_eq(rd.state, FASTEXC_WS_CLOSED);
}
END_TEST

/* fastexc_ws_reader_feed_frame() stops where each frame ends: every
 * boundary in a buffer is found, whatever the pieces it comes in. */
static const struct {
    const char *label;
    const char *bytes;
    apr_size_t len;
    apr_size_t chunk;           /* fed at most this many at a time */
    apr_size_t ends[6];         /* offsets where a frame ends; 0 ends */
} frame_end_cases[] = {
    { "two small frames", "\x81\x02hi\x82\x01x", 7, 100, { 4, 7 } },
    { "byte by byte", "\x81\x02hi\x82\x01x", 7, 1, { 4, 7 } },
    { "empty frames", "\x89\x00\x8a\x00\x81\x00", 6, 100, { 2, 4, 6 } },
    { "16-bit length", "\x82\x7e\x00\x03" "abc\x81\x00", 9, 100, { 7, 9 } },
    { "16-bit length in threes", "\x82\x7e\x00\x03" "abc\x81\x00", 9, 3,
      { 7, 9 } },
    { "masked client frame", "\x81\x82mask\x05\x0d\x81\x00", 10, 100,
      { 8, 10 } },
    { "frame not finished", "\x81\x05he", 4, 100, { 0 } },
    { "header not finished", "\x81\x02hi\x82", 5, 100, { 4 } },
};

START_TEST(test_ws_feed_frame)
{
    fastexc_ws_reader_t rd;
    const unsigned char *b = (const unsigned char *)frame_end_cases[_i].bytes;
    apr_size_t off = 0, n_ends = 0;

    fastexc_ws_tracker_init(&rd);
    while (off < frame_end_cases[_i].len) {
        apr_size_t left = frame_end_cases[_i].len - off;
        apr_size_t chunk = left < frame_end_cases[_i].chunk
            ? left : frame_end_cases[_i].chunk;
        apr_size_t n = fastexc_ws_reader_feed_frame(&rd, b + off, chunk);
        ck_assert_msg(n > 0 && n <= chunk, "%s: took %lu of %lu",
                      frame_end_cases[_i].label, (unsigned long)n,
                      (unsigned long)chunk);
        off += n;
        if (fastexc_ws_reader_at_boundary(&rd)) {
            ck_assert_msg(off == frame_end_cases[_i].ends[n_ends],
                          "%s: frame end %lu at %lu",
                          frame_end_cases[_i].label, (unsigned long)n_ends,
                          (unsigned long)off);
            n_ends++;
        }
        else {
            /* between boundaries only at the end of a piece */
            ck_assert_msg(n == chunk, "%s: stopped inside a frame at %lu",
                          frame_end_cases[_i].label, (unsigned long)off);
        }
    }
    ck_assert_msg(frame_end_cases[_i].ends[n_ends] == 0,
                  "%s: a frame end missed", frame_end_cases[_i].label);
}
END_TEST

static Suite *fastexc_suite(void)
{
    Suite *s = suite_create("fastexc");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_status, 0, N(status_cases));
    tcase_add_loop_test(tc, test_status_parse, 0, N(parse_cases));
    tcase_add_loop_test(tc, test_py_float, 0, N(float_cases));
    tcase_add_loop_test(tc, test_py_float_refuses_nonfinite, 0, 3);
    tcase_add_loop_test(tc, test_json_dump, 0, N(dump_cases));
    tcase_add_loop_test(tc, test_json_parse_refuses, 0, N(bad_json_cases));
    tcase_add_loop_test(tc, test_body_text, 0, N(body_cases));
    tcase_add_test(tc, test_body_json);
    tcase_add_loop_test(tc, test_body_detail, 0, N(body_detail_cases));
    tcase_add_loop_test(tc, test_body_reason, 0, N(body_reason_cases));
    tcase_add_loop_test(tc, test_problem, 0, N(problem_cases));
    tcase_add_loop_test(tc, test_detail_classify, 0, N(classify_cases));
    tcase_add_loop_test(tc, test_template_split, 0, N(template_cases));
    tcase_add_loop_test(tc, test_header_parse, 0, N(header_cases));
    tcase_add_loop_test(tc, test_header_value_clean, 0, N(clean_cases));
    tcase_add_loop_test(tc, test_header_name, 0, N(name_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("websocket");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_ws_code, 0, N(code_cases));
    tcase_add_loop_test(tc, test_ws_key, 0, N(key_cases));
    tcase_add_loop_test(tc, test_ws_close_frame, 0, N(frame_cases));
    tcase_add_test(tc, test_ws_close_frame_max);
    tcase_add_loop_test(tc, test_utf8_cut, 0, N(cut_cases));
    tcase_add_loop_test(tc, test_ws_reader, 0, N(reader_cases));
    tcase_add_loop_test(tc, test_ws_tracker, 0, N(tracker_cases));
    tcase_add_test(tc, test_ws_tracker_skip);
    tcase_add_test(tc, test_ws_tracker_skip_zero);
    tcase_add_loop_test(tc, test_ws_feed_frame, 0, N(frame_end_cases));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(fastexc_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
