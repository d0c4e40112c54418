//===- GraphInputs.cpp - the roles of an exported graph's inputs ----------===//

#include "passes/optimize/GraphInputs.h"

#include "dialects/slm/IR/SlmDialect.h"
#include "llvm/ADT/StringExtras.h"

#include <map>

using namespace mlir;

namespace slmc {
namespace {

/// "past_key_values.3.key" -> (3, key); also "past.3.key", "past_key.3" forms.
std::optional<std::pair<int64_t, bool>> pastEntry(StringRef name) {
  if (!name.starts_with("past"))
    return std::nullopt;
  SmallVector<StringRef> parts;
  name.split(parts, '.');
  std::optional<int64_t> layer;
  std::optional<bool> isKey;
  for (StringRef part : parts) {
    int64_t n;
    if (!part.getAsInteger(10, n))
      layer = n;
    else if (part == "key" || part.ends_with("_key"))
      isKey = true;
    else if (part == "value" || part.ends_with("_value"))
      isKey = false;
  }
  if (!layer || !isKey)
    return std::nullopt;
  return std::pair{*layer, *isKey};
}

} // namespace

std::optional<GraphInputs> GraphInputs::classify(func::FuncOp forward) {
  GraphInputs inputs;
  std::map<int64_t, std::pair<std::optional<unsigned>, std::optional<unsigned>>> past;
  auto claim = [](std::optional<unsigned> &role, unsigned i) {
    if (role)
      return false;
    role = i;
    return true;
  };
  StringRef nameKey = slm::SlmDialect::NameAttrHelper::getNameStr();
  for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
    auto type = llvm::cast<RankedTensorType>(forward.getArgumentTypes()[i]);
    auto nameAttr = forward.getArgAttrOfType<StringAttr>(i, nameKey);
    StringRef name = nameAttr ? nameAttr.getValue() : "";
    bool integer = type.getElementType().isInteger();
    bool ok = false;
    if (auto entry = pastEntry(name); entry && type.getRank() == 4 && !integer) {
      auto &slot = entry->second ? past[entry->first].first : past[entry->first].second;
      ok = claim(slot, i);
    } else if (name.contains("mask") && type.getRank() == 2) {
      ok = claim(inputs.attentionMask, i);
    } else if (name.contains("position") && integer && type.getRank() <= 2) {
      ok = claim(inputs.positionIds, i);
    } else if (integer && type.getRank() <= 2) {
      ok = claim(inputs.tokens, i);
    }
    if (!ok)
      return std::nullopt;
  }
  int64_t expected = 0;
  for (auto &[layer, entry] : past) {
    if (layer != expected++ || !entry.first || !entry.second)
      return std::nullopt;
    inputs.pastKeyValues.push_back({*entry.first, *entry.second});
  }
  if (!inputs.tokens)
    return std::nullopt;
  return inputs;
}

} // namespace slmc
