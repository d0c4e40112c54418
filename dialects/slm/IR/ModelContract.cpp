//===- ModelContract.cpp - what a model promises the compiler -------------===//

#include "dialects/slm/IR/ModelContract.h"

#include "llvm/Support/FormatVariadic.h"

namespace slm {

std::string ModelContract::inconsistency() const {
  if (architecture.empty() || source.empty())
    return "architecture and source must be named";
  if (vocabSize < 0 || maxPositions < 0)
    return "vocab_size and max_positions must not be negative";
  if (vocabSize > 0 && (bosTokenId < 0 || bosTokenId >= vocabSize || eosTokenId < 0 ||
                        eosTokenId >= vocabSize))
    return llvm::formatv("bos_token_id {0} and eos_token_id {1} must be tokens of the "
                         "vocabulary of {2}",
                         bosTokenId, eosTokenId, vocabSize);
  if (!decoder)
    return "";
  const DecoderShape &d = *decoder;
  if (vocabSize <= 0)
    return "a decoder needs a vocabulary";
  if (d.hiddenSize <= 0 || d.layers <= 0 || d.heads <= 0 || d.kvHeads <= 0 || d.headDim <= 0)
    return "a decoder's hidden_size, layers, heads, kv_heads and head_dim must be positive";
  if (d.heads % d.kvHeads)
    return llvm::formatv("{0} heads are not a multiple of {1} kv_heads", d.heads, d.kvHeads);
  return "";
}

llvm::hash_code hash_value(const DecoderShape &s) {
  return llvm::hash_combine(s.hiddenSize, s.layers, s.heads, s.kvHeads, s.headDim,
                            s.int8KvCache);
}

llvm::hash_code hash_value(const ModelContract &c) {
  return llvm::hash_combine(c.architecture, c.source, c.vocabSize, c.maxPositions, c.bosTokenId,
                            c.eosTokenId, c.decoder.has_value(),
                            c.decoder ? hash_value(*c.decoder) : llvm::hash_code(0));
}

} // namespace slm
