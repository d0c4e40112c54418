//===- Llama2cImporter.cpp - llama2.c checkpoints -> slm IR ---------------===//

#include "compiler/frontends/llama2c/Llama2cImporter.h"

#include "compiler/frontends/decoder/DecoderBuilder.h"
#include "compiler/support/Error.h"
#include "compiler/weights/WeightBlob.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstring>
#include <limits>

using namespace mlir;

namespace slmc {
namespace {

constexpr uint32_t kVersion1Magic = 0x616b3432; // "ak42"
constexpr size_t kVersion1HeaderBytes = 256;

struct Header {
  int32_t dim, hiddenDim, layers, heads, kvHeads, vocabSize, seqLen;
};

/// One tensor of the file: where its floats start and its [rows, cols] shape
/// per layer (layers = 1 for global tensors).
struct Region {
  const char *name;
  int64_t layers, rows, cols;
};

/// Lays regions out back to back and records each weight's HF name.
class Layout {
public:
  explicit Layout(size_t offset) : offset_(offset) {}

  void add(const Region &r) {
    for (int64_t l = 0; l < r.layers; ++l) {
      std::string name = llvm::formatv(r.name, l).str();
      size_t bytes = sizeof(float) * r.rows * r.cols;
      tensors_[name] = {offset_, bytes};
      offset_ += bytes;
    }
  }
  void skip(size_t floats) { offset_ += sizeof(float) * floats; }
  size_t end() const { return offset_; }
  const llvm::StringMap<std::pair<size_t, size_t>> &tensors() const { return tensors_; }

private:
  size_t offset_;
  llvm::StringMap<std::pair<size_t, size_t>> tensors_;
};

constexpr const char *kAttnNorm = "model.layers.{0}.input_layernorm.weight";
constexpr const char *kFfnNorm = "model.layers.{0}.post_attention_layernorm.weight";
constexpr const char *kWq = "model.layers.{0}.self_attn.q_proj.weight";
constexpr const char *kWk = "model.layers.{0}.self_attn.k_proj.weight";
constexpr const char *kWv = "model.layers.{0}.self_attn.v_proj.weight";
constexpr const char *kWo = "model.layers.{0}.self_attn.o_proj.weight";
constexpr const char *kW1 = "model.layers.{0}.mlp.gate_proj.weight";
constexpr const char *kW2 = "model.layers.{0}.mlp.down_proj.weight";
constexpr const char *kW3 = "model.layers.{0}.mlp.up_proj.weight";

} // namespace

bool looksLikeLlama2c(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFileSlice(path, 4, 0, false);
  if (!buffer)
    return false;
  uint32_t magic;
  std::memcpy(&magic, (*buffer)->getBufferStart(), 4);
  return magic == kVersion1Magic || (magic > 0 && magic < (1u << 20));
}

llvm::Expected<OwningOpRef<ModuleOp>> importLlama2c(MLIRContext &context, llvm::StringRef path) {
  auto opened = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!opened)
    return makeError("{0}: cannot read: {1}", path, opened.getError().message());
  std::shared_ptr<llvm::MemoryBuffer> file = std::move(*opened);
  const char *data = file->getBufferStart();
  size_t size = file->getBufferSize();

  Header h;
  uint32_t magic = 0;
  if (size >= 4)
    std::memcpy(&magic, data, 4);
  bool version1 = magic == kVersion1Magic;
  bool shared;
  size_t headerBytes;
  if (version1) {
    if (size < kVersion1HeaderBytes)
      return makeError("{0}: truncated llama2.c version 1 header ({1} of 256 bytes)", path, size);
    int32_t version;
    std::memcpy(&version, data + 4, 4);
    if (version != 1)
      return makeError("{0}: llama2.c checkpoint version {1} is not supported (only the fp32 "
                       "version 1 and the legacy format are)",
                       path, version);
    std::memcpy(&h, data + 8, sizeof(h));
    shared = data[8 + sizeof(h)] != 0;
    headerBytes = kVersion1HeaderBytes;
  } else {
    if (size < sizeof(h))
      return makeError("{0}: truncated llama2.c header ({1} of {2} bytes)", path, size, sizeof(h));
    std::memcpy(&h, data, sizeof(h));
    shared = h.vocabSize > 0;
    // A negative vocabulary means a separate classifier; INT32_MIN has no
    // magnitude in int32 (left at it, the range check below refuses it).
    if (h.vocabSize != std::numeric_limits<int32_t>::min())
      h.vocabSize = std::abs(h.vocabSize);
    headerBytes = sizeof(h);
  }
  if (h.dim <= 0 || h.hiddenDim <= 0 || h.layers <= 0 || h.heads <= 0 || h.kvHeads <= 0 ||
      h.vocabSize <= 0 || h.seqLen <= 0 || h.dim % h.heads || h.heads % h.kvHeads ||
      h.dim > (1 << 16) || h.hiddenDim > (1 << 18) || h.layers > 1024 || h.vocabSize > (1 << 22))
    return makeError("{0}: implausible llama2.c header (dim {1}, hidden_dim {2}, layers {3}, "
                     "heads {4}, kv_heads {5}, vocab {6}, seq_len {7})",
                     path, h.dim, h.hiddenDim, h.layers, h.heads, h.kvHeads, h.vocabSize,
                     h.seqLen);

  int64_t D = h.dim, H = h.hiddenDim, L = h.layers, V = h.vocabSize;
  int64_t headSize = D / h.heads, kvDim = headSize * h.kvHeads, qDim = headSize * h.heads;
  Layout layout(headerBytes);
  Region embed{"model.embed_tokens.weight", 1, V, D}, attnNorm{kAttnNorm, L, 1, D},
      ffnNorm{kFfnNorm, L, 1, D}, finalNorm{"model.norm.weight", 1, 1, D}, wq{kWq, L, qDim, D},
      wk{kWk, L, kvDim, D}, wv{kWv, L, kvDim, D}, wo{kWo, L, D, qDim}, w1{kW1, L, H, D},
      w2{kW2, L, D, H}, w3{kW3, L, H, D};
  if (version1) {
    for (const Region &r : {attnNorm, ffnNorm, finalNorm, embed, wq, wk, wv, wo, w1, w2, w3})
      layout.add(r);
  } else {
    for (const Region &r : {embed, attnNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, finalNorm})
      layout.add(r);
    layout.skip(h.seqLen * headSize); // the unused freq_cis_real and freq_cis_imag tables
  }
  if (!shared)
    layout.add({"lm_head.weight", 1, V, D});
  if (layout.end() != size)
    return makeError("{0}: file has {1} bytes but its llama2.c header (dim {2}, hidden_dim {3}, "
                     "layers {4}, heads {5}, kv_heads {6}, vocab {7}{8}, seq_len {9}) implies {10}",
                     path, size, D, H, L, h.heads, h.kvHeads, V, shared ? " shared" : "",
                     h.seqLen, layout.end());

  DecoderConfig config;
  config.model.architecture = "llama";
  config.model.vocabSize = V;
  config.model.maxPositions = h.seqLen;
  config.model.decoder = slm::DecoderShape{D, L, h.heads, h.kvHeads, headSize};
  config.intermediate = H;
  config.rmsEps = 1e-5f;
  config.ropeTheta = 10000.0;
  config.ropeLayout = slm::RotaryLayout::interleaved; // llama2.c's own RoPE
  config.tiedEmbeddings = shared;

  const auto &tensors = layout.tensors();
  WeightSource source = [&](llvm::StringRef name,
                            llvm::ArrayRef<int64_t> shape) -> llvm::Expected<ElementsAttr> {
    auto it = tensors.find(name);
    if (it == tensors.end())
      return makeError("{0}: llama2.c checkpoints have no tensor {1}", path, name);
    auto [offset, bytes] = it->second;
    auto type = RankedTensorType::get(shape, Float32Type::get(&context));
    if (static_cast<size_t>(type.getNumElements()) * sizeof(float) != bytes)
      return makeError("{0}: tensor {1} has {2} bytes, expected shape needs {3}", path, name,
                       bytes, type.getNumElements() * sizeof(float));
    return wrapWeight(type, name, llvm::ArrayRef<char>(data + offset, bytes), file);
  };
  auto module = buildDecoder(context, config, "llama2c", source);
  if (!module)
    return makeError("{0}: {1}", path, llvm::toString(module.takeError()));
  return module;
}

} // namespace slmc
