//===- DecoderBuilder.cpp - slm IR for Llama-family decoders --------------===//

#include "compiler/frontends/decoder/DecoderBuilder.h"

#include "compiler/support/Error.h"
#include "compiler/weights/WeightBlob.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

#include <cmath>
#include <cstring>

using namespace mlir;

namespace slmc {
namespace {

constexpr int64_t kDynamic = ShapedType::kDynamic;

class Builder {
public:
  Builder(MLIRContext &context, const DecoderConfig &config, const WeightSource &weights)
      : b(&context), config(config), weights(weights), loc(UnknownLoc::get(&context)) {}

  llvm::Expected<OwningOpRef<ModuleOp>> build(StringRef source);

private:
  llvm::Expected<Value> weight(const llvm::Twine &name, ArrayRef<int64_t> shape);
  Value reshape(Value x, ArrayRef<int64_t> shape);
  llvm::Expected<Value> linear(Value x, const llvm::Twine &prefix, int64_t in, int64_t out,
                               bool bias);
  llvm::Expected<Value> rmsNorm(Value x, const llvm::Twine &name, int64_t width);
  Value scalar(float value);
  Value activation(Value gate);
  llvm::Error layer(int64_t index, Value &x, Value position, Value keyCache, Value valueCache,
                    SmallVectorImpl<Value> &newCaches);

  OpBuilder b;
  Value frequencies; // the rope scaling's table, shared by every rotary op (or null)
  const DecoderConfig &config;
  const WeightSource &weights;
  Location loc;
};

llvm::Expected<Value> Builder::weight(const llvm::Twine &name, ArrayRef<int64_t> shape) {
  std::string key = name.str();
  auto attr = weights(key, shape);
  if (!attr)
    return attr.takeError();
  return b.create<slm::ConstantOp>(NameLoc::get(b.getStringAttr(key)), *attr).getResult();
}

Value Builder::reshape(Value x, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> spec(shape);
  for (int64_t &d : spec)
    d = d == kDynamic ? -1 : d;
  auto specType = RankedTensorType::get({static_cast<int64_t>(spec.size())}, b.getI64Type());
  Value target = b.create<slm::ConstantOp>(loc, DenseIntElementsAttr::get(specType, spec));
  auto type = RankedTensorType::get(shape, llvm::cast<RankedTensorType>(x.getType()).getElementType());
  return b.create<slm::ReshapeOp>(loc, type, x, target, nullptr);
}

llvm::Expected<Value> Builder::linear(Value x, const llvm::Twine &prefix, int64_t in, int64_t out,
                                      bool bias) {
  auto w = weight(prefix + ".weight", {out, in});
  if (!w)
    return w.takeError();
  Value biasValue;
  if (bias) {
    auto bv = weight(prefix + ".bias", {out});
    if (!bv)
      return bv.takeError();
    biasValue = *bv;
  }
  return b.create<slm::LinearOp>(loc, x, *w, biasValue).getResult();
}

llvm::Expected<Value> Builder::rmsNorm(Value x, const llvm::Twine &name, int64_t width) {
  Value w;
  if (config.normWeightOffset) {
    // Gemma's norms scale by (1 + weight), computed in f32 as Hugging Face
    // does; the sum is the norm's weight from here on.
    std::string key = name.str();
    auto stored = weights(key, {width});
    if (!stored)
      return stored.takeError();
    llvm::ArrayRef<char> bytes = weightBytes(*stored);
    if (static_cast<int64_t>(bytes.size()) != width * static_cast<int64_t>(sizeof(float)))
      return makeError("norm weight {0}: expected {1} f32 values", key, width);
    std::vector<float> values(width);
    std::memcpy(values.data(), bytes.data(), bytes.size());
    for (float &v : values)
      v = 1.0f + v;
    auto type = RankedTensorType::get({width}, b.getF32Type());
    w = b.create<slm::ConstantOp>(NameLoc::get(b.getStringAttr(key)),
                                  ownWeight(type, key, std::move(values)));
  } else {
    auto stored = weight(name, {width});
    if (!stored)
      return stored.takeError();
    w = *stored;
  }
  return b.create<slm::RmsNormOp>(loc, x.getType(), x, w, b.getF32FloatAttr(config.rmsEps))
      .getResult();
}

Value Builder::scalar(float value) {
  auto type = RankedTensorType::get({}, b.getF32Type());
  return b.create<slm::ConstantOp>(loc, DenseElementsAttr::get(type, value));
}

Value Builder::activation(Value gate) {
  switch (config.activation) {
  case slm::Activation::silu:
    return b.create<slm::SiluOp>(loc, gate);
  case slm::Activation::gelu:
    return b.create<slm::GeluOp>(loc, gate, slm::GeluApproximation::none);
  case slm::Activation::gelu_tanh:
    return b.create<slm::GeluOp>(loc, gate, slm::GeluApproximation::tanh);
  }
  llvm_unreachable("unknown activation");
}

llvm::Error Builder::layer(int64_t index, Value &x, Value position, Value keyCache,
                           Value valueCache, SmallVectorImpl<Value> &newCaches) {
  std::string p = "model.layers." + std::to_string(index);
  const DecoderConfig &c = config;
  const slm::DecoderShape &d = c.shape();
  int64_t qWidth = d.heads * d.headDim, kvWidth = d.kvHeads * d.headDim;

  auto h = rmsNorm(x, p + ".input_layernorm.weight", d.hiddenSize);
  if (!h)
    return h.takeError();
  Value q, k, v;
  if (c.fusedProjections) { // Phi-3: one qkv_proj, q's rows then k's then v's
    auto qkv = linear(*h, p + ".self_attn.qkv_proj", d.hiddenSize, qWidth + 2 * kvWidth,
                      c.attentionBias);
    if (!qkv)
      return qkv.takeError();
    auto split = b.create<slm::SplitOp>(loc, *qkv, -1,
                                        SmallVector<int64_t>{qWidth, kvWidth, kvWidth});
    q = split.getResult(0), k = split.getResult(1), v = split.getResult(2);
  } else {
    auto qp = linear(*h, p + ".self_attn.q_proj", d.hiddenSize, qWidth, c.attentionBias);
    auto kp = linear(*h, p + ".self_attn.k_proj", d.hiddenSize, kvWidth, c.attentionBias);
    auto vp = linear(*h, p + ".self_attn.v_proj", d.hiddenSize, kvWidth, c.attentionBias);
    if (!qp || !kp || !vp)
      return llvm::joinErrors(llvm::joinErrors(qp.takeError(), kp.takeError()), vp.takeError());
    q = *qp, k = *kp, v = *vp;
  }
  Value qh = reshape(q, {kDynamic, d.heads, d.headDim});
  Value kh = reshape(k, {kDynamic, d.kvHeads, d.headDim});
  Value vh = reshape(v, {kDynamic, d.kvHeads, d.headDim});
  if (c.qkNorm) {
    auto qn = rmsNorm(qh, p + ".self_attn.q_norm.weight", d.headDim);
    auto kn = rmsNorm(kh, p + ".self_attn.k_norm.weight", d.headDim);
    if (!qn || !kn)
      return llvm::joinErrors(qn.takeError(), kn.takeError());
    qh = *qn;
    kh = *kn;
  }
  // A local layer is windowed (when the window is shorter than the context)
  // and, in Gemma 3, turns with a base of its own and no scaling.
  bool local = c.slidingLayers.empty() ? c.slidingWindow > 0
                                       : c.slidingLayers[static_cast<size_t>(index)];
  bool sliding = local && c.slidingWindow > 0;
  bool localRope = local && c.localRopeTheta > 0;
  auto theta = b.getF64FloatAttr(localRope ? c.localRopeTheta : c.ropeTheta);
  Value layerFrequencies = localRope ? Value() : frequencies;
  auto layout = slm::RotaryLayoutAttr::get(b.getContext(), c.ropeLayout);
  IntegerAttr rotaryDim = c.rotaryDim && c.rotaryDim != d.headDim
                             ? b.getI64IntegerAttr(c.rotaryDim)
                             : nullptr;
  FloatAttr scale =
      c.ropeScale != 1.0f && !localRope ? b.getF32FloatAttr(c.ropeScale) : nullptr;
  qh = b.create<slm::RotaryOp>(loc, qh.getType(), qh, position, layerFrequencies, theta, layout,
                               rotaryDim, scale);
  kh = b.create<slm::RotaryOp>(loc, kh.getType(), kh, position, layerFrequencies, theta, layout,
                               rotaryDim, scale);
  float scoreScale = c.attentionScale > 0 ? c.attentionScale
                                          : 1.0f / std::sqrt(static_cast<float>(d.headDim));
  auto attention = b.create<slm::AttentionOp>(
      loc, qh, kh, vh, keyCache, valueCache, position, b.getF32FloatAttr(scoreScale),
      b.getUnitAttr(), sliding ? b.getI64IntegerAttr(c.slidingWindow) : nullptr,
      c.attentionSoftcap > 0 ? b.getF32FloatAttr(c.attentionSoftcap) : nullptr);
  newCaches.append(attention.getUpdatedCaches().begin(), attention.getUpdatedCaches().end());
  Value merged = reshape(attention.getOutput(), {kDynamic, qWidth});
  auto o = linear(merged, p + ".self_attn.o_proj", qWidth, d.hiddenSize, false);
  if (!o)
    return o.takeError();
  if (c.sandwichNorms) // Gemma: the name means the norm of the attention's output
    o = rmsNorm(*o, p + ".post_attention_layernorm.weight", d.hiddenSize);
  if (!o)
    return o.takeError();
  x = b.create<slm::AddOp>(loc, x, *o);

  auto h2 = rmsNorm(x,
                    p + (c.sandwichNorms ? ".pre_feedforward_layernorm.weight"
                                         : ".post_attention_layernorm.weight"),
                    d.hiddenSize);
  if (!h2)
    return h2.takeError();
  Value gate, up;
  if (c.fusedProjections) { // Phi-3: one gate_up_proj, gate's rows then up's
    auto gateUp = linear(*h2, p + ".mlp.gate_up_proj", d.hiddenSize, 2 * c.intermediate, false);
    if (!gateUp)
      return gateUp.takeError();
    auto split = b.create<slm::SplitOp>(loc, *gateUp, -1,
                                        SmallVector<int64_t>{c.intermediate, c.intermediate});
    gate = split.getResult(0), up = split.getResult(1);
  } else {
    auto gp = linear(*h2, p + ".mlp.gate_proj", d.hiddenSize, c.intermediate, false);
    auto upp = linear(*h2, p + ".mlp.up_proj", d.hiddenSize, c.intermediate, false);
    if (!gp || !upp)
      return llvm::joinErrors(gp.takeError(), upp.takeError());
    gate = *gp, up = *upp;
  }
  Value act = b.create<slm::MulOp>(loc, activation(gate), up);
  auto down = linear(act, p + ".mlp.down_proj", c.intermediate, d.hiddenSize, false);
  if (!down)
    return down.takeError();
  if (c.sandwichNorms)
    down = rmsNorm(*down, p + ".post_feedforward_layernorm.weight", d.hiddenSize);
  if (!down)
    return down.takeError();
  x = b.create<slm::AddOp>(loc, x, *down);
  return llvm::Error::success();
}

llvm::Expected<OwningOpRef<ModuleOp>> Builder::build(StringRef source) {
  const DecoderConfig &c = config;
  if (!c.model.decoder)
    return makeError("a decoder needs its shape");
  const slm::DecoderShape &d = c.shape();
  slm::ModelContract contract = c.model;
  contract.source = source.str();
  if (std::string why = contract.inconsistency(); !why.empty())
    return makeError("{0}", why);
  if (c.intermediate <= 0)
    return makeError("the feed-forward width must be positive");
  if (d.headDim % 2)
    return makeError("head_dim {0} must be even for rotary embeddings", d.headDim);
  if (!c.slidingLayers.empty() && static_cast<int64_t>(c.slidingLayers.size()) != d.layers)
    return makeError("{0} layer attention kinds for {1} layers", c.slidingLayers.size(), d.layers);

  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto f32 = b.getF32Type();
  auto cacheType = RankedTensorType::get({kDynamic, d.kvHeads, d.headDim}, f32);
  SmallVector<Type> inputs{RankedTensorType::get({kDynamic}, b.getI64Type()),
                           RankedTensorType::get({}, b.getI64Type())};
  SmallVector<Type> outputs{RankedTensorType::get({kDynamic, c.model.vocabSize}, f32)};
  for (int64_t i = 0; i < 2 * d.layers; ++i) {
    inputs.push_back(cacheType);
    outputs.push_back(cacheType);
  }
  auto function = b.create<func::FuncOp>(loc, "forward", b.getFunctionType(inputs, outputs));
  StringRef name = slm::SlmDialect::NameAttrHelper::getNameStr();
  function.setArgAttr(0, name, b.getStringAttr("tokens"));
  function.setArgAttr(1, name, b.getStringAttr("position"));
  Block *body = function.addEntryBlock();
  b.setInsertionPointToStart(body);

  int64_t rotaryDim = c.rotaryDim ? c.rotaryDim : d.headDim;
  if (rotaryDim <= 0 || rotaryDim > d.headDim || rotaryDim % 2)
    return makeError("rotary dimensions {0} do not fit head_dim {1}", rotaryDim, d.headDim);
  if (!c.ropeFrequencies.empty()) {
    if (static_cast<int64_t>(c.ropeFrequencies.size()) != rotaryDim / 2)
      return makeError("{0} rotary frequencies for {1} rotary dimensions",
                       c.ropeFrequencies.size(), rotaryDim);
    auto type = RankedTensorType::get({rotaryDim / 2}, f32);
    frequencies = b.create<slm::ConstantOp>(
        NameLoc::get(b.getStringAttr("rope.frequencies")),
        DenseElementsAttr::get(type, ArrayRef<float>(c.ropeFrequencies)));
  }
  auto embed = weight("model.embed_tokens.weight", {c.model.vocabSize, d.hiddenSize});
  if (!embed)
    return embed.takeError();
  Value x = b.create<slm::EmbeddingOp>(loc, *embed, body->getArgument(0));
  if (c.embeddingScale != 1.0f)
    x = b.create<slm::MulOp>(loc, x, scalar(c.embeddingScale));
  SmallVector<Value> caches;
  for (int64_t i = 0; i < d.layers; ++i)
    if (auto error = layer(i, x, body->getArgument(1), body->getArgument(2 + 2 * i),
                           body->getArgument(3 + 2 * i), caches))
      return std::move(error);
  auto norm = rmsNorm(x, "model.norm.weight", d.hiddenSize);
  if (!norm)
    return norm.takeError();
  Value head = *embed;
  if (!c.tiedEmbeddings) {
    auto untied = weight("lm_head.weight", {c.model.vocabSize, d.hiddenSize});
    if (!untied)
      return untied.takeError();
    head = *untied;
  }
  Value logits = b.create<slm::LinearOp>(loc, *norm, head, Value());
  if (c.logitSoftcap > 0) { // Gemma 2: cap * tanh(logits / cap)
    Value cap = scalar(c.logitSoftcap);
    logits = b.create<slm::MulOp>(loc, b.create<slm::TanhOp>(loc, b.create<slm::DivOp>(loc, logits, cap)),
                                  cap);
  }
  SmallVector<Value> results{logits};
  results.append(caches);
  b.create<func::ReturnOp>(loc, results);

  slm::setModel(*module, contract);
  if (failed(verify(*module)))
    return makeError("the {0} decoder built from this model does not verify",
                     contract.architecture);
  return module;
}

} // namespace

llvm::Expected<OwningOpRef<ModuleOp>> buildDecoder(MLIRContext &context,
                                                   const DecoderConfig &config, StringRef source,
                                                   const WeightSource &weights) {
  return Builder(context, config, weights).build(source);
}

} // namespace slmc
