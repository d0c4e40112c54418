//===- KernelBench.cpp - slmc's linear kernels against oneDNN -------------===//
//
// Shape by shape, the linears of the real-size synth models (slmc synth:
// llama-0.5b, qwen3-0.6b; q/k/v and gate/up stacked as the fuse stage stacks
// them, and the tied output head), at M = 1 (decode: reads every weight once)
// and M = 128 (a prefill chunk):
//   Dnnl/Sgemm      oneDNN f32 GEMM, y = x w^T
//   Dnnl/U8s8       oneDNN u8 x s8 -> s32 GEMM (what W8A8 prefill is measured against)
//   Slm/F32         slm_uk_linear
//   Slm/F32Panels   slm_uk_linear_panels (f32 weights stored as the GEMM's panels at compile
//                   time: what the lowering calls on AVX-512 targets)
//   Slm/BF16        slm_uk_linear_bf16 (weights stored as bf16, widened as read)
//   Slm/Q4          slm_uk_linear_q4_avx512 on int4-g32 codes (AVX-512 hosts), _q4_vnni on
//                   AVX-512 VNNI hosts, _q4_avx2 on others (what the lowering picks for such
//                   a target); Q4Generic: slm_uk_linear_q4
//   Slm/Q8          slm_uk_linear_q8_avx2 (_avx512 on AVX-512 hosts, _vnni with VNNI), int8
//                   per channel (weight-only); Q8Generic: slm_uk_linear_q8
//   Slm/Q5G64, Q6G64, Q7G64  slm_uk_linear_wide_avx512 (AVX-512 hosts; else _wide_avx2) on
//                   symmetric 5-, 6-, 7-bit codes in groups of 64; Q6G64Generic: _qany
//   Slm/Cb2G64, Cb3G64, Cb4G64  slm_uk_linear_table_avx512 (_q4_avx512 for 4 bits) on AVX-512
//                   hosts, else _table_avx2, on 2- to 4-bit codebook codes in groups of 64;
//                   Cb3G64Generic, Cb4G64Generic: _qany
//   Slm/W8A8        slm_uk_linear_w8a8_vnni, int8 per channel (AVX-512 VNNI hosts), _amx on
//                   hosts where this process may use AMX-INT8 tiles
//   Slm/W8A8Vnni    slm_uk_linear_w8a8_vnni on every AVX-512 VNNI host (AMX ones too)
//   Slm/W4A8        slm_uk_linear_w4a8_vnni, int4-g32 (AVX-512 VNNI hosts), _amx on hosts
//                   where this process may use AMX-INT8 tiles
//   Slm/W4A8Vnni    slm_uk_linear_w4a8_vnni on every AVX-512 VNNI host (AMX ones too)
// and a decode step's attention (one token against f32 KV caches, 28 layers' worth, so
// that the caches come from memory as in a model's step):
//   Slm/Attention   slm_uk_attention, counter cache_GB/s (key and value bytes read)
//   Slm/AttentionInt8  slm_uk_attention_int8 on int8 caches (--kv-cache int8)
//   Slm/AttentionPrefill  slm_uk_attention for 128 tokens after 0 or 384 cached ones, GFLOP/s
// Counters: GFLOP/s (2 M N K per call) and weight GB/s (the weight bytes a call
// reads). oneDNN uses OMP_NUM_THREADS threads (unset: all); slmc's kernels run
// on the calling thread here, so compare them at OMP_NUM_THREADS=1.
//
//   build/benchmarks/kernels/slm-kernel-bench [--benchmark_filter=...]
//
//===----------------------------------------------------------------------===//

#include "compiler/targets/ukernels/slm_ukernels.h"
#include "test/unit/ukernels/HostAmx.h"

#include <benchmark/benchmark.h>
#include <oneapi/dnnl/dnnl.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

namespace {

struct Shape {
  const char *name;
  int64_t n, k;
};

// [out, in] of each distinct linear of a layer, and the head.
const Shape kShapes[] = {
    {"llama-0.5b/qkv", 2048, 1024},     {"llama-0.5b/o", 1024, 1024},
    {"llama-0.5b/gate_up", 6144, 1024}, {"llama-0.5b/down", 1024, 3072},
    {"llama-0.5b/head", 151936, 1024},  {"qwen3-0.6b/qkv", 4096, 1024},
    {"qwen3-0.6b/o", 1024, 2048},       {"qwen3-0.6b/gate_up", 6144, 1024},
    {"qwen3-0.6b/down", 1024, 3072},    {"qwen3-0.6b/head", 151936, 1024},
};

std::vector<float> randomFloats(size_t n, unsigned seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0, 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(g);
  return v;
}

void counters(benchmark::State &state, int64_t m, int64_t n, int64_t k, double weightBytes) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
  state.counters["weight_GB/s"] = benchmark::Counter(
      weightBytes, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
  state.counters["M"] = m, state.counters["N"] = n, state.counters["K"] = k;
}

void dnnlSgemm(benchmark::State &state, Shape s, int64_t m) {
  auto x = randomFloats(m * s.k, 1), w = randomFloats(s.n * s.k, 2);
  std::vector<float> y(m * s.n);
  for (auto _ : state) // y[m, n] = x[m, k] w[n, k]^T
    dnnl_sgemm('N', 'T', m, s.n, s.k, 1.0f, x.data(), s.k, w.data(), s.k, 0.0f, y.data(), s.n);
  counters(state, m, s.n, s.k, 4.0 * s.n * s.k);
}

void dnnlU8s8(benchmark::State &state, Shape s, int64_t m) {
  std::vector<uint8_t> x(m * s.k, 3);
  std::vector<int8_t> w(s.n * s.k, -2);
  std::vector<int32_t> y(m * s.n);
  int32_t co = 0;
  for (auto _ : state)
    dnnl_gemm_u8s8s32('N', 'T', 'F', m, s.n, s.k, 1.0f, x.data(), s.k, 0, w.data(), s.k, 0, 0.0f,
                      y.data(), s.n, &co);
  counters(state, m, s.n, s.k, 1.0 * s.n * s.k);
}

void slmF32(benchmark::State &state, Shape s, int64_t m) {
  auto x = randomFloats(m * s.k, 1), w = randomFloats(s.n * s.k, 2);
  std::vector<float> y(m * s.n);
  for (auto _ : state)
    slm_uk_linear(nullptr, x.data(), w.data(), nullptr, y.data(), m, s.n, s.k);
  counters(state, m, s.n, s.k, 4.0 * s.n * s.k);
}

void slmF32Panels(benchmark::State &state, Shape s, int64_t m) {
  auto x = randomFloats(m * s.k, 1), w = randomFloats(s.n * s.k, 2);
  const int64_t columns = SLM_UK_PANEL_COLUMNS, stripes = (s.n + columns - 1) / columns;
  std::vector<float> panels(stripes * columns * s.k, 0.0f); // packed once, as at compile time
  for (int64_t j = 0; j < s.n; ++j)
    for (int64_t p = 0; p < s.k; ++p)
      panels[(j / columns * s.k + p) * columns + j % columns] = w[j * s.k + p];
  std::vector<float> y(m * s.n);
  for (auto _ : state)
    slm_uk_linear_panels(nullptr, x.data(), panels.data(), nullptr, y.data(), m, s.n, s.k);
  counters(state, m, s.n, s.k, 4.0 * s.n * s.k);
}

void slmBf16(benchmark::State &state, Shape s, int64_t m) {
  auto x = randomFloats(m * s.k, 1), w = randomFloats(s.n * s.k, 2);
  std::vector<uint16_t> stored(w.size());
  for (size_t i = 0; i < w.size(); ++i) // truncated: any bf16 values do
    stored[i] = static_cast<uint16_t>(__builtin_bit_cast(uint32_t, w[i]) >> 16);
  std::vector<float> y(m * s.n);
  for (auto _ : state)
    slm_uk_linear_bf16(nullptr, x.data(), stored.data(), nullptr, y.data(), m, s.n, s.k);
  counters(state, m, s.n, s.k, 2.0 * s.n * s.k);
}

/// What the AVX-512 kernels need besides AVX-512 F.
bool hasAvx512BwVl() {
  return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

/// int4-g32 through the kernel the lowering picks for this CPU as a target, or
/// (`generic`) slm_uk_linear_q4.
void slmQ4(benchmark::State &state, Shape s, int64_t m, bool generic) {
  const int64_t group = 32, groups = s.k / group;
  auto x = randomFloats(m * s.k, 1);
  std::vector<uint8_t> codes(s.n * s.k / 2, 0x5A);
  std::vector<uint16_t> scales(s.n * groups, 0x2000); // f16 0.0078
  std::vector<float> y(m * s.n);
  bool avx512 = hasAvx512BwVl(), vnni = avx512 && __builtin_cpu_supports("avx512vnni");
  for (auto _ : state)
    if (generic)
      slm_uk_linear_q4(nullptr, x.data(), codes.data(), scales.data(), nullptr, nullptr, y.data(),
                       m, s.n, s.k, group);
    else if (vnni)
      slm_uk_linear_q4_vnni(nullptr, x.data(), codes.data(), scales.data(), nullptr, nullptr,
                            y.data(), m, s.n, s.k, group);
    else if (avx512)
      slm_uk_linear_q4_avx512(nullptr, x.data(), codes.data(), scales.data(), nullptr, nullptr,
                              nullptr, y.data(), m, s.n, s.k, group);
    else
      slm_uk_linear_q4_avx2(nullptr, x.data(), codes.data(), scales.data(), nullptr, nullptr,
                            y.data(), m, s.n, s.k, group);
  counters(state, m, s.n, s.k, s.n * s.k / 2.0 + 2.0 * s.n * groups);
}

/// Packed codes of `bits` bits in groups of `group` with f16 scales through
/// the kernel the lowering picks for them on this host, or (`generic`) the
/// generic one (qany): symmetric 5-7-bit integer codes, what `--quant auto`
/// gives layers at 5-7 bits (wide_avx512 on AVX-512 hosts, wide_avx2 on others), and 2-3-bit
/// codebook codes, its cold rows and layers below 4 bits (table_avx512, table_avx2).
struct PackedCase {
  const char *name;
  int bits;
  bool codebook, generic;
};
const PackedCase kPackedCases[] = {
    {"Slm/Q5G64", 5, false, false},        {"Slm/Q6G64", 6, false, false},
    {"Slm/Q6G64Generic", 6, false, true},  {"Slm/Q7G64", 7, false, false},
    {"Slm/Cb2G64", 2, true, false},        {"Slm/Cb3G64", 3, true, false},
    {"Slm/Cb3G64Generic", 3, true, true},  {"Slm/Cb4G64", 4, true, false},
    {"Slm/Cb4G64Generic", 4, true, true},
};

void slmPacked(benchmark::State &state, Shape s, int64_t m, const PackedCase &c) {
  const int64_t group = 64, groups = s.k / group, rowBytes = s.k * c.bits / 8;
  auto x = randomFloats(m * s.k, 1);
  std::vector<uint8_t> codes(s.n * rowBytes);
  std::mt19937 g(3);
  for (uint8_t &code : codes)
    code = static_cast<uint8_t>(g());
  std::vector<uint16_t> scales(s.n * groups, 0x2000);
  std::vector<float> codebook = {-1.0f, -0.6f, -0.3f, -0.1f, 0.1f, 0.3f, 0.6f, 1.0f};
  codebook.resize(size_t{1} << c.bits);
  const float *book = c.codebook ? codebook.data() : nullptr;
  std::vector<float> y(m * s.n);
  bool dedicated = !c.generic && hasAvx512BwVl();
  for (auto _ : state)
    if (dedicated && c.codebook && c.bits == 4)
      slm_uk_linear_q4_avx512(nullptr, x.data(), codes.data(), scales.data(), nullptr, book,
                              nullptr, y.data(), m, s.n, s.k, group);
    else if (dedicated && c.codebook)
      slm_uk_linear_table_avx512(nullptr, x.data(), codes.data(), scales.data(), book, nullptr,
                                 y.data(), m, s.n, s.k, c.bits, group);
    else if (dedicated)
      slm_uk_linear_wide_avx512(nullptr, x.data(), codes.data(), scales.data(), nullptr, nullptr,
                                y.data(), m, s.n, s.k, c.bits, group);
    else if (!c.generic && c.codebook)
      slm_uk_linear_table_avx2(nullptr, x.data(), codes.data(), scales.data(), book, nullptr,
                               y.data(), m, s.n, s.k, c.bits, group);
    else if (!c.generic)
      slm_uk_linear_wide_avx2(nullptr, x.data(), codes.data(), scales.data(), nullptr, nullptr,
                              y.data(), m, s.n, s.k, c.bits, group);
    else
      slm_uk_linear_qany(nullptr, x.data(), codes.data(), scales.data(), nullptr, book, nullptr,
                         y.data(), m, s.n, s.k, c.bits, group);
  counters(state, m, s.n, s.k, 1.0 * s.n * rowBytes + 2.0 * s.n * groups);
}

/// int8 per channel through the kernel the lowering picks for this CPU as a
/// target, or (`generic`) slm_uk_linear_q8.
void slmQ8(benchmark::State &state, Shape s, int64_t m, bool generic) {
  auto x = randomFloats(m * s.k, 1);
  std::vector<uint8_t> codes(s.n * s.k, 0x85);
  std::vector<uint16_t> scales(s.n, 0x2000);
  std::vector<float> y(m * s.n);
  auto kernel = generic                                ? slm_uk_linear_q8
                : !hasAvx512BwVl()                     ? slm_uk_linear_q8_avx2
                : __builtin_cpu_supports("avx512vnni") ? slm_uk_linear_q8_vnni
                                                       : slm_uk_linear_q8_avx512;
  for (auto _ : state)
    kernel(nullptr, x.data(), codes.data(), scales.data(), nullptr, y.data(), m, s.n, s.k, 0);
  counters(state, m, s.n, s.k, 1.0 * s.n * s.k + 2.0 * s.n);
}

void slmW4a8Kernel(benchmark::State &state, Shape s, int64_t m, bool allowAmx) {
  if (!__builtin_cpu_supports("avx512vnni")) {
    state.SkipWithError("needs AVX-512 VNNI");
    return;
  }
  const int64_t group = 32, groups = s.k / group;
  auto x = randomFloats(m * s.k, 1);
  std::vector<uint8_t> codes(s.n * s.k / 2, 0x5A);
  std::vector<uint16_t> scales(s.n * groups, 0x2000);
  std::vector<float> y(m * s.n);
  size_t bytes = slm_uk_w8a8_scratch_bytes(m, s.k, group);
  auto *scratch = static_cast<uint8_t *>(std::aligned_alloc(64, (bytes + 63) / 64 * 64));
  static const bool amx = slmc::amxAvailable();
  auto kernel = amx && allowAmx ? slm_uk_linear_w4a8_amx : slm_uk_linear_w4a8_vnni;
  for (auto _ : state)
    kernel(nullptr, x.data(), codes.data(), scales.data(), nullptr, y.data(), m,
                            s.n, s.k, group, scratch);
  std::free(scratch);
  counters(state, m, s.n, s.k, s.n * s.k / 2.0 + 2.0 * s.n * groups);
}
void slmW4a8(benchmark::State &state, Shape s, int64_t m) { slmW4a8Kernel(state, s, m, true); }
void slmW4a8Vnni(benchmark::State &state, Shape s, int64_t m) {
  slmW4a8Kernel(state, s, m, false);
}

void slmW8a8Kernel(benchmark::State &state, Shape s, int64_t m, bool allowAmx) {
  if (!__builtin_cpu_supports("avx512vnni")) {
    state.SkipWithError("needs AVX-512 VNNI");
    return;
  }
  static const bool amx = slmc::amxAvailable();
  auto kernel = amx && allowAmx ? slm_uk_linear_w8a8_amx : slm_uk_linear_w8a8_vnni;
  auto x = randomFloats(m * s.k, 1);
  std::vector<uint8_t> codes(s.n * s.k, 0x85);
  std::vector<uint16_t> scales(s.n, 0x2000);
  std::vector<float> y(m * s.n);
  size_t bytes = slm_uk_w8a8_scratch_bytes(m, s.k, 0);
  auto *scratch = static_cast<uint8_t *>(std::aligned_alloc(64, (bytes + 63) / 64 * 64));
  for (auto _ : state)
    kernel(nullptr, x.data(), codes.data(), scales.data(), nullptr, y.data(), m, s.n, s.k, 0,
           scratch);
  std::free(scratch);
  counters(state, m, s.n, s.k, 1.0 * s.n * s.k + 2.0 * s.n);
}
void slmW8a8(benchmark::State &state, Shape s, int64_t m) { slmW8a8Kernel(state, s, m, true); }
void slmW8a8Vnni(benchmark::State &state, Shape s, int64_t m) {
  slmW8a8Kernel(state, s, m, false);
}

// A decode step's attention over `position` cached rows of each of 28 layers.
struct AttentionShape {
  const char *name;
  int64_t qHeads, kvHeads, headDim;
};
const AttentionShape kAttentionShapes[] = {{"llama-0.5b", 16, 8, 64}, {"qwen3-0.6b", 16, 8, 128}};

// f32 caches, or int8 ones (each [position, head] row: a 4-byte scale, then the codes).
void slmAttention(benchmark::State &state, AttentionShape s, int64_t position, bool int8) {
  const int64_t layers = 28, rows = position + 1, heads = rows * s.kvHeads;
  const int64_t rowBytes = int8 ? 4 + s.headDim : 4 * s.headDim;
  std::vector<std::vector<uint8_t>> keys, values;
  for (int64_t l = 0; l < layers; ++l)
    for (auto *cache : {&keys, &values}) {
      auto floats = randomFloats(heads * s.headDim, static_cast<unsigned>(cache->size() + 7 * l));
      std::vector<uint8_t> bytes(heads * rowBytes);
      for (int64_t r = 0; r < heads; ++r) {
        uint8_t *p = bytes.data() + r * rowBytes;
        const float *x = floats.data() + r * s.headDim;
        if (!int8) {
          std::memcpy(p, x, rowBytes);
          continue;
        }
        float rowScale = 3.0f / 127;
        std::memcpy(p, &rowScale, 4);
        for (int64_t i = 0; i < s.headDim; ++i)
          p[4 + i] = static_cast<uint8_t>(static_cast<int8_t>(std::lround(
              std::fmax(-127.0f, std::fmin(127.0f, x[i] / rowScale)))));
      }
      cache->push_back(std::move(bytes));
    }
  auto q = randomFloats(s.qHeads * s.headDim, 3);
  auto k = randomFloats(s.kvHeads * s.headDim, 4), v = randomFloats(s.kvHeads * s.headDim, 5);
  std::vector<float> out(s.qHeads * s.headDim);
  float scale = 1.0f / std::sqrt(static_cast<float>(s.headDim));
  for (auto _ : state)
    for (int64_t l = 0; l < layers; ++l) {
      if (int8)
        slm_uk_attention_int8(nullptr, q.data(), k.data(), v.data(), keys[l].data(),
                              values[l].data(), out.data(), 1, s.qHeads, s.kvHeads, s.headDim,
                              s.headDim, rows, position, scale, 1, 0, 0.0f);
      else
        slm_uk_attention(nullptr, q.data(), k.data(), v.data(),
                         reinterpret_cast<float *>(keys[l].data()),
                         reinterpret_cast<float *>(values[l].data()), out.data(), 1, s.qHeads,
                         s.kvHeads, s.headDim, s.headDim, 0, rows, position, scale, 1, 0, 0.0f);
    }
  state.counters["cache_GB/s"] = benchmark::Counter(
      2.0 * layers * position * s.kvHeads * rowBytes,
      benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// A prefill's attention: `tokens` queries per head after `position` cached ones, f32 caches,
// every layer of the model; counter GFLOP/s (a multiply and an add per query, visible key and
// dimension, scores and output).
void slmAttentionPrefill(benchmark::State &state, AttentionShape s, int64_t tokens,
                         int64_t position) {
  const int64_t layers = 28, capacity = position + tokens;
  std::vector<std::vector<float>> keys, values;
  for (int64_t l = 0; l < layers; ++l) {
    keys.push_back(randomFloats(capacity * s.kvHeads * s.headDim, static_cast<unsigned>(2 * l)));
    values.push_back(
        randomFloats(capacity * s.kvHeads * s.headDim, static_cast<unsigned>(2 * l + 1)));
  }
  auto q = randomFloats(tokens * s.qHeads * s.headDim, 3);
  auto k = randomFloats(tokens * s.kvHeads * s.headDim, 4);
  auto v = randomFloats(tokens * s.kvHeads * s.headDim, 5);
  std::vector<float> out(tokens * s.qHeads * s.headDim);
  float scale = 1.0f / std::sqrt(static_cast<float>(s.headDim));
  for (auto _ : state)
    for (int64_t l = 0; l < layers; ++l)
      slm_uk_attention(nullptr, q.data(), k.data(), v.data(), keys[l].data(), values[l].data(),
                       out.data(), tokens, s.qHeads, s.kvHeads, s.headDim, s.headDim, 0,
                       capacity, position, scale, 1, 0, 0.0f);
  double pairs = static_cast<double>(tokens) * position + tokens * (tokens + 1) / 2.0;
  state.counters["GFLOP/s"] = benchmark::Counter(
      4.0 * layers * s.qHeads * pairs * s.headDim, benchmark::Counter::kIsIterationInvariantRate,
      benchmark::Counter::kIs1000);
}

struct Registrar {
  Registrar() {
    for (const Shape &s : kShapes)
      for (int64_t m : {int64_t{1}, int64_t{128}}) {
        std::string suffix = std::string(s.name) + "/M" + std::to_string(m);
        auto registerRun = [&](const char *kind, auto run) {
          benchmark::RegisterBenchmark((std::string(kind) + "/" + suffix).c_str(), run)
              ->Unit(benchmark::kMicrosecond)
              ->MinTime(0.2);
        };
        auto add = [&](const char *kind, void (*fn)(benchmark::State &, Shape, int64_t)) {
          registerRun(kind, [fn, s, m](benchmark::State &st) { fn(st, s, m); });
        };
        add("Dnnl/Sgemm", dnnlSgemm);
        add("Dnnl/U8s8", dnnlU8s8);
        add("Slm/F32", slmF32);
        add("Slm/F32Panels", slmF32Panels);
        add("Slm/BF16", slmBf16);
        for (bool generic : {false, true})
          registerRun(generic ? "Slm/Q4Generic" : "Slm/Q4",
                      [s, m, generic](benchmark::State &st) { slmQ4(st, s, m, generic); });
        for (bool generic : {false, true})
          registerRun(generic ? "Slm/Q8Generic" : "Slm/Q8",
                      [s, m, generic](benchmark::State &st) { slmQ8(st, s, m, generic); });
        add("Slm/W8A8", slmW8a8);
        add("Slm/W8A8Vnni", slmW8a8Vnni);
        add("Slm/W4A8", slmW4a8);
        add("Slm/W4A8Vnni", slmW4a8Vnni);
        for (const PackedCase &c : kPackedCases)
          registerRun(c.name, [c, s, m](benchmark::State &st) { slmPacked(st, s, m, c); });
      }
    for (bool int8 : {false, true})
      for (const AttentionShape &s : kAttentionShapes)
        for (int64_t position : {int64_t{128}, int64_t{512}, int64_t{2048}})
          benchmark::RegisterBenchmark((std::string(int8 ? "Slm/AttentionInt8/" : "Slm/Attention/") +
                                        s.name + "/P" + std::to_string(position))
                                           .c_str(),
                                       [s, position, int8](benchmark::State &st) {
                                         slmAttention(st, s, position, int8);
                                       })
              ->Unit(benchmark::kMicrosecond)
              ->MinTime(0.2);
    for (const AttentionShape &s : kAttentionShapes)
      for (int64_t position : {int64_t{0}, int64_t{384}})
        benchmark::RegisterBenchmark((std::string("Slm/AttentionPrefill/") + s.name + "/T128P" +
                                      std::to_string(position))
                                         .c_str(),
                                     [s, position](benchmark::State &st) {
                                       slmAttentionPrefill(st, s, 128, position);
                                     })
            ->Unit(benchmark::kMicrosecond)
            ->MinTime(0.2);
  }
} registrar;

} // namespace

BENCHMARK_MAIN();
