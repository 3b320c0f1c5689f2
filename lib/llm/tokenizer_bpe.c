/* lib/llm/tokenizer_bpe.c — BPE merges over one pre-token piece.
 *
 * The piece's bytes start as one symbol each (the id of the byte's
 * character in GPT-2's alphabet). The adjacent pair with the lowest merge
 * rank merges first, ties to the leftmost, until no pair merges. A binary
 * heap of candidate pairs over a doubly linked symbol list keeps this
 * O(n log n), so a megabyte-long run of one letter cannot stall a request.
 * Heap entries go stale when a neighbour merges; they are checked on pop.
 */
#include <stdlib.h>

#include "lib/llm/tokenizer_internal.h"

int aia_tok_vec_push(aia_tok_vec *v, int32_t id)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        int32_t *ids = realloc(v->ids, cap * sizeof *ids);
        if (!ids)
            return -1;
        v->ids = ids;
        v->cap = cap;
    }
    v->ids[v->n++] = id;
    return 0;
}

typedef struct sym {
    int32_t id;
    int32_t prev, next; /* -1 at the ends */
    int alive;
} sym;

typedef struct cand {
    int32_t rank;
    int32_t left; /* symbol index */
    int32_t left_id, right_id;
} cand;

typedef struct heap {
    cand *a;
    size_t n;
} heap;

static int cand_less(const cand *x, const cand *y)
{
    return x->rank < y->rank || (x->rank == y->rank && x->left < y->left);
}

static void heap_push(heap *h, cand c)
{
    size_t i = h->n++;
    h->a[i] = c;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!cand_less(&h->a[i], &h->a[p]))
            break;
        cand tmp = h->a[p];
        h->a[p] = h->a[i];
        h->a[i] = tmp;
        i = p;
    }
}

static cand heap_pop(heap *h)
{
    cand top = h->a[0];
    h->a[0] = h->a[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && cand_less(&h->a[l], &h->a[m]))
            m = l;
        if (r < h->n && cand_less(&h->a[r], &h->a[m]))
            m = r;
        if (m == i)
            break;
        cand tmp = h->a[m];
        h->a[m] = h->a[i];
        h->a[i] = tmp;
        i = m;
    }
    return top;
}

static void consider(const aia_tokenizer *t, const sym *s, heap *h, int32_t left)
{
    if (left < 0 || s[left].next < 0)
        return;
    int32_t merged;
    int32_t rank = aia_tok_merge_find(t, s[left].id, s[s[left].next].id, &merged);
    if (rank >= 0)
        heap_push(h, (cand){rank, left, s[left].id, s[s[left].next].id});
}

static int still_valid(const sym *s, const cand *c)
{
    const sym *l = &s[c->left];
    return l->alive && l->id == c->left_id && l->next >= 0 && s[l->next].id == c->right_id;
}

static void merge_loop(const aia_tokenizer *t, sym *s, heap *h)
{
    while (h->n > 0) {
        cand c = heap_pop(h);
        if (!still_valid(s, &c))
            continue;
        int32_t merged;
        aia_tok_merge_find(t, c.left_id, c.right_id, &merged);
        sym *l = &s[c.left];
        sym *r = &s[l->next];
        l->id = merged;
        r->alive = 0;
        l->next = r->next;
        if (r->next >= 0)
            s[r->next].prev = c.left;
        /* Each merge adds at most two candidates: the heap was sized for it. */
        consider(t, s, h, l->prev);
        consider(t, s, h, c.left);
    }
}

aia_status aia_tok_bpe(const aia_tokenizer *t, const unsigned char *piece, size_t len,
                       aia_tok_vec *out, aia_error *err)
{
    if (len > INT32_MAX / 4)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "tokenizer: one piece of %zu bytes is too long", len);
    sym *s = malloc(len * sizeof *s);
    heap h = {malloc(3 * len * sizeof(cand)), 0}; /* len initial + 2 per merge */
    if (!s || !h.a) {
        free(s);
        free(h.a);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "tokenizer: no memory for a %zu-byte piece", len);
    }
    for (size_t i = 0; i < len; i++)
        s[i] = (sym){t->byte_id[piece[i]], (int32_t)i - 1, i + 1 < len ? (int32_t)i + 1 : -1, 1};
    for (size_t i = 0; i + 1 < len; i++)
        consider(t, s, &h, (int32_t)i);
    merge_loop(t, s, &h);
    aia_status st = AIA_OK;
    for (int32_t i = len ? 0 : -1; i >= 0; i = s[i].next) {
        int32_t id = s[i].id >= 0 ? s[i].id : t->special.unk;
        if (id >= 0 && aia_tok_vec_push(out, id)) {
            st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "tokenizer: no memory for token ids");
            break;
        }
    }
    free(s);
    free(h.a);
    return st;
}
