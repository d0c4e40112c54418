//===- DecoderConfig.cpp - model info stored on the module ----------------===//

#include "compiler/frontends/decoder/DecoderConfig.h"

#include "mlir/IR/Builders.h"

using namespace mlir;

namespace slmc {

static constexpr llvm::StringLiteral kModelAttr = "slm.model";

void writeModelInfo(ModuleOp module, const ModelInfo &info) {
  Builder b(module.getContext());
  module->setAttr(kModelAttr,
                  b.getDictionaryAttr({
                      b.getNamedAttr("architecture", b.getStringAttr(info.architecture)),
                      b.getNamedAttr("source", b.getStringAttr(info.source)),
                      b.getNamedAttr("vocab_size", b.getI64IntegerAttr(info.vocabSize)),
                      b.getNamedAttr("max_positions", b.getI64IntegerAttr(info.maxPositions)),
                      b.getNamedAttr("bos_token_id", b.getI64IntegerAttr(info.bosId)),
                      b.getNamedAttr("eos_token_id", b.getI64IntegerAttr(info.eosId)),
                      b.getNamedAttr("kv_cache", b.getBoolAttr(info.kvCache)),
                  }));
}

ModelInfo readModelInfo(ModuleOp module) {
  ModelInfo info;
  auto dict = module->getAttrOfType<DictionaryAttr>(kModelAttr);
  if (!dict)
    return info;
  auto str = [&](StringRef key, std::string &out) {
    if (auto a = dict.getAs<StringAttr>(key))
      out = a.getValue().str();
  };
  auto num = [&](StringRef key, auto &out) {
    if (auto a = dict.getAs<IntegerAttr>(key))
      out = a.getInt();
  };
  str("architecture", info.architecture);
  str("source", info.source);
  num("vocab_size", info.vocabSize);
  num("max_positions", info.maxPositions);
  num("bos_token_id", info.bosId);
  num("eos_token_id", info.eosId);
  if (auto a = dict.getAs<BoolAttr>("kv_cache"))
    info.kvCache = a.getValue();
  return info;
}

} // namespace slmc
