//===- PairMerge.h - greedy pair merging of BPE tokenizers ------*- C++ -*-===//
//
// Both llama2.c and Hugging Face BPE encode by merging, again and again, the
// best adjacent pair of symbols; they differ only in what "best" means. Texts
// are tokenized as one word (no pre-tokenizer), so the merging is done in
// O(n log n) with a heap of candidate pairs instead of rescanning the text
// after every merge.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace slmc {

/// How adjacent symbols `left`, `right` merge: nullopt when they do not, else
/// the merge's priority (lower merges first) and the id of the merged symbol.
using PairRule =
    llvm::function_ref<std::optional<std::pair<double, int32_t>>(int32_t left, int32_t right)>;

/// Replaces `symbols` by the result of repeatedly merging the adjacent pair of
/// lowest priority, the leftmost one among equals, until no pair merges.
void mergePairs(std::vector<int32_t> &symbols, PairRule rule);

} // namespace slmc
