/*
 * check_envelope.c - Check tests of FastExcFormat template: templates
 * compiled (and refused), envelopes rendered with typed values, absent
 * values as null or left out, hostile values, the W3C traceparent.
 * (check_fastexc.c runs them.)
 */
#include <check.h>
#include <string.h>

#include "apr_strings.h"
#include "check_fastexc.h"
#include "fastexc_core.h"
#include "fastexc_envelope.h"

/* The ap_expr stand-ins: "%{X:name}" evaluates to the value the case
 * gives for name ("-" for absent); "%{bad}" does not compile. */
typedef struct {
    const char *values[4][2];
} check_envelope_exprs_t;

static const char *check_envelope_compile(void *ctx, const char *text,
                                          const void **expr)
{
    if (strcmp(text, "%{bad}") == 0) {
        return "unknown variable";
    }
    *expr = text;
    return NULL;
}

static const char *check_envelope_eval(void *ctx, const void *expr)
{
    const check_envelope_exprs_t *x = ctx;
    const char *name = (const char *)expr + 4;     /* after %{X: */
    int i;

    for (i = 0; i < 4 && x->values[i][0]; i++) {
        if (strncmp(name, x->values[i][0], strlen(x->values[i][0])) == 0
            && name[strlen(x->values[i][0])] == '}') {
            return strcmp(x->values[i][1], "-") ? x->values[i][1] : NULL;
        }
    }
    return NULL;
}



static const struct {
    const char *label;
    const char *tmpl;
    int omit;
    int status;
    const char *detail;         /* JSON */
    const char *title;
    const char *traceparent;
    check_envelope_exprs_t exprs;
    const char *want;
    int repaired;
} render_cases[] = {
    { "the issue's envelope",
      "{\"error\":{\"code\":\"%{status}\",\"message\":\"%{detail}\","
      "\"title\":\"%{title}\",\"request_id\":\"%{X:id}\","
      "\"trace\":\"%{trace_id}\"}}", 0, 404, "\"Item not found\"",
      "Not Found", NULL, { { { "id", "Zx9-ab" } } },
      "{\"error\":{\"code\":404,\"message\":\"Item not found\",\"title\":"
      "\"Not Found\",\"request_id\":\"Zx9-ab\",\"trace\":null}}", 0 },
    { "the trace-id and parent-id of a traceparent",
      "{\"t\":\"%{trace_id}\",\"p\":\"%{parent_id}\"}", 0, 500, "\"x\"",
      NULL, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      { { { NULL } } },
      "{\"t\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"p\":\"00f067aa0ba902b7\"}",
      0 },
    { "an object detail keeps its type",
      "{\"e\":\"%{detail}\"}", 0, 422, "{\"loc\":[\"body\"],\"n\":0.5}",
      NULL, NULL, { { { NULL } } },
      "{\"e\":{\"loc\":[\"body\"],\"n\":0.5}}", 0 },
    { "a number, a list, null and true details keep theirs",
      "{\"a\":\"%{detail}\",\"b\":[\"%{detail}\",\"%{status}\"]}", 0, 400,
      "[1,null,true]", NULL, NULL, { { { NULL } } },
      "{\"a\":[1,null,true],\"b\":[[1,null,true],400]}", 0 },
    { "absent values are null by default",
      "{\"id\":\"%{X:id}\",\"title\":\"%{title}\",\"k\":1}", 0, 299,
      "\"x\"", NULL, NULL, { { { "id", "-" } } },
      "{\"id\":null,\"title\":null,\"k\":1}", 0 },
    { "absent values left out with omit (commas follow)",
      "{\"id\":\"%{X:id}\",\"k\":1,\"t\":\"%{title}\",\"z\":\"%{X:z}\"}", 1,
      299, "\"x\"", NULL, NULL, { { { "id", "-" }, { "z", "-" } } },
      "{\"k\":1}", 0 },
    { "omit: a first member left out, the next without a comma",
      "{\"id\":\"%{X:id}\",\"k\":\"%{status}\"}", 1, 503, "\"x\"", NULL,
      NULL, { { { "id", "" } } }, "{\"k\":503}", 0 },
    { "an array keeps its places: null even with omit",
      "{\"a\":[\"%{X:id}\",2]}", 1, 400, "\"x\"", NULL, NULL,
      { { { "id", "-" } } }, "{\"a\":[null,2]}", 0 },
    { "text with placeholders is one string",
      "{\"instance\":\"urn:uuid:%{X:id}\",\"m\":\"%{status} %{title}: %{detail}\"}",
      0, 404, "\"gone \\\"x\\\"\"", "Not Found", NULL,
      { { { "id", "0f8e-1" } } },
      "{\"instance\":\"urn:uuid:0f8e-1\",\"m\":\"404 Not Found: gone \\\"x\\\"\"}",
      0 },
    { "text with an absent part is absent",
      "{\"instance\":\"urn:uuid:%{X:id}\"}", 0, 404, "\"x\"", NULL, NULL,
      { { { "id", "-" } } }, "{\"instance\":null}", 0 },
    { "a JSON detail inside text is its JSON",
      "{\"m\":\"bad: %{detail}\"}", 0, 422, "{\"a\":1}", NULL, NULL,
      { { { NULL } } }, "{\"m\":\"bad: {\\\"a\\\":1}\"}", 0 },
    { "hostile value: quotes, backslash, control bytes",
      "{\"id\":\"%{X:id}\"}", 0, 400, "\"x\"", NULL, NULL,
      { { { "id", "a\"b\\c\r\n\x01</script>" } } },
      "{\"id\":\"a\\\"b\\\\c\\r\\n\\u0001</script>\"}", 0 },
    { "hostile value: invalid UTF-8 repaired",
      "{\"id\":\"%{X:id}\"}", 0, 400, "\"x\"", NULL, NULL,
      { { { "id", "a\xff\xc0z" } } },
      "{\"id\":\"a\xef\xbf\xbd\xef\xbf\xbdz\"}", 1 },
    { "constant parts as Python writes them",
      "{\"v\":1,\"f\":1.0,\"e\":1e20,\"u\":\"\\u00e9\\u2028\",\"n\":null,"
      "\"s\":\"%{status}\"}", 0, 418, "\"x\"", NULL, NULL, { { { NULL } } },
      "{\"v\":1,\"f\":1.0,\"e\":1e+20,\"u\":\"\xc3\xa9\xe2\x80\xa8\",\"n\":null,"
      "\"s\":418}", 0 },
    { "key order kept, nested constants whole",
      "{\"z\":{\"b\":[1,{\"c\":true}],\"a\":0},\"a\":\"%{status}\"}", 0,
      500, "\"x\"", NULL, NULL, { { { NULL } } },
      "{\"z\":{\"b\":[1,{\"c\":true}],\"a\":0},\"a\":500}", 0 },
    { "an empty object",
      "{}", 0, 500, "\"x\"", NULL, NULL, { { { NULL } } }, "{}", 0 },
    { "more pieces than the stack holds (24 members, each a placeholder)",
      "{\"a\":\"%{status}\",\"b\":\"%{status}\",\"c\":\"%{status}\",\"d\""
      ":\"%{status}\",\"e\":\"%{status}\",\"f\":\"%{status}\",\"g\":\"%{s"
      "tatus}\",\"h\":\"%{status}\",\"i\":\"%{status}\",\"j\":\"%{status}"
      "\",\"k\":\"%{status}\",\"l\":\"%{status}\",\"m\":\"%{status}\",\"n"
      "\":\"%{status}\",\"o\":\"%{status}\",\"p\":\"%{status}\",\"q\":\"%"
      "{status}\",\"r\":\"%{status}\",\"s\":\"%{status}\",\"t\":\"%{statu"
      "s}\",\"u\":\"%{status}\",\"v\":\"%{status}\",\"w\":\"%{status}\","
      "\"x\":\"%{status}\"}",
      0, 404, "\"x\"", NULL, NULL, { { { NULL } } },
      "{\"a\":404,\"b\":404,\"c\":404,\"d\":404,\"e\":404,\"f\":404,\"g\""
      ":404,\"h\":404,\"i\":404,\"j\":404,\"k\":404,\"l\":404,\"m\":404,"
      "\"n\":404,\"o\":404,\"p\":404,\"q\":404,\"r\":404,\"s\":404,\"t\":"
      "404,\"u\":404,\"v\":404,\"w\":404,\"x\":404}", 0 },
};

START_TEST(test_envelope_render)
{
    const fastexc_envelope_t *env = NULL;
    fastexc_envelope_values_t v;
    const char *err;
    char *out;
    apr_size_t len = 0;
    int repaired = -1;

    err = fastexc_envelope_compile(pool, render_cases[_i].tmpl,
                                   render_cases[_i].omit,
                                   check_envelope_compile, NULL, &env);
    ck_assert_msg(err == NULL, "%s: %s", render_cases[_i].label, err);
    memset(&v, 0, sizeof(v));
    v.status = render_cases[_i].status;
    v.detail = render_cases[_i].detail;
    v.detail_len = strlen(v.detail);
    v.title = render_cases[_i].title;
    v.traceparent = render_cases[_i].traceparent;
    v.eval = check_envelope_eval;
    v.ctx = (void *)&render_cases[_i].exprs;
    out = fastexc_envelope_render(pool, env, &v, &len, &repaired);
    ck_assert_msg(out != NULL, "%s: no output", render_cases[_i].label);
    ck_assert_msg(strcmp(out, render_cases[_i].want) == 0
                  && len == strlen(render_cases[_i].want),
                  "%s: got %s", render_cases[_i].label, out);
    ck_assert_msg(repaired == render_cases[_i].repaired, "%s: repaired %d",
                  render_cases[_i].label, repaired);
}
END_TEST

static const struct {
    const char *label;
    const char *tmpl;
    const char *want;       /* a part of the error */
} refuse_cases[] = {
    { "not JSON", "{\"a\":", "not JSON" },
    { "trailing bytes", "{} x", "not JSON" },
    { "a duplicate key", "{\"a\":1,\"a\":2}", "duplicate" },
    { "not an object", "[\"%{detail}\"]", "not a JSON object" },
    { "a bare placeholder", "%{detail}", "not JSON" },
    { "a placeholder unquoted", "{\"a\":%{status}}", "not JSON" },
    { "a placeholder in a key", "{\"%{status}\":1}", "in the key" },
    { "an unterminated placeholder", "{\"a\":\"%{status\"}", "$.a" },
    { "an expression that does not compile", "{\"a\":{\"b\":\"%{bad}\"}}",
      "$.a.b: unknown variable" },
    { "NaN", "{\"a\":NaN}", "not JSON" },
    { "invalid UTF-8", "{\"a\":\"\xff\"}", "UTF-8" },
    { "a NUL in a string", "{\"a\":\"x\\u0000%{status}\"}", "NUL" },
};

START_TEST(test_envelope_refuse)
{
    const fastexc_envelope_t *env = NULL;
    const char *err = fastexc_envelope_compile(pool, refuse_cases[_i].tmpl,
                                               0, check_envelope_compile,
                                               NULL, &env);

    ck_assert_msg(err != NULL, "%s: accepted", refuse_cases[_i].label);
    ck_assert_msg(strstr(err, refuse_cases[_i].want) != NULL, "%s: %s",
                  refuse_cases[_i].label, err);
}
END_TEST

static const struct {
    const char *label;
    const char *tmpl;
    int dynamic;
} dynamic_cases[] = {
    { "status, detail and title only", "{\"a\":\"%{status}\",\"b\":\"%{title}: %{detail}\"}", 0 },
    { "an expression", "{\"a\":\"%{X:id}\"}", 1 },
    { "the trace context", "{\"a\":[\"%{parent_id}\"]}", 1 },
    { "constant", "{\"a\":\"text\"}", 0 },
};

START_TEST(test_envelope_dynamic)
{
    const fastexc_envelope_t *env = NULL;

    ck_assert(fastexc_envelope_compile(pool, dynamic_cases[_i].tmpl, 0,
                                       check_envelope_compile, NULL,
                                       &env) == NULL);
    ck_assert_msg(fastexc_envelope_dynamic(env) == dynamic_cases[_i].dynamic,
                  "%s", dynamic_cases[_i].label);
}
END_TEST

static const struct {
    const char *label;
    const char *value;
    int ok;
} tp_cases[] = {
    { "version 00", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", 1 },
    { "a later version with more fields",
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz", 1 },
    { "a later version, exact length",
      "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09", 1 },
    { "version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", 0 },
    { "version 00 with more", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", 0 },
    { "a later version, more without a dash",
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", 0 },
    { "all-zero trace-id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", 0 },
    { "all-zero parent-id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", 0 },
    { "uppercase hex", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", 0 },
    { "short", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", 0 },
    { "a quote in it", "00-4bf92f3577b34da6a3ce929d0e0e473\"-00f067aa0ba902b7-01", 0 },
    { "empty", "", 0 },
};

START_TEST(test_traceparent)
{
    const char *trace = NULL, *parent = NULL;
    int ok = fastexc_traceparent_ids(pool, tp_cases[_i].value, &trace,
                                     &parent);

    ck_assert_msg(ok == tp_cases[_i].ok, "%s: %d", tp_cases[_i].label, ok);
    if (ok) {
        ck_assert_str_eq(trace, "4bf92f3577b34da6a3ce929d0e0e4736");
        ck_assert_str_eq(parent, "00f067aa0ba902b7");
    }
}
END_TEST

TCase *check_envelope_tcase(void)
{
    TCase *tc = tcase_create("envelope");


    tcase_add_checked_fixture(tc, check_setup, check_teardown);
    tcase_add_loop_test(tc, test_envelope_render, 0, N(render_cases));
    tcase_add_loop_test(tc, test_envelope_refuse, 0, N(refuse_cases));
    tcase_add_loop_test(tc, test_envelope_dynamic, 0, N(dynamic_cases));
    tcase_add_loop_test(tc, test_traceparent, 0, N(tp_cases));
    return tc;
}
