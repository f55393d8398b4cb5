/*
 * check_accept.c - Check tests of content negotiation's pure part: the
 * quality an Accept header gives a media type (RFC 9110 12.5.1), and the
 * choice among the module's offers. (check_fastexc.c runs them.)
 */
#include <check.h>
#include <stdlib.h>

#include "check_fastexc.h"
#include "fastexc_accept.h"

/* What FastExcNegotiate offers in a FastExcFormat fastapi scope, in the
 * order ties go. */
static const char *const offers[] = { "application/json",
                                      "application/problem+json",
                                      "text/html" };
#define JSON 0
#define PROBLEM 1
#define HTML 2
#define NONE (-1)

static const struct {
    const char *label, *accept;
    int chosen;
} choose_cases[] = {
    { "no Accept header", NULL, NONE },
    { "empty Accept", "", NONE },
    { "Chromium's navigation",
      "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
      "image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;"
      "q=0.7", HTML },
    { "Firefox's navigation",
      "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
      HTML },
    { "curl's default", "*/*", JSON },
    { "application/json", "application/json", JSON },
    { "application/problem+json", "application/problem+json", PROBLEM },
    { "text/html", "text/html", HTML },
    { "type case ignored", "TEXT/HTML", HTML },
    { "application/*: a tie, JSON first", "application/*", JSON },
    { "text/*", "text/*", HTML },
    { "q-values: problem preferred",
      "application/json;q=0.5, application/problem+json", PROBLEM },
    { "q-values: HTML preferred", "application/json;q=0.9, text/html",
      HTML },
    { "q-values: JSON preferred", "text/html;q=0.9, application/json",
      JSON },
    { "three decimals", "text/html;q=0.501, application/json;q=0.5", HTML },
    { "q=1.000", "text/html;q=0.9, application/json;q=1.000", JSON },
    { "*/* low, text/html refused", "*/*;q=0.1, text/html;q=0", JSON },
    { "the specific range wins over */*", "text/html;q=0, */*", JSON },
    { "the specific range wins, even with a lower q",
      "application/*;q=0.9, application/json;q=0.1, text/html;q=0.5", PROBLEM },
    { "everything refused", "*/*;q=0", NONE },
    { "only what is not offered", "image/png, application/xml", NONE },
    { "only the offers refused",
      "application/json;q=0, application/problem+json;q=0, text/html;q=0",
      NONE },
    { "whitespace around", "  text/html ; q=0.2 ,\tapplication/json ; q = 0.1",
      HTML },
    { "Q upper case", "application/json;Q=0.1, text/html;q=0.2", HTML },
    { "media type parameters not compared",
      "application/json; charset=utf-8", JSON },
    { "quoted parameter with a comma",
      "text/html;foo=\"a,application/json\";q=0.5, application/json;q=0.4",
      HTML },
    { "accept extension after q ignored",
      "text/html;q=0.3;ext=1, application/json;q=0.2", HTML },
    { "empty elements", ",,text/html,,", HTML },
    { "q over 1 is not a qvalue: element skipped",
      "text/html;q=2, application/json;q=0.1", JSON },
    { "q with four decimals skipped",
      "text/html;q=0.5000, application/json;q=0.1", JSON },
    { "q=1.5 skipped", "text/html;q=1.5, application/json;q=0.1", JSON },
    { "q empty skipped", "text/html;q=, application/json;q=0.1", JSON },
    { "*/html is not a range", "*/html", NONE },
    { "no slash", "html, json", NONE },
    { "garbage then a good range", "@@@, application/json", JSON },
    { "unterminated quote stops reading", "text/html;a=\"x, application/json",
      NONE },
    { "a quoted parameter with an escaped quote",
      "text/html;foo=\"a\\\"b,c\";q=0.5, application/json;q=0.4", HTML },
    { "an empty parameter skipped", "text/html;;q=0.2, application/json;q=0.1",
      HTML },
    { "a trailing empty parameter", "text/html;, application/json;q=0.1",
      HTML },
    { "an unterminated quote after a parameter",
      "application/json;q=0.5;ext=\"x, text/html", NONE },
    { "a duplicate range: the higher q",
      "text/html;q=0.1, text/html;q=0.9, application/json;q=0.5", HTML },
    { "a trailing comma and whitespace", "text/html, \t", HTML },
    { "a malformed element skipped whole, a quoted comma in it too",
      "text/html;q=0.1 x\"a, text/html;q=0.9, b\", application/json;q=0.5",
      JSON },
    { "a malformed element's unterminated quote stops reading",
      "application/json;q=0.5, text/html x\"a, text/html", JSON },
};

START_TEST(test_accept_choose)
{
    int got = fastexc_accept_choose(choose_cases[_i].accept, offers, 3);

    ck_assert_msg(got == choose_cases[_i].chosen, "%s: chose %d, want %d",
                  choose_cases[_i].label, got, choose_cases[_i].chosen);
}
END_TEST

static const struct {
    const char *label, *accept, *offer;
    int q;
} quality_cases[] = {
    { "no header", NULL, "text/html", -1 },
    { "exact, default q", "text/html", "text/html", 1000 },
    { "q=0.5", "text/html;q=0.5", "text/html", 500 },
    { "q=0", "text/html;q=0", "text/html", 0 },
    { "q=0.", "text/html;q=0.", "text/html", 0 },
    { "q=1.", "text/html;q=1.", "text/html", 1000 },
    { "q=0.05", "text/html;q=0.05", "text/html", 50 },
    { "q=0.001", "text/html;q=0.001", "text/html", 1 },
    { "type/* matches", "text/*;q=0.3", "text/html", 300 },
    { "*/* matches", "*/*;q=0.2", "application/json", 200 },
    { "most specific: type/* over */*", "*/*;q=0.9, text/*;q=0.2",
      "text/html", 200 },
    { "no match", "image/*", "text/html", -1 },
    { "a subtype is not a prefix", "application/json", "application/jsonx",
      -1 },
    { "an offer is not a prefix", "application/jsonx", "application/json",
      -1 },
};

START_TEST(test_accept_quality)
{
    int got = fastexc_accept_quality(quality_cases[_i].accept,
                                     quality_cases[_i].offer);

    ck_assert_msg(got == quality_cases[_i].q, "%s: q %d, want %d",
                  quality_cases[_i].label, got, quality_cases[_i].q);
}
END_TEST

/* A problem scope offers its own JSON once: problem, then HTML. */
START_TEST(test_accept_problem_scope)
{
    static const char *const problem_offers[] = { "application/problem+json",
                                                  "text/html" };

    ck_assert_int_eq(fastexc_accept_choose("application/json",
                                           problem_offers, 2), -1);
    ck_assert_int_eq(fastexc_accept_choose("*/*", problem_offers, 2), 0);
    ck_assert_int_eq(fastexc_accept_choose("text/html", problem_offers, 2),
                     1);
}
END_TEST

TCase *check_accept_tcase(void)
{
    TCase *tc = tcase_create("accept");

    tcase_add_loop_test(tc, test_accept_choose, 0, N(choose_cases));
    tcase_add_loop_test(tc, test_accept_quality, 0, N(quality_cases));
    tcase_add_test(tc, test_accept_problem_scope);
    return tc;
}
