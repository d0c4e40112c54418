//===- OnnxOpTable.cpp - ONNX op type -> converter ------------------------===//

#include "compiler/frontends/onnx/OnnxConverters.h"

#include "llvm/ADT/StringMap.h"

namespace slmc::onnx_import {

const OpConverter *findConverter(llvm::StringRef opType) {
  static const llvm::StringMap<const OpConverter *> table = [] {
    llvm::StringMap<const OpConverter *> map;
    for (auto group :
         {elementwiseConverters(), activationConverters(), reductionConverters(), shapeConverters(),
          dataConverters(), generatorConverters(), neuralConverters(), lossConverters()})
      for (const OpConverter &converter : group) {
        [[maybe_unused]] bool inserted = map.try_emplace(converter.opType, &converter).second;
        assert(inserted && "op type converted twice");
      }
    return map;
  }();
  return table.lookup(opType);
}

} // namespace slmc::onnx_import
