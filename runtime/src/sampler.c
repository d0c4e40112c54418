/*===- sampler.c - picking the next token -----------------------------------===*
 *
 * The random numbers come from xorshift64* seeded through splitmix64, so a
 * seed picks the same tokens on every platform given the same logits.
 *
 *===----------------------------------------------------------------------===*/

#include "error.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct candidate {
  int32_t token;
  float logit;
} candidate;

static uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void slm_sampler_init(slm_sampler *sampler, const slm_sampler_config *config) {
  sampler->config = *config;
  /* xorshift never leaves zero. */
  uint64_t state = splitmix64(config->seed);
  sampler->state = state ? state : 0x9E3779B97F4A7C15ull;
}

/* Uniform in [0, 1) with 53 random bits. */
static double next_uniform(slm_sampler *sampler) {
  uint64_t x = sampler->state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  sampler->state = x;
  return (double)((x * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-53;
}

static int32_t first_maximum(const float *logits, int64_t vocab_size) {
  int32_t best = 0;
  for (int64_t i = 1; i < vocab_size; ++i)
    if (logits[i] > logits[best])
      best = (int32_t)i;
  return best;
}

/* Higher logits first; equal logits by token, so the order is total. */
static bool ranks_before(candidate a, candidate b) {
  return a.logit > b.logit || (a.logit == b.logit && a.token < b.token);
}

static int compare_candidates(const void *a, const void *b) {
  return ranks_before(*(const candidate *)a, *(const candidate *)b) ? -1 : 1;
}

/* Moves heap[i] down a heap whose top is the candidate that ranks last. */
static void sift_down(candidate *heap, int64_t size, int64_t i) {
  for (;;) {
    int64_t last = i;
    for (int64_t child = 2 * i + 1; child <= 2 * i + 2 && child < size; ++child)
      if (ranks_before(heap[last], heap[child]))
        last = child;
    if (last == i)
      return;
    candidate swap = heap[i];
    heap[i] = heap[last];
    heap[last] = swap;
    i = last;
  }
}

/* The k best-ranked tokens, in any order. */
static candidate *top_k_candidates(const float *logits, int64_t vocab_size, int64_t k) {
  candidate *heap = malloc((size_t)k * sizeof *heap);
  if (!heap)
    return NULL;
  for (int64_t i = 0; i < k; ++i)
    heap[i] = (candidate){(int32_t)i, logits[i]};
  for (int64_t i = k / 2; i-- > 0;)
    sift_down(heap, k, i);
  for (int64_t i = k; i < vocab_size; ++i) {
    candidate next = {(int32_t)i, logits[i]};
    if (ranks_before(next, heap[0])) {
      heap[0] = next;
      sift_down(heap, k, 0);
    }
  }
  return heap;
}

/* Tokens whose logits reach `threshold`, in token order. */
static candidate *candidates_from(const float *logits, int64_t vocab_size, float threshold,
                                  int64_t *count) {
  *count = 0;
  for (int64_t i = 0; i < vocab_size; ++i)
    *count += logits[i] >= threshold;
  candidate *candidates = malloc((size_t)*count * sizeof *candidates);
  if (!candidates)
    return NULL;
  int64_t used = 0;
  for (int64_t i = 0; i < vocab_size && used < *count; ++i)
    if (logits[i] >= threshold)
      candidates[used++] = (candidate){(int32_t)i, logits[i]};
  return candidates;
}

/* Draws from weights exp((logit - max) / temperature) of `count` candidates. */
static int32_t draw(slm_sampler *sampler, const candidate *candidates, int64_t count, float max,
                    double mass) {
  float temperature = sampler->config.temperature;
  double target = next_uniform(sampler) * mass, cumulative = 0;
  for (int64_t i = 0; i < count; ++i) {
    cumulative += exp((candidates[i].logit - max) / temperature);
    if (target < cumulative)
      return candidates[i].token;
  }
  return candidates[count - 1].token; /* rounding left target at the very top */
}

static double total_weight(const float *logits, int64_t vocab_size, float max, float temperature) {
  double sum = 0;
  for (int64_t i = 0; i < vocab_size; ++i)
    sum += exp((logits[i] - max) / temperature);
  return sum;
}

int32_t slm_sample(slm_sampler *sampler, const float *logits, int64_t vocab_size) {
  if (vocab_size <= 0 || vocab_size > INT32_MAX) {
    slm_fail(SLM_ERROR_ARGUMENT, "slm_sample: vocabulary of %lld tokens", (long long)vocab_size);
    return -1;
  }
  const slm_sampler_config *config = &sampler->config;
  float temperature = config->temperature;
  int32_t best = first_maximum(logits, vocab_size);
  if (!(temperature > 0) || config->top_k == 1 || vocab_size == 1)
    return best;
  float max = logits[best];
  bool top_k = config->top_k > 0 && config->top_k < vocab_size;
  bool top_p = config->top_p > 0 && config->top_p < 1;
  double sum = total_weight(logits, vocab_size, max, temperature);

  int64_t count = config->top_k;
  candidate *candidates;
  if (top_k) {
    candidates = top_k_candidates(logits, vocab_size, count);
  } else if (top_p) {
    /* Tokens of probability below (1 - top_p) / (vocab_size - 1) together
     * hold less than 1 - top_p, so the nucleus never needs them. */
    double share = (1.0 - config->top_p) / (double)(vocab_size - 1);
    float threshold = fminf(max, (float)(max + temperature * log(share * sum)));
    candidates = candidates_from(logits, vocab_size, threshold, &count);
  } else {
    candidates = candidates_from(logits, vocab_size, -INFINITY, &count);
  }
  if (count == 0) { /* NaN logits pass no threshold */
    free(candidates);
    return best;
  }
  if (!candidates) {
    slm_fail(SLM_ERROR_MEMORY, "slm_sample: out of memory");
    return -1;
  }

  double mass = sum;
  if (top_k || top_p)
    qsort(candidates, (size_t)count, sizeof *candidates, compare_candidates);
  if (top_k) {
    mass = 0;
    for (int64_t i = 0; i < count; ++i)
      mass += exp((candidates[i].logit - max) / temperature);
  }
  int64_t kept = count;
  if (top_p) {
    double cumulative = 0, nucleus = config->top_p * mass;
    for (kept = 0; kept < count && cumulative < nucleus; ++kept)
      cumulative += exp((candidates[kept].logit - max) / temperature);
    mass = cumulative;
  }
  int32_t token = draw(sampler, candidates, kept, max, mass);
  free(candidates);
  return token;
}
