//===- TableRowClasses.cpp - a token table cut into classes of rows --------===//

#include "compiler/quant/TableRowClasses.h"

#include "compiler/weights/WeightBlob.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <algorithm>
#include <numeric>

using namespace mlir;

namespace slmc {
namespace {

Value scalar(OpBuilder &b, Location loc, int64_t value) {
  auto type = RankedTensorType::get({}, b.getI64Type());
  return b.create<slm::ConstantOp>(loc, DenseElementsAttr::get(type, llvm::ArrayRef(value)));
}

/// logits = gather(concat(linear(x, class_c)), rowOrder, last axis).
void rewriteHead(slm::LinearOp linear, llvm::ArrayRef<Value> classes, Value rowOrder) {
  OpBuilder b(linear);
  Location loc = linear.getLoc();
  SmallVector<Value> parts;
  for (Value table : classes)
    parts.push_back(b.create<slm::LinearOp>(loc, linear.getInput(), table, Value()));
  uint64_t last = llvm::cast<RankedTensorType>(linear.getType()).getRank() - 1;
  Value joined = b.create<slm::ConcatOp>(loc, parts, last);
  Value logits = b.create<slm::GatherOp>(loc, linear.getType(), joined, rowOrder, last);
  linear.getResult().replaceAllUsesWith(logits);
  linear.erase();
}

/// p = rowOrder[ids]; each class looks its rows up at p - start (clamped
/// into the class) and the first class whose rows end after p gives the row.
void rewriteEmbedding(slm::EmbeddingOp embedding, llvm::ArrayRef<Value> classes,
                      llvm::ArrayRef<int64_t> sizes, Value rowOrder) {
  OpBuilder b(embedding);
  Location loc = embedding.getLoc();
  Value ids = embedding.getIndices();
  auto idsType = llvm::cast<RankedTensorType>(ids.getType());
  Value picked = b.create<slm::GatherOp>(loc, rowOrder, ids, uint64_t{0});
  Value position = b.create<slm::CastOp>(loc, idsType.clone(b.getI64Type()), picked);
  SmallVector<Value> rows;
  SmallVector<int64_t> ends;
  int64_t start = 0;
  for (auto [table, size] : llvm::zip(classes, sizes)) {
    Value local = position;
    if (start > 0)
      local = b.create<slm::MaxOp>(loc, b.create<slm::SubOp>(loc, local, scalar(b, loc, start)),
                                   scalar(b, loc, 0));
    if (start + size < static_cast<int64_t>(embedding.getTable().getType().getDimSize(0)))
      local = b.create<slm::MinOp>(loc, local, scalar(b, loc, size - 1));
    rows.push_back(b.create<slm::EmbeddingOp>(loc, embedding.getType(), table, local));
    start += size;
    ends.push_back(start);
  }
  Value result = rows.back();
  for (int64_t c = static_cast<int64_t>(rows.size()) - 2; c >= 0; --c) {
    Value inClass = b.create<slm::LessOp>(loc, position, scalar(b, loc, ends[c]));
    Value perRow = b.create<slm::UnsqueezeOp>(loc, inClass,
                                              llvm::ArrayRef<int64_t>{idsType.getRank()});
    result = b.create<slm::WhereOp>(loc, perRow, rows[c], result);
  }
  embedding.getResult().replaceAllUsesWith(result);
  embedding.erase();
}

} // namespace

RowClasses rankRows(llvm::ArrayRef<double> importance, llvm::ArrayRef<double> fractions) {
  RowClasses classes;
  int64_t rows = static_cast<int64_t>(importance.size());
  classes.order.resize(rows);
  std::iota(classes.order.begin(), classes.order.end(), 0);
  std::stable_sort(classes.order.begin(), classes.order.end(),
                   [&](int32_t a, int32_t b) { return importance[a] > importance[b]; });
  double cumulative = 0;
  int64_t taken = 0;
  for (double fraction : fractions) {
    cumulative += fraction;
    int64_t end = std::min<int64_t>(rows, static_cast<int64_t>(cumulative * rows + 0.5));
    classes.sizes.push_back(end - taken);
    taken = end;
  }
  classes.sizes.push_back(rows - taken);
  return classes;
}

bool canSplitTableRows(const WeightTensor &table, const RowClasses &classes) {
  if (static_cast<int64_t>(classes.order.size()) != table.rows ||
      llvm::any_of(classes.sizes, [](int64_t n) { return n < 2; }))
    return false;
  return llvm::all_of(table.constant->getUses(), [](OpOperand &use) {
    if (auto linear = llvm::dyn_cast<slm::LinearOp>(use.getOwner()))
      return use.getOperandNumber() == 1 && !linear.getBias();
    return llvm::isa<slm::EmbeddingOp>(use.getOwner()) && use.getOperandNumber() == 0;
  });
}

void splitTableRows(const WeightTensor &table, const RowClasses &classes) {
  Operation *constant = table.constant;
  OpBuilder b(constant);
  Location loc = constant->getLoc();
  SmallVector<Value> parts;
  int64_t start = 0;
  for (auto [c, size] : llvm::enumerate(classes.sizes)) {
    std::vector<float> rows;
    rows.reserve(size * table.columns);
    for (int64_t i = start; i < start + size; ++i) {
      const float *row = table.values.data() + classes.order[i] * table.columns;
      rows.insert(rows.end(), row, row + table.columns);
    }
    auto type = RankedTensorType::get({size, table.columns}, b.getF32Type());
    parts.push_back(b.create<slm::ConstantOp>(
        loc, ownWeight(type, table.name + ".rows" + std::to_string(c), std::move(rows))));
    start += size;
  }
  std::vector<int32_t> position(table.rows);
  for (size_t i = 0; i < classes.order.size(); ++i)
    position[classes.order[i]] = static_cast<int32_t>(i);
  Value rowOrder = b.create<slm::ConstantOp>(
      loc, copyWeight(RankedTensorType::get({table.rows}, b.getI32Type()),
                      table.name + kRowOrderSuffix.str(), position));
  SmallVector<Operation *> readers(constant->getUsers().begin(), constant->getUsers().end());
  for (Operation *reader : readers) {
    if (auto linear = llvm::dyn_cast<slm::LinearOp>(reader))
      rewriteHead(linear, parts, rowOrder);
    else
      rewriteEmbedding(llvm::cast<slm::EmbeddingOp>(reader), parts, classes.sizes, rowOrder);
  }
  constant->erase();
}

int splitVocabularyTables(ModuleOp module, const RowClasses &classes) {
  int split = 0;
  for (const WeightTensor &w : collectWeightTensors(module))
    if (w.rows == static_cast<int64_t>(classes.order.size()) && canSplitTableRows(w, classes)) {
      splitTableRows(w, classes);
      ++split;
    }
  return split;
}

bool isRowOrder(Operation *op) {
  auto constant = llvm::dyn_cast<slm::ConstantOp>(op);
  if (!constant || constant->use_empty() ||
      !llvm::isa<DenseResourceElementsAttr>(constant.getValue()))
    return false;
  auto type = llvm::cast<RankedTensorType>(constant.getType());
  return type.getRank() == 1 && type.getElementType().isSignlessInteger(32) &&
         llvm::all_of(constant->getUsers(), [](Operation *user) {
           return llvm::isa<slm::GatherOp>(user);
         });
}

} // namespace slmc
