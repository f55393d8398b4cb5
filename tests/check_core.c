/*
 * check_core.c - Check tests of the HTTP side of the pure logic: phrases and
 * statuses, Python's float repr, JSON bodies, Problem Details, detail
 * arguments and templates, headers. (check_fastexc.c runs them.)
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_strings.h"
#include "check_fastexc.h"
#include "fastexc_core.h"
#include "fastexc_ws.h"

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

TCase *check_core_tcase(void)
{
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, check_setup, check_teardown);
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
    return tc;
}
