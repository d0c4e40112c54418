//===- UkernelTest.cpp - the micro-kernels against the reference executor -===//
//
// Every test builds a one-op slm function, runs it on the reference executor
// (the numerical oracle) and runs the micro-kernel, with the arguments the
// lowering passes, on the same random inputs (fixed seeds). Every kernel also
// runs once more with a parallel_for that spreads tasks over 3 threads: the
// result must equal the inline run bit for bit.
//
//===----------------------------------------------------------------------===//

#include "compiler/InitAll.h"
#include "compiler/executor/Executor.h"
#include "compiler/targets/UkernelBitcode.h"
#include "compiler/targets/ukernels/slm_ukernels.h"
#include "test/unit/ukernels/ParallelRun.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <map>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <set>
#include <sstream>

namespace {

using slmc::exec::DType;
using slmc::exec::Shape;
using slmc::exec::Tensor;
using slmc::testing::runBoth;

//===--- tensors ------------------------------------------------------------===//


int32_t ukDType(DType t) {
  switch (t) {
  case DType::F32:
    return SLM_UK_F32;
  case DType::I64:
    return SLM_UK_I64;
  case DType::I32:
    return SLM_UK_I32;
  case DType::I1:
    return SLM_UK_I1;
  case DType::I8: // quantized weights' storage: no elementwise kernels
  case DType::F16:
  case DType::BF16:
    break;
  }
  return -1;
}

/// "tensor<2x3xf32>"; a negative dimension prints as "?".
std::string type(DType t, llvm::ArrayRef<int64_t> shape) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += (d < 0 ? std::string("?") : std::to_string(d)) + "x";
  return s + slmc::exec::dtypeName(t) + ">";
}

int64_t count(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Shape rowMajor(llvm::ArrayRef<int64_t> shape) {
  Shape strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Uniform floats in [lo, hi), integers in [lo, hi], i1 0/1.
Tensor random(DType t, llvm::ArrayRef<int64_t> shape, uint32_t seed, double lo = -1,
              double hi = 1) {
  std::mt19937 gen(seed);
  Tensor x = Tensor::zeros(t, shape);
  int64_t n = x.size();
  switch (t) {
  case DType::F32: {
    std::uniform_real_distribution<float> d(static_cast<float>(lo), static_cast<float>(hi));
    for (int64_t i = 0; i < n; ++i)
      x.data<float>()[i] = d(gen);
    break;
  }
  case DType::I64: {
    std::uniform_int_distribution<int64_t> d(static_cast<int64_t>(lo), static_cast<int64_t>(hi));
    for (int64_t i = 0; i < n; ++i)
      x.data<int64_t>()[i] = d(gen);
    break;
  }
  case DType::I32: {
    std::uniform_int_distribution<int32_t> d(static_cast<int32_t>(lo), static_cast<int32_t>(hi));
    for (int64_t i = 0; i < n; ++i)
      x.data<int32_t>()[i] = d(gen);
    break;
  }
  case DType::I1: {
    std::uniform_int_distribution<int> d(0, 1);
    for (int64_t i = 0; i < n; ++i)
      x.data<uint8_t>()[i] = static_cast<uint8_t>(d(gen));
    break;
  }
  case DType::I8:
  case DType::F16:
  case DType::BF16:
    ADD_FAILURE() << "no kernel test draws " << slmc::exec::dtypeName(t) << " values";
    break;
  }
  return x;
}

/// Random floats drawn from the integers in [lo, hi]: many ties and equalities.
Tensor randomSmallInts(DType t, llvm::ArrayRef<int64_t> shape, uint32_t seed, int lo, int hi) {
  if (t != DType::F32)
    return random(t, shape, seed, lo, hi);
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  Tensor x = Tensor::zeros(t, shape);
  for (int64_t i = 0; i < x.size(); ++i)
    x.data<float>()[i] = static_cast<float>(d(gen));
  return x;
}

Tensor scalarI64(int64_t v) { return Tensor::fromValues<int64_t>(DType::I64, {}, {v}); }

Tensor deepCopy(const Tensor &t) {
  Tensor c = Tensor::zeros(t.dtype(), t.shape());
  std::memcpy(c.data<char>(), t.raw(), t.size() * slmc::exec::byteWidth(t.dtype()));
  return c;
}

//===--- comparisons --------------------------------------------------------===//

/// Equal values (NaN equals NaN, -0 equals +0); `what` names the case.
void expectSame(const Tensor &want, const void *got, const std::string &what) {
  int64_t n = want.size(), bad = 0;
  for (int64_t i = 0; i < n && bad < 5; ++i) {
    bool same = true;
    std::string w, g;
    switch (want.dtype()) {
    case DType::F32: {
      float a = want.data<float>()[i], b = static_cast<const float *>(got)[i];
      same = a == b || (std::isnan(a) && std::isnan(b));
      w = std::to_string(a), g = std::to_string(b);
      break;
    }
    case DType::I64: {
      int64_t a = want.data<int64_t>()[i], b = static_cast<const int64_t *>(got)[i];
      same = a == b, w = std::to_string(a), g = std::to_string(b);
      break;
    }
    case DType::I32: {
      int32_t a = want.data<int32_t>()[i], b = static_cast<const int32_t *>(got)[i];
      same = a == b, w = std::to_string(a), g = std::to_string(b);
      break;
    }
    case DType::I1: {
      uint8_t a = want.data<uint8_t>()[i], b = static_cast<const uint8_t *>(got)[i];
      same = a == b, w = std::to_string(a), g = std::to_string(b);
      break;
    }
    case DType::I8:
    case DType::F16:
    case DType::BF16:
      ADD_FAILURE() << what << ": no kernel test compares " << slmc::exec::dtypeName(want.dtype());
      return;
    }
    if (!same) {
      ++bad;
      ADD_FAILURE() << what << ": element " << i << " is " << g << ", the reference " << w;
    }
  }
}

/// |got - want| <= atol + rtol * |want| (NaN matches NaN, inf the same inf).
void expectNear(const Tensor &want, const float *got, double rtol, double atol,
                const std::string &what) {
  ASSERT_EQ(want.dtype(), DType::F32) << what;
  int64_t bad = 0;
  for (int64_t i = 0; i < want.size(); ++i) {
    double a = want.data<float>()[i], b = got[i];
    bool ok = (std::isnan(a) && std::isnan(b)) || a == b ||
              std::fabs(a - b) <= atol + rtol * std::fabs(a);
    if (!ok && bad++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << b << ", the reference " << a
                    << " (difference " << (b - a) << ")";
  }
}

//===--- running the two sides ----------------------------------------------===//

class UkernelTest : public ::testing::Test {
public:
  UkernelTest() { slmc::loadAllDialects(context); }

  /// Runs @f of `ir` on the reference executor.
  std::vector<Tensor> reference(const std::string &ir, std::vector<Tensor> inputs) {
    auto module = mlir::parseSourceString<mlir::ModuleOp>(ir, &context);
    if (!module) {
      ADD_FAILURE() << "cannot parse:\n" << ir;
      return {};
    }
    auto f = module->lookupSymbol<mlir::func::FuncOp>("f");
    auto executor = slmc::exec::Executor::create(f);
    if (!executor) {
      ADD_FAILURE() << llvm::toString(executor.takeError()) << "\n" << ir;
      return {};
    }
    auto results = (*executor)->run(std::move(inputs));
    if (!results) {
      ADD_FAILURE() << llvm::toString(results.takeError()) << "\n" << ir;
      return {};
    }
    return std::move(*results);
  }

  /// func.func @f(%a0: T0, ...) -> (R...) { BODY; return %r... }
  static std::string function(const std::vector<std::string> &args,
                              const std::vector<std::string> &results, const std::string &body,
                              const std::vector<std::string> &returned = {"%r"}) {
    std::ostringstream s;
    s << "func.func @f(";
    for (size_t i = 0; i < args.size(); ++i)
      s << (i ? ", " : "") << "%a" << i << ": " << args[i];
    s << ") -> (";
    for (size_t i = 0; i < results.size(); ++i)
      s << (i ? ", " : "") << results[i];
    s << ") {\n  " << body << "\n  return ";
    for (size_t i = 0; i < returned.size(); ++i)
      s << (i ? ", " : "") << returned[i];
    s << " : ";
    for (size_t i = 0; i < results.size(); ++i)
      s << (i ? ", " : "") << results[i];
    s << "\n}\n";
    return s.str();
  }

  mlir::MLIRContext context;
};

//===--- unary ----------------------------------------------------------------===//

struct UnaryCase {
  int32_t code;
  const char *op;
  const char *attrs;
  double lo, hi;
  float alpha, beta;
};

const std::vector<UnaryCase> &unaryCases() {
  static const std::vector<UnaryCase> cases = {
      {SLM_UK_NEG, "neg", "", -4, 4, 0, 0},
      {SLM_UK_ABS, "abs", "", -4, 4, 0, 0},
      {SLM_UK_SIGN, "sign", "", -4, 4, 0, 0},
      {SLM_UK_EXP, "exp", "", -10, 10, 0, 0},
      {SLM_UK_LOG, "log", "", 0.01, 10, 0, 0},
      {SLM_UK_SQRT, "sqrt", "", 0, 10, 0, 0},
      {SLM_UK_RSQRT, "rsqrt", "", 0.01, 10, 0, 0},
      {SLM_UK_RECIPROCAL, "reciprocal", "", -4, 4, 0, 0},
      {SLM_UK_TANH, "tanh", "", -5, 5, 0, 0},
      {SLM_UK_ERF, "erf", "", -3, 3, 0, 0},
      {SLM_UK_SIGMOID, "sigmoid", "", -8, 8, 0, 0},
      {SLM_UK_SILU, "silu", "", -8, 8, 0, 0},
      {SLM_UK_RELU, "relu", "", -4, 4, 0, 0},
      {SLM_UK_SIN, "sin", "", -7, 7, 0, 0},
      {SLM_UK_COS, "cos", "", -7, 7, 0, 0},
      {SLM_UK_TAN, "tan", "", -1.5, 1.5, 0, 0},
      {SLM_UK_ASIN, "asin", "", -0.99, 0.99, 0, 0},
      {SLM_UK_ACOS, "acos", "", -0.99, 0.99, 0, 0},
      {SLM_UK_ATAN, "atan", "", -5, 5, 0, 0},
      {SLM_UK_SINH, "sinh", "", -5, 5, 0, 0},
      {SLM_UK_COSH, "cosh", "", -5, 5, 0, 0},
      {SLM_UK_ASINH, "asinh", "", -5, 5, 0, 0},
      {SLM_UK_ACOSH, "acosh", "", 1, 6, 0, 0},
      {SLM_UK_ATANH, "atanh", "", -0.99, 0.99, 0, 0},
      {SLM_UK_CEIL, "ceil", "", -4, 4, 0, 0},
      {SLM_UK_FLOOR, "floor", "", -4, 4, 0, 0},
      {SLM_UK_ROUND, "round", "", -4, 4, 0, 0},
      {SLM_UK_SOFTPLUS, "softplus", "", -8, 8, 0, 0},
      {SLM_UK_SOFTSIGN, "softsign", "", -4, 4, 0, 0},
      {SLM_UK_HARD_SWISH, "hard_swish", "", -5, 5, 0, 0},
      {SLM_UK_GELU, "gelu", "", -4, 4, 0, 0},
      {SLM_UK_GELU_TANH, "gelu", "{approximation = #slm<gelu_approximation tanh>}", -4, 4, 0, 0},
      {SLM_UK_LEAKY_RELU, "leaky_relu", "{alpha = 0.1 : f32}", -4, 4, 0.1f, 0},
      {SLM_UK_ELU, "elu", "{alpha = 0.7 : f32}", -4, 4, 0.7f, 0},
      {SLM_UK_CELU, "celu", "{alpha = 1.3 : f32}", -4, 4, 1.3f, 0},
      {SLM_UK_SELU, "selu", "{alpha = 1.67 : f32, gamma = 1.05 : f32}", -4, 4, 1.67f, 1.05f},
      {SLM_UK_HARD_SIGMOID, "hard_sigmoid", "{alpha = 0.2 : f32, beta = 0.5 : f32}", -5, 5, 0.2f,
       0.5f},
      {SLM_UK_THRESHOLDED_RELU, "thresholded_relu", "{alpha = 1.0 : f32}", -3, 3, 1.0f, 0},
  };
  return cases;
}

TEST_F(UkernelTest, UnaryFloatEveryOp) {
  // Ragged size, a split-sized size, and values at the edges (signed zeros,
  // halves for round, +-inf, NaN) in front of the random ones.
  for (int64_t n : {int64_t(37), int64_t(70001)}) {
    for (const UnaryCase &c : unaryCases()) {
      std::string what = std::string("slm.") + c.op + " " + c.attrs + " n=" + std::to_string(n);
      Tensor x = random(DType::F32, {n}, 1000 + c.code, c.lo, c.hi);
      const float edges[] = {0.0f, -0.0f, 0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 1.0f, -1.0f,
                             INFINITY, -INFINITY, NAN};
      for (size_t i = 0; i < std::size(edges); ++i)
        x.data<float>()[i] = edges[i];
      std::string t = type(DType::F32, {n});
      auto want = reference(function({t}, {t}, std::string("%r = slm.") + c.op + " %a0 " +
                                                   c.attrs + " : " + t),
                            {x});
      ASSERT_EQ(want.size(), 1u) << what;
      auto got = runBoth(
          n * 4,
          [&](const slm_uk_ctx *ctx, void *y) {
            slm_uk_unary(ctx, c.code, SLM_UK_F32, x.raw(), y, n, c.alpha, c.beta);
          },
          what, /*expectSplit=*/n > 60000);
      expectNear(want[0], reinterpret_cast<const float *>(got.data()), 1e-5, 1e-6, what);
    }
  }
}

TEST_F(UkernelTest, UnaryIntegersAndNot) {
  for (DType dt : {DType::I64, DType::I32}) {
    for (auto [code, op] : {std::pair{SLM_UK_NEG, "neg"}, std::pair{SLM_UK_ABS, "abs"},
                            std::pair{SLM_UK_SIGN, "sign"}}) {
      int64_t n = 1001;
      Tensor x = random(dt, {n}, 7 + code, -1000, 1000);
      std::string t = type(dt, {n});
      auto want = reference(function({t}, {t}, std::string("%r = slm.") + op + " %a0 : " + t), {x});
      ASSERT_EQ(want.size(), 1u);
      auto got = runBoth(n * slmc::exec::byteWidth(dt),
                         [&](const slm_uk_ctx *ctx, void *y) {
                           slm_uk_unary(ctx, code, ukDType(dt), x.raw(), y, n, 0, 0);
                         },
                         op);
      expectSame(want[0], got.data(), std::string(op) + " " + slmc::exec::dtypeName(dt));
    }
  }
  int64_t n = 100003;
  Tensor b = random(DType::I1, {n}, 5);
  std::string t = type(DType::I1, {n});
  auto want = reference(function({t}, {t}, "%r = slm.not %a0 : " + t), {b});
  ASSERT_EQ(want.size(), 1u);
  auto got = runBoth(
      n,
      [&](const slm_uk_ctx *ctx, void *y) {
        slm_uk_unary(ctx, SLM_UK_NOT, SLM_UK_I1, b.raw(), y, n, 0, 0);
      },
      "not", true);
  expectSame(want[0], got.data(), "not");
}

//===--- binary and where ------------------------------------------------------===//

/// Element strides of an operand of `shape` over the dimensions of `out`
/// (numpy broadcasting), as the lowering computes them.
Shape broadcastStrides(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<int64_t> out) {
  Shape strides(out.size(), 0);
  int64_t running = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1, o = static_cast<int64_t>(out.size()) - 1;
       d >= 0; --d, --o) {
    if (!(shape[d] == 1 && out[o] != 1))
      strides[o] = running;
    running *= shape[d];
  }
  return strides;
}

Shape broadcastShape(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    out[i] = da == 1 ? db : da;
  }
  return out;
}

struct BinaryCase {
  const char *kernel; // slm_uk_binary_KERNEL_DTYPE
  const char *op;
  const char *attrs;
  bool compare;
};

const std::vector<BinaryCase> &arithmeticCases() {
  static const std::vector<BinaryCase> cases = {
      {"add", "add", "", false}, {"sub", "sub", "", false},
      {"mul", "mul", "", false}, {"div", "div", "", false},
      {"pow", "pow", "", false}, {"max", "max", "", false},
      {"min", "min", "", false}, {"mod", "mod", "", false},
      {"fmod", "mod", "{fmod}", false},
  };
  return cases;
}

const std::vector<BinaryCase> &comparisonCases() {
  static const std::vector<BinaryCase> cases = {
      {"equal", "equal", "", true},     {"less", "less", "", true},
      {"less_equal", "less_equal", "", true}, {"greater", "greater", "", true},
      {"greater_equal", "greater_equal", "", true},
  };
  return cases;
}

const std::vector<std::pair<Shape, Shape>> &binaryShapes() {
  static const std::vector<std::pair<Shape, Shape>> shapes = {
      {{37, 53}, {37, 53}},       // same shape: one flat run
      {{4, 1, 5}, {3, 1}},        // both sides broadcast, rank 3
      {{2, 3, 4, 5}, {4, 1}},     // rank 4 against rank 2, inner broadcast
      {{1}, {7, 9}},              // a scalar-like lhs
      {{6, 1, 1, 8}, {1, 5, 3, 1}}, // rank 4 outer product
      {{300, 257}, {257}},        // big enough to split into tasks
      {{13}, {}},                 // a 0-d rhs
  };
  return shapes;
}

/// Inputs where every op is defined on both sides: no integer overflow in pow.
Tensor binaryInput(DType dt, llvm::ArrayRef<int64_t> shape, uint32_t seed, llvm::StringRef kernel,
                   bool rhs) {
  if (kernel == "pow") {
    if (dt == DType::F32)
      return rhs ? random(dt, shape, seed, -2, 2) : random(dt, shape, seed, 0.1, 3);
    return rhs ? random(dt, shape, seed, 0, 4) : random(dt, shape, seed, -5, 5);
  }
  if (dt == DType::F32) {
    Tensor t = random(dt, shape, seed, -8, 8);
    if (t.size() > 3 && !rhs)
      t.data<float>()[1] = NAN; // max/min take a NaN lhs
    if (t.size() > 5 && rhs)
      t.data<float>()[4] = NAN; // ... and return a NaN rhs
    return t;
  }
  return random(dt, shape, seed, -20, 20); // includes 0 divisors
}

using BinaryKernel = void (*)(const slm_uk_ctx *, const void *, const void *, void *, int32_t,
                             const int64_t *, const int64_t *, const int64_t *);

/// slm_uk_binary_KERNEL_DTYPE, from the header's list of kernels.
BinaryKernel binaryKernel(llvm::StringRef kernel, DType dt) {
  static const std::map<std::string, BinaryKernel> kernels = {
#define SLM_UK_ENTRY(OP, DTYPE) {#OP "_" #DTYPE, slm_uk_binary_##OP##_##DTYPE},
      SLM_UK_FOR_EACH_BINARY(SLM_UK_ENTRY)
#undef SLM_UK_ENTRY
  };
  std::string name = (kernel + "_" + slmc::exec::dtypeName(dt)).str();
  auto it = kernels.find(name);
  EXPECT_NE(it, kernels.end()) << "no kernel slm_uk_binary_" << name;
  return it->second;
}

void runBinary(UkernelTest *test, const BinaryCase &c, DType dt, const Shape &sa, const Shape &sb,
               Tensor a, Tensor b,
               const std::function<std::vector<Tensor>(const std::string &, std::vector<Tensor>)>
                   &reference) {
  Shape out = broadcastShape(sa, sb);
  DType rt = c.compare ? DType::I1 : dt;
  std::string ta = type(dt, sa), tb = type(dt, sb), tr = type(rt, out);
  std::string what = std::string("slm.") + c.op + c.attrs + " " + ta + ", " + tb;
  auto want = reference(UkernelTest::function({ta, tb}, {tr},
                                              std::string("%r = slm.") + c.op + " %a0, %a1 " +
                                                  c.attrs + " : " + ta + ", " + tb + " -> " + tr),
                        {a, b});
  ASSERT_EQ(want.size(), 1u) << what;
  Shape stA = broadcastStrides(sa, out), stB = broadcastStrides(sb, out);
  int64_t n = count(out);
  auto got = runBoth(
      n * slmc::exec::byteWidth(rt),
      [&](const slm_uk_ctx *ctx, void *y) {
        binaryKernel(c.kernel, dt)(ctx, a.raw(), b.raw(), y, static_cast<int32_t>(out.size()),
                                   out.data(), stA.data(), stB.data());
      },
      what, n > 70000);
  expectSame(want[0], got.data(), what);
}

TEST_F(UkernelTest, BinaryArithmeticBroadcasting) {
  auto ref = [this](const std::string &ir, std::vector<Tensor> in) { return reference(ir, in); };
  uint32_t seed = 1;
  for (DType dt : {DType::F32, DType::I64, DType::I32})
    for (const BinaryCase &c : arithmeticCases())
      for (const auto &[sa, sb] : binaryShapes()) {
        Tensor a = binaryInput(dt, sa, ++seed, c.kernel, false);
        Tensor b = binaryInput(dt, sb, ++seed, c.kernel, true);
        runBinary(this, c, dt, sa, sb, a, b, ref);
      }
}

TEST_F(UkernelTest, BinaryComparisonsAndLogic) {
  auto ref = [this](const std::string &ir, std::vector<Tensor> in) { return reference(ir, in); };
  uint32_t seed = 500;
  for (DType dt : {DType::F32, DType::I64, DType::I32, DType::I1})
    for (const BinaryCase &c : comparisonCases())
      for (const auto &[sa, sb] : binaryShapes()) {
        Tensor a = randomSmallInts(dt, sa, ++seed, -2, 2);
        Tensor b = randomSmallInts(dt, sb, ++seed, -2, 2);
        runBinary(this, c, dt, sa, sb, a, b, ref);
      }
  const BinaryCase logic[] = {{"and", "and", "", false},
                              {"or", "or", "", false},
                              {"xor", "xor", "", false}};
  for (const BinaryCase &c : logic)
    for (const auto &[sa, sb] : binaryShapes()) {
      Tensor a = random(DType::I1, sa, ++seed), b = random(DType::I1, sb, ++seed);
      runBinary(this, c, DType::I1, sa, sb, a, b, ref);
    }
}

TEST_F(UkernelTest, BinaryMoreDimensionsThanTheWalkMerges) {
  // 18 dimensions of 2 where the operands broadcast alternately, so no two
  // neighbours merge: the kernel's slow path (offsets by division).
  Shape sa(18, 2), sb(18, 2);
  for (size_t d = 0; d < 18; ++d)
    (d % 2 ? sa : sb)[d] = 1;
  auto ref = [this](const std::string &ir, std::vector<Tensor> in) { return reference(ir, in); };
  runBinary(this, {"sub", "sub", "", false}, DType::F32, sa, sb,
            random(DType::F32, sa, 3), random(DType::F32, sb, 4), ref);
}

TEST_F(UkernelTest, WhereEveryElementSize) {
  struct Case {
    Shape c, a, b;
  };
  const Case cases[] = {{{2, 3, 4}, {2, 3, 4}, {2, 3, 4}},
                        {{3, 1}, {2, 3, 4}, {4}},
                        {{5, 1, 7}, {1}, {6, 1}},
                        {{400, 1}, {400, 300}, {300}}};
  uint32_t seed = 900;
  for (DType dt : {DType::F32, DType::I64, DType::I32, DType::I1})
    for (const Case &k : cases) {
      Shape out = broadcastShape(broadcastShape(k.c, k.a), k.b);
      Tensor c = random(DType::I1, k.c, ++seed), a = random(dt, k.a, ++seed, -50, 50),
             b = random(dt, k.b, ++seed, -50, 50);
      std::string tc = type(DType::I1, k.c), ta = type(dt, k.a), tb = type(dt, k.b),
                  tr = type(dt, out);
      std::string what = "slm.where " + tc + ", " + ta + ", " + tb;
      auto want = reference(function({tc, ta, tb}, {tr},
                                     "%r = slm.where %a0, %a1, %a2 : " + tc + ", " + ta + ", " +
                                         tb + " -> " + tr),
                            {c, a, b});
      ASSERT_EQ(want.size(), 1u) << what;
      Shape sc = broadcastStrides(k.c, out), sa = broadcastStrides(k.a, out),
            sb = broadcastStrides(k.b, out);
      int64_t n = count(out);
      auto got = runBoth(
          n * slmc::exec::byteWidth(dt),
          [&](const slm_uk_ctx *ctx, void *y) {
            slm_uk_where(ctx, static_cast<int32_t>(slmc::exec::byteWidth(dt)),
                         c.data<uint8_t>(), a.raw(), b.raw(), y,
                         static_cast<int32_t>(out.size()), out.data(), sc.data(), sa.data(),
                         sb.data());
          },
          what, n > 100000);
      expectSame(want[0], got.data(), what);
    }
}

//===--- cast ------------------------------------------------------------------===//

TEST_F(UkernelTest, CastEveryPair) {
  const DType all[] = {DType::F32, DType::I64, DType::I32, DType::I1};
  uint32_t seed = 1300;
  for (DType from : all)
    for (DType to : all) {
      int64_t n = from == DType::F32 ? 70003 : 1003;
      Tensor x = random(from, {n}, ++seed, -100, 100);
      if (from == DType::F32) { // truncation toward zero and signed zeros
        const float edges[] = {-0.5f, 0.5f, -0.0f, 0.0f, -1.99f, 1.99f, 99.9f, -99.9f};
        std::copy(std::begin(edges), std::end(edges), x.data<float>());
      } else if (from == DType::I64) {
        x.data<int64_t>()[0] = 0;
      } else if (from == DType::I32) {
        x.data<int32_t>()[0] = 0;
      }
      std::string tx = type(from, {n}), ty = type(to, {n});
      std::string what = "slm.cast " + tx + " -> " + ty;
      auto want = reference(function({tx}, {ty}, "%r = slm.cast %a0 : " + tx + " -> " + ty), {x});
      ASSERT_EQ(want.size(), 1u) << what;
      auto got = runBoth(
          n * slmc::exec::byteWidth(to),
          [&](const slm_uk_ctx *ctx, void *y) {
            slm_uk_cast(ctx, ukDType(from), ukDType(to), x.raw(), y, n);
          },
          what, n > 70000);
      expectSame(want[0], got.data(), what);
    }
}

//===--- reductions ------------------------------------------------------------===//

struct ReduceCase {
  int32_t code;
  const char *op;
};

void runReduce(UkernelTest *test, const ReduceCase &c, DType dt, const Shape &shape,
               const std::vector<int64_t> &axes, bool keepdims, const Tensor &x,
               const std::function<std::vector<Tensor>(const std::string &, std::vector<Tensor>)>
                   &reference,
               bool expectSplit = false) {
  int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<bool> reduced(rank, false);
  for (int64_t a : axes)
    reduced[a < 0 ? a + rank : a] = true;
  Shape outShape;
  for (int64_t d = 0; d < rank; ++d)
    if (!reduced[d] || keepdims)
      outShape.push_back(reduced[d] ? 1 : shape[d]);
  // Output strides with reduced dimensions 0, and the fold count: the lowering's.
  Shape outStrides(rank, 0);
  int64_t running = 1, foldCount = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    if (reduced[d]) {
      foldCount *= shape[d];
    } else {
      outStrides[d] = running;
      running *= shape[d];
    }
  }
  std::string axesText;
  for (size_t i = 0; i < axes.size(); ++i)
    axesText += (i ? ", " : "") + std::to_string(axes[i]);
  std::string tx = type(dt, shape), ty = type(dt, outShape);
  std::string what = std::string("slm.") + c.op + " axes [" + axesText + "] keepdims " +
                     std::to_string(keepdims) + " " + tx;
  auto want = reference(
      UkernelTest::function({tx}, {ty},
                            std::string("%r = slm.") + c.op + " %a0 axes = [" + axesText +
                                "] {keepdims = " + (keepdims ? "true" : "false") + "} : " + tx +
                                " -> " + ty),
      {x});
  ASSERT_EQ(want.size(), 1u) << what;
  int64_t outSize = count(outShape);
  auto got = runBoth(
      outSize * slmc::exec::byteWidth(dt),
      [&](const slm_uk_ctx *ctx, void *y) {
        slm_uk_reduce(ctx, c.code, ukDType(dt), x.raw(), y, outSize, static_cast<int32_t>(rank),
                      shape.data(), outStrides.data(), foldCount);
      },
      what, expectSplit);
  if (dt == DType::F32 && (c.code == SLM_UK_SUM || c.code == SLM_UK_MEAN || c.code == SLM_UK_PROD))
    expectNear(want[0], reinterpret_cast<const float *>(got.data()), 1e-5, 1e-6, what);
  else
    expectSame(want[0], got.data(), what);
}

const ReduceCase kReduceCases[] = {{SLM_UK_SUM, "reduce_sum"},
                                   {SLM_UK_MEAN, "reduce_mean"},
                                   {SLM_UK_RMAX, "reduce_max"},
                                   {SLM_UK_RMIN, "reduce_min"},
                                   {SLM_UK_PROD, "reduce_prod"}};

TEST_F(UkernelTest, ReduceAxesKeepdimsDtypes) {
  auto ref = [this](const std::string &ir, std::vector<Tensor> in) { return reference(ir, in); };
  const Shape shape = {4, 5, 6, 7};
  const std::vector<std::vector<int64_t>> axesCases = {
      {0, 2}, {1, 3}, {-1}, {0}, {1, 2}, {0, 1, 2, 3}, {2}};
  uint32_t seed = 2000;
  for (DType dt : {DType::F32, DType::I64, DType::I32})
    for (const ReduceCase &c : kReduceCases)
      for (const auto &axes : axesCases)
        for (bool keepdims : {true, false}) {
          // Positive sums (a meaningful relative tolerance); products near 1.
          Tensor x = c.code == SLM_UK_PROD
                         ? (dt == DType::F32 ? random(dt, shape, ++seed, 0.9, 1.1)
                                             : random(dt, shape, ++seed, -2, 2))
                         : (dt == DType::F32 ? random(dt, shape, ++seed, 0.5, 1.5)
                                             : random(dt, shape, ++seed, -1000, 1000));
          if (dt == DType::F32 && (c.code == SLM_UK_RMAX || c.code == SLM_UK_RMIN))
            x = random(dt, shape, seed, -5, 5);
          runReduce(this, c, dt, shape, axes, keepdims, x, ref);
        }
}

TEST_F(UkernelTest, ReduceSplitsIntoTasks) {
  auto ref = [this](const std::string &ir, std::vector<Tensor> in) { return reference(ir, in); };
  uint32_t seed = 3000;
  for (const ReduceCase &c : kReduceCases) {
    float lo = c.code == SLM_UK_PROD ? 0.99f : 0.5f, hi = c.code == SLM_UK_PROD ? 1.01f : 1.5f;
    // Split over the leading kept dimension ...
    Shape s1 = {64, 300, 17};
    runReduce(this, c, DType::F32, s1, {1}, true, random(DType::F32, s1, ++seed, lo, hi), ref,
              true);
    // ... and over a kept dimension behind a reduced one.
    Shape s2 = {300, 64, 5};
    runReduce(this, c, DType::F32, s2, {0, 2}, false, random(DType::F32, s2, ++seed, lo, hi), ref,
              true);
    // Everything into one value: a single task.
    Shape s3 = {3, 1000};
    runReduce(this, c, DType::F32, s3, {0, 1}, false, random(DType::F32, s3, ++seed, lo, hi), ref);
  }
  // Too many unmergeable dimensions: the element-by-element path.
  Shape s4(18, 2);
  std::vector<int64_t> everyOther;
  for (int64_t d = 0; d < 18; d += 2)
    everyOther.push_back(d);
  runReduce(this, kReduceCases[0], DType::I64, s4, everyOther, true,
            random(DType::I64, s4, ++seed, -9, 9), ref);
}

TEST_F(UkernelTest, SoftmaxAndLogSoftmaxOnEveryAxis) {
  const Shape shape = {3, 50, 7};
  uint32_t seed = 4000;
  for (bool log : {false, true})
    for (int64_t axis : {1, -1, 0}) {
      Tensor x = random(DType::F32, shape, ++seed, -6, 6);
      std::string t = type(DType::F32, shape);
      std::string op = log ? "log_softmax" : "softmax";
      std::string what = "slm." + op + " axis " + std::to_string(axis);
      auto want = reference(function({t}, {t}, "%r = slm." + op + " %a0 {axis = " +
                                                   std::to_string(axis) + "} : " + t),
                            {x});
      ASSERT_EQ(want.size(), 1u) << what;
      int64_t a = axis < 0 ? axis + 3 : axis;
      int64_t outer = count(llvm::ArrayRef(shape).take_front(a)), extent = shape[a],
              inner = count(llvm::ArrayRef(shape).drop_front(a + 1));
      auto got = runBoth(
          x.size() * 4,
          [&](const slm_uk_ctx *ctx, void *y) {
            slm_uk_softmax(ctx, x.data<float>(), static_cast<float *>(y), outer, extent, inner,
                           log);
          },
          what);
      expectNear(want[0], reinterpret_cast<const float *>(got.data()), 1e-5, 1e-6, what);
    }
  // Big rows (split into tasks), last and middle axis.
  for (auto [shape2, axis] : {std::pair{Shape{200, 1000}, int64_t(1)},
                              std::pair{Shape{20, 300, 130}, int64_t(1)}}) {
    Tensor x = random(DType::F32, shape2, ++seed, -6, 6);
    std::string t = type(DType::F32, shape2);
    auto want = reference(function({t}, {t}, "%r = slm.softmax %a0 {axis = " +
                                                 std::to_string(axis) + "} : " + t),
                          {x});
    ASSERT_EQ(want.size(), 1u);
    int64_t outer = shape2[0], extent = shape2[1],
            inner = count(llvm::ArrayRef(shape2).drop_front(2));
    auto got = runBoth(
        x.size() * 4,
        [&](const slm_uk_ctx *ctx, void *y) {
          slm_uk_softmax(ctx, x.data<float>(), static_cast<float *>(y), outer, extent, inner, 0);
        },
        "big softmax", true);
    expectNear(want[0], reinterpret_cast<const float *>(got.data()), 1e-5, 1e-6, "big softmax");
  }
}

TEST_F(UkernelTest, ArgMaxArgMinWithTies) {
  uint32_t seed = 5000;
  for (DType dt : {DType::F32, DType::I64, DType::I32})
    for (const Shape &shape : {Shape{4, 9, 70}, Shape{300, 40}})
      for (int64_t axis = 0; axis < static_cast<int64_t>(shape.size()); ++axis)
        for (bool isMax : {true, false})
          for (bool last : {false, true}) {
            Tensor x = randomSmallInts(dt, shape, ++seed, 0, 3); // many ties
            Shape outShape(shape);
            outShape[axis] = 1;
            std::string tx = type(dt, shape), ty = type(DType::I64, outShape);
            std::string op = isMax ? "argmax" : "argmin";
            std::string what = op + " axis " + std::to_string(axis) + (last ? " last " : " ") + tx;
            auto want = reference(
                function({tx}, {ty},
                         "%r = slm." + op + " %a0 axis = " + std::to_string(axis) +
                             (last ? " {select_last_index}" : "") + " : " + tx + " -> " + ty),
                {x});
            ASSERT_EQ(want.size(), 1u) << what;
            int64_t outer = count(llvm::ArrayRef(shape).take_front(axis)), extent = shape[axis],
                    inner = count(llvm::ArrayRef(shape).drop_front(axis + 1));
            auto got = runBoth(
                outer * inner * 8,
                [&](const slm_uk_ctx *ctx, void *y) {
                  slm_uk_arg_reduce(ctx, ukDType(dt), x.raw(), static_cast<int64_t *>(y), outer,
                                    extent, inner, isMax, last);
                },
                what);
            expectSame(want[0], got.data(), what);
          }
}

//===--- data movement ---------------------------------------------------------===//

TEST_F(UkernelTest, CopyAsTransposeSliceAndExpand) {
  uint32_t seed = 6000;
  for (DType dt : {DType::F32, DType::I64, DType::I1, DType::I32}) {
    int32_t eb = static_cast<int32_t>(slmc::exec::byteWidth(dt));
    { // transpose
      Shape in = {2, 3, 4, 5};
      std::vector<int64_t> perm = {3, 1, 0, 2};
      Tensor x = random(dt, in, ++seed, -100, 100);
      Shape out, strides, inStrides = rowMajor(in);
      for (int64_t p : perm) {
        out.push_back(in[p]);
        strides.push_back(inStrides[p]);
      }
      std::string tx = type(dt, in), ty = type(dt, out);
      auto want = reference(function({tx}, {ty}, "%r = slm.transpose %a0 permutation = [3, 1, 0, 2] : " +
                                                     tx + " -> " + ty),
                            {x});
      ASSERT_EQ(want.size(), 1u);
      auto got = runBoth(x.size() * eb,
                         [&](const slm_uk_ctx *ctx, void *y) {
                           slm_uk_copy(ctx, eb, x.raw(), y, 4, out.data(), strides.data(), 0);
                         },
                         "transpose");
      expectSame(want[0], got.data(), std::string("transpose ") + slmc::exec::dtypeName(dt));
    }
    { // slice with steps (negative too), starts out of range (clamped)
      Shape in = {10, 12, 3};
      Tensor x = random(dt, in, ++seed, -100, 100);
      std::vector<int64_t> starts = {1, 20, -1}, ends = {9, 1, -4}, axes = {0, 1, 2},
                           steps = {2, -3, -1};
      Shape begin(3, 0), step(3, 1), out(3);
      for (int d = 0; d < 3; ++d) {
        int64_t dim = in[d], s = steps[d];
        auto clampIndex = [&](int64_t v) {
          v = v < 0 ? v + dim : v;
          return s > 0 ? std::clamp<int64_t>(v, 0, dim) : std::clamp<int64_t>(v, -1, dim - 1);
        };
        int64_t b = clampIndex(starts[d]), e = clampIndex(ends[d]);
        begin[d] = b;
        step[d] = s;
        out[d] = s > 0 ? std::max<int64_t>(0, (e - b + s - 1) / s)
                       : std::max<int64_t>(0, (b - e - s - 1) / -s);
      }
      Shape inStrides = rowMajor(in), strides(3);
      int64_t offset = 0;
      for (int d = 0; d < 3; ++d) {
        offset += begin[d] * inStrides[d];
        strides[d] = step[d] * inStrides[d];
      }
      auto vec = [](const std::vector<int64_t> &v) {
        return Tensor::fromValues<int64_t>(DType::I64, {static_cast<int64_t>(v.size())}, v);
      };
      std::string tx = type(dt, in), ty = type(dt, out), ti = type(DType::I64, {3});
      auto want = reference(function({tx, ti, ti, ti, ti}, {ty},
                                     "%r = slm.slice %a0[%a1, %a2, %a3, %a4] : (" + tx + ", " + ti +
                                         ", " + ti + ", " + ti + ", " + ti + ") -> " + ty),
                            {x, vec(starts), vec(ends), vec(axes), vec(steps)});
      ASSERT_EQ(want.size(), 1u);
      ASSERT_EQ(llvm::ArrayRef<int64_t>(want[0].shape()), llvm::ArrayRef<int64_t>(out));
      auto got = runBoth(count(out) * eb,
                         [&](const slm_uk_ctx *ctx, void *y) {
                           slm_uk_copy(ctx, eb, x.raw(), y, 3, out.data(), strides.data(), offset);
                         },
                         "slice");
      expectSame(want[0], got.data(), std::string("slice ") + slmc::exec::dtypeName(dt));
    }
    { // expand (broadcast copy), big enough to split
      Shape in = {3, 1, 40}, out = {20, 3, 50, 40};
      Tensor x = random(dt, in, ++seed, -100, 100);
      Shape strides(4, 0), inStrides = rowMajor(in);
      for (int64_t d = 2, o = 3; d >= 0; --d, --o)
        if (in[d] != 1)
          strides[o] = inStrides[d];
      Tensor shapeArg = Tensor::fromValues<int64_t>(DType::I64, {4}, llvm::ArrayRef<int64_t>(out));
      std::string tx = type(dt, in), ty = type(dt, out), ts = type(DType::I64, {4});
      auto want = reference(function({tx, ts}, {ty}, "%r = slm.expand %a0, %a1 : " + tx + ", " +
                                                         ts + " -> " + ty),
                            {x, shapeArg});
      ASSERT_EQ(want.size(), 1u);
      auto got = runBoth(count(out) * eb,
                         [&](const slm_uk_ctx *ctx, void *y) {
                           slm_uk_copy(ctx, eb, x.raw(), y, 4, out.data(), strides.data(), 0);
                         },
                         "expand", true);
      expectSame(want[0], got.data(), std::string("expand ") + slmc::exec::dtypeName(dt));
    }
  }
}

TEST_F(UkernelTest, GatherWithNegativeIndices) {
  uint32_t seed = 7000;
  const Shape in = {4, 6, 5};
  for (DType dt : {DType::F32, DType::I64, DType::I1})
    for (DType it : {DType::I64, DType::I32})
      for (int64_t axis : {0, 1, 2}) {
        int64_t extent = in[axis];
        std::vector<int64_t> idx = {-1, 0, extent - 1, -extent, 2, -2, 1};
        Tensor indices = Tensor::zeros(it, {static_cast<int64_t>(idx.size())});
        for (size_t i = 0; i < idx.size(); ++i) {
          if (it == DType::I64)
            indices.data<int64_t>()[i] = idx[i];
          else
            indices.data<int32_t>()[i] = static_cast<int32_t>(idx[i]);
        }
        Tensor x = random(dt, in, ++seed, -100, 100);
        Shape out(in);
        out[axis] = static_cast<int64_t>(idx.size());
        std::string tx = type(dt, in), ti = type(it, {static_cast<int64_t>(idx.size())}),
                    ty = type(dt, out);
        std::string what = "gather axis " + std::to_string(axis) + " " + tx + "[" + ti + "]";
        auto want = reference(function({tx, ti}, {ty},
                                       "%r = slm.gather %a0[%a1] axis = " + std::to_string(axis) +
                                           " : " + tx + ", " + ti + " -> " + ty),
                              {x, indices});
        ASSERT_EQ(want.size(), 1u) << what;
        int64_t outer = count(llvm::ArrayRef(in).take_front(axis)),
                inner = count(llvm::ArrayRef(in).drop_front(axis + 1));
        int32_t eb = static_cast<int32_t>(slmc::exec::byteWidth(dt));
        auto got = runBoth(count(out) * eb,
                           [&](const slm_uk_ctx *ctx, void *y) {
                             slm_uk_gather(ctx, eb, x.raw(), indices.raw(), ukDType(it), y, outer,
                                           extent, inner, static_cast<int64_t>(idx.size()));
                           },
                           what);
        expectSame(want[0], got.data(), what);
      }
}

TEST_F(UkernelTest, GatherOfWordsAlongTheLastAxisInBlocks) {
  // Logits [3, 2500] put back in a vocabulary order of 2100 indices: more
  // than one block of the 4-byte path, negative indices among them.
  const int64_t rows = 3, extent = 2500, picked = 2100;
  Tensor x = random(DType::F32, {rows, extent}, 7100);
  Tensor indices = Tensor::zeros(DType::I32, {picked});
  for (int64_t i = 0; i < picked; ++i)
    indices.data<int32_t>()[i] = static_cast<int32_t>((i * 1237) % extent - (i % 3 == 0 ? extent : 0));
  std::string tx = type(DType::F32, {rows, extent}), ti = type(DType::I32, {picked}),
              ty = type(DType::F32, {rows, picked});
  auto want = reference(
      function({tx, ti}, {ty}, "%r = slm.gather %a0[%a1] axis = 1 : " + tx + ", " + ti + " -> " + ty),
      {x, indices});
  ASSERT_EQ(want.size(), 1u);
  auto got = runBoth(
      rows * picked * 4,
      [&](const slm_uk_ctx *ctx, void *y) {
        slm_uk_gather(ctx, 4, x.raw(), indices.raw(), SLM_UK_I32, y, rows, extent, 1, picked);
      },
      "gather of words");
  expectSame(want[0], got.data(), "gather of words");
}

TEST_F(UkernelTest, Embedding) {
  for (auto [vocab, width, n] : {std::tuple{50, 33, 7}, std::tuple{1000, 256, 300}}) {
    Tensor table = random(DType::F32, {vocab, width}, 8000 + vocab);
    Tensor ids = random(DType::I64, {n}, 8100 + n, 0, vocab - 1);
    std::string tt = type(DType::F32, {vocab, width}), ti = type(DType::I64, {n}),
                ty = type(DType::F32, {n, width});
    auto want = reference(function({tt, ti}, {ty}, "%r = slm.embedding %a0, %a1 : " + tt + ", " +
                                                       ti + " -> " + ty),
                          {table, ids});
    ASSERT_EQ(want.size(), 1u);
    auto got = runBoth(
        n * width * 4,
        [&](const slm_uk_ctx *ctx, void *y) {
          slm_uk_embedding(ctx, table.data<float>(), ids.data<int64_t>(), static_cast<float *>(y),
                           n, width);
        },
        "embedding", n > 200);
    expectSame(want[0], got.data(), "embedding");
  }
}

//===--- linear algebra --------------------------------------------------------===//

TEST_F(UkernelTest, LinearDecodeAndPrefillWithRaggedSizes) {
  struct Case {
    int64_t m, n, k;
    bool split;
  };
  const Case cases[] = {{1, 45, 172, false},  {37, 45, 172, false}, {1, 1000, 256, true},
                        {3, 61, 33, false},    {37, 200, 300, true}, {4, 17, 5, false},
                        {130, 70, 20, true},  {1, 3, 7, false}};
  uint32_t seed = 9000;
  for (const Case &c : cases)
    for (bool withBias : {false, true}) {
      Tensor x = random(DType::F32, {c.m, c.k}, ++seed), w = random(DType::F32, {c.n, c.k}, ++seed),
             bias = random(DType::F32, {c.n}, ++seed);
      std::string tx = type(DType::F32, {c.m, c.k}), tw = type(DType::F32, {c.n, c.k}),
                  tb = type(DType::F32, {c.n}), ty = type(DType::F32, {c.m, c.n});
      std::string what = "linear m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) +
                         " k=" + std::to_string(c.k) + (withBias ? " bias" : "");
      auto want = withBias
                      ? reference(function({tx, tw, tb}, {ty},
                                           "%r = slm.linear %a0, %a1, %a2 : " + tx + ", " + tw +
                                               ", " + tb + " -> " + ty),
                                  {x, w, bias})
                      : reference(function({tx, tw}, {ty},
                                           "%r = slm.linear %a0, %a1 : " + tx + ", " + tw + " -> " + ty),
                                  {x, w});
      ASSERT_EQ(want.size(), 1u) << what;
      auto got = runBoth(
          c.m * c.n * 4,
          [&](const slm_uk_ctx *ctx, void *y) {
            slm_uk_linear(ctx, x.data<float>(), w.data<float>(),
                          withBias ? bias.data<float>() : nullptr, static_cast<float *>(y), c.m,
                          c.n, c.k);
          },
          what, c.split);
      expectNear(want[0], reinterpret_cast<const float *>(got.data()), 1e-4, 1e-4, what);
    }
}

// The GEMM's two register tiles (slm_uk_gemm_tile_columns: 8 x 32 where the
// compiler targets AVX-512, 6 x 16 elsewhere) give the same floats: the same
// fused multiply-add per term in the same order. Ragged sizes put rows past
// the last whole tile, 16-column blocks beside 32-column ones and columns past
// n in one call; f32 and bf16 weights, with and without bias and tasks.
TEST_F(UkernelTest, GemmTilesOf32And16ColumnsGiveTheSameFloats) {
  struct Case {
    int64_t m, n, k;
    bool split;
  };
  const Case cases[] = {{37, 70, 172, true},
                        {130, 64, 300, true},
                        {6, 45, 33, false},
                        {7, 100, 520, true},
                        {4, 17, 5, false}};
  int32_t saved = slm_uk_gemm_tile_columns;
  uint32_t seed = 9300;
  for (const Case &c : cases)
    for (bool bfloat : {false, true})
      for (bool withBias : {false, true}) {
        Tensor x = random(DType::F32, {c.m, c.k}, ++seed),
               w = random(DType::F32, {c.n, c.k}, ++seed), bias = random(DType::F32, {c.n}, ++seed);
        std::vector<uint16_t> stored(c.n * c.k);
        for (int64_t i = 0; i < c.n * c.k; ++i) { // bf16 by truncation: any bits do here
          uint32_t bits;
          std::memcpy(&bits, &w.data<float>()[i], 4);
          stored[i] = static_cast<uint16_t>(bits >> 16);
        }
        std::string what = std::string(bfloat ? "bf16" : "f32") + " m=" + std::to_string(c.m) +
                           " n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) +
                           (withBias ? " bias" : "");
        std::vector<std::vector<uint8_t>> results;
        for (int32_t columns : {16, 32}) {
          slm_uk_gemm_tile_columns = columns;
          results.push_back(runBoth(
              c.m * c.n * 4,
              [&](const slm_uk_ctx *ctx, void *y) {
                const float *b = withBias ? bias.data<float>() : nullptr;
                if (bfloat)
                  slm_uk_linear_bf16(ctx, x.data<float>(), stored.data(), b,
                                     static_cast<float *>(y), c.m, c.n, c.k);
                else
                  slm_uk_linear(ctx, x.data<float>(), w.data<float>(), b, static_cast<float *>(y),
                                c.m, c.n, c.k);
              },
              what + " tile columns " + std::to_string(columns), c.split));
        }
        slm_uk_gemm_tile_columns = saved;
        EXPECT_EQ(results[0], results[1]) << what;
      }
}

// f32 weights stored as the GEMM's panels (#slm.weight_layout<panels16>,
// packed here from the layout's definition in slm_ukernels.h): the linear is
// the reference's within rounding, slm_uk_linear's prefill bit for bit (the
// same panels, tiles and order), and a decode (m < 4) gives the rows of a
// prefill bit for bit; the embedding reads the rows slm_uk_embedding does
// (zeros for a negative id). Ragged n (5 is less than one stripe) leaves the
// last stripe partly padding; decode and prefill are cut into tasks.
TEST_F(UkernelTest, WeightsStoredAsPanels) {
  struct Case {
    int64_t n, k;
    bool split, decodeSplit; // whether the prefill, the decode is cut into tasks
  };
  const Case cases[] = {{45, 172, false, false}, {1000, 256, true, true}, {64, 33, false, false},
                        {70, 520, true, false},  {5, 40, false, false}};
  uint32_t seed = 9400;
  for (const Case &c : cases) {
    const int64_t columns = SLM_UK_PANEL_COLUMNS, stripes = (c.n + columns - 1) / columns;
    Tensor w = random(DType::F32, {c.n, c.k}, ++seed), bias = random(DType::F32, {c.n}, ++seed);
    std::vector<float> panels(stripes * columns * c.k, 0.0f);
    for (int64_t j = 0; j < c.n; ++j)
      for (int64_t p = 0; p < c.k; ++p)
        panels[(j / columns * c.k + p) * columns + j % columns] = w.data<float>()[j * c.k + p];
    std::string tw = type(DType::F32, {c.n, c.k}), tb = type(DType::F32, {c.n});
    const int64_t prefill = 37;
    Tensor x = random(DType::F32, {prefill, c.k}, ++seed);
    for (bool withBias : {false, true}) {
      const float *b = withBias ? bias.data<float>() : nullptr;
      std::string what = "n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) +
                         (withBias ? " bias" : "");
      auto run = [&](auto kernel, const float *weights, int64_t m, const std::string &name) {
        return runBoth(
            m * c.n * 4,
            [&](const slm_uk_ctx *ctx, void *y) {
              kernel(ctx, x.data<float>(), weights, b, static_cast<float *>(y), m, c.n, c.k);
            },
            name + " " + what + " m=" + std::to_string(m), m >= 4 ? c.split : c.decodeSplit);
      };
      std::vector<uint8_t> got = run(slm_uk_linear_panels, panels.data(), prefill, "panels");
      EXPECT_EQ(got, run(slm_uk_linear, w.data<float>(), prefill, "row-major")) << what;
      std::string tx = type(DType::F32, {prefill, c.k}), ty = type(DType::F32, {prefill, c.n});
      auto want = withBias ? reference(function({tx, tw, tb}, {ty},
                                                "%r = slm.linear %a0, %a1, %a2 : " + tx + ", " +
                                                    tw + ", " + tb + " -> " + ty),
                                       {x, w, bias})
                           : reference(function({tx, tw}, {ty},
                                                "%r = slm.linear %a0, %a1 : " + tx + ", " + tw +
                                                    " -> " + ty),
                                       {x, w});
      ASSERT_EQ(want.size(), 1u) << what;
      expectNear(want[0], reinterpret_cast<const float *>(got.data()), 1e-4, 1e-4, what);
      for (int64_t m : {1, 3}) {
        std::vector<uint8_t> decode = run(slm_uk_linear_panels, panels.data(), m, "panels");
        EXPECT_TRUE(std::equal(decode.begin(), decode.end(), got.begin())) << what << " m=" << m;
      }
    }
    Tensor ids = random(DType::I64, {9}, ++seed, 0, c.n - 1);
    ids.data<int64_t>()[4] = -1; // zeros, as slm_uk_embedding gives, not a read before the table
    auto rows = [&](auto kernel, const float *table) {
      return runBoth(
          9 * c.k * 4,
          [&](const slm_uk_ctx *ctx, void *y) {
            kernel(ctx, table, ids.data<int64_t>(), static_cast<float *>(y), 9, c.k);
          },
          "embedding", false);
    };
    EXPECT_EQ(rows(slm_uk_embedding_panels, panels.data()), rows(slm_uk_embedding, w.data<float>()));
  }
}

// bf16 and f16 weights (slm.widen fused into the reader): the kernels equal
// slm_uk_linear and slm_uk_embedding on the widened weights bit for bit, in
// decode (dot products) and prefill (panels), split into tasks or not. The
// weights are narrowed here independently of slmc (f16: the compiler's
// _Float16 cast; bf16: the nearer neighbour, measured in double).
TEST_F(UkernelTest, HalfWidthWeightsEqualTheirWidenedF32) {
  struct Case {
    int64_t m, n, k;
    bool split;
  };
  // n = 3000 rows of 512 bytes: a decode task streams at least 256 KB
  const Case cases[] = {{1, 45, 172, false}, {2, 61, 8, false},  {1, 3000, 256, true},
                        {3, 61, 33, false},  {37, 200, 300, true}, {130, 70, 24, true}};
  uint32_t seed = 9500;
  for (bool bfloat : {true, false})
    for (const Case &c : cases) {
      Tensor x = random(DType::F32, {c.m, c.k}, ++seed), w = random(DType::F32, {c.n, c.k}, ++seed),
             bias = random(DType::F32, {c.n}, ++seed);
      std::vector<uint16_t> stored(c.n * c.k);
      std::vector<float> widened(c.n * c.k);
      for (int64_t i = 0; i < c.n * c.k; ++i) {
        float v = w.data<float>()[i];
        if (bfloat) {
          // The nearer of the two bf16 neighbours (truncated, one up in
          // magnitude) in double arithmetic; ties to the even one.
          uint32_t bits;
          std::memcpy(&bits, &v, 4);
          uint32_t lo = bits & 0xffff0000u, hi = lo + 0x10000u;
          float flo, fhi;
          std::memcpy(&flo, &lo, 4);
          std::memcpy(&fhi, &hi, 4);
          double dlo = std::abs(double(v) - flo), dhi = std::abs(double(fhi) - v);
          uint32_t pick = dlo < dhi || (dlo == dhi && !(lo & 0x10000u)) ? lo : hi;
          stored[i] = static_cast<uint16_t>(pick >> 16);
          std::memcpy(&widened[i], &pick, 4);
        } else {
          _Float16 h = static_cast<_Float16>(v);
          std::memcpy(&stored[i], &h, 2);
          widened[i] = static_cast<float>(h);
        }
      }
      std::string what = std::string(bfloat ? "bf16" : "f16") + " linear m=" +
                         std::to_string(c.m) + " n=" + std::to_string(c.n) +
                         " k=" + std::to_string(c.k);
      std::vector<float> want(c.m * c.n);
      slm_uk_linear(nullptr, x.data<float>(), widened.data(), bias.data<float>(), want.data(), c.m,
                    c.n, c.k);
      auto got = runBoth(
          c.m * c.n * 4,
          [&](const slm_uk_ctx *ctx, void *y) {
            (bfloat ? slm_uk_linear_bf16 : slm_uk_linear_f16)(
                ctx, x.data<float>(), stored.data(), bias.data<float>(), static_cast<float *>(y),
                c.m, c.n, c.k);
          },
          what, c.split);
      EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size())) << what;

      // Rows of the same matrix as an embedding table; a negative id gives zeros.
      std::vector<int64_t> ids = {3 % c.n, -1, c.n - 1, 0};
      std::vector<float> rows(ids.size() * c.k, 0.0f);
      for (size_t r = 0; r < ids.size(); ++r)
        if (ids[r] >= 0)
          std::memcpy(&rows[r * c.k], &widened[ids[r] * c.k], c.k * 4);
      auto table = runBoth(
          rows.size() * 4,
          [&](const slm_uk_ctx *ctx, void *out) {
            (bfloat ? slm_uk_embedding_bf16 : slm_uk_embedding_f16)(
                ctx, stored.data(), ids.data(), static_cast<float *>(out),
                static_cast<int64_t>(ids.size()), c.k);
          },
          what + " embedding", false);
      EXPECT_EQ(0, std::memcmp(table.data(), rows.data(), table.size())) << what << " embedding";
    }
}

TEST_F(UkernelTest, MatmulBatchedAndBroadcast) {
  struct Case {
    Shape a, b;
    bool split;
  };
  const Case cases[] = {{{2, 3, 37, 20}, {20, 29}, true},   // b broadcast: stride 0
                        {{3, 5, 20}, {3, 20, 29}, false},   // equal batches
                        {{1, 300}, {300, 70}, false},       // a row vector
                        {{7, 64}, {2, 64, 33}, false},      // a broadcast
                        {{100, 260}, {260, 50}, true}};     // k over one panel
  uint32_t seed = 9500;
  for (const Case &c : cases) {
    Tensor a = random(DType::F32, c.a, ++seed), b = random(DType::F32, c.b, ++seed);
    int64_t m = c.a[c.a.size() - 2], k = c.a.back(), n = c.b.back();
    Shape batchA(llvm::ArrayRef(c.a).drop_back(2)), batchB(llvm::ArrayRef(c.b).drop_back(2));
    Shape batch = broadcastShape(batchA, batchB), out(batch);
    out.push_back(m);
    out.push_back(n);
    int64_t nb = count(batch);
    int64_t strideA = count(batchA) == 1 ? 0 : m * k, strideB = count(batchB) == 1 ? 0 : k * n;
    std::string ta = type(DType::F32, c.a), tb = type(DType::F32, c.b),
                ty = type(DType::F32, out);
    std::string what = "matmul " + ta + " x " + tb;
    auto want = reference(function({ta, tb}, {ty}, "%r = slm.matmul %a0, %a1 : " + ta + ", " +
                                                        tb + " -> " + ty),
                          {a, b});
    ASSERT_EQ(want.size(), 1u) << what;
    auto got = runBoth(
        count(out) * 4,
        [&](const slm_uk_ctx *ctx, void *y) {
          slm_uk_matmul(ctx, a.data<float>(), b.data<float>(), static_cast<float *>(y), nb, m, n,
                        k, strideA, strideB);
        },
        what, c.split);
    expectNear(want[0], reinterpret_cast<const float *>(got.data()), 1e-4, 1e-4, what);
  }
}

//===--- normalisation, rotary, attention --------------------------------------===//

TEST_F(UkernelTest, RmsNorm) {
  for (auto [rows, n] : {std::pair{int64_t(15), int64_t(100)}, std::pair{int64_t(1), int64_t(7)},
                         std::pair{int64_t(64), int64_t(2048)}}) {
    Tensor x = random(DType::F32, {rows, n}, 10000 + n, -3, 3),
           w = random(DType::F32, {n}, 10100 + n, 0.5, 1.5);
    std::string tx = type(DType::F32, {rows, n}), tw = type(DType::F32, {n});
    auto want = reference(function({tx, tw}, {tx}, "%r = slm.rms_norm %a0, %a1 {epsilon = 1.0e-6 : f32} : " +
                                                        tx + ", " + tw + " -> " + tx),
                          {x, w});
    ASSERT_EQ(want.size(), 1u);
    auto got = runBoth(
        rows * n * 4,
        [&](const slm_uk_ctx *ctx, void *y) {
          slm_uk_rms_norm(ctx, x.data<float>(), w.data<float>(), static_cast<float *>(y), rows, n,
                          1.0e-6f);
        },
        "rms_norm", rows == 64);
    expectNear(want[0], reinterpret_cast<const float *>(got.data()), 1e-5, 1e-6, "rms_norm");
  }
}

// slm.hadamard: the kernel equals the reference executor bit for bit (same
// butterflies in the same order), and both equal the dense product with
// diag(s) H diag(s) / sqrt(block), H[i][j] = (-1)^popcount(i & j) (Sylvester),
// computed in double from that definition.
TEST_F(UkernelTest, HadamardEqualsTheDenseRotation) {
  for (auto [rows, n, block] : {std::tuple{int64_t(5), int64_t(384), int64_t(128)},
                                std::tuple{int64_t(400), int64_t(64), int64_t(16)},
                                std::tuple{int64_t(1), int64_t(1024), int64_t(1024)}}) {
    Tensor x = random(DType::F32, {rows, n}, 10600 + n, -3, 3);
    std::mt19937 gen(10700 + n);
    std::vector<int8_t> signValues(n);
    for (int8_t &v : signValues)
      v = gen() % 2 ? 1 : -1;
    Tensor signs = Tensor::fromValues<int8_t>(DType::I8, {n}, signValues);
    std::string tx = type(DType::F32, {rows, n}), ts = type(DType::I8, {n});
    auto want = reference(function({tx, ts}, {tx},
                                   "%r = slm.hadamard %a0, %a1 {block = " + std::to_string(block) +
                                       " : i64} : " + tx + ", " + ts + " -> " + tx),
                          {x, signs});
    ASSERT_EQ(want.size(), 1u);
    auto got = runBoth(
        rows * n * 4,
        [&](const slm_uk_ctx *ctx, void *y) {
          slm_uk_hadamard(ctx, x.data<float>(), signValues.data(), static_cast<float *>(y), rows,
                          n, block);
        },
        "hadamard", rows == 400);
    expectSame(want[0], got.data(), "hadamard");
    Tensor dense = Tensor::zeros(DType::F32, {rows, n});
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < n; ++i) {
        int64_t base = i / block * block;
        double sum = 0;
        for (int64_t j = base; j < base + block; ++j) {
          int h = __builtin_popcountll(uint64_t((i - base) & (j - base))) % 2 ? -1 : 1;
          sum += double(signValues[i]) * h * double(signValues[j]) * x.data<float>()[r * n + j];
        }
        dense.data<float>()[r * n + i] = static_cast<float>(sum / std::sqrt(double(block)));
      }
    expectNear(dense, reinterpret_cast<const float *>(got.data()), 1e-5, 1e-5, "hadamard vs dense");
  }
}

TEST_F(UkernelTest, AddRmsNormIsAddThenRmsNorm) {
  for (auto [rows, n] : {std::pair{int64_t(15), int64_t(100)}, std::pair{int64_t(64), int64_t(2048)}}) {
    Tensor x = random(DType::F32, {rows, n}, 10200 + n, -3, 3),
           r = random(DType::F32, {rows, n}, 10300 + n, -3, 3),
           w = random(DType::F32, {n}, 10400 + n, 0.5, 1.5);
    std::string tx = type(DType::F32, {rows, n}), tw = type(DType::F32, {n});
    auto want = reference(
        function({tx, tx, tw}, {tx, tx},
                 "%s, %r = slm.add_rms_norm %a0, %a1, %a2 {epsilon = 1.0e-6 : f32} : " + tx +
                     ", " + tw + " -> " + tx + ", " + tx,
                 {"%s", "%r"}),
        {x, r, w});
    ASSERT_EQ(want.size(), 2u);
    size_t bytes = rows * n * 4;
    auto got = runBoth(
        2 * bytes,
        [&](const slm_uk_ctx *ctx, void *out) {
          float *sum = static_cast<float *>(out);
          slm_uk_add_rms_norm(ctx, x.data<float>(), r.data<float>(), w.data<float>(), sum,
                              sum + rows * n, rows, n, 1.0e-6f);
        },
        "add_rms_norm", rows == 64);
    const float *sum = reinterpret_cast<const float *>(got.data());
    expectSame(want[0], sum, "add_rms_norm sum");
    expectNear(want[1], sum + rows * n, 1e-5, 1e-6, "add_rms_norm norm");
  }
}

TEST_F(UkernelTest, GatedActivationOfTwoOperandsAndOfHalves) {
  int64_t rows = 37, n = 300;
  for (auto [name, code] : {std::pair{"silu", SLM_UK_ACT_SILU}, std::pair{"gelu", SLM_UK_ACT_GELU},
                            std::pair{"gelu_tanh", SLM_UK_ACT_GELU_TANH}}) {
    Tensor gu = random(DType::F32, {rows, 2 * n}, 10500 + code, -4, 4);
    std::string tgu = type(DType::F32, {rows, 2 * n}), ty = type(DType::F32, {rows, n});
    std::string attr = std::string("{activation = #slm<activation ") + name + ">}";
    auto halves = reference(function({tgu}, {ty}, "%r = slm.gated_activation %a0 " + attr + " : " +
                                                     tgu + " -> " + ty),
                            {gu});
    // The same values as two operands: gate is the first half of each row.
    Tensor gate = Tensor::zeros(DType::F32, {rows, n}), up = Tensor::zeros(DType::F32, {rows, n});
    for (int64_t row = 0; row < rows; ++row)
      for (int64_t i = 0; i < n; ++i) {
        gate.data<float>()[row * n + i] = gu.data<float>()[row * 2 * n + i];
        up.data<float>()[row * n + i] = gu.data<float>()[row * 2 * n + n + i];
      }
    auto two = reference(function({ty, ty}, {ty}, "%r = slm.gated_activation %a0, %a1 " + attr +
                                                      " : " + ty + ", " + ty + " -> " + ty),
                         {gate, up});
    ASSERT_EQ(halves.size(), 1u);
    ASSERT_EQ(two.size(), 1u);
    expectSame(two[0], halves[0].data<float>(), std::string(name) + ": halves vs two operands");
    auto gotHalves = runBoth(
        rows * n * 4,
        [&](const slm_uk_ctx *ctx, void *y) {
          slm_uk_gated_activation(ctx, code, gu.data<float>(), gu.data<float>() + n,
                                  static_cast<float *>(y), rows, n, 2 * n);
        },
        std::string(name) + " halves");
    auto gotTwo = runBoth(
        rows * n * 4,
        [&](const slm_uk_ctx *ctx, void *y) {
          slm_uk_gated_activation(ctx, code, gate.data<float>(), up.data<float>(),
                                  static_cast<float *>(y), rows, n, n);
        },
        std::string(name) + " two operands");
    // The activation's libm calls may differ in the last bit from std::'s.
    expectNear(halves[0], reinterpret_cast<const float *>(gotHalves.data()), 1e-6, 1e-7, name);
    EXPECT_EQ(0, std::memcmp(gotHalves.data(), gotTwo.data(), gotTwo.size()))
        << name << ": the kernel gives other floats for halves than for two operands";
  }
}

// SiLU's e^-v is computed 16 lanes at a time (uk_exp16, not libm): it stays
// within a few ulp of std::exp over the whole float range, flushes where expf
// turns subnormal, and keeps infinities and NaN as the formula does.
TEST_F(UkernelTest, SiluOverTheFloatRange) {
  std::vector<float> gate;
  for (float v = -120.0f; v <= 120.0f; v += 0.0137f)
    gate.push_back(v);
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 87.3f, -87.3f, 88.72f, -88.72f, 89.0f, -104.0f,
                  3.4e38f, -3.4e38f, INFINITY, -INFINITY})
    gate.push_back(v);
  int64_t n = static_cast<int64_t>(gate.size());
  std::vector<float> up(gate.size(), 1.0f), got(gate.size() + 1, 0.0f);
  gate.push_back(NAN);
  up.push_back(1.0f);
  slm_uk_gated_activation(nullptr, SLM_UK_ACT_SILU, gate.data(), up.data(), got.data(), 1, n + 1,
                          n + 1);
  for (int64_t i = 0; i < n; ++i) {
    float v = gate[i];
    float want = static_cast<float>(v / (1.0 + std::exp(-static_cast<double>(v))));
    if (std::isinf(v)) {
      // -inf * sigmoid(-inf) is -inf * 0: NaN, as the reference computes it.
      EXPECT_TRUE(v > 0 ? got[i] == v : std::isnan(got[i])) << "silu(" << v << ") = " << got[i];
      continue;
    }
    // Below 1e-36 (v < -88.7, where e^-v overflows float as expf does) zero.
    EXPECT_NEAR(got[i], want, 4e-7 * std::abs(want) + 1e-36) << "silu(" << v << ")";
  }
  EXPECT_TRUE(std::isnan(got[n])) << "silu(NaN) = " << got[n];
}

TEST_F(UkernelTest, SplitIntoPiecesInOneCall) {
  // [2, 7, 3] cut along the middle axis into 4, 1 and 2.
  Tensor x = random(DType::F32, {2, 7, 3}, 10600);
  std::string tx = type(DType::F32, {2, 7, 3});
  std::vector<std::string> results = {type(DType::F32, {2, 4, 3}), type(DType::F32, {2, 1, 3}),
                                      type(DType::F32, {2, 2, 3})};
  auto want = reference(function({tx}, results,
                                 "%p:3 = slm.split %a0 axis = 1 sizes = [4, 1, 2] : " + tx +
                                     " -> " + results[0] + ", " + results[1] + ", " + results[2],
                                 {"%p#0", "%p#1", "%p#2"}),
                        {x});
  ASSERT_EQ(want.size(), 3u);
  int64_t sizes[] = {4, 1, 2};
  auto got = runBoth(
      2 * 7 * 3 * 4,
      [&](const slm_uk_ctx *ctx, void *out) {
        float *base = static_cast<float *>(out);
        void *pieces[] = {base, base + 2 * 4 * 3, base + 2 * 5 * 3};
        slm_uk_split(ctx, 4, x.data<float>(), 2, 7, 3, 3, sizes, pieces);
      },
      "split");
  const float *base = reinterpret_cast<const float *>(got.data());
  expectSame(want[0], base, "split piece 0");
  expectSame(want[1], base + 2 * 4 * 3, "split piece 1");
  expectSame(want[2], base + 2 * 5 * 3, "split piece 2");
}

TEST_F(UkernelTest, ConcatAlongAnInnerAxisInOneCall) {
  // [2, 4, 3], [2, 1, 3] and [2, 2, 3] joined along the middle axis: split's
  // inverse (logits of row classes joined along the vocabulary).
  std::vector<Tensor> parts = {random(DType::F32, {2, 4, 3}, 10700),
                               random(DType::F32, {2, 1, 3}, 10701),
                               random(DType::F32, {2, 2, 3}, 10702)};
  std::vector<std::string> inputs = {type(DType::F32, {2, 4, 3}), type(DType::F32, {2, 1, 3}),
                                     type(DType::F32, {2, 2, 3})};
  std::string ty = type(DType::F32, {2, 7, 3});
  auto want = reference(function(inputs, {ty},
                                 "%r = slm.concat %a0, %a1, %a2 axis = 1 : (" +
                                     inputs[0] + ", " + inputs[1] + ", " + inputs[2] + ") -> " +
                                     ty),
                        parts);
  ASSERT_EQ(want.size(), 1u);
  int64_t sizes[] = {4, 1, 2};
  auto got = runBoth(
      2 * 7 * 3 * 4,
      [&](const slm_uk_ctx *ctx, void *out) {
        const void *pieces[] = {parts[0].data<float>(), parts[1].data<float>(),
                                parts[2].data<float>()};
        slm_uk_concat(ctx, 4, pieces, 2, 7, 3, 3, sizes, out);
      },
      "concat");
  expectSame(want[0], reinterpret_cast<const float *>(got.data()), "concat");
}

/// Multiples of 1/4 in [-2, 2]: their squares and sums are exact in float in
/// any order, so the lane-split sums equal the reference's serial ones and the
/// rest of the formula must match bit for bit.
Tensor dyadic(llvm::ArrayRef<int64_t> shape, uint32_t seed) {
  Tensor x = randomSmallInts(DType::F32, shape, seed, -8, 8);
  for (int64_t i = 0; i < x.size(); ++i)
    x.data<float>()[i] *= 0.25f;
  return x;
}

TEST_F(UkernelTest, NormsExactlyWhenSumsAreExact) {
  // rms_norm: w * (scale * x) with scale = 1 / sqrtf(ss / n + eps).
  int64_t rows = 9, n = 100;
  Tensor x = dyadic({rows, n}, 14000), w = random(DType::F32, {n}, 14001, 0.5, 1.5);
  std::string tx = type(DType::F32, {rows, n}), tw = type(DType::F32, {n});
  auto want = reference(function({tx, tw}, {tx}, "%r = slm.rms_norm %a0, %a1 {epsilon = 1.0e-6 : f32} : " +
                                                      tx + ", " + tw + " -> " + tx),
                        {x, w});
  ASSERT_EQ(want.size(), 1u);
  std::vector<float> y(rows * n);
  slm_uk_rms_norm(nullptr, x.data<float>(), w.data<float>(), y.data(), rows, n, 1.0e-6f);
  expectSame(want[0], y.data(), "rms_norm, exact sums");
  // layer_norm over 64 values: the mean of quarters is exact too.
  n = 64;
  Tensor x2 = dyadic({rows, n}, 14002), scale = random(DType::F32, {n}, 14003, 0.5, 1.5),
         bias = random(DType::F32, {n}, 14004);
  std::string tx2 = type(DType::F32, {rows, n}), tp = type(DType::F32, {n});
  for (bool withBias : {false, true}) {
    auto want2 = withBias ? reference(function({tx2, tp, tp}, {tx2},
                                               "%r = slm.layer_norm %a0, %a1, %a2 {epsilon = 1.0e-5 : f32} : " +
                                                   tx2 + ", " + tp + ", " + tp + " -> " + tx2),
                                      {x2, scale, bias})
                          : reference(function({tx2, tp}, {tx2},
                                               "%r = slm.layer_norm %a0, %a1 {epsilon = 1.0e-5 : f32} : " +
                                                   tx2 + ", " + tp + " -> " + tx2),
                                      {x2, scale});
    ASSERT_EQ(want2.size(), 1u);
    std::vector<float> y2(rows * n);
    slm_uk_layer_norm(nullptr, x2.data<float>(), scale.data<float>(),
                      withBias ? bias.data<float>() : nullptr, y2.data(), rows, n, 1.0e-5f);
    expectSame(want2[0], y2.data(), withBias ? "layer_norm bias, exact sums" : "layer_norm, exact sums");
  }
}

TEST_F(UkernelTest, LayerNormWithAndWithoutBias) {
  struct Case {
    Shape x;
    int64_t axis;
  };
  const Case cases[] = {{{6, 70}, -1}, {{4, 3, 20}, 1}, {{128, 384}, 1}, {{2, 5}, 1}};
  uint32_t seed = 11000;
  for (const Case &c : cases)
    for (bool withBias : {false, true}) {
      Shape normalized(llvm::ArrayRef(c.x).drop_front(c.axis < 0 ? c.axis + c.x.size() : c.axis));
      int64_t n = count(normalized), rows = count(c.x) / n;
      Tensor x = random(DType::F32, c.x, ++seed, -3, 3),
             scale = random(DType::F32, normalized, ++seed, 0.5, 1.5),
             bias = random(DType::F32, normalized, ++seed, -1, 1);
      std::string tx = type(DType::F32, c.x), tp = type(DType::F32, normalized);
      std::string attrs = "{axis = " + std::to_string(c.axis) + " : i64, epsilon = 1.0e-5 : f32}";
      std::string what = "layer_norm " + tx + (withBias ? " bias" : "");
      auto want = withBias
                      ? reference(function({tx, tp, tp}, {tx},
                                           "%r = slm.layer_norm %a0, %a1, %a2 " + attrs + " : " +
                                               tx + ", " + tp + ", " + tp + " -> " + tx),
                                  {x, scale, bias})
                      : reference(function({tx, tp}, {tx},
                                           "%r = slm.layer_norm %a0, %a1 " + attrs + " : " + tx +
                                               ", " + tp + " -> " + tx),
                                  {x, scale});
      ASSERT_EQ(want.size(), 1u) << what;
      auto got = runBoth(
          count(c.x) * 4,
          [&](const slm_uk_ctx *ctx, void *y) {
            slm_uk_layer_norm(ctx, x.data<float>(), scale.data<float>(),
                              withBias ? bias.data<float>() : nullptr, static_cast<float *>(y),
                              rows, n, 1.0e-5f);
          },
          what, rows == 128);
      expectNear(want[0], reinterpret_cast<const float *>(got.data()), 1e-5, 1e-6, what);
    }
}

TEST_F(UkernelTest, RotaryLayoutsAndPartialDims) {
  struct Case {
    int64_t tokens, heads, headDim, rotaryDim, position;
    double theta;
  };
  const Case cases[] = {{5, 3, 16, 16, 7, 10000.0},   {1, 4, 64, 64, 300, 10000.0},
                        {6, 2, 16, 8, 0, 500000.0},   {3, 2, 200, 136, 11, 10000.0},
                        {200, 8, 64, 32, 1000, 1e6}};
  uint32_t seed = 12000;
  for (const Case &c : cases)
    for (bool interleaved : {false, true})
      for (bool withFrequencies : {false, true}) { // theta's, or a table and a scale (rope scaling)
        float scale = withFrequencies ? 1.25f : 1.0f;
        Shape shape = {c.tokens, c.heads, c.headDim};
        Tensor x = random(DType::F32, shape, ++seed, -2, 2);
        Tensor frequencies = random(DType::F32, {c.rotaryDim / 2}, ++seed, 0.001f, 1.0f);
        std::string tx = type(DType::F32, shape), tp = type(DType::I64, {}),
                    tf = type(DType::F32, {c.rotaryDim / 2});
        std::ostringstream attrs;
        attrs << "{theta = " << std::scientific << c.theta
              << " : f64, layout = #slm<rotary_layout "
              << (interleaved ? "interleaved" : "rotate_half") << ">";
        if (c.rotaryDim != c.headDim)
          attrs << ", rotary_dim = " << c.rotaryDim << " : i64";
        if (scale != 1.0f)
          attrs << ", scale = " << scale << " : f32";
        attrs << "}";
        std::string what = "rotary " + tx + " " + attrs.str() +
                           (withFrequencies ? " with frequencies" : "");
        std::vector<std::string> types = {tx, tp};
        std::vector<Tensor> inputs = {x, scalarI64(c.position)};
        std::string operands = "%a0, %a1";
        if (withFrequencies) {
          types.push_back(tf);
          inputs.push_back(frequencies);
          operands += " frequencies %a2 : " + tf;
        }
        auto want = reference(function(types, {tx}, "%r = slm.rotary " + operands + " " +
                                                        attrs.str() + " : " + tx + ", " + tp +
                                                        " -> " + tx),
                              inputs);
        ASSERT_EQ(want.size(), 1u) << what;
        const float *table = withFrequencies ? frequencies.data<float>() : nullptr;
        auto got = runBoth(
            x.size() * 4,
            [&](const slm_uk_ctx *ctx, void *y) {
              slm_uk_rotary(ctx, x.data<float>(), static_cast<float *>(y), c.tokens, c.heads,
                            c.headDim, c.rotaryDim, c.position, static_cast<float>(c.theta),
                            table, scale, interleaved);
            },
            what, c.tokens == 200);
        expectNear(want[0], reinterpret_cast<const float *>(got.data()), 1e-5, 1e-6, what);
        // In place (y == x), as the ABI allows.
        Tensor inPlace = deepCopy(x);
        slm_uk_rotary(nullptr, inPlace.data<float>(), inPlace.data<float>(), c.tokens, c.heads,
                      c.headDim, c.rotaryDim, c.position, static_cast<float>(c.theta), table,
                      scale, interleaved);
        EXPECT_EQ(0, std::memcmp(inPlace.raw(), got.data(), got.size())) << what << " in place";
      }
}

struct AttentionCase {
  const char *name;
  int64_t tokens, qHeads, kvHeads, headDim, valueDim;
  int64_t kvRows;    // without a cache
  int64_t capacity;  // > 0: with caches
  int64_t position;  // with caches
  bool causal;
  bool split;
  int64_t window = 0; // > 0: sliding-window attention
  float softcap = 0;  // > 0: scores soft-capped (Gemma 2)
  // NaN in the first 16 keys of kv head 0 and +inf in the last value row of kv head 1: the
  // queries that do not see them must not feel them, and a NaN score that comes before a
  // query's first number must still make its output NaN.
  bool poison = false;
};

void PrintTo(const AttentionCase &c, std::ostream *os) { *os << c.name; }

class AttentionTest : public UkernelTest,
                      public ::testing::WithParamInterface<AttentionCase> {};

TEST_P(AttentionTest, MatchesReference) {
  const AttentionCase &c = GetParam();
  bool cached = c.capacity > 0;
  int64_t kvRows = cached ? c.tokens : c.kvRows;
  uint32_t seed = 13000 + static_cast<uint32_t>(c.tokens * 31 + c.kvRows + c.position);
  Tensor q = random(DType::F32, {c.tokens, c.qHeads, c.headDim}, ++seed, -1, 1);
  Tensor k = random(DType::F32, {kvRows, c.kvHeads, c.headDim}, ++seed, -1, 1);
  Tensor v = random(DType::F32, {kvRows, c.kvHeads, c.valueDim}, ++seed, -1, 1);
  if (c.poison) {
    for (int64_t j = 0; j < 16; ++j)
      k.data<float>()[j * c.kvHeads * c.headDim] = std::nanf("");
    v.data<float>()[((kvRows - 1) * c.kvHeads + 1) * c.valueDim] = INFINITY;
  }
  float scale = 1.0f / std::sqrt(static_cast<float>(c.headDim)) * 2.0f; // peaky scores
  std::ostringstream attrs;
  attrs << "{scale = " << std::scientific << scale << " : f32" << (c.causal ? ", causal" : "");
  if (c.window)
    attrs << ", window = " << c.window << " : i64";
  if (c.softcap)
    attrs << ", softcap = " << c.softcap << " : f32";
  attrs << "}";
  // Dynamic token dimensions: the verifier lets keys outnumber queries then.
  std::string tq = type(DType::F32, {-1, c.qHeads, c.headDim}),
              tk = type(DType::F32, {-1, c.kvHeads, c.headDim}),
              tv = type(DType::F32, {-1, c.kvHeads, c.valueDim}),
              to = type(DType::F32, {-1, c.qHeads, c.valueDim});
  std::vector<Tensor> want;
  Tensor kCache, vCache;
  if (cached) {
    kCache = random(DType::F32, {c.capacity, c.kvHeads, c.headDim}, ++seed, -1, 1);
    vCache = random(DType::F32, {c.capacity, c.kvHeads, c.valueDim}, ++seed, -1, 1);
    std::string tkc = type(DType::F32, {c.capacity, c.kvHeads, c.headDim}),
                tvc = type(DType::F32, {c.capacity, c.kvHeads, c.valueDim}),
                tp = type(DType::I64, {});
    // The executor updates caches in place: give it copies.
    want = reference(
        function({tq, tk, tv, tkc, tvc, tp}, {to, tkc, tvc},
                 "%r, %kc, %vc = slm.attention %a0, %a1, %a2 cache(%a3, %a4 at %a5) " +
                     attrs.str() + " : (" + tq + ", " + tk + ", " + tv + ", " + tkc + ", " + tvc +
                     ", " + tp + ") -> (" + to + ", " + tkc + ", " + tvc + ")",
                 {"%r", "%kc", "%vc"}),
        {q, k, v, deepCopy(kCache), deepCopy(vCache), scalarI64(c.position)});
    ASSERT_EQ(want.size(), 3u) << c.name;
  } else {
    want = reference(function({tq, tk, tv}, {to},
                              "%r = slm.attention %a0, %a1, %a2 " + attrs.str() + " : (" + tq +
                                  ", " + tk + ", " + tv + ") -> " + to),
                     {q, k, v});
    ASSERT_EQ(want.size(), 1u) << c.name;
  }
  int64_t outBytes = c.tokens * c.qHeads * c.valueDim * 4;
  int64_t kBytes = kCache.size() * 4, vBytes = vCache.size() * 4;
  // Output and both caches in one buffer, so that runBoth compares them all.
  auto got = runBoth(
      outBytes + (cached ? kBytes + vBytes : 0),
      [&](const slm_uk_ctx *ctx, void *buffer) {
        char *bytes = static_cast<char *>(buffer);
        float *kc = nullptr, *vc = nullptr;
        if (cached) {
          kc = reinterpret_cast<float *>(bytes + outBytes);
          vc = reinterpret_cast<float *>(bytes + outBytes + kBytes);
          std::memcpy(kc, kCache.raw(), kBytes);
          std::memcpy(vc, vCache.raw(), vBytes);
        }
        slm_uk_attention(ctx, q.data<float>(), k.data<float>(), v.data<float>(), kc, vc,
                         reinterpret_cast<float *>(bytes), c.tokens, c.qHeads, c.kvHeads,
                         c.headDim, c.valueDim, kvRows, cached ? c.capacity : 0,
                         cached ? c.position : 0, scale, c.causal, c.window, c.softcap);
      },
      c.name, c.split);
  expectNear(want[0], reinterpret_cast<const float *>(got.data()), 1e-5, 1e-5, c.name);
  if (cached) {
    expectSame(want[1], got.data() + outBytes, std::string(c.name) + " key cache");
    expectSame(want[2], got.data() + outBytes + kBytes, std::string(c.name) + " value cache");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Ukernels, AttentionTest,
    ::testing::Values(
        // name, tokens, q_heads, kv_heads, head_dim, value_dim, kv_rows, capacity, position, causal, split
        AttentionCase{"plain", 6, 8, 2, 16, 12, 6, 0, 0, false, false},
        AttentionCase{"plain_more_keys", 6, 8, 2, 16, 12, 9, 0, 0, false, false},
        AttentionCase{"causal_square", 7, 4, 1, 16, 16, 7, 0, 0, true, false},
        AttentionCase{"causal_more_keys", 6, 8, 2, 16, 12, 9, 0, 0, true, false},
        AttentionCase{"gqa_long_kv", 3, 16, 4, 64, 64, 700, 0, 0, false, true},
        AttentionCase{"causal_long_kv", 4, 8, 2, 32, 32, 700, 0, 0, true, true},
        AttentionCase{"cache_prefill", 5, 8, 2, 16, 16, 0, 20, 0, true, false},
        AttentionCase{"cache_decode", 1, 8, 2, 16, 16, 0, 20, 13, true, false},
        AttentionCase{"cache_decode_long", 1, 16, 4, 64, 64, 0, 800, 699, true, true},
        AttentionCase{"cache_chunk_not_causal", 3, 4, 4, 24, 24, 0, 16, 4, false, false},
        AttentionCase{"cache_prefill_long", 300, 4, 1, 32, 32, 0, 600, 100, true, true},
        // Sliding windows: within a tile, across tiles (300 keys), decoding past the window.
        AttentionCase{"window_square", 9, 4, 2, 16, 16, 9, 0, 0, true, false, 3},
        AttentionCase{"window_long_kv", 4, 8, 2, 32, 32, 700, 0, 0, true, true, 300},
        AttentionCase{"window_cache_decode", 1, 8, 2, 16, 16, 0, 40, 33, true, false, 5},
        AttentionCase{"window_cache_prefill", 200, 4, 1, 32, 32, 0, 400, 150, true, true, 130},
        // Soft-capped scores (the scale makes them peak near 2; a cap of 1.5 bites), alone and
        // with a window, as Gemma 2's layers have them.
        AttentionCase{"softcap_long_kv", 4, 8, 2, 32, 32, 700, 0, 0, true, true, 0, 1.5f},
        AttentionCase{"softcap_window_decode", 1, 8, 4, 16, 16, 0, 40, 33, true, false, 5, 1.5f},
        // Windowed layers' caches as rings of the window's rows: decoding past a wrap, a chunk
        // that wraps, a chunk longer than the ring (only its last rows are kept).
        AttentionCase{"ring_decode", 1, 8, 2, 16, 16, 0, 5, 33, true, false, 5},
        AttentionCase{"ring_chunk", 6, 4, 2, 16, 16, 0, 8, 29, true, false, 8},
        AttentionCase{"ring_long_chunk", 150, 4, 1, 32, 32, 0, 130, 300, true, true, 130},
        // A prefill's tiles of queries: Qwen3's heads (two per kv head, 128 wide) after a cached
        // prefix; more heads per kv head than a tile has queries (runs of heads).
        AttentionCase{"prefill_wide_heads", 40, 4, 2, 128, 128, 0, 64, 10, true, true},
        AttentionCase{"prefill_many_heads_per_kv_head", 5, 40, 1, 16, 16, 5, 0, 0, true, false},
        AttentionCase{"prefill_nan_keys_inf_value", 40, 4, 2, 16, 16, 40, 0, 0, true, false, 20,
                      0, true}),
    [](const ::testing::TestParamInfo<AttentionCase> &info) { return info.param.name; });

//===--- the bitcode -------------------------------------------------------------===//

TEST(UkernelBitcode, DefinesEveryKernelTargetNeutral) {
  EXPECT_TRUE(slmc::ukernelBitcode("").empty());
  llvm::StringRef bitcode = slmc::ukernelBitcode("x86_64");
  ASSERT_FALSE(bitcode.empty());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(bitcode.data()) % 16, 0u);
  // No path of this checkout anywhere in the bytes.
  EXPECT_EQ(bitcode.find(SLMC_SOURCE_DIR), llvm::StringRef::npos);
  EXPECT_EQ(bitcode.find(SLMC_BINARY_DIR), llvm::StringRef::npos);

  llvm::LLVMContext llvmContext;
  auto module = llvm::parseBitcodeFile(llvm::MemoryBufferRef(bitcode, "slm_ukernels"), llvmContext);
  ASSERT_TRUE(static_cast<bool>(module)) << llvm::toString(module.takeError());
  EXPECT_EQ((*module)->getTargetTriple(), "x86_64-unknown-linux-gnu");
  const char *kernels[] = {"slm_uk_embedding", "slm_uk_linear",  "slm_uk_matmul",
                           "slm_uk_linear_panels", "slm_uk_embedding_panels",
                           "slm_uk_rms_norm",  "slm_uk_layer_norm", "slm_uk_rotary",
                           "slm_uk_attention", "slm_uk_attention_int8", "slm_uk_unary",
                           "slm_uk_binary_add_f32",
                           "slm_uk_where",     "slm_uk_cast",    "slm_uk_reduce",
                           "slm_uk_softmax",   "slm_uk_arg_reduce", "slm_uk_copy",
                           "slm_uk_gather",    "slm_uk_embedding_q", "slm_uk_linear_qany",
                           "slm_uk_linear_q4", "slm_uk_linear_q4_avx512", "slm_uk_linear_q4_vnni", "slm_uk_linear_q8",
                           "slm_uk_linear_q8_avx512", "slm_uk_linear_q8_vnni", "slm_uk_linear_w8a8",
                           "slm_uk_linear_w8a8_vnni", "slm_uk_linear_w8a8_amx",
                           "slm_uk_linear_w4a8", "slm_uk_linear_w4a8_vnni", "slm_uk_linear_w4a8_amx"};
  for (const char *name : kernels) {
    llvm::Function *f = (*module)->getFunction(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_FALSE(f->isDeclaration()) << name;
    EXPECT_FALSE(f->hasLocalLinkage()) << name;
  }
  // What the code may call: libc's memory functions and libm's float functions.
  const std::set<std::string> allowed = {"memcpy", "memmove", "memset", "erff", "asinhf",
                                         "acoshf", "atanhf",  "log1pf", "expf", "logf",
                                         "powf",   "pow",     "sinf",   "cosf", "tanf",
                                         "asinf",  "acosf",   "atanf",  "sinhf", "coshf",
                                         "tanhf",  "fmodf",   "sqrtf",  "ceilf", "floorf",
                                         "nearbyintf", "fabsf"};
  for (llvm::Function &f : **module) {
    EXPECT_FALSE(f.hasFnAttribute(llvm::Attribute::OptimizeNone)) << f.getName().str();
    EXPECT_FALSE(f.hasFnAttribute("target-cpu")) << f.getName().str();
    EXPECT_FALSE(f.hasFnAttribute("target-features")) << f.getName().str();
    if (f.isDeclaration() && !f.isIntrinsic())
      EXPECT_TRUE(allowed.count(f.getName().str())) << "calls " << f.getName().str();
    if (!f.isDeclaration() && !f.getName().starts_with("slm_uk_"))
      EXPECT_TRUE(f.hasLocalLinkage()) << f.getName().str() << " is exported";
  }
  EXPECT_EQ((*module)->getSourceFileName().find(SLMC_SOURCE_DIR), std::string::npos);
}

// The AArch64 library: the same portable kernels and the Arm dot-product
// W8A8, none of x86's (SelectKernels never picks those for AArch64).
TEST(UkernelBitcode, AArch64HasThePortableKernelsAndNoX86Ones) {
  llvm::StringRef bitcode = slmc::ukernelBitcode("aarch64");
  ASSERT_FALSE(bitcode.empty());
  llvm::LLVMContext llvmContext;
  auto module = llvm::parseBitcodeFile(llvm::MemoryBufferRef(bitcode, "slm_ukernels"), llvmContext);
  ASSERT_TRUE(static_cast<bool>(module)) << llvm::toString(module.takeError());
  EXPECT_EQ((*module)->getTargetTriple(), "aarch64-unknown-linux-gnu");
  for (const char *name : {"slm_uk_linear", "slm_uk_linear_q4", "slm_uk_linear_q8",
                           "slm_uk_linear_qany", "slm_uk_linear_w8a8", "slm_uk_linear_w8a8_sdot",
                           "slm_uk_linear_w8a8_smmla", "slm_uk_linear_w4a8_sdot",
                           "slm_uk_linear_w4a8", "slm_uk_attention", "slm_uk_attention_int8",
                           "slm_uk_embedding_q", "slm_uk_rms_norm"}) {
    llvm::Function *f = (*module)->getFunction(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_FALSE(f->isDeclaration()) << name;
  }
  for (const char *name :
       {"slm_uk_linear_q4_avx512", "slm_uk_linear_q4_vnni", "slm_uk_linear_q8_avx512",
        "slm_uk_linear_q8_vnni", "slm_uk_linear_w8a8_vnni", "slm_uk_linear_w8a8_amx",
        "slm_uk_linear_w4a8_vnni", "slm_uk_linear_w4a8_amx"})
    EXPECT_EQ((*module)->getFunction(name), nullptr) << name;
  for (llvm::Function &f : **module)
    EXPECT_FALSE(f.hasFnAttribute("target-features")) << f.getName().str();
  EXPECT_EQ(slmc::ukernelBitcode("riscv64"), "");
}

} // namespace
