//===- QuantizedUkernelTest.cpp - kernels on packed weights vs the reference -===//
//
// The quantized micro-kernels against the reference decoding (dequantizeRows)
// and the f32 kernels on what it decodes: prefill (m >= 4) and the embedding
// give slm_uk_linear's and slm_uk_embedding's floats bit for bit; the decode
// kernels stay within rounding of a double-precision dot product; W8A8 and
// W4A8 give their formulas, computed here, float for float. Every format the quantizer writes is covered, ragged rows
// included, and the packed weights end right before a page the process may
// not read, so a kernel that reads past them crashes.
//
//===----------------------------------------------------------------------===//

#include "compiler/quant/Codebook.h"
#include "compiler/quant/QuantScheme.h"
#include "compiler/quant/QuantizedWeight.h"
#include "compiler/targets/ukernels/slm_ukernels.h"
#include "test/unit/ukernels/HostAmx.h"
#include "test/unit/ukernels/ParallelRun.h"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <set>

namespace slmc {
namespace {

using testing::runBoth;

/// `bytes` bytes that end where an unreadable page begins.
class GuardedBytes {
public:
  explicit GuardedBytes(llvm::ArrayRef<uint8_t> contents) : size_(contents.size()) {
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    mapped_ = (size_ + page - 1) / page * page + page;
    base_ = static_cast<uint8_t *>(
        mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    EXPECT_NE(base_, MAP_FAILED);
    EXPECT_EQ(mprotect(base_ + mapped_ - page, page, PROT_NONE), 0);
    if (size_ != 0) // an empty vector's data() may be null
      std::memcpy(data(), contents.data(), size_);
  }
  template <typename T>
  explicit GuardedBytes(const std::vector<T> &values)
      : GuardedBytes(llvm::ArrayRef(reinterpret_cast<const uint8_t *>(values.data()),
                                    values.size() * sizeof(T))) {}
  GuardedBytes(const GuardedBytes &) = delete;
  GuardedBytes &operator=(const GuardedBytes &) = delete;
  ~GuardedBytes() { munmap(base_, mapped_); }

  uint8_t *data() { return base_ + mapped_ - sysconf(_SC_PAGESIZE) - size_; }
  template <typename T> const T *as() { return size_ ? reinterpret_cast<const T *>(data()) : nullptr; }

private:
  size_t size_, mapped_;
  uint8_t *base_;
};

std::vector<float> randomFloats(size_t n, uint32_t seed, float lo = -1, float hi = 1) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float &f : v)
    f = d(gen);
  return v;
}

/// A weight matrix quantized by the quantizer, stored as the kernels read it.
struct PackedMatrix {
  PackedMatrix(const std::string &formatName, int64_t rows, int64_t columns, uint32_t seed)
      : format(**parseTensorFormat(formatName)), rows(rows), columns(columns),
        quantized(quantize(randomFloats(rows * columns, seed))), codes(quantized.codes),
        scales(quantized.scales), minimums(quantized.minimums), codebook(quantized.codebook),
        decoded(quantized.dequantized()) {}

  const uint8_t *codePointer() { return codes.as<uint8_t>(); }
  const uint16_t *scalePointer() { return scales.as<uint16_t>(); }
  const uint16_t *minimumPointer() { return minimums.as<uint16_t>(); }
  const float *codebookPointer() { return codebook.as<float>(); }

  slm::WeightFormat format;
  int64_t rows, columns;
  QuantizedWeight quantized;
  GuardedBytes codes, scales, minimums, codebook;
  std::vector<float> decoded; // the reference decoding, row-major

private:
  QuantizedWeight quantize(const std::vector<float> &w) const {
    if (!format.codebook)
      return quantizeRoundToNearest(w, rows, columns, format);
    return quantizeRoundToNearest(w, rows, columns, format, 1.0f,
                                  fitCodebook(w, rows, columns, format, {1.0f}));
  }
};

/// Every format the quantizer may choose, and more widths, groups and ragged ends.
std::vector<std::string> formatsUnderTest() {
  std::set<std::string> names = {"int2",          "int2-g32",       "int3-g32",  "int4",
                                 "int4-g32",      "int4-g64",       "int4-g128", "int4-g32-asym",
                                 "int4-g64-asym", "int4-g128-asym", "int5-g32",  "int5-g32-asym",
                                 "int5-g128",     "int6-g32",       "int7-g64-asym", "int8",
                                 "int8-g32",      "int8-g64",       "int8-g128", "int8-asym",
                                 "cb2",           "cb3-g32",        "cb4",       "cb4-g32",
                                 "cb4-g64",       "cb4-g128",       "cb3-g64",   "cb2-g128",
                                 "int6-g64",      "int7-g128",      "int8-g32-asym"};
  for (bool integerActivations : {false, true})
    for (const TensorFormat &f : allocatorCandidates(integerActivations))
      if (f)
        names.insert(tensorFormatName(f));
  return {names.begin(), names.end()};
}

struct MatrixShape {
  int64_t n, k;
  bool bias;
};
/// Ragged rows and columns (172: stories260K's FFN), a per-channel row that
/// ends inside a block of 32, several panels of 256, a tiny odd row, and row
/// counts that leave 2 and 3 rows over from the decode's four parts (or have
/// no four at all).
const MatrixShape kShapes[] = {{13, 172, true}, {40, 100, false}, {20, 520, true},
                               {5, 37, false},  {2, 40, true},    {7, 64, false},
                               {6, 96, true}};
const int64_t kRows[] = {1, 2, 3, 4, 7, 100};

/// The dedicated kernel the lowering picks for a format, if any.
enum class Dedicated { None, Q4, Q4Table, SmallTable, Q8, Wide };
Dedicated dedicatedKernel(const slm::WeightFormat &f) {
  bool groups = f.group == 32 || f.group == 64 || f.group == 128;
  if (f.bits == 4 && groups)
    return f.codebook ? Dedicated::Q4Table : Dedicated::Q4;
  if (f.codebook && (f.bits == 2 || f.bits == 3) && groups)
    return Dedicated::SmallTable;
  if (f.bits == 8 && f.symmetric && f.group % 32 == 0)
    return Dedicated::Q8;
  if (!f.codebook && f.bits >= 5 && groups)
    return Dedicated::Wide;
  return Dedicated::None;
}

std::string describe(const std::string &format, const MatrixShape &s, int64_t m,
                     const char *kernel) {
  return std::string(kernel) + " " + format + " m=" + std::to_string(m) +
         " n=" + std::to_string(s.n) + " k=" + std::to_string(s.k);
}

void expectSameFloats(const std::vector<float> &want, const float *got, const std::string &what) {
  int bad = 0;
  for (size_t i = 0; i < want.size() && bad < 5; ++i)
    if (std::memcmp(&want[i], &got[i], 4) != 0 && !(std::isnan(want[i]) && std::isnan(got[i]))) {
      ++bad;
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", expected " << want[i];
    }
}

bool hasAvx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl");
}

bool hasAvx2Fma() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("f16c");
}

bool hasAvx512Vnni() { return hasAvx512() && __builtin_cpu_supports("avx512vnni"); }

//===--- weight-only linear ------------------------------------------------===//

/// A weight-only linear kernel applied to x and a packed matrix.
using Kernel = std::function<void(const slm_uk_ctx *, const float *x, PackedMatrix &w,
                                  const float *bias, float *y, int64_t m)>;

/// The generic kernel on every format, and the dedicated ones the lowering
/// picks for it (for AVX-512 targets too when this CPU runs them).
std::vector<std::pair<const char *, Kernel>> kernelsFor(const slm::WeightFormat &format) {
  std::vector<std::pair<const char *, Kernel>> kernels = {
      {"qany", [](const slm_uk_ctx *ctx, const float *x, PackedMatrix &w, const float *bias,
                  float *y, int64_t m) {
         slm_uk_linear_qany(ctx, x, w.codePointer(), w.scalePointer(), w.minimumPointer(),
                            w.codebookPointer(), bias, y, m, w.rows, w.columns,
                            static_cast<int32_t>(w.format.bits), w.format.group);
       }}};
  auto q4 = [](auto kernel) {
    return [kernel](const slm_uk_ctx *ctx, const float *x, PackedMatrix &w, const float *bias,
                    float *y, int64_t m) {
      kernel(ctx, x, w.codePointer(), w.scalePointer(), w.minimumPointer(), bias, y, m, w.rows,
             w.columns, w.format.group);
    };
  };
  auto q4Table = [](const slm_uk_ctx *ctx, const float *x, PackedMatrix &w, const float *bias,
                    float *y, int64_t m) {
    slm_uk_linear_q4_avx512(ctx, x, w.codePointer(), w.scalePointer(), w.minimumPointer(),
                            w.codebookPointer(), bias, y, m, w.rows, w.columns, w.format.group);
  };
  auto tableAvx2 = [](const slm_uk_ctx *ctx, const float *x, PackedMatrix &w, const float *bias,
                      float *y, int64_t m) {
    slm_uk_linear_table_avx2(ctx, x, w.codePointer(), w.scalePointer(), w.codebookPointer(), bias,
                             y, m, w.rows, w.columns, static_cast<int32_t>(w.format.bits),
                             w.format.group);
  };
  auto smallTable = [](const slm_uk_ctx *ctx, const float *x, PackedMatrix &w, const float *bias,
                       float *y, int64_t m) {
    slm_uk_linear_table_avx512(ctx, x, w.codePointer(), w.scalePointer(), w.codebookPointer(), bias,
                               y, m, w.rows, w.columns, static_cast<int32_t>(w.format.bits),
                               w.format.group);
  };
  switch (dedicatedKernel(format)) {
  case Dedicated::Q4:
    kernels.push_back({"q4", q4(slm_uk_linear_q4)});
    if (hasAvx2Fma())
      kernels.push_back({"q4_avx2", q4(slm_uk_linear_q4_avx2)});
    if (hasAvx512Vnni())
      kernels.push_back({"q4_vnni", q4(slm_uk_linear_q4_vnni)});
    [[fallthrough]];
  case Dedicated::Q4Table:
    if (hasAvx512())
      kernels.push_back({"q4_avx512", q4Table});
    if (hasAvx2Fma() && format.codebook)
      kernels.push_back({"table_avx2", tableAvx2});
    break;
  case Dedicated::SmallTable:
    if (hasAvx512())
      kernels.push_back({"table_avx512", smallTable});
    if (hasAvx2Fma())
      kernels.push_back({"table_avx2", tableAvx2});
    break;
  case Dedicated::Wide:
    if (hasAvx2Fma())
      kernels.push_back({"wide_avx2", [](const slm_uk_ctx *ctx, const float *x, PackedMatrix &w,
                                         const float *bias, float *y, int64_t m) {
                           slm_uk_linear_wide_avx2(ctx, x, w.codePointer(), w.scalePointer(),
                                                   w.minimumPointer(), bias, y, m, w.rows,
                                                   w.columns, static_cast<int32_t>(w.format.bits),
                                                   w.format.group);
                         }});
    if (hasAvx512())
      kernels.push_back({"wide_avx512", [](const slm_uk_ctx *ctx, const float *x, PackedMatrix &w,
                                           const float *bias, float *y, int64_t m) {
                           slm_uk_linear_wide_avx512(ctx, x, w.codePointer(), w.scalePointer(),
                                                     w.minimumPointer(), bias, y, m, w.rows,
                                                     w.columns,
                                                     static_cast<int32_t>(w.format.bits),
                                                     w.format.group);
                         }});
    break;
  case Dedicated::Q8:
    kernels.push_back({"q8", [](const slm_uk_ctx *ctx, const float *x, PackedMatrix &w,
                                const float *bias, float *y, int64_t m) {
                         slm_uk_linear_q8(ctx, x, w.codePointer(), w.scalePointer(), bias, y, m,
                                          w.rows, w.columns, w.format.group);
                       }});
    if (hasAvx2Fma())
      kernels.push_back({"q8_avx2", [](const slm_uk_ctx *ctx, const float *x, PackedMatrix &w,
                                       const float *bias, float *y, int64_t m) {
                           slm_uk_linear_q8_avx2(ctx, x, w.codePointer(), w.scalePointer(), bias, y,
                                                 m, w.rows, w.columns, w.format.group);
                         }});
    if (hasAvx512())
      kernels.push_back({"q8_avx512", [](const slm_uk_ctx *ctx, const float *x, PackedMatrix &w,
                                         const float *bias, float *y, int64_t m) {
                           slm_uk_linear_q8_avx512(ctx, x, w.codePointer(), w.scalePointer(), bias,
                                                   y, m, w.rows, w.columns, w.format.group);
                         }});
    if (hasAvx512Vnni())
      kernels.push_back({"q8_vnni", [](const slm_uk_ctx *ctx, const float *x, PackedMatrix &w,
                                       const float *bias, float *y, int64_t m) {
                           slm_uk_linear_q8_vnni(ctx, x, w.codePointer(), w.scalePointer(), bias, y,
                                                 m, w.rows, w.columns, w.format.group);
                         }});
    break;
  case Dedicated::None:
    break;
  }
  return kernels;
}

/// Decode: fused multiply-adds in another order than slm_uk_linear's, within
/// rounding of the exact result on the decoded weights.
void expectWithinRounding(const std::vector<float> &x, const PackedMatrix &w, const float *bias,
                          int64_t m, const float *y, const std::string &what) {
  int64_t n = w.rows, k = w.columns;
  int bad = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double exact = bias ? bias[j] : 0.0, magnitude = std::fabs(exact);
      for (int64_t p = 0; p < k; ++p) {
        double product = double(x[i * k + p]) * double(w.decoded[j * k + p]);
        exact += product;
        magnitude += std::fabs(product);
      }
      double error = std::fabs(y[i * n + j] - exact);
      if (error > 1e-5 * magnitude + 1e-30 && bad++ < 5)
        ADD_FAILURE() << what << ": y[" << i << ", " << j << "] is " << y[i * n + j]
                      << ", exactly " << exact << " (error " << error << ")";
    }
}

/// Calls `check(w, s, bias or null, x, m)` for every shape and row count, on
/// `name`'s matrix of each shape and seeded random inputs.
template <typename Check> void forEachLinearCase(const std::string &name, Check &&check) {
  for (const MatrixShape &s : kShapes) {
    PackedMatrix w(name, s.n, s.k, static_cast<uint32_t>(s.n * 1000 + s.k));
    std::vector<float> bias = randomFloats(s.n, 3);
    const float *b = s.bias ? bias.data() : nullptr;
    for (int64_t m : kRows)
      check(w, s, b, randomFloats(m * s.k, static_cast<uint32_t>(m)), m);
  }
}

TEST(QuantizedUkernels, LinearMatchesTheF32KernelOnTheDecodedWeights) {
  for (const std::string &name : formatsUnderTest()) {
    forEachLinearCase(name, [&](PackedMatrix &w, const MatrixShape &s, const float *b,
                                const std::vector<float> &x, int64_t m) {
      std::vector<float> f32(m * s.n);
      slm_uk_linear(nullptr, x.data(), w.decoded.data(), b, f32.data(), m, s.n, s.k);
      for (auto &[kernel, call] : kernelsFor(w.format)) {
        std::string what = describe(name, s, m, kernel);
        auto got = runBoth(m * s.n * 4, [&](const slm_uk_ctx *ctx, void *y) {
          call(ctx, x.data(), w, b, static_cast<float *>(y), m);
        }, what);
        const float *y = reinterpret_cast<const float *>(got.data());
        if (m >= 4) { // the GEMM on decoded panels
          expectSameFloats(f32, y, what);
          continue;
        }
        expectWithinRounding(x, w, b, m, y, what);
      }
    });
  }
}

/// Decode (one row of x) of matrices large enough to be split into tasks (a
/// decode task streams at least 256 KB of weights: 6000 rows of 96 to 256
/// bytes make 2 to 6), and of rows longer than the AVX-512 int4 decode puts
/// in its order on the stack (16384 columns: the table kernel takes those).
TEST(QuantizedUkernels, DecodeOfLargeMatricesAndLongRows) {
  const MatrixShape shapes[] = {{6000, 256, true}, {5, 16400, false}};
  for (const char *name :
       {"int4-g32", "int4-g64-asym", "cb4-g128", "cb3-g64", "int8", "int6-g64", "int5-g32-asym"})
    for (const MatrixShape &s : shapes) {
      PackedMatrix w(name, s.n, s.k, 11);
      std::vector<float> bias = randomFloats(s.n, 3), x = randomFloats(s.k, 1);
      const float *b = s.bias ? bias.data() : nullptr;
      for (auto &[kernel, call] : kernelsFor(w.format)) {
        std::string what = describe(name, s, 1, kernel);
        auto got = runBoth(s.n * 4, [&](const slm_uk_ctx *ctx, void *y) {
          call(ctx, x.data(), w, b, static_cast<float *>(y), 1);
        }, what, /*expectSplit=*/s.n > 1000);
        expectWithinRounding(x, w, b, 1, reinterpret_cast<const float *>(got.data()), what);
      }
    }
}

/// The VNNI and AVX2 int4 decodes carry x as int8 digits on a scale per eight
/// values (4-bit codes) or four (8-bit): values far apart in size (an
/// activation outlier beside tiny ones, within and across a scale's values)
/// stay within rounding of the exact sums, and an x that digits cannot carry
/// (an infinity, a NaN) gives what the float decode of the same codes gives
/// (slm_uk_linear_q4_avx512's floats for VNNI, slm_uk_linear_q4's for AVX2).
TEST(QuantizedUkernels, DigitDecodesKeepWideRangesAndNonFiniteInputs) {
  if (!hasAvx2Fma())
    GTEST_SKIP() << "this CPU has no AVX2, FMA and F16C";
  using Decode = std::function<void(PackedMatrix &, const float *, float *)>;
  Decode q4Avx2 = [](PackedMatrix &w, const float *x, float *y) {
    slm_uk_linear_q4_avx2(nullptr, x, w.codePointer(), w.scalePointer(), w.minimumPointer(),
                          nullptr, y, 1, w.rows, w.columns, w.format.group);
  };
  Decode q4Generic = [](PackedMatrix &w, const float *x, float *y) {
    slm_uk_linear_q4(nullptr, x, w.codePointer(), w.scalePointer(), w.minimumPointer(), nullptr,
                     y, 1, w.rows, w.columns, w.format.group);
  };
  Decode q4Vnni = [](PackedMatrix &w, const float *x, float *y) {
    slm_uk_linear_q4_vnni(nullptr, x, w.codePointer(), w.scalePointer(), w.minimumPointer(),
                          nullptr, y, 1, w.rows, w.columns, w.format.group);
  };
  Decode q4Floats = [](PackedMatrix &w, const float *x, float *y) {
    slm_uk_linear_q4_avx512(nullptr, x, w.codePointer(), w.scalePointer(), w.minimumPointer(),
                            nullptr, nullptr, y, 1, w.rows, w.columns, w.format.group);
  };
  Decode q8Vnni = [](PackedMatrix &w, const float *x, float *y) {
    slm_uk_linear_q8_vnni(nullptr, x, w.codePointer(), w.scalePointer(), nullptr, y, 1, w.rows,
                          w.columns, w.format.group);
  };
  Decode q8Floats = [](PackedMatrix &w, const float *x, float *y) {
    slm_uk_linear_q8_avx512(nullptr, x, w.codePointer(), w.scalePointer(), nullptr, y, 1, w.rows,
                            w.columns, w.format.group);
  };
  struct Case {
    const char *format;
    int64_t k;
    size_t perScale;
    Decode digits, floats;
  };
  std::vector<Case> cases = {Case{"int4-g32", 300, 8, q4Avx2, q4Generic},
                             Case{"int4-g128-asym", 300, 8, q4Avx2, q4Generic}};
  if (hasAvx512Vnni())
    cases.insert(cases.end(), {Case{"int4-g32", 300, 8, q4Vnni, q4Floats},
                               Case{"int4-g128-asym", 300, 8, q4Vnni, q4Floats},
                               Case{"int8", 320, 4, q8Vnni, q8Floats},
                               Case{"int8-g32", 320, 4, q8Vnni, q8Floats}});
  for (const Case &c : cases) {
    PackedMatrix w(c.format, 9, c.k, 5);
    std::vector<float> x = randomFloats(c.k, 7);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] *= i % c.perScale == 3 ? 1e4f : i % 16 == 9 ? 1e-6f : 1.0f;
    std::vector<float> y(9);
    c.digits(w, x.data(), y.data());
    expectWithinRounding(x, w, nullptr, 1, y.data(), std::string(c.format) + " wide range");
    for (float bad : {std::numeric_limits<float>::infinity(), std::nanf("")}) {
      x[131] = bad;
      std::vector<float> want(9);
      c.floats(w, x.data(), want.data());
      c.digits(w, x.data(), y.data());
      expectSameFloats(want, y.data(),
                       std::string(c.format) + " with x[131] = " + std::to_string(bad));
    }
  }
}

/// The codebook table kernels (AVX-512: 2 and 3 bits; AVX2: 2 to 4 bits)
/// compute slm_uk_linear_qany's floats exactly (same products, same sums,
/// same fold), decode included.
TEST(QuantizedUkernels, CodebookTableKernelsEqualTheGenericKernel) {
  if (!hasAvx2Fma())
    GTEST_SKIP() << "this CPU has no AVX2, FMA and F16C";
  using Table = decltype(&slm_uk_linear_table_avx2);
  int checked = 0;
  for (const std::string &name : formatsUnderTest()) {
    PackedMatrix probe(name, 1, 32, 1);
    Dedicated dedicated = dedicatedKernel(probe.format);
    if (!probe.format.codebook ||
        (dedicated != Dedicated::SmallTable && dedicated != Dedicated::Q4Table))
      continue;
    std::vector<std::pair<const char *, Table>> tables = {{"table_avx2", slm_uk_linear_table_avx2}};
    if (hasAvx512() && dedicated == Dedicated::SmallTable)
      tables.push_back({"table_avx512", slm_uk_linear_table_avx512});
    forEachLinearCase(name, [&](PackedMatrix &w, const MatrixShape &s, const float *b,
                                const std::vector<float> &x, int64_t m) {
      std::vector<float> generic(m * s.n), table(m * s.n);
      int32_t bits = static_cast<int32_t>(w.format.bits);
      slm_uk_linear_qany(nullptr, x.data(), w.codePointer(), w.scalePointer(), nullptr,
                         w.codebookPointer(), b, generic.data(), m, s.n, s.k, bits,
                         w.format.group);
      for (auto &[kernel, call] : tables) {
        call(nullptr, x.data(), w.codePointer(), w.scalePointer(), w.codebookPointer(), b,
             table.data(), m, s.n, s.k, bits, w.format.group);
        expectSameFloats(generic, table.data(), describe(name, s, m, kernel));
        ++checked;
      }
    });
  }
  // cb2-g128, cb3-g32, cb3-g64 and cb4-g32, -g64, -g128 at least
  EXPECT_GE(checked, 6 * 7 * 6);
}

TEST(QuantizedUkernels, LinearWithNoInputsIsTheBias) {
  PackedMatrix w("int4-g32", 3, 0, 1);
  float bias[3] = {1, -2, 3}, y[6];
  slm_uk_linear_q4(nullptr, nullptr, w.codePointer(), w.scalePointer(), nullptr, bias, y, 2, 3, 0,
                   32);
  EXPECT_EQ(std::vector<float>(y, y + 6), (std::vector<float>{1, -2, 3, 1, -2, 3}));
}

//===--- embedding ------------------------------------------------------------===//

TEST(QuantizedUkernels, EmbeddingDecodesTheSelectedRowsAsTheReference) {
  for (const std::string &name : formatsUnderTest()) {
    for (const MatrixShape &s : kShapes) {
      PackedMatrix table(name, s.n, s.k, 77);
      std::vector<int64_t> ids = {s.n - 1, 0, 2 % s.n, -1, 1 % s.n, s.n - 1, 3 % s.n};
      auto got = runBoth(ids.size() * s.k * 4, [&](const slm_uk_ctx *ctx, void *out) {
        slm_uk_embedding_q(ctx, table.codePointer(), table.scalePointer(),
                           table.minimumPointer(), table.codebookPointer(), ids.data(),
                           static_cast<float *>(out),
                           static_cast<int64_t>(ids.size()), s.k,
                           static_cast<int32_t>(table.format.bits), table.format.group);
      }, name);
      std::vector<float> want;
      for (int64_t id : ids)
        for (int64_t c = 0; c < s.k; ++c)
          want.push_back(id >= 0 ? table.decoded[id * s.k + c] : 0.0f);
      expectSameFloats(want, reinterpret_cast<const float *>(got.data()),
                       "embedding " + name + " k=" + std::to_string(s.k));
    }
  }
}

//===--- W8A8 -------------------------------------------------------------------===//

/// Per-row int8 activations as W8A8 and W4A8 define them: the codes and s_x.
std::pair<std::vector<int32_t>, float> quantizeActivations(const float *row, int64_t k) {
  float largest = 0;
  for (int64_t p = 0; p < k; ++p)
    largest = std::max(largest, std::fabs(row[p]));
  float inverse = largest > 0 ? 127.0f / largest : 0.0f;
  std::vector<int32_t> xq(k);
  for (int64_t p = 0; p < k; ++p)
    xq[p] = static_cast<int32_t>(std::nearbyint(row[p] * inverse));
  return {std::move(xq), largest / 127.0f};
}

/// `want` (an integer-activation linear) is the weight-only f32 result up to
/// the activations' rounding: each x moves by at most max|x| / 254.
void expectWithinActivationRounding(const std::vector<float> &x, int64_t m, const PackedMatrix &w,
                                    const float *bias, const std::vector<float> &want,
                                    const std::string &what) {
  int64_t n = w.rows, k = w.columns;
  std::vector<float> f32(m * n);
  slm_uk_linear(nullptr, x.data(), w.decoded.data(), bias, f32.data(), m, n, k);
  for (int64_t i = 0; i < m; ++i) {
    float largest = 0;
    for (int64_t p = 0; p < k; ++p)
      largest = std::max(largest, std::fabs(x[i * k + p]));
    for (int64_t j = 0; j < n; ++j) {
      double weights = 0;
      for (int64_t p = 0; p < k; ++p)
        weights += std::fabs(w.decoded[j * k + p]);
      EXPECT_LE(std::fabs(want[i * n + j] - f32[i * n + j]), largest / 254 * weights * 1.01 + 1e-5)
          << what << " y[" << i << ", " << j << "]";
    }
  }
}

/// slm_ukernels.h's W8A8 formula, float for float.
std::vector<float> w8a8Reference(const std::vector<float> &x, int64_t m, int64_t k,
                                 const PackedMatrix &w, const float *bias) {
  int64_t n = w.rows, groups = w.format.groupsPerRow(k);
  int64_t rowBytes = w.format.packedRowBytes(k);
  int64_t unit = w.format.group ? w.format.group : SLM_UK_W8A8_UNIT;
  std::vector<float> y(m * n);
  for (int64_t i = 0; i < m; ++i) {
    const float *row = x.data() + i * k;
    auto [xq, xScale] = quantizeActivations(row, k);
    for (int64_t j = 0; j < n; ++j) {
      const int8_t *q = reinterpret_cast<const int8_t *>(w.quantized.codes.data()) + j * rowBytes;
      float f = 0;
      for (int64_t u = 0; u * unit < k; ++u) {
        int32_t sum = 0;
        for (int64_t p = u * unit; p < std::min(k, (u + 1) * unit); ++p)
          sum += xq[p] * q[p];
        float scale = fromHalf(w.quantized.scales[j * groups + (groups > 1 ? u : 0)]);
        float term = static_cast<float>(sum) * scale;
        f = f + term;
      }
      float v = f * xScale;
      y[i * n + j] = bias ? v + bias[j] : v;
    }
  }
  return y;
}

TEST(QuantizedUkernels, W8A8ComputesItsFormulaExactlyOnEveryPath) {
  using W8A8Kernel = void (*)(const slm_uk_ctx *, const float *, const uint8_t *,
                              const uint16_t *, const float *, float *, int64_t, int64_t, int64_t,
                              int64_t, uint8_t *);
  std::vector<std::pair<const char *, W8A8Kernel>> kernels = {{"w8a8", slm_uk_linear_w8a8}};
  if (__builtin_cpu_supports("avx512vnni"))
    kernels.push_back({"w8a8_vnni", slm_uk_linear_w8a8_vnni});
  else
    std::cerr << "this CPU has no AVX-512 VNNI: slm_uk_linear_w8a8_vnni is not run\n";
  if (__builtin_cpu_supports("avx512vnni") && amxAvailable())
    kernels.push_back({"w8a8_amx", slm_uk_linear_w8a8_amx});
  else
    std::cerr << "this CPU or OS has no AMX-INT8: slm_uk_linear_w8a8_amx is not run\n";
  // And the AMX kernel's cases: whole blocks of 32 rows of w read where they are stored (rows
  // of whole 64-column tiles) beside a ragged one, a last unit shorter than the others, and more
  // rows of x than a task holds partial sums for (128).
  std::vector<MatrixShape> shapes(std::begin(kShapes), std::end(kShapes));
  shapes.push_back({70, 320, true});
  shapes.push_back({64, 1024, false});
  std::vector<int64_t> rowCounts(std::begin(kRows), std::end(kRows));
  rowCounts.push_back(150);
  for (const char *name : {"int8", "int8-g32", "int8-g64", "int8-g128"}) {
    for (const MatrixShape &s : shapes) {
      PackedMatrix w(name, s.n, s.k, 5);
      std::vector<float> bias = randomFloats(s.n, 4);
      const float *b = s.bias ? bias.data() : nullptr;
      for (int64_t m : rowCounts) {
        std::vector<float> x = randomFloats(m * s.k, static_cast<uint32_t>(m + 10), -3, 2);
        std::fill_n(x.begin(), std::min<int64_t>(s.k, 5), 0.0f); // a row that starts with zeros
        std::vector<float> want = w8a8Reference(x, m, s.k, w, b);
        int64_t scratchBytes = slm_uk_w8a8_scratch_bytes(m, s.k, w.format.group);
        for (auto [kernel, call] : kernels) {
          std::string what = describe(name, s, m, kernel);
          std::vector<uint8_t> scratch(scratchBytes + 64, 0xEE);
          auto got = runBoth(m * s.n * 4, [&](const slm_uk_ctx *ctx, void *y) {
            call(ctx, x.data(), w.codePointer(), w.scalePointer(), b, static_cast<float *>(y), m,
                 s.n, s.k, w.format.group, scratch.data());
          }, what);
          expectSameFloats(want, reinterpret_cast<const float *>(got.data()), what);
          EXPECT_TRUE(std::all_of(scratch.end() - 64, scratch.end(),
                                  [](uint8_t v) { return v == 0xEE; }))
              << what << ": wrote past its scratch";
        }
        // And it is the weight-only result up to the activations' rounding.
        expectWithinActivationRounding(x, m, w, b, want, describe(name, s, m, "w8a8"));
      }
    }
  }
}

//===--- W4A8 -------------------------------------------------------------------===//

/// slm_ukernels.h's W4A8 formula (W8A8's with the groups as units), float for float, written
/// from its definition: signed codes times signed activations, column by column.
std::vector<float> w4a8Reference(const std::vector<float> &x, int64_t m, int64_t k,
                                 const PackedMatrix &w, const float *bias) {
  int64_t n = w.rows, groups = w.format.groupsPerRow(k), group = w.format.group;
  int64_t rowBytes = w.format.packedRowBytes(k);
  std::vector<float> y(m * n);
  for (int64_t i = 0; i < m; ++i) {
    const float *row = x.data() + i * k;
    auto [xq, xScale] = quantizeActivations(row, k);
    for (int64_t j = 0; j < n; ++j) {
      const uint8_t *codes = w.quantized.codes.data() + j * rowBytes;
      auto q = [&](int64_t p) { // the signed code of column p: a two's complement nibble
        int32_t nibble = (codes[p / 2] >> (4 * (p % 2))) & 15;
        return nibble >= 8 ? nibble - 16 : nibble;
      };
      // Groups in order: an exact integer sum, then a rounded multiply and a rounded add.
      float f = 0;
      for (int64_t g = 0; g < groups; ++g) {
        int32_t sum = 0;
        for (int64_t p = g * group; p < std::min(k, (g + 1) * group); ++p)
          sum += q(p) * xq[p];
        float term = static_cast<float>(sum) * fromHalf(w.quantized.scales[j * groups + g]);
        f = f + term;
      }
      float v = f * xScale;
      y[i * n + j] = bias ? v + bias[j] : v;
    }
  }
  return y;
}

TEST(QuantizedUkernels, W4A8ComputesItsFormulaExactlyOnEveryPath) {
  using W4A8Kernel = void (*)(const slm_uk_ctx *, const float *, const uint8_t *,
                              const uint16_t *, const float *, float *, int64_t, int64_t, int64_t,
                              int64_t, uint8_t *);
  std::vector<std::pair<const char *, W4A8Kernel>> kernels = {{"w4a8", slm_uk_linear_w4a8}};
  if (__builtin_cpu_supports("avx512vnni"))
    kernels.push_back({"w4a8_vnni", slm_uk_linear_w4a8_vnni});
  else
    std::cerr << "this CPU has no AVX-512 VNNI: slm_uk_linear_w4a8_vnni is not run\n";
  if (__builtin_cpu_supports("avx512vnni") && amxAvailable())
    kernels.push_back({"w4a8_amx", slm_uk_linear_w4a8_amx});
  else
    std::cerr << "this CPU or OS has no AMX-INT8: slm_uk_linear_w4a8_amx is not run\n";
  // Columns that end inside a chunk of 64, inside a group and inside decode's runs of 512;
  // several runs and GEMM panels (256 columns); blocks of 32 rows of w whole and ragged; and
  // (1100 x 1024) more than one decode task (256 KB of codes each), so runs of 16 rows that
  // start inside the matrix, split into tasks.
  const MatrixShape shapes[] = {{13, 172, true}, {40, 96, false}, {20, 520, true},
                                {17, 1024, false}, {3, 32, true}, {70, 320, true},
                                {64, 1100, false}, {1100, 1024, true}};
  for (const char *name : {"int4-g32", "int4-g64", "int4-g128"}) {
    for (const MatrixShape &s : shapes) {
      PackedMatrix w(name, s.n, s.k, 6);
      std::vector<float> bias = randomFloats(s.n, 4);
      const float *b = s.bias ? bias.data() : nullptr;
      for (int64_t m : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{8}, int64_t{11}, int64_t{64},
                        int64_t{150}}) {
        if (s.n > 1000 && m >= 4) // the many-task shape is there for decode
          continue;
        std::vector<float> x = randomFloats(m * s.k, static_cast<uint32_t>(m + 20), -3, 2);
        std::fill_n(x.begin(), std::min<int64_t>(s.k, 5), 0.0f);
        std::vector<float> want = w4a8Reference(x, m, s.k, w, b);
        int64_t scratchBytes = slm_uk_w8a8_scratch_bytes(m, s.k, w.format.group);
        for (auto [kernel, call] : kernels) {
          std::string what = describe(name, s, m, kernel);
          std::vector<uint8_t> storage(scratchBytes + 128, 0xEE);
          // 64-byte aligned, as the memory plan gives it
          uint8_t *scratch = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64;
          auto got = runBoth(m * s.n * 4, [&](const slm_uk_ctx *ctx, void *y) {
            call(ctx, x.data(), w.codePointer(), w.scalePointer(), b, static_cast<float *>(y), m,
                 s.n, s.k, w.format.group, scratch);
          }, what);
          expectSameFloats(want, reinterpret_cast<const float *>(got.data()), what);
          EXPECT_TRUE(std::all_of(scratch + scratchBytes, scratch + scratchBytes + 64,
                                  [](uint8_t v) { return v == 0xEE; }))
              << what << ": wrote past its scratch";
        }
        // The weight-only result up to the activations' rounding.
        expectWithinActivationRounding(x, m, w, b, want, describe(name, s, m, "w4a8"));
      }
    }
  }
}

} // namespace
} // namespace slmc
