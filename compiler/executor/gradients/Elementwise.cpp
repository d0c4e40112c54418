//===- Elementwise.cpp - gradients of arithmetic and activations ----------===//

#include "compiler/executor/gradients/GradientSupport.h"
#include "dialects/slm/IR/SlmOps.h"

#include <cmath>

using namespace mlir;

namespace slmc::exec {
namespace {

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
float siluDerivative(float x) {
  float s = sigmoid(x);
  return s * (1.0f + x * (1.0f - s));
}
float geluDerivative(float x) {
  const float phi = std::exp(-0.5f * x * x) / std::sqrt(2.0f * static_cast<float>(M_PI));
  return 0.5f * (1.0f + std::erf(x * static_cast<float>(M_SQRT1_2))) + x * phi;
}
float geluTanhDerivative(float x) {
  const float k = std::sqrt(2.0f / static_cast<float>(M_PI));
  float inner = k * (x + 0.044715f * x * x * x);
  float t = std::tanh(inner);
  return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * k * (1.0f + 3 * 0.044715f * x * x);
}

/// y = f(x): dx = f'(x) dy.
Vjp unary(float (*derivative)(float)) {
  return [derivative](ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut,
                      ArrayRef<bool> wanted, MutableArrayRef<Tensor> dIn) -> llvm::Error {
    if (auto error = requireFloat(in, wanted))
      return error;
    Tensor dy = gradientOrZeros(dOut[0], out[0]);
    Tensor dx = Tensor::zeros(DType::F32, in[0].shape());
    const float *x = in[0].data<float>(), *g = dy.data<float>();
    float *d = dx.data<float>();
    for (int64_t i = 0, n = dx.size(); i < n; ++i)
      d[i] = derivative(x[i]) * g[i];
    dIn[0] = std::move(dx);
    return ok();
  };
}

/// The partial derivatives of a binary op at (a, b).
struct Partials {
  float da, db;
};

/// z = f(a, b) with numpy broadcasting: each operand's gradient sums the
/// result elements it was broadcast to.
Vjp binary(Partials (*partials)(float a, float b)) {
  return [partials](ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut,
                    ArrayRef<bool> wanted, MutableArrayRef<Tensor> dIn) -> llvm::Error {
    if (auto error = requireFloat(in, wanted))
      return error;
    auto b = broadcast({in[0].shape(), in[1].shape()});
    if (!b)
      return b.takeError();
    Tensor dz = gradientOrZeros(dOut[0], out[0]);
    Tensor da = Tensor::zeros(DType::F32, in[0].shape());
    Tensor db = Tensor::zeros(DType::F32, in[1].shape());
    const float *x = in[0].data<float>(), *y = in[1].data<float>(), *g = dz.data<float>();
    float *ga = da.data<float>(), *gb = db.data<float>();
    forEachBroadcast<2>(*b, [&](int64_t i, const std::array<int64_t, 2> &o) {
      Partials p = partials(x[o[0]], y[o[1]]);
      ga[o[0]] += p.da * g[i];
      gb[o[1]] += p.db * g[i];
    });
    dIn[0] = std::move(da);
    dIn[1] = std::move(db);
    return ok();
  };
}

/// where(c, a, b): the result's gradient goes to a where c holds, to b
/// elsewhere (summed over what each was broadcast to); c has none.
llvm::Error whereGradient(ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut,
                          ArrayRef<bool> wanted, MutableArrayRef<Tensor> dIn) {
  if (auto error = requireFloat(in.drop_front(), wanted.drop_front()))
    return error;
  auto b = broadcast({in[0].shape(), in[1].shape(), in[2].shape()});
  if (!b)
    return b.takeError();
  Tensor dz = gradientOrZeros(dOut[0], out[0]);
  Tensor da = Tensor::zeros(DType::F32, in[1].shape());
  Tensor db = Tensor::zeros(DType::F32, in[2].shape());
  const uint8_t *c = in[0].data<uint8_t>();
  const float *g = dz.data<float>();
  float *ga = da.data<float>(), *gb = db.data<float>();
  forEachBroadcast<3>(*b, [&](int64_t i, const std::array<int64_t, 3> &o) {
    (c[o[0]] ? ga[o[1]] : gb[o[2]]) += g[i];
  });
  if (wanted[1])
    dIn[1] = std::move(da);
  if (wanted[2])
    dIn[2] = std::move(db);
  return ok();
}

/// act(gate) * up, or the halves of one gate tensor.
llvm::Expected<Vjp> gatedActivationGradient(Operation *op) {
  auto gated = llvm::cast<slm::GatedActivationOp>(op);
  float (*activation)(float) = nullptr;
  float (*derivative)(float) = nullptr;
  switch (gated.getActivation()) {
  case slm::Activation::silu:
    activation = [](float x) { return x * sigmoid(x); };
    derivative = siluDerivative;
    break;
  case slm::Activation::gelu:
    activation = [](float x) {
      return 0.5f * x * (1.0f + std::erf(x * static_cast<float>(M_SQRT1_2)));
    };
    derivative = geluDerivative;
    break;
  case slm::Activation::gelu_tanh:
    activation = [](float x) {
      const float k = std::sqrt(2.0f / static_cast<float>(M_PI));
      return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
    };
    derivative = geluTanhDerivative;
    break;
  }
  bool halves = !gated.getUp();
  return Vjp([=](ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut,
                 ArrayRef<bool> wanted, MutableArrayRef<Tensor> dIn) -> llvm::Error {
    if (auto error = requireFloat(in, wanted))
      return error;
    Tensor dy = gradientOrZeros(dOut[0], out[0]);
    int64_t n = out[0].dim(-1), rows = n ? out[0].size() / n : 0;
    int64_t stride = halves ? 2 * n : n;
    const float *g = in[0].data<float>();
    const float *u = halves ? g + n : in[1].data<float>();
    Tensor dGate = Tensor::zeros(DType::F32, in[0].shape());
    Tensor dUp = halves ? Tensor() : Tensor::zeros(DType::F32, in[1].shape());
    float *dg = dGate.data<float>();
    float *du = halves ? dg + n : dUp.data<float>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < n; ++j) {
        float x = g[r * stride + j], up = u[r * stride + j], d = dy.data<float>()[r * n + j];
        dg[r * stride + j] = derivative(x) * up * d;
        du[r * stride + j] = activation(x) * d;
      }
    dIn[0] = std::move(dGate);
    if (!halves)
      dIn[1] = std::move(dUp);
    return ok();
  });
}

} // namespace

void addElementwiseGradients(GradientTable &t) {
  t.addSimple<slm::WhereOp>(whereGradient);
  t.addSimple<slm::AddOp>(binary([](float, float) { return Partials{1, 1}; }));
  t.addSimple<slm::SubOp>(binary([](float, float) { return Partials{1, -1}; }));
  t.addSimple<slm::MulOp>(binary([](float a, float b) { return Partials{b, a}; }));
  t.addSimple<slm::DivOp>(binary([](float a, float b) { return Partials{1 / b, -a / (b * b)}; }));
  t.addSimple<slm::NegOp>(unary([](float) { return -1.0f; }));
  t.addSimple<slm::SiluOp>(unary(siluDerivative));
  t.addSimple<slm::TanhOp>(unary([](float x) {
    float y = std::tanh(x);
    return 1 - y * y;
  }));
  t.add<slm::GeluOp>([](Operation *op) -> llvm::Expected<Vjp> {
    bool exact = llvm::cast<slm::GeluOp>(op).getApproximation() == slm::GeluApproximation::none;
    return unary(exact ? geluDerivative : geluTanhDerivative);
  });
  t.add<slm::GatedActivationOp>(gatedActivationGradient);
}

} // namespace slmc::exec
