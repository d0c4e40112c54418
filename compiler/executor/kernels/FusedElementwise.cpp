//===- FusedElementwise.cpp - slm.elementwise, one element at a time ------===//
//
// The body of an slm.elementwise is compiled once into a list of scalar steps
// over numbered slots (floats; comparisons hold 0 or 1), then run for every
// element. The steps are those the fusion writes (FuseElementwise.cpp); any
// other op in a body is reported when the program is built.
//
//===----------------------------------------------------------------------===//

#include "compiler/executor/kernels/KernelSupport.h"
#include "dialects/slm/IR/SlmOps.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;

namespace slmc::exec {
namespace {

struct Step {
  std::function<float(const float *slots)> compute;
  int out;
};

llvm::Expected<Kernel> elementwiseKernel(Operation *op) {
  auto fused = llvm::cast<slm::ElementwiseOp>(op);
  Block &body = fused.getBody().front();
  llvm::DenseMap<Value, int> slot;
  for (BlockArgument arg : body.getArguments())
    slot[arg] = static_cast<int>(arg.getArgNumber());
  int next = static_cast<int>(body.getNumArguments());
  std::vector<Step> steps;
  for (Operation &inner : body.without_terminator()) {
    auto in = [&](unsigned i) { return slot.lookup(inner.getOperand(i)); };
    using F = std::function<float(const float *)>;
    std::optional<F> f = llvm::TypeSwitch<Operation *, std::optional<F>>(&inner)
        .Case([&](arith::ConstantOp c) -> std::optional<F> {
          auto value = llvm::dyn_cast<FloatAttr>(c.getValue());
          if (!value)
            return std::nullopt;
          float v = static_cast<float>(value.getValueAsDouble());
          return F([v](const float *) { return v; });
        })
        .Case([&](arith::AddFOp) { int a = in(0), b = in(1); return F([a, b](const float *s) { return s[a] + s[b]; }); })
        .Case([&](arith::SubFOp) { int a = in(0), b = in(1); return F([a, b](const float *s) { return s[a] - s[b]; }); })
        .Case([&](arith::MulFOp) { int a = in(0), b = in(1); return F([a, b](const float *s) { return s[a] * s[b]; }); })
        .Case([&](arith::DivFOp) { int a = in(0), b = in(1); return F([a, b](const float *s) { return s[a] / s[b]; }); })
        .Case([&](arith::NegFOp) { int a = in(0); return F([a](const float *s) { return -s[a]; }); })
        .Case([&](arith::SelectOp) {
          int c = in(0), a = in(1), b = in(2);
          return F([c, a, b](const float *s) { return s[c] != 0 ? s[a] : s[b]; });
        })
        .Case([&](arith::CmpFOp cmp) -> std::optional<F> {
          int a = in(0), b = in(1);
          switch (cmp.getPredicate()) {
          case arith::CmpFPredicate::OLT:
            return F([a, b](const float *s) { return float(s[a] < s[b]); });
          case arith::CmpFPredicate::OGT:
            return F([a, b](const float *s) { return float(s[a] > s[b]); });
          default:
            return std::nullopt;
          }
        })
        .Case([&](math::AbsFOp) { int a = in(0); return F([a](const float *s) { return std::fabs(s[a]); }); })
        .Case([&](math::ExpOp) { int a = in(0); return F([a](const float *s) { return std::exp(s[a]); }); })
        .Case([&](math::LogOp) { int a = in(0); return F([a](const float *s) { return std::log(s[a]); }); })
        .Case([&](math::SqrtOp) { int a = in(0); return F([a](const float *s) { return std::sqrt(s[a]); }); })
        .Case([&](math::SinOp) { int a = in(0); return F([a](const float *s) { return std::sin(s[a]); }); })
        .Case([&](math::CosOp) { int a = in(0); return F([a](const float *s) { return std::cos(s[a]); }); })
        .Default([](Operation *) { return std::nullopt; });
    if (!f)
      return makeError("no reference kernel for {0} in an slm.elementwise body",
                       inner.getName().getStringRef());
    slot[inner.getResult(0)] = next;
    steps.push_back({std::move(*f), next++});
  }
  int yielded = slot.lookup(llvm::cast<slm::YieldOp>(body.getTerminator()).getValue());
  int slots = next;
  return Kernel([steps, yielded, slots](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    // Inputs of one element broadcast; the others have the result's shape.
    Shape shape;
    for (const Tensor &t : in)
      if (t.size() != 1 || shape.empty())
        shape.assign(t.shape().begin(), t.shape().end());
    Tensor y = Tensor::zeros(DType::F32, shape);
    for (const Tensor &t : in)
      if (t.size() != 1 && t.size() != y.size())
        return makeError("input {0} neither has the result's {1} elements nor one",
                         t.describe(), y.size());
    std::vector<float> s(slots);
    for (int64_t i = 0, n = y.size(); i < n; ++i) {
      for (size_t k = 0; k < in.size(); ++k)
        s[k] = in[k].data<float>()[in[k].size() == 1 ? 0 : i];
      for (const Step &step : steps)
        s[step.out] = step.compute(s.data());
      y.data<float>()[i] = s[yielded];
    }
    out[0] = std::move(y);
    return ok();
  });
}

} // namespace

void addFusedElementwiseKernels(KernelTable &t) { t.add<slm::ElementwiseOp>(elementwiseKernel); }

} // namespace slmc::exec
