/*===- merge.c - greedy pair merging, as BPE models do it ----------*- C -*-===*
 *
 * Hugging Face BPE and llama2.c both encode by merging, again and again, the
 * best adjacent pair of symbols (lowest merge rank; highest token score),
 * leftmost among equals; only what "best" means differs. A heap of candidate
 * pairs makes it O(n log n) in the length of the text: entries are never
 * removed when a merge changes their pair, they are recognised as stale when
 * they come up.
 *
 *===----------------------------------------------------------------------===*/
#include "tokenizer_impl.h"

#include <stdlib.h>

typedef struct {
  double priority;
  int32_t left, right, left_id, right_id, merged;
} candidate;

static int before(const candidate *a, const candidate *b) {
  return a->priority != b->priority ? a->priority < b->priority : a->left < b->left;
}

typedef struct {
  candidate *items;
  size_t count, capacity;
} heap;

static int heap_push(heap *h, candidate c) {
  if (h->count == h->capacity) {
    size_t grown = h->capacity ? h->capacity * 2 : 64;
    candidate *bigger = (candidate *)realloc(h->items, grown * sizeof(candidate));
    if (!bigger)
      return -1;
    h->items = bigger;
    h->capacity = grown;
  }
  size_t i = h->count++;
  h->items[i] = c;
  while (i > 0 && before(&h->items[i], &h->items[(i - 1) / 2])) {
    candidate t = h->items[i];
    h->items[i] = h->items[(i - 1) / 2];
    h->items[(i - 1) / 2] = t;
    i = (i - 1) / 2;
  }
  return 0;
}

static candidate heap_pop(heap *h) {
  candidate top = h->items[0];
  h->items[0] = h->items[--h->count];
  for (size_t i = 0;;) {
    size_t l = 2 * i + 1, r = l + 1, best = i;
    if (l < h->count && before(&h->items[l], &h->items[best]))
      best = l;
    if (r < h->count && before(&h->items[r], &h->items[best]))
      best = r;
    if (best == i)
      break;
    candidate t = h->items[i];
    h->items[i] = h->items[best];
    h->items[best] = t;
    i = best;
  }
  return top;
}

/* The pair that starts at symbol `left`, if it merges. */
static int consider(heap *h, const tok_symbol *s, int32_t left, tok_merge_rule rule,
                    const void *context) {
  if (left < 0 || s[left].next < 0)
    return 0;
  int32_t right = s[left].next, merged;
  double priority;
  if (!rule(context, s[left].id, s[right].id, &priority, &merged))
    return 0;
  return heap_push(h, (candidate){priority, left, right, s[left].id, s[right].id, merged});
}

int tok_merge_symbols(tok_symbol *s, int32_t n, tok_merge_rule rule, const void *context) {
  heap h = {0};
  int result = -1;
  for (int32_t i = 0; i < n; ++i) {
    s[i].prev = i - 1;
    s[i].next = i + 1 < n ? i + 1 : -1;
  }
  for (int32_t i = 0; i + 1 < n; ++i)
    if (consider(&h, s, i, rule, context) < 0)
      goto done;
  while (h.count > 0) {
    candidate top = heap_pop(&h);
    tok_symbol *left = &s[top.left];
    if (left->id != top.left_id || left->next != top.right || s[top.right].id != top.right_id)
      continue;
    tok_symbol *right = &s[top.right];
    left->id = top.merged;
    left->next = right->next;
    if (right->next >= 0)
      s[right->next].prev = top.left;
    right->id = -1; /* merged away: its slot stays, so positions stay stable */
    if (consider(&h, s, left->prev, rule, context) < 0 ||
        consider(&h, s, top.left, rule, context) < 0)
      goto done;
  }
  result = 0;
done:
  free(h.items);
  return result;
}
