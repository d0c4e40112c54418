//===- GraphInputs.h - the roles of an exported graph's inputs --*- C++ -*-===//
//
// Exported decoders take token ids and, depending on the exporter, an
// attention mask, position ids and the past keys and values of every layer.
// The fusion passes need to know which argument is which to evaluate the
// position-only parts of the graph and to turn it into a cached decoder.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>

namespace slmc {

struct GraphInputs {
  /// Token ids: integers, [1, tokens] or [tokens].
  std::optional<unsigned> tokens;
  /// Ones over every position seen: [1, past + tokens].
  std::optional<unsigned> attentionMask;
  /// The positions of the tokens: [1, tokens].
  std::optional<unsigned> positionIds;
  /// Per layer, the past keys and values: [1, kv_heads, past, head_dim] each.
  llvm::SmallVector<std::pair<unsigned, unsigned>> pastKeyValues;

  /// Classifies @forward's arguments by name (`slm.name`, as exporters name
  /// them: input_ids, attention_mask, position_ids, past_key_values.N.key /
  /// .value) and type; nullopt when an argument is none of these or a role is
  /// missing or taken twice.
  static std::optional<GraphInputs> classify(mlir::func::FuncOp forward);

  bool hasPast() const { return !pastKeyValues.empty(); }
};

} // namespace slmc
