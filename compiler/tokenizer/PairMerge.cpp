//===- PairMerge.cpp - greedy pair merging of BPE tokenizers --------------===//

#include "compiler/tokenizer/PairMerge.h"

#include <queue>

namespace slmc {
namespace {
constexpr int32_t kNone = -1;

// Merged-away symbols keep their slot with id kNone, so positions stay stable
// and order candidates by text position.
struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
};

struct Candidate {
  double priority;
  int32_t left;
  int32_t right;
  int32_t leftId;
  int32_t rightId;
  int32_t merged;
};

struct LaterFirst {
  bool operator()(const Candidate &a, const Candidate &b) const {
    if (a.priority != b.priority)
      return a.priority > b.priority;
    return a.left > b.left;
  }
};
} // namespace

void mergePairs(std::vector<int32_t> &symbols, PairRule rule) {
  if (symbols.size() < 2)
    return;
  std::vector<Symbol> list;
  list.reserve(symbols.size());
  for (size_t i = 0; i < symbols.size(); ++i)
    list.push_back({symbols[i], static_cast<int32_t>(i) - 1,
                    i + 1 < symbols.size() ? static_cast<int32_t>(i + 1) : kNone});

  std::priority_queue<Candidate, std::vector<Candidate>, LaterFirst> heap;
  auto consider = [&](int32_t left) {
    if (left == kNone || list[left].next == kNone)
      return;
    int32_t right = list[left].next;
    if (auto merge = rule(list[left].id, list[right].id))
      heap.push({merge->first, left, right, list[left].id, list[right].id, merge->second});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(list.size()); ++i)
    consider(i);

  while (!heap.empty()) {
    Candidate top = heap.top();
    heap.pop();
    // Entries are never removed when a merge changes their pair; they are
    // recognised as stale here instead.
    Symbol &left = list[top.left];
    if (left.id != top.leftId || left.next != top.right || list[top.right].id != top.rightId)
      continue;
    Symbol &right = list[top.right];
    left.id = top.merged;
    left.next = right.next;
    if (right.next != kNone)
      list[right.next].prev = top.left;
    right.id = kNone;
    consider(left.prev);
    consider(top.left);
  }

  symbols.clear();
  for (int32_t i = 0; i != kNone; i = list[i].next)
    symbols.push_back(list[i].id);
}

} // namespace slmc
