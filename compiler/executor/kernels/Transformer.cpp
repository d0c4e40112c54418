//===- Transformer.cpp - rotary embedding and attention kernels -----------===//

#include "compiler/executor/kernels/KernelSupport.h"
#include "compiler/executor/kernels/TransformerAttributes.h"
#include "dialects/slm/IR/SlmOps.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;

namespace slmc::exec {
namespace {

llvm::Expected<Kernel> rotaryKernel(Operation *op) {
  RotaryAttributes attributes = RotaryAttributes::of(llvm::cast<slm::RotaryOp>(op));
  return Kernel([=](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    const Tensor &x = in[0];
    const float scale = attributes.scale;
    const bool interleaved = attributes.interleaved;
    int64_t tokens = x.dim(0), heads = x.dim(1), headDim = x.dim(2);
    int64_t rotaryDim = attributes.rotaryDim.value_or(headDim);
    if (rotaryDim > headDim || rotaryDim % 2)
      return makeError("rotary_dim {0} does not fit head_dim {1}", rotaryDim, headDim);
    int64_t start = in[1].intAt(0);
    int64_t half = rotaryDim / 2;
    const float *frequencies = in.size() > 2 ? in[2].data<float>() : nullptr;
    if (frequencies && in[2].size() != half)
      return makeError("{0} frequencies for {1} rotary pairs", in[2].size(), half);
    std::vector<float> cosines(half), sines(half);
    Tensor y = Tensor::zeros(DType::F32, x.shape());
    std::memcpy(y.data<float>(), x.data<float>(), sizeof(float) * x.size());
    for (int64_t t = 0; t < tokens; ++t) {
      float pos = static_cast<float>(start + t);
      for (int64_t i = 0; i < half; ++i) {
        float freq = attributes.frequency(i, rotaryDim, frequencies);
        cosines[i] = std::cos(pos * freq);
        sines[i] = std::sin(pos * freq);
        if (scale != 1.0f) {
          cosines[i] *= scale;
          sines[i] *= scale;
        }
      }
      for (int64_t h = 0; h < heads; ++h) {
        float *v = y.data<float>() + (t * heads + h) * headDim;
        for (int64_t i = 0; i < half; ++i) {
          float &a = interleaved ? v[2 * i] : v[i];
          float &b = interleaved ? v[2 * i + 1] : v[i + half];
          float a0 = a, b0 = b;
          a = a0 * cosines[i] - b0 * sines[i];
          b = a0 * sines[i] + b0 * cosines[i];
        }
      }
    }
    out[0] = std::move(y);
    return ok();
  });
}

/// Checks that positions [start, start + tokens) fit a [rows, heads, dim]
/// cache: all of them, or (`window` > 0) the window before each as a ring.
llvm::Error checkCache(const Tensor &cache, const Tensor &fresh, int64_t start, int64_t window) {
  int64_t tokens = fresh.dim(0), rows = cache.dim(0);
  bool fits = start >= 0 && (start + tokens <= rows || (window > 0 && rows >= window));
  if (!fits)
    return makeError("positions {0}..{1} do not fit a KV cache of {2} rows", start,
                     start + tokens - 1, rows);
  if (fresh.dim(1) != cache.dim(1) || fresh.dim(2) != cache.dim(2))
    return makeError("{0} does not match the cache {1}", fresh.describe(), cache.describe());
  return ok();
}

/// Writes the rows of positions [start, start + tokens): position p at row
/// p mod rows (a windowed layer's ring keeps the last rows).
void writeToCache(Tensor &cache, const Tensor &fresh, int64_t start) {
  int64_t tokens = fresh.dim(0), rows = cache.dim(0), row = fresh.dim(1) * fresh.dim(2);
  for (int64_t t = std::max<int64_t>(0, tokens - rows); t < tokens; ++t)
    std::memcpy(cache.data<float>() + ((start + t) % rows) * row, fresh.data<float>() + t * row,
                sizeof(float) * row);
}

/// int8 KV-cache rows (ModelContract.h): per position and head, the f32
/// scale s = max|x| / 127 and round-half-even(x * 127 / max|x|) in
/// [-127, 127]; computed with the float operations the kernels use.
constexpr int64_t kScaleBytes = slm::DecoderShape::kInt8CacheScaleBytes;

void quantizeCacheRow(const float *x, int64_t n, uint8_t *row) {
  float largest = 0.0f;
  for (int64_t d = 0; d < n; ++d)
    largest = std::fmax(largest, std::fabs(x[d]));
  float scale = largest / 127.0f, inverse = largest > 0.0f ? 127.0f / largest : 0.0f;
  std::memcpy(row, &scale, sizeof scale);
  for (int64_t d = 0; d < n; ++d)
    row[kScaleBytes + d] = static_cast<uint8_t>(static_cast<int8_t>(
        std::fmin(std::fmax(std::nearbyint(x[d] * inverse), -127.0f), 127.0f)));
}

void dequantizeCacheRow(const uint8_t *row, int64_t n, float *x) {
  float scale;
  std::memcpy(&scale, row, sizeof scale);
  for (int64_t d = 0; d < n; ++d)
    x[d] = static_cast<float>(static_cast<int8_t>(row[kScaleBytes + d])) * scale;
}

/// [rows, heads, 4 + dim] int8 rows -> [rows, heads, dim] f32, as read back.
Tensor dequantizeCache(const Tensor &cache) {
  int64_t dim = cache.dim(2) - kScaleBytes, rows = cache.dim(0) * cache.dim(1);
  Tensor out = Tensor::zeros(DType::F32, {cache.dim(0), cache.dim(1), dim});
  for (int64_t r = 0; r < rows; ++r)
    dequantizeCacheRow(cache.data<uint8_t>() + r * cache.dim(2), dim, out.data<float>() + r * dim);
  return out;
}

/// `fresh` [tokens, heads, dim] as an int8 cache holds it and reads it back.
Tensor roundTripCache(const Tensor &fresh) {
  int64_t dim = fresh.dim(2), rows = fresh.dim(0) * fresh.dim(1);
  Tensor out = Tensor::zeros(DType::F32, fresh.shape());
  std::vector<uint8_t> row(kScaleBytes + dim);
  for (int64_t r = 0; r < rows; ++r) {
    quantizeCacheRow(fresh.data<float>() + r * dim, dim, row.data());
    dequantizeCacheRow(row.data(), dim, out.data<float>() + r * dim);
  }
  return out;
}

/// writeToCache for int8 rows.
void writeToInt8Cache(Tensor &cache, const Tensor &fresh, int64_t start) {
  int64_t tokens = fresh.dim(0), rows = cache.dim(0), heads = fresh.dim(1), dim = fresh.dim(2);
  for (int64_t t = std::max<int64_t>(0, tokens - rows); t < tokens; ++t)
    for (int64_t h = 0; h < heads; ++h)
      quantizeCacheRow(fresh.data<float>() + (t * heads + h) * dim, dim,
                       cache.data<uint8_t>() + (((start + t) % rows) * heads + h) * (kScaleBytes + dim));
}

/// The f32 attention (caches f32 too): the op's reference semantics.
llvm::Error attendF32(ArrayRef<Tensor> in, MutableArrayRef<Tensor> out, float scale, bool causal,
                      int64_t window, float softcap, bool cached, bool inPlace) {
  {
    const Tensor &q = in[0];
    Tensor keys = in[1], values = in[2];
    int64_t tokens = q.dim(0), qHeads = q.dim(1), headDim = q.dim(2);
    int64_t kvHeads = keys.dim(1), valueDim = values.dim(2);
    if (keys.dim(2) != headDim || kvHeads == 0 || qHeads % kvHeads)
      return makeError("query {0} does not fit keys {1}", q.describe(), keys.describe());
    // Absolute position of query token 0: keys before it come from the
    // cache (position p at row p mod rows), the call's own from keys/values.
    int64_t offset = 0;
    Tensor keyCache, valueCache;
    if (cached) {
      offset = in[5].intAt(0);
      keyCache = in[3];
      valueCache = in[4];
      if (auto error = checkCache(keyCache, keys, offset, window))
        return error;
      if (auto error = checkCache(valueCache, values, offset, window))
        return error;
      if (!inPlace) {
        keyCache = Tensor::zeros(DType::F32, in[3].shape());
        valueCache = Tensor::zeros(DType::F32, in[4].shape());
        std::memcpy(keyCache.data<float>(), in[3].data<float>(), sizeof(float) * in[3].size());
        std::memcpy(valueCache.data<float>(), in[4].data<float>(), sizeof(float) * in[4].size());
      }
    } else if (keys.dim(0) != tokens && causal) {
      offset = keys.dim(0) - tokens;
    }
    auto rowOf = [&](const Tensor &fresh, const Tensor &cache, int64_t j, int64_t kvHead,
                     int64_t dim) {
      if (!cached || j >= offset)
        return fresh.data<float>() + ((j - (cached ? offset : 0)) * kvHeads + kvHead) * dim;
      return cache.data<float>() + ((j % cache.dim(0)) * kvHeads + kvHead) * dim;
    };
    int64_t visibleKeys = cached ? offset + tokens : keys.dim(0);
    int64_t group = qHeads / kvHeads;
    Tensor y = Tensor::zeros(DType::F32, {tokens, qHeads, valueDim});
    std::vector<float> scores(std::max<int64_t>(visibleKeys, 1));
    for (int64_t t = 0; t < tokens; ++t) {
      int64_t seen = causal ? std::min(visibleKeys, offset + t + 1) : visibleKeys;
      // A window keeps the last `window` positions up to the query's own.
      int64_t first = window > 0 ? std::max<int64_t>(0, offset + t + 1 - window) : 0;
      for (int64_t h = 0; h < qHeads; ++h) {
        const float *query = q.data<float>() + (t * qHeads + h) * headDim;
        int64_t kvHead = h / group;
        float max = -std::numeric_limits<float>::infinity();
        for (int64_t j = first; j < seen; ++j) {
          const float *key = rowOf(keys, keyCache, j, kvHead, headDim);
          float dot = 0;
          for (int64_t d = 0; d < headDim; ++d)
            dot += query[d] * key[d];
          scores[j] = dot * scale;
          if (softcap > 0)
            scores[j] = softcap * std::tanh(scores[j] / softcap);
          max = std::max(max, scores[j]);
        }
        float sum = 0;
        for (int64_t j = first; j < seen; ++j) {
          scores[j] = std::exp(scores[j] - max);
          sum += scores[j];
        }
        float *dst = y.data<float>() + (t * qHeads + h) * valueDim;
        for (int64_t j = first; j < seen; ++j) {
          const float *value = rowOf(values, valueCache, j, kvHead, valueDim);
          float weight = scores[j] / sum;
          for (int64_t d = 0; d < valueDim; ++d)
            dst[d] += weight * value[d];
        }
      }
    }
    if (cached) {
      writeToCache(keyCache, keys, offset);
      writeToCache(valueCache, values, offset);
      out[1] = keyCache;
      out[2] = valueCache;
    }
    out[0] = std::move(y);
    return ok();
  }
}

llvm::Expected<Kernel> attentionKernel(Operation *op) {
  auto attention = llvm::cast<slm::AttentionOp>(op);
  AttentionAttributes a = AttentionAttributes::of(attention);
  float scale = a.scale, softcap = a.softcap;
  bool causal = a.causal, cached = a.cached, int8Cache = a.int8Cache;
  int64_t window = a.window;
  // The cache is updated in place when the op is its only reader, which is
  // how importers build decoders; otherwise it is copied first.
  bool inPlace = cached && attention.getKeyCache().hasOneUse() &&
                 attention.getValueCache().hasOneUse() &&
                 attention.getKeyCache() != attention.getValueCache();
  return Kernel([=](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    auto attend = [&](ArrayRef<Tensor> operands, MutableArrayRef<Tensor> results) {
      return attendF32(operands, results, scale, causal, window, softcap, cached, inPlace);
    };
    if (int8Cache) { // as f32 caches of what the int8 rows stand for
      if (in[3].dim(2) != in[1].dim(2) + kScaleBytes || in[4].dim(2) != in[2].dim(2) + kScaleBytes)
        return makeError("int8 caches {0} and {1} do not fit keys {2} and values {3}",
                         in[3].describe(), in[4].describe(), in[1].describe(),
                         in[2].describe());
      llvm::SmallVector<Tensor, 6> floats(in.begin(), in.end());
      floats[1] = roundTripCache(in[1]);
      floats[2] = roundTripCache(in[2]);
      floats[3] = dequantizeCache(in[3]);
      floats[4] = dequantizeCache(in[4]);
      llvm::SmallVector<Tensor, 3> results(3);
      if (auto error = attend(floats, results))
        return error;
      Tensor keyCache = in[3], valueCache = in[4];
      if (!inPlace) {
        keyCache = Tensor::zeros(DType::I8, in[3].shape());
        valueCache = Tensor::zeros(DType::I8, in[4].shape());
        std::memcpy(keyCache.data<uint8_t>(), in[3].data<uint8_t>(), in[3].size());
        std::memcpy(valueCache.data<uint8_t>(), in[4].data<uint8_t>(), in[4].size());
      }
      int64_t offset = in[5].intAt(0);
      writeToInt8Cache(keyCache, in[1], offset);
      writeToInt8Cache(valueCache, in[2], offset);
      out[0] = std::move(results[0]);
      out[1] = keyCache;
      out[2] = valueCache;
      return ok();
    }
    return attend(in, out);
  });
}

} // namespace

void addTransformerKernels(KernelTable &t) {
  t.add<slm::RotaryOp>(rotaryKernel);
  t.add<slm::AttentionOp>(attentionKernel);
}

} // namespace slmc::exec
