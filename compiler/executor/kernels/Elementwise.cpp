//===- Elementwise.cpp - unary, binary, where and cast kernels ------------===//

#include "compiler/executor/kernels/KernelSupport.h"
#include "dialects/slm/IR/SlmOps.h"

#include <cmath>

using namespace mlir;

namespace slmc::exec {
namespace {

/// y = f(x) over f32 tensors.
template <typename F> Kernel unaryFloat(F f) {
  return [f](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    Tensor y = Tensor::zeros(DType::F32, in[0].shape());
    const float *x = in[0].data<float>();
    float *dst = y.data<float>();
    for (int64_t i = 0, n = y.size(); i < n; ++i)
      dst[i] = f(x[i]);
    out[0] = std::move(y);
    return ok();
  };
}

/// y = f(x) for f32, i64 and i32 tensors; f is a generic lambda.
template <typename F> Kernel unaryNumeric(F f) {
  return [f](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    Tensor y = Tensor::zeros(in[0].dtype(), in[0].shape());
    dispatchDType(in[0].dtype(), [&](auto zero) {
      using T = decltype(zero);
      const T *x = in[0].data<T>();
      T *dst = y.data<T>();
      for (int64_t i = 0, n = y.size(); i < n; ++i)
        dst[i] = static_cast<T>(f(x[i]));
    });
    out[0] = std::move(y);
    return ok();
  };
}

/// z = f(x, y) with numpy broadcasting; the result has dtype `resultType`
/// (the operands' dtype when nullopt). f is a generic lambda.
template <typename F> Kernel binary(F f, std::optional<DType> resultType = std::nullopt) {
  return [f, resultType](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    auto b = broadcast({in[0].shape(), in[1].shape()});
    if (!b)
      return b.takeError();
    DType dtype = resultType.value_or(in[0].dtype());
    Tensor z = Tensor::zeros(dtype, b->shape);
    dispatchDType(in[0].dtype(), [&](auto zero) {
      using T = decltype(zero);
      const T *x = in[0].data<T>();
      const T *y = in[1].data<T>();
      dispatchDType(dtype, [&](auto rzero) {
        using R = decltype(rzero);
        R *dst = z.data<R>();
        forEachBroadcast<2>(*b, [&](int64_t i, const std::array<int64_t, 2> &o) {
          dst[i] = static_cast<R>(f(x[o[0]], y[o[1]]));
        });
      });
    });
    out[0] = std::move(z);
    return ok();
  };
}

template <typename F> Kernel compare(F f) { return binary(f, DType::I1); }

/// Python-style remainder (sign of the divisor), or C fmod.
template <typename T> T remainder(T a, T b, bool fmod) {
  if constexpr (!std::is_integral_v<T>) { // float, and _Float16 for completeness
    T r = static_cast<T>(std::fmod(static_cast<float>(a), static_cast<float>(b)));
    return (!fmod && r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
  } else {
    if (b == 0)
      return 0;
    T r = a % b;
    return (!fmod && r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
  }
}

template <typename T> T divide(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return a / b;
  else
    return b == 0 ? 0 : a / b;
}

float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * static_cast<float>(M_SQRT1_2))); }
float geluTanh(float x) {
  const float k = std::sqrt(2.0f / static_cast<float>(M_PI));
  return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
}

Kernel whereKernel() {
  return [](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    auto b = broadcast({in[0].shape(), in[1].shape(), in[2].shape()});
    if (!b)
      return b.takeError();
    Tensor z = Tensor::zeros(in[1].dtype(), b->shape);
    dispatchDType(in[1].dtype(), [&](auto zero) {
      using T = decltype(zero);
      const uint8_t *c = in[0].data<uint8_t>();
      const T *x = in[1].data<T>();
      const T *y = in[2].data<T>();
      T *dst = z.data<T>();
      forEachBroadcast<3>(*b, [&](int64_t i, const std::array<int64_t, 3> &o) {
        dst[i] = c[o[0]] ? x[o[1]] : y[o[2]];
      });
    });
    out[0] = std::move(z);
    return ok();
  };
}

llvm::Expected<Kernel> castKernel(Operation *op) {
  auto to = dtypeOf(llvm::cast<RankedTensorType>(op->getResult(0).getType()).getElementType());
  DType target = *to; // the program checked every result type
  return Kernel([target](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    Tensor y = Tensor::zeros(target, in[0].shape());
    dispatchDType(in[0].dtype(), [&](auto szero) {
      using S = decltype(szero);
      const S *x = in[0].data<S>();
      dispatchDType(target, [&](auto tzero) {
        using T = decltype(tzero);
        T *dst = y.data<T>();
        for (int64_t i = 0, n = y.size(); i < n; ++i) {
          if constexpr (std::is_same_v<T, uint8_t>)
            dst[i] = x[i] != S{0};
          else
            dst[i] = static_cast<T>(x[i]);
        }
      });
    });
    out[0] = std::move(y);
    return ok();
  });
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

/// act(gate) * up, over two operands or over the halves of one.
llvm::Expected<Kernel> gatedActivationKernel(Operation *op) {
  auto gated = llvm::cast<slm::GatedActivationOp>(op);
  float (*activation)(float) = nullptr;
  switch (gated.getActivation()) {
  case slm::Activation::silu:
    activation = [](float x) { return x * sigmoid(x); };
    break;
  case slm::Activation::gelu:
    activation = gelu;
    break;
  case slm::Activation::gelu_tanh:
    activation = geluTanh;
    break;
  }
  bool halves = !gated.getUp();
  return Kernel([activation, halves](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &gate = in[0];
    Shape shape(gate.shape());
    int64_t n = shape.back(), stride = n;
    const float *g = gate.data<float>(), *u;
    if (halves) {
      if (n % 2)
        return makeError("the gate and up halves of {0} differ in size", gate.describe());
      n /= 2;
      shape.back() = n;
      u = g + n;
    } else {
      if (in[1].shape() != gate.shape())
        return makeError("gate {0} and up {1} differ", gate.describe(), in[1].describe());
      u = in[1].data<float>();
    }
    Tensor y = Tensor::zeros(DType::F32, shape);
    float *dst = y.data<float>();
    for (int64_t row = 0, rows = y.size() / std::max<int64_t>(n, 1); row < rows; ++row)
      for (int64_t i = 0; i < n; ++i)
        dst[row * n + i] = activation(g[row * stride + i]) * u[row * stride + i];
    out[0] = std::move(y);
    return ok();
  });
}

} // namespace

void addElementwiseKernels(KernelTable &t) {
  t.addSimple<slm::NegOp>(unaryNumeric([](auto x) { return -x; }));
  t.addSimple<slm::AbsOp>(unaryNumeric([](auto x) { return x < 0 ? -x : x; }));
  t.addSimple<slm::SignOp>(unaryNumeric([](auto x) { return (x > 0) - (x < 0); }));
  t.addSimple<slm::ExpOp>(unaryFloat([](float x) { return std::exp(x); }));
  t.addSimple<slm::LogOp>(unaryFloat([](float x) { return std::log(x); }));
  t.addSimple<slm::SqrtOp>(unaryFloat([](float x) { return std::sqrt(x); }));
  t.addSimple<slm::RsqrtOp>(unaryFloat([](float x) { return 1.0f / std::sqrt(x); }));
  t.addSimple<slm::ReciprocalOp>(unaryFloat([](float x) { return 1.0f / x; }));
  t.addSimple<slm::TanhOp>(unaryFloat([](float x) { return std::tanh(x); }));
  t.addSimple<slm::ErfOp>(unaryFloat([](float x) { return std::erf(x); }));
  t.addSimple<slm::SigmoidOp>(unaryFloat(sigmoid));
  t.addSimple<slm::SiluOp>(unaryFloat([](float x) { return x * sigmoid(x); }));
  t.addSimple<slm::ReluOp>(unaryFloat([](float x) { return x > 0 ? x : 0.0f; }));
  t.addSimple<slm::SinOp>(unaryFloat([](float x) { return std::sin(x); }));
  t.addSimple<slm::CosOp>(unaryFloat([](float x) { return std::cos(x); }));
  t.addSimple<slm::TanOp>(unaryFloat([](float x) { return std::tan(x); }));
  t.addSimple<slm::AsinOp>(unaryFloat([](float x) { return std::asin(x); }));
  t.addSimple<slm::AcosOp>(unaryFloat([](float x) { return std::acos(x); }));
  t.addSimple<slm::AtanOp>(unaryFloat([](float x) { return std::atan(x); }));
  t.addSimple<slm::SinhOp>(unaryFloat([](float x) { return std::sinh(x); }));
  t.addSimple<slm::CoshOp>(unaryFloat([](float x) { return std::cosh(x); }));
  t.addSimple<slm::AsinhOp>(unaryFloat([](float x) { return std::asinh(x); }));
  t.addSimple<slm::AcoshOp>(unaryFloat([](float x) { return std::acosh(x); }));
  t.addSimple<slm::AtanhOp>(unaryFloat([](float x) { return std::atanh(x); }));
  t.addSimple<slm::CeilOp>(unaryFloat([](float x) { return std::ceil(x); }));
  t.addSimple<slm::FloorOp>(unaryFloat([](float x) { return std::floor(x); }));
  t.addSimple<slm::RoundOp>(unaryFloat([](float x) { return std::nearbyint(x); }));
  t.addSimple<slm::SoftplusOp>(unaryFloat([](float x) { return std::log1p(std::exp(x)); }));
  t.addSimple<slm::SoftsignOp>(unaryFloat([](float x) { return x / (1.0f + std::fabs(x)); }));
  t.addSimple<slm::HardSwishOp>(unaryFloat(
      [](float x) { return x * std::max(0.0f, std::min(1.0f, x / 6.0f + 0.5f)); }));
  t.addSimple<slm::NotOp>([](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    Tensor y = Tensor::zeros(DType::I1, in[0].shape());
    for (int64_t i = 0, n = y.size(); i < n; ++i)
      y.data<uint8_t>()[i] = !in[0].data<uint8_t>()[i];
    out[0] = std::move(y);
    return ok();
  });
  t.add<slm::GatedActivationOp>(gatedActivationKernel);
  t.add<slm::GeluOp>([](Operation *op) -> llvm::Expected<Kernel> {
    bool exact = llvm::cast<slm::GeluOp>(op).getApproximation() == slm::GeluApproximation::none;
    return exact ? unaryFloat(gelu) : unaryFloat(geluTanh);
  });
  t.add<slm::LeakyReluOp>([](Operation *op) -> llvm::Expected<Kernel> {
    float a = llvm::cast<slm::LeakyReluOp>(op).getAlpha().convertToFloat();
    return unaryFloat([a](float x) { return x < 0 ? a * x : x; });
  });
  t.add<slm::EluOp>([](Operation *op) -> llvm::Expected<Kernel> {
    float a = llvm::cast<slm::EluOp>(op).getAlpha().convertToFloat();
    return unaryFloat([a](float x) { return x < 0 ? a * (std::exp(x) - 1.0f) : x; });
  });
  t.add<slm::CeluOp>([](Operation *op) -> llvm::Expected<Kernel> {
    float a = llvm::cast<slm::CeluOp>(op).getAlpha().convertToFloat();
    return unaryFloat([a](float x) {
      return std::max(0.0f, x) + std::min(0.0f, a * (std::exp(x / a) - 1.0f));
    });
  });
  t.add<slm::SeluOp>([](Operation *op) -> llvm::Expected<Kernel> {
    auto selu = llvm::cast<slm::SeluOp>(op);
    float a = selu.getAlpha().convertToFloat(), g = selu.getGamma().convertToFloat();
    return unaryFloat([a, g](float x) { return g * (x <= 0 ? a * (std::exp(x) - 1.0f) : x); });
  });
  t.add<slm::HardSigmoidOp>([](Operation *op) -> llvm::Expected<Kernel> {
    auto hs = llvm::cast<slm::HardSigmoidOp>(op);
    float a = hs.getAlpha().convertToFloat(), b = hs.getBeta().convertToFloat();
    return unaryFloat([a, b](float x) { return std::max(0.0f, std::min(1.0f, a * x + b)); });
  });
  t.add<slm::ThresholdedReluOp>([](Operation *op) -> llvm::Expected<Kernel> {
    float a = llvm::cast<slm::ThresholdedReluOp>(op).getAlpha().convertToFloat();
    return unaryFloat([a](float x) { return x > a ? x : 0.0f; });
  });

  t.addSimple<slm::AddOp>(binary([](auto a, auto b) { return a + b; }));
  t.addSimple<slm::SubOp>(binary([](auto a, auto b) { return a - b; }));
  t.addSimple<slm::MulOp>(binary([](auto a, auto b) { return a * b; }));
  t.addSimple<slm::DivOp>(binary([](auto a, auto b) { return divide(a, b); }));
  t.addSimple<slm::PowOp>(binary([](auto a, auto b) {
    return std::pow(static_cast<double>(a), static_cast<double>(b));
  }));
  t.addSimple<slm::MaxOp>(binary([](auto a, auto b) { return std::isnan(double(a)) || a > b ? a : b; }));
  t.addSimple<slm::MinOp>(binary([](auto a, auto b) { return std::isnan(double(a)) || a < b ? a : b; }));
  t.add<slm::ModOp>([](Operation *op) -> llvm::Expected<Kernel> {
    bool fmod = llvm::cast<slm::ModOp>(op).getFmod();
    return binary([fmod](auto a, auto b) { return remainder(a, b, fmod); });
  });
  t.addSimple<slm::EqualOp>(compare([](auto a, auto b) { return a == b; }));
  t.addSimple<slm::LessOp>(compare([](auto a, auto b) { return a < b; }));
  t.addSimple<slm::LessEqualOp>(compare([](auto a, auto b) { return a <= b; }));
  t.addSimple<slm::GreaterOp>(compare([](auto a, auto b) { return a > b; }));
  t.addSimple<slm::GreaterEqualOp>(compare([](auto a, auto b) { return a >= b; }));
  t.addSimple<slm::AndOp>(binary([](auto a, auto b) { return a && b; }));
  t.addSimple<slm::OrOp>(binary([](auto a, auto b) { return a || b; }));
  t.addSimple<slm::XorOp>(binary([](auto a, auto b) { return bool(a) != bool(b); }));
  t.addSimple<slm::WhereOp>(whereKernel());
  t.add<slm::CastOp>(castKernel);
}

} // namespace slmc::exec
