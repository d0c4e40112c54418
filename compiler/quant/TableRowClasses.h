//===- TableRowClasses.h - a token table cut into classes of rows -*- C++ -*-===//
//
// A vocabulary table (an embedding, and a tied output head's weight) is read
// a row per token, and tokens matter very unequally: on TinyStories-656K a
// fifth of the 2,048 rows carries 64% of the teacher's probability mass and
// most of the input. One format for the whole table spends as many bits on a
// token the teacher never predicts as on "the". So --quant auto ranks the
// rows by token importance (the teacher's mean probability plus the token's
// share of the calibration input) and cuts the table into classes of rows,
// each an ordinary weight tensor the allocator gives a format of its own.
//
// The IR it leaves computes exactly what the table did:
//   head:      logits = gather(concat(linear(x, class_c) for c), row_order, axis -1)
//   embedding: p = row_order[ids]; rows = where(p < end_0, embedding(class_0, p), ...)
// with row_order[token] the token's row in the classes laid end to end (i32,
// stored with the weights: 32 bits a row).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/quant/WeightTensors.h"

#include <cstdint>
#include <vector>

namespace slmc {

/// The row order's blob is named after the table with this appended (an
/// artifact's manifest counts it among the weights by its name).
inline constexpr llvm::StringLiteral kRowOrderSuffix = ".row_order";

struct RowClasses {
  std::vector<int32_t> order; // every row once, the most important first
  std::vector<int64_t> sizes; // rows in each class, in that order
};

/// The rows ranked by `importance` (descending; ties by row) and cut at the
/// cumulative `fractions` of rows (the last class takes the rest).
RowClasses rankRows(llvm::ArrayRef<double> importance, llvm::ArrayRef<double> fractions);

/// Whether splitTableRows can rewrite `table`: it is read by embeddings and
/// linears without bias only, and has more than one row per class.
bool canSplitTableRows(const WeightTensor &table, const RowClasses &classes);

/// Replaces `table`'s constant by one constant per class (NAME.rows0,
/// NAME.rows1, ...; the rows in `classes.order`) and the i32 row order
/// (NAME.row_order), rewriting its readers as above.
void splitTableRows(const WeightTensor &table, const RowClasses &classes);

/// Splits every weight tensor of `module` with as many rows as `classes`
/// orders (the vocabulary's tables) that canSplitTableRows allows; returns
/// how many.
int splitVocabularyTables(mlir::ModuleOp module, const RowClasses &classes);

/// Whether `constant` is a table of row indices stored with the weights (a
/// row order): an integer constant read only as a gather's indices or as
/// its gathered input by a gather of token ids.
bool isRowOrder(mlir::Operation *constant);

} // namespace slmc
