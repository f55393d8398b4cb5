/*
 * fastexc_phrase.c - reason phrases and status rules.
 *
 * The phrases are Python's http.HTTPStatus phrases (Python 3.11), which
 * FastAPI uses for a default detail and uvicorn for the status line. They
 * differ from httpd's own in places (418 "I'm a Teapot", 413 "Request Entity
 * Too Large"), and httpd has none for some codes (418, 425), so the module
 * carries its own table.
 */
#include <stdlib.h>

#include "apr_lib.h"
#include "fastexc_core.h"

typedef struct {
    int status;
    const char *phrase;
} fastexc_phrase_t;

/* Sorted by status for the binary search below. */
static const fastexc_phrase_t fastexc_phrases[] = {
    { 100, "Continue" },
    { 101, "Switching Protocols" },
    { 102, "Processing" },
    { 103, "Early Hints" },
    { 200, "OK" },
    { 201, "Created" },
    { 202, "Accepted" },
    { 203, "Non-Authoritative Information" },
    { 204, "No Content" },
    { 205, "Reset Content" },
    { 206, "Partial Content" },
    { 207, "Multi-Status" },
    { 208, "Already Reported" },
    { 226, "IM Used" },
    { 300, "Multiple Choices" },
    { 301, "Moved Permanently" },
    { 302, "Found" },
    { 303, "See Other" },
    { 304, "Not Modified" },
    { 305, "Use Proxy" },
    { 307, "Temporary Redirect" },
    { 308, "Permanent Redirect" },
    { 400, "Bad Request" },
    { 401, "Unauthorized" },
    { 402, "Payment Required" },
    { 403, "Forbidden" },
    { 404, "Not Found" },
    { 405, "Method Not Allowed" },
    { 406, "Not Acceptable" },
    { 407, "Proxy Authentication Required" },
    { 408, "Request Timeout" },
    { 409, "Conflict" },
    { 410, "Gone" },
    { 411, "Length Required" },
    { 412, "Precondition Failed" },
    { 413, "Request Entity Too Large" },
    { 414, "Request-URI Too Long" },
    { 415, "Unsupported Media Type" },
    { 416, "Requested Range Not Satisfiable" },
    { 417, "Expectation Failed" },
    { 418, "I'm a Teapot" },
    { 421, "Misdirected Request" },
    { 422, "Unprocessable Entity" },
    { 423, "Locked" },
    { 424, "Failed Dependency" },
    { 425, "Too Early" },
    { 426, "Upgrade Required" },
    { 428, "Precondition Required" },
    { 429, "Too Many Requests" },
    { 431, "Request Header Fields Too Large" },
    { 451, "Unavailable For Legal Reasons" },
    { 500, "Internal Server Error" },
    { 501, "Not Implemented" },
    { 502, "Bad Gateway" },
    { 503, "Service Unavailable" },
    { 504, "Gateway Timeout" },
    { 505, "HTTP Version Not Supported" },
    { 506, "Variant Also Negotiates" },
    { 507, "Insufficient Storage" },
    { 508, "Loop Detected" },
    { 510, "Not Extended" },
    { 511, "Network Authentication Required" },
};

static int fastexc_phrase_cmp(const void *key, const void *elem)
{
    return *(const int *)key - ((const fastexc_phrase_t *)elem)->status;
}

const char *fastexc_phrase(int status)
{
    const fastexc_phrase_t *found =
        bsearch(&status, fastexc_phrases,
                sizeof(fastexc_phrases) / sizeof(fastexc_phrases[0]),
                sizeof(fastexc_phrases[0]), fastexc_phrase_cmp);
    return found ? found->phrase : NULL;
}

int fastexc_status_has_body(int status)
{
    return !(status < 200 || status == 204 || status == 205 || status == 304);
}

const char *fastexc_status_check(int status)
{
    if (status >= 100 && status < 200) {
        return "a 1xx status is informational and cannot end a request";
    }
    if (status < 200 || status > 599) {
        return "the status must be between 200 and 599";
    }
    return NULL;
}

int fastexc_status_parse(const char *s, int *status)
{
    if (!s || !apr_isdigit(s[0]) || !apr_isdigit(s[1]) || !apr_isdigit(s[2])
        || s[3] != '\0') {
        return -1;
    }
    *status = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
    return 0;
}
