//===- Transformer.cpp - gradients of rotary embedding and attention ------===//

#include "compiler/executor/gradients/GradientSupport.h"
#include "compiler/executor/kernels/TransformerAttributes.h"
#include "dialects/slm/IR/SlmOps.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace slmc::exec {
namespace {

/// A rotation by the angle of each pair goes back by the opposite angle
/// (cos and sin as the forward kernel computes them, scale included).
llvm::Expected<Vjp> rotaryGradient(Operation *op) {
  RotaryAttributes attributes = RotaryAttributes::of(llvm::cast<slm::RotaryOp>(op));
  return Vjp([=](ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut,
                 ArrayRef<bool> wanted, MutableArrayRef<Tensor> dIn) -> llvm::Error {
    if (in.size() > 2 && wanted[2])
      return makeError("no gradient for the rotary frequencies");
    if (!wanted[0])
      return ok();
    Tensor dy = gradientOrZeros(dOut[0], out[0]);
    int64_t tokens = dy.dim(0), heads = dy.dim(1), headDim = dy.dim(2);
    int64_t rotaryDim = attributes.rotaryDim.value_or(headDim), half = rotaryDim / 2;
    const bool interleaved = attributes.interleaved;
    int64_t start = in[1].intAt(0);
    const float *frequencies = in.size() > 2 ? in[2].data<float>() : nullptr;
    Tensor dx = Tensor::zeros(DType::F32, dy.shape());
    std::copy(dy.data<float>(), dy.data<float>() + dy.size(), dx.data<float>());
    for (int64_t t = 0; t < tokens; ++t) {
      float pos = static_cast<float>(start + t);
      for (int64_t i = 0; i < half; ++i) {
        float freq = attributes.frequency(i, rotaryDim, frequencies);
        float c = std::cos(pos * freq) * attributes.scale;
        float s = std::sin(pos * freq) * attributes.scale;
        for (int64_t h = 0; h < heads; ++h) {
          float *v = dx.data<float>() + (t * heads + h) * headDim;
          float &a = interleaved ? v[2 * i] : v[i];
          float &b = interleaved ? v[2 * i + 1] : v[i + half];
          float da = a, db = b;
          a = da * c + db * s;
          b = -da * s + db * c;
        }
      }
    }
    dIn[0] = std::move(dx);
    return ok();
  });
}

/// Scaled dot-product attention, probabilities recomputed: with p the
/// softmax of a query's scores, dv_j += p_j dy, ds_j = p_j (dy·v_j - Σ p dy·v),
/// through the soft cap's tanh, then dq += scale Σ ds_j k_j and dk_j +=
/// scale ds_j q. Keys and values read from a cache (positions before the
/// call's) get no gradient: they are the function's inputs.
llvm::Expected<Vjp> attentionGradient(Operation *op) {
  AttentionAttributes a = AttentionAttributes::of(llvm::cast<slm::AttentionOp>(op));
  if (a.int8Cache)
    return makeError("no gradient through an int8 KV cache");
  float scale = a.scale, softcap = a.softcap;
  bool causal = a.causal, cached = a.cached;
  int64_t window = a.window;
  return Vjp([=](ArrayRef<Tensor> in, ArrayRef<Tensor> out, ArrayRef<Tensor> dOut,
                 ArrayRef<bool> wanted, MutableArrayRef<Tensor> dIn) -> llvm::Error {
    if (auto error = requireFloat(in.take_front(3), {true, true, true}))
      return error;
    if (cached && (wanted[3] || wanted[4]))
      return makeError("no gradient for the KV caches (they are the function's inputs)");
    const Tensor &q = in[0], &keys = in[1], &values = in[2];
    int64_t tokens = q.dim(0), qHeads = q.dim(1), headDim = q.dim(2);
    int64_t kvHeads = keys.dim(1), valueDim = values.dim(2), group = qHeads / kvHeads;
    int64_t offset = 0;
    if (cached) {
      offset = in[5].intAt(0);
      // The forward wrote the call's rows into the cache in place; earlier
      // rows are still there unless a ring wrapped over them.
      if (offset > 0 && in[3].dim(0) < offset + tokens)
        return makeError("no gradient after a ring cache of {0} rows wrapped", in[3].dim(0));
    } else if (keys.dim(0) != tokens && causal) {
      offset = keys.dim(0) - tokens;
    }
    int64_t visibleKeys = cached ? offset + tokens : keys.dim(0);
    int64_t fresh0 = cached ? offset : 0; // position of the first fresh key row
    auto row = [&](const Tensor &fresh, const Tensor *cache, int64_t j, int64_t kvHead,
                   int64_t dim) -> const float * {
      if (!cached || j >= offset)
        return fresh.data<float>() + ((j - fresh0) * kvHeads + kvHead) * dim;
      return cache->data<float>() + ((j % cache->dim(0)) * kvHeads + kvHead) * dim;
    };
    Tensor dy = gradientOrZeros(dOut[0], out[0]);
    Tensor dq = Tensor::zeros(DType::F32, q.shape());
    Tensor dk = Tensor::zeros(DType::F32, keys.shape());
    Tensor dv = Tensor::zeros(DType::F32, values.shape());
    std::vector<float> p(std::max<int64_t>(visibleKeys, 1)), dp(p.size()), capped(p.size());
    for (int64_t t = 0; t < tokens; ++t) {
      int64_t seen = causal ? std::min(visibleKeys, offset + t + 1) : visibleKeys;
      int64_t first = window > 0 ? std::max<int64_t>(0, offset + t + 1 - window) : 0;
      for (int64_t h = 0; h < qHeads; ++h) {
        const float *query = q.data<float>() + (t * qHeads + h) * headDim;
        const float *g = dy.data<float>() + (t * qHeads + h) * valueDim;
        int64_t kvHead = h / group;
        float max = -std::numeric_limits<float>::infinity();
        for (int64_t j = first; j < seen; ++j) {
          const float *key = row(keys, cached ? &in[3] : nullptr, j, kvHead, headDim);
          float dot = 0;
          for (int64_t d = 0; d < headDim; ++d)
            dot += query[d] * key[d];
          float s = dot * scale;
          if (softcap > 0) {
            capped[j] = std::tanh(s / softcap);
            s = softcap * capped[j];
          }
          p[j] = s;
          max = std::max(max, s);
        }
        double sum = 0;
        for (int64_t j = first; j < seen; ++j) {
          p[j] = std::exp(p[j] - max);
          sum += p[j];
        }
        double mean = 0; // Σ p dp
        for (int64_t j = first; j < seen; ++j) {
          p[j] = static_cast<float>(p[j] / sum);
          const float *value = row(values, cached ? &in[4] : nullptr, j, kvHead, valueDim);
          float dot = 0;
          for (int64_t d = 0; d < valueDim; ++d)
            dot += g[d] * value[d];
          dp[j] = dot;
          mean += double(p[j]) * dot;
        }
        float *dQuery = dq.data<float>() + (t * qHeads + h) * headDim;
        for (int64_t j = first; j < seen; ++j) {
          float ds = p[j] * (dp[j] - static_cast<float>(mean));
          if (softcap > 0)
            ds *= 1 - capped[j] * capped[j];
          ds *= scale;
          const float *key = row(keys, cached ? &in[3] : nullptr, j, kvHead, headDim);
          for (int64_t d = 0; d < headDim; ++d)
            dQuery[d] += ds * key[d];
          if (j < fresh0)
            continue; // a cached row
          float *dKey = dk.data<float>() + ((j - fresh0) * kvHeads + kvHead) * headDim;
          float *dValue = dv.data<float>() + ((j - fresh0) * kvHeads + kvHead) * valueDim;
          for (int64_t d = 0; d < headDim; ++d)
            dKey[d] += ds * query[d];
          for (int64_t d = 0; d < valueDim; ++d)
            dValue[d] += p[j] * g[d];
        }
      }
    }
    dIn[0] = std::move(dq);
    dIn[1] = std::move(dk);
    dIn[2] = std::move(dv);
    return ok();
  });
}

} // namespace

void addTransformerGradients(GradientTable &t) {
  t.add<slm::RotaryOp>(rotaryGradient);
  t.add<slm::AttentionOp>(attentionGradient);
}

} // namespace slmc::exec
