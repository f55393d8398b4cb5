/*
 * fastexc_envelope.c - FastExcFormat template: the operator's JSON envelope.
 *
 * At startup the template is parsed by jansson and compiled into a tree
 * whose constant parts are already JSON bytes (Python's compact form);
 * only the placeholders are rendered per request, each a JSON value of its
 * own type, so a template that parsed can only ever give valid JSON.
 */
#include <string.h>
#include <sys/uio.h>

#include <jansson.h>
#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include "fastexc_core.h"
#include "fastexc_envelope.h"

/* What a placeholder stands for. */
typedef enum {
    FASTEXC_ENVELOPE_TEXT = -1,     /* not one: static text */
    FASTEXC_ENVELOPE_STATUS,
    FASTEXC_ENVELOPE_DETAIL,
    FASTEXC_ENVELOPE_TITLE,
    FASTEXC_ENVELOPE_TRACE_ID,
    FASTEXC_ENVELOPE_PARENT_ID,
    FASTEXC_ENVELOPE_EXPR
} fastexc_envelope_hole_e;

/* The envelope's own names; any other %{...} is an ap_expr. */
static const struct {
    const char *text;
    fastexc_envelope_hole_e hole;
} fastexc_envelope_names[] = {
    { "%{status}", FASTEXC_ENVELOPE_STATUS },
    { "%{detail}", FASTEXC_ENVELOPE_DETAIL },
    { "%{title}", FASTEXC_ENVELOPE_TITLE },
    { "%{trace_id}", FASTEXC_ENVELOPE_TRACE_ID },
    { "%{parent_id}", FASTEXC_ENVELOPE_PARENT_ID },
};
#define FASTEXC_ENVELOPE_NAMES \
    (sizeof(fastexc_envelope_names) / sizeof(fastexc_envelope_names[0]))

typedef struct {
    fastexc_envelope_hole_e hole;
    const char *text;           /* TEXT: the text; else the %{...} */
    apr_size_t len;
    const void *expr;           /* EXPR: the caller's compiled form */
} fastexc_envelope_piece_t;

typedef enum {
    FASTEXC_ENVELOPE_JSON,      /* constant: JSON bytes */
    FASTEXC_ENVELOPE_VALUE,     /* "%{name}" alone: a value of its type */
    FASTEXC_ENVELOPE_STRING,    /* text and placeholders: a JSON string */
    FASTEXC_ENVELOPE_OBJECT,
    FASTEXC_ENVELOPE_ARRAY
} fastexc_envelope_kind_e;

typedef struct fastexc_envelope_node fastexc_envelope_node_t;
struct fastexc_envelope_node {
    fastexc_envelope_kind_e kind;
    const char *json;           /* JSON: the bytes */
    apr_size_t len;
    fastexc_envelope_piece_t value;     /* VALUE */
    apr_array_header_t *pieces;         /* STRING: fastexc_envelope_piece_t */
    apr_array_header_t *items;          /* OBJECT, ARRAY: item_t */
};

typedef struct {
    const char *key;            /* OBJECT: "key": as JSON bytes */
    apr_size_t key_len;
    const fastexc_envelope_node_t *node;
} fastexc_envelope_item_t;

struct fastexc_envelope {
    const fastexc_envelope_node_t *root;
    int omit;
    int dynamic;
};

typedef struct {
    apr_pool_t *p;
    fastexc_envelope_compile_fn compile;
    void *ctx;
    int dynamic;
} fastexc_envelope_build_t;

/* ---- compiling ----------------------------------------------------- */

static const char *fastexc_envelope_piece(fastexc_envelope_build_t *b,
                                          const fastexc_segment_t *seg,
                                          fastexc_envelope_piece_t *piece)
{
    apr_size_t i;

    piece->text = seg->text;
    piece->len = strlen(seg->text);
    piece->expr = NULL;
    if (!seg->is_expr) {
        piece->hole = FASTEXC_ENVELOPE_TEXT;
        return NULL;
    }
    for (i = 0; i < FASTEXC_ENVELOPE_NAMES; i++) {
        if (strcmp(seg->text, fastexc_envelope_names[i].text) == 0) {
            piece->hole = fastexc_envelope_names[i].hole;
            if (piece->hole == FASTEXC_ENVELOPE_TRACE_ID
                || piece->hole == FASTEXC_ENVELOPE_PARENT_ID) {
                b->dynamic = 1;
            }
            return NULL;
        }
    }
    piece->hole = FASTEXC_ENVELOPE_EXPR;
    b->dynamic = 1;
    return b->compile(b->ctx, seg->text, &piece->expr);
}

static const char *fastexc_envelope_node(fastexc_envelope_build_t *b,
                                         json_t *v, const char *where,
                                         fastexc_envelope_node_t **out);

/* A string value: constant, one placeholder alone, or a mix. */
static const char *fastexc_envelope_string(fastexc_envelope_build_t *b,
                                           json_t *v, const char *where,
                                           fastexc_envelope_node_t *n)
{
    const char *text = json_string_value(v);
    apr_array_header_t *segs;
    const fastexc_segment_t *seg;
    const char *err;
    int i;

    if (memchr(text, '\0', json_string_length(v))) {
        return apr_psprintf(b->p, "%s: a NUL byte in a string", where);
    }
    if (!fastexc_has_template(text)) {
        n->kind = FASTEXC_ENVELOPE_JSON;
        n->json = fastexc_json_dump(b->p, v, &n->len);
        return n->json ? NULL : "cannot render the template";
    }
    if ((err = fastexc_template_split(b->p, text, &segs))) {
        return apr_psprintf(b->p, "%s: %s", where, err);
    }
    seg = (const fastexc_segment_t *)segs->elts;
    n->pieces = apr_array_make(b->p, segs->nelts,
                               sizeof(fastexc_envelope_piece_t));
    for (i = 0; i < segs->nelts; i++) {
        fastexc_envelope_piece_t *piece = apr_array_push(n->pieces);
        if ((err = fastexc_envelope_piece(b, &seg[i], piece))) {
            return apr_psprintf(b->p, "%s: %s", where, err);
        }
    }
    if (segs->nelts == 1) {
        n->kind = FASTEXC_ENVELOPE_VALUE;
        n->value = APR_ARRAY_IDX(n->pieces, 0, fastexc_envelope_piece_t);
    }
    else {
        n->kind = FASTEXC_ENVELOPE_STRING;
    }
    return NULL;
}

/* An object's members or an array's items; constant as a whole if each
 * is. */
static const char *fastexc_envelope_items(fastexc_envelope_build_t *b,
                                          json_t *v, const char *where,
                                          fastexc_envelope_node_t *n)
{
    int constant = 1;
    size_t i, count = json_is_object(v) ? json_object_size(v)
                                        : json_array_size(v);
    const char *key;
    json_t *item;
    void *iter;
    const char *err;

    n->kind = json_is_object(v) ? FASTEXC_ENVELOPE_OBJECT
                                : FASTEXC_ENVELOPE_ARRAY;
    n->items = apr_array_make(b->p, (int)count + 1,
                              sizeof(fastexc_envelope_item_t));
    for (i = 0, iter = json_object_iter(v); i < count; i++) {
        fastexc_envelope_item_t *it = apr_array_push(n->items);
        fastexc_envelope_node_t *child;
        const char *at;

        it->key = NULL;
        if (n->kind == FASTEXC_ENVELOPE_OBJECT) {
            key = json_object_iter_key(iter);
            item = json_object_iter_value(iter);
            iter = json_object_iter_next(v, iter);
            if (fastexc_has_template(key)) {
                return apr_psprintf(b->p, "%s: a placeholder in the key "
                                    "\"%s\" (keys are fixed; placeholders "
                                    "go in values)", where, key);
            }
            it->key = fastexc_json_string(b->p, key, strlen(key),
                                          &it->key_len, NULL);
            if (!it->key) {
                return "cannot render the template";
            }
            it->key = apr_pstrcat(b->p, it->key, ":", NULL);
            it->key_len++;
            at = apr_psprintf(b->p, "%s.%s", where, key);
        }
        else {
            item = json_array_get(v, i);
            at = apr_psprintf(b->p, "%s[%" APR_SIZE_T_FMT "]", where, i);
        }
        if ((err = fastexc_envelope_node(b, item, at, &child))) {
            return err;
        }
        it->node = child;
        constant &= child->kind == FASTEXC_ENVELOPE_JSON;
    }
    if (constant) {
        n->kind = FASTEXC_ENVELOPE_JSON;
        n->json = fastexc_json_dump(b->p, v, &n->len);
        return n->json ? NULL : "cannot render the template";
    }
    return NULL;
}

static const char *fastexc_envelope_node(fastexc_envelope_build_t *b,
                                         json_t *v, const char *where,
                                         fastexc_envelope_node_t **out)
{
    fastexc_envelope_node_t *n = apr_pcalloc(b->p, sizeof(*n));

    *out = n;
    if (json_is_string(v)) {
        return fastexc_envelope_string(b, v, where, n);
    }
    if (json_is_object(v) || json_is_array(v)) {
        return fastexc_envelope_items(b, v, where, n);
    }
    n->kind = FASTEXC_ENVELOPE_JSON;
    n->json = fastexc_json_dump(b->p, v, &n->len);
    return n->json ? NULL : "cannot render the template";
}

const char *fastexc_envelope_compile(apr_pool_t *p, const char *text,
                                     int omit,
                                     fastexc_envelope_compile_fn compile,
                                     void *ctx,
                                     const fastexc_envelope_t **env)
{
    fastexc_envelope_build_t b;
    fastexc_envelope_t *e;
    fastexc_envelope_node_t *root;
    const char *err;
    json_t *v;

    if (!fastexc_utf8_valid(text, strlen(text))) {
        return "the template is not valid UTF-8";
    }
    if (!(v = fastexc_json_parse(p, text, &err))) {
        return apr_psprintf(p, "the template is not JSON: %s", err);
    }
    if (!json_is_object(v)) {
        json_decref(v);
        return "the template is not a JSON object ({...})";
    }
    b.p = p;
    b.compile = compile;
    b.ctx = ctx;
    b.dynamic = 0;
    err = fastexc_envelope_node(&b, v, "$", &root);
    json_decref(v);
    if (err) {
        return err;
    }
    e = apr_pcalloc(p, sizeof(*e));
    e->root = root;
    e->omit = omit;
    e->dynamic = b.dynamic;
    *env = e;
    return NULL;
}

int fastexc_envelope_dynamic(const fastexc_envelope_t *env)
{
    return env->dynamic;
}

/* ---- rendering ----------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    const fastexc_envelope_values_t *v;
    int omit;
    apr_array_header_t *out;    /* struct iovec */
    int repaired;
    int traced;                 /* traceparent read */
    const char *trace_id, *parent_id;
    const char *status;         /* its digits: the JSON of an integer */
} fastexc_envelope_run_t;

static void fastexc_envelope_put(fastexc_envelope_run_t *run,
                                 const char *s, apr_size_t len)
{
    struct iovec *iov = apr_array_push(run->out);

    iov->iov_base = (void *)s;
    iov->iov_len = len;
}

/* A placeholder's text (for a string), or NULL: absent. The detail as
 * text is a string detail's text, any other value's JSON. */
static const char *fastexc_envelope_text(fastexc_envelope_run_t *run,
                                         const fastexc_envelope_piece_t *pc,
                                         apr_size_t *len)
{
    const char *s = NULL;
    json_t *d;

    switch (pc->hole) {
    case FASTEXC_ENVELOPE_TEXT:
        *len = pc->len;
        return pc->text;
    case FASTEXC_ENVELOPE_STATUS:
        s = run->status;
        break;
    case FASTEXC_ENVELOPE_DETAIL:
        d = json_loadb(run->v->detail, run->v->detail_len,
                       JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (d && json_is_string(d)) {
            *len = json_string_length(d);
            s = apr_pmemdup(run->p, json_string_value(d), *len);
            json_decref(d);
            return s;
        }
        json_decref(d);
        *len = run->v->detail_len;
        return run->v->detail;
    case FASTEXC_ENVELOPE_TITLE:
        s = run->v->title;
        break;
    case FASTEXC_ENVELOPE_TRACE_ID:
    case FASTEXC_ENVELOPE_PARENT_ID:
        if (!run->traced) {
            run->traced = 1;
            if (!run->v->traceparent
                || !fastexc_traceparent_ids(run->p, run->v->traceparent,
                                            &run->trace_id,
                                            &run->parent_id)) {
                run->trace_id = run->parent_id = NULL;
            }
        }
        s = pc->hole == FASTEXC_ENVELOPE_TRACE_ID ? run->trace_id
                                                  : run->parent_id;
        break;
    case FASTEXC_ENVELOPE_EXPR:
        s = run->v->eval ? run->v->eval(run->v->ctx, pc->expr) : NULL;
        break;
    }
    if (!s || !*s) {
        return NULL;
    }
    *len = strlen(s);
    return s;
}

/* A string's JSON from text: 1, or -1 (jansson out of memory). */
static int fastexc_envelope_put_string(fastexc_envelope_run_t *run,
                                       const char *text, apr_size_t len)
{
    int repaired = 0;
    apr_size_t jlen;
    const char *json = fastexc_json_string(run->p, text, len, &jlen,
                                           &repaired);

    if (!json) {
        return -1;
    }
    run->repaired |= repaired;
    fastexc_envelope_put(run, json, jlen);
    return 1;
}

/* Puts n's JSON: 1, or 0 if absent (nothing put), -1 on failure. */
static int fastexc_envelope_run(fastexc_envelope_run_t *run,
                                const fastexc_envelope_node_t *n)
{
    const fastexc_envelope_item_t *it;
    const fastexc_envelope_piece_t *pc;
    apr_array_header_t *texts;
    const char *s;
    apr_size_t len;
    int i, rv, put = 0;

    switch (n->kind) {
    case FASTEXC_ENVELOPE_JSON:
        fastexc_envelope_put(run, n->json, n->len);
        return 1;
    case FASTEXC_ENVELOPE_VALUE:
        /* typed: the status a number, the detail its own JSON value */
        if (n->value.hole == FASTEXC_ENVELOPE_STATUS) {
            fastexc_envelope_put(run, run->status, strlen(run->status));
            return 1;
        }
        if (n->value.hole == FASTEXC_ENVELOPE_DETAIL) {
            fastexc_envelope_put(run, run->v->detail, run->v->detail_len);
            return 1;
        }
        if (n->value.hole == FASTEXC_ENVELOPE_TITLE && run->v->title_json) {
            fastexc_envelope_put(run, run->v->title_json,
                                 run->v->title_json_len);
            return 1;
        }
        if (!(s = fastexc_envelope_text(run, &n->value, &len))) {
            return 0;
        }
        return fastexc_envelope_put_string(run, s, len);
    case FASTEXC_ENVELOPE_STRING:
        /* any part absent: the whole string is */
        pc = (const fastexc_envelope_piece_t *)n->pieces->elts;
        texts = apr_array_make(run->p, n->pieces->nelts,
                               sizeof(struct iovec));
        for (i = 0; i < n->pieces->nelts; i++) {
            struct iovec *iov = apr_array_push(texts);
            if (!(s = fastexc_envelope_text(run, &pc[i], &len))) {
                return 0;
            }
            iov->iov_base = (void *)s;
            iov->iov_len = len;
        }
        s = apr_pstrcatv(run->p, (const struct iovec *)texts->elts,
                         texts->nelts, &len);
        return fastexc_envelope_put_string(run, s, len);
    case FASTEXC_ENVELOPE_OBJECT:
    case FASTEXC_ENVELOPE_ARRAY:
        fastexc_envelope_put(run, n->kind == FASTEXC_ENVELOPE_OBJECT ? "{"
                                                                      : "[",
                             1);
        it = (const fastexc_envelope_item_t *)n->items->elts;
        for (i = 0; i < n->items->nelts; i++) {
            int mark = run->out->nelts;
            if (put) {
                fastexc_envelope_put(run, ",", 1);
            }
            if (it[i].key) {
                fastexc_envelope_put(run, it[i].key, it[i].key_len);
            }
            if ((rv = fastexc_envelope_run(run, it[i].node)) < 0) {
                return rv;
            }
            if (rv == 0) {
                /* an object's member may go; an array keeps its places */
                if (run->omit && it[i].key) {
                    run->out->nelts = mark;
                    continue;
                }
                fastexc_envelope_put(run, "null", 4);
            }
            put = 1;
        }
        fastexc_envelope_put(run, n->kind == FASTEXC_ENVELOPE_OBJECT ? "}"
                                                                      : "]",
                             1);
        return 1;
    }
    return -1;
}

char *fastexc_envelope_render(apr_pool_t *p, const fastexc_envelope_t *env,
                              const fastexc_envelope_values_t *v,
                              apr_size_t *len, int *repaired)
{
    fastexc_envelope_run_t run;
    /* the pieces in an array on the stack, grown into p by
     * apr_array_push() past 32 (it never frees what it outgrew): most
     * envelopes take a dozen, and one render allocates nothing but the
     * body */
    struct iovec pieces[32];
    apr_array_header_t out_pieces;
    char status[4];
    char *out;

    memset(&run, 0, sizeof(run));
    run.p = p;
    run.v = v;
    run.omit = env->omit;
    out_pieces.pool = p;
    out_pieces.elt_size = sizeof(struct iovec);
    out_pieces.nelts = 0;
    out_pieces.nalloc = (int)(sizeof(pieces) / sizeof(pieces[0]));
    out_pieces.elts = (char *)pieces;
    run.out = &out_pieces;
    if (v->status >= 100 && v->status <= 999) {
        status[0] = (char)('0' + v->status / 100);
        status[1] = (char)('0' + v->status / 10 % 10);
        status[2] = (char)('0' + v->status % 10);
        status[3] = '\0';
        run.status = status;
    }
    else {
        run.status = apr_itoa(p, v->status);
    }
    if (fastexc_envelope_run(&run, env->root) < 0) {
        return NULL;
    }
    out = apr_pstrcatv(p, (const struct iovec *)run.out->elts,
                       run.out->nelts, len);
    if (repaired) {
        *repaired = run.repaired;
    }
    return out;
}

/* ---- W3C trace context --------------------------------------------- */

static int fastexc_envelope_hex(const char *s, apr_size_t n)
{
    apr_size_t i;
    int nonzero = 0;

    for (i = 0; i < n; i++) {
        if (!apr_isdigit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f')) {
            return -1;
        }
        nonzero |= s[i] != '0';
    }
    return nonzero;
}

int fastexc_traceparent_ids(apr_pool_t *p, const char *value,
                            const char **trace_id, const char **parent_id)
{
    /* version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 */
    apr_size_t n = strlen(value);

    if (n < 55 || value[2] != '-' || value[35] != '-' || value[52] != '-'
        || fastexc_envelope_hex(value, 2) < 0
        || strncmp(value, "ff", 2) == 0
        || fastexc_envelope_hex(value + 3, 32) != 1
        || fastexc_envelope_hex(value + 36, 16) != 1
        || fastexc_envelope_hex(value + 53, 2) < 0
        || (strncmp(value, "00", 2) == 0 ? n != 55
                                         : n > 55 && value[55] != '-')) {
        return 0;
    }
    *trace_id = apr_pstrmemdup(p, value + 3, 32);
    *parent_id = apr_pstrmemdup(p, value + 36, 16);
    return 1;
}
