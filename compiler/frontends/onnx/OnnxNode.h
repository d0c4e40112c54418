//===- OnnxNode.h - what an op converter sees of its node -------*- C++ -*-===//
//
// Op converters read a node's inputs and attributes and build slm ops through
// Node, which turns the failures of building (shapes that do not broadcast,
// operand types an slm op rejects) into errors naming the node instead of
// aborting, and folds what is known at import time.
//
// Exported graphs compute shapes with small integer tensors (Shape, Gather,
// Concat, ...). Node tracks which elements of such tensors are known, so that
// shape arithmetic on static dimensions folds to constants and ops such as
// Reshape or Expand get precise result types even when some dimensions are
// dynamic.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/frontends/onnx/OnnxTensors.h"
#include "compiler/support/Error.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace onnx {
class AttributeProto;
class NodeProto;
class TensorProto;
} // namespace onnx

namespace slmc::onnx_import {

/// The known elements of an integer or bool tensor of rank 0 or 1.
struct KnownInts {
  bool scalar = false;
  llvm::SmallVector<std::optional<int64_t>> values;

  bool complete() const;
  /// The values when all are known.
  std::optional<llvm::SmallVector<int64_t>> all() const;
  /// The values as dimensions: unknown ones are dynamic.
  llvm::SmallVector<int64_t> asDims() const;
};

/// The state of one graph being imported, shared by its nodes.
struct GraphState {
  GraphState(mlir::OpBuilder &builder, std::string path, int64_t opset, TensorSource tensors)
      : builder(builder), path(std::move(path)), opset(opset), tensors(std::move(tensors)) {}

  mlir::OpBuilder &builder;
  std::string path;
  int64_t opset;
  TensorSource tensors;
  llvm::StringMap<mlir::Value> values;
  /// Initializers become constants when first used.
  llvm::StringMap<const onnx::TensorProto *> initializers;
  llvm::DenseMap<mlir::Value, KnownInts> known;
  /// The latest error diagnostic MLIR emitted (inference and verification).
  std::string diagnostic;

  /// The value named `name`, materializing an initializer on first use;
  /// `user` (e.g. `node "mm"`) is for the message when there is none.
  llvm::Expected<mlir::Value> lookup(llvm::StringRef name, llvm::StringRef user);
};

class Node {
public:
  Node(GraphState &graph, const onnx::NodeProto &proto, llvm::SmallVector<mlir::Value> inputs);

  const onnx::NodeProto &proto() const { return proto_; }
  llvm::StringRef opType() const;
  /// The node's name, or its first output's when it has none.
  std::string label() const;
  int64_t opset() const { return graph_.opset; }
  mlir::Location loc() const { return loc_; }
  mlir::OpBuilder &builder() { return graph_.builder; }
  mlir::MLIRContext *context() { return graph_.builder.getContext(); }
  GraphState &graph() { return graph_; }

  //===--- inputs and outputs ----------------------------------------------===//
  unsigned numInputs() const { return inputs_.size(); }
  /// The i-th input; null when absent (past the end or named "").
  mlir::Value input(unsigned i) const { return i < inputs_.size() ? inputs_[i] : mlir::Value(); }
  unsigned numOutputs() const;
  /// Whether a consumer can see output i (its name is not empty).
  bool wantsOutput(unsigned i) const;
  void setOutput(unsigned i, mlir::Value value);
  mlir::Value output(unsigned i) const;

  //===--- attributes -------------------------------------------------------===//
  const onnx::AttributeProto *attribute(llvm::StringRef name) const;
  bool hasAttr(llvm::StringRef name) const { return attribute(name) != nullptr; }
  int64_t attrInt(llvm::StringRef name, int64_t fallback) const;
  float attrFloat(llvm::StringRef name, float fallback) const;
  std::optional<llvm::SmallVector<int64_t>> attrInts(llvm::StringRef name) const;
  std::string attrString(llvm::StringRef name, llvm::StringRef fallback) const;

  //===--- errors -----------------------------------------------------------===//
  /// What slmc cannot express (OnnxUnsupportedError).
  llvm::Error unsupported(const llvm::Twine &why) const;
  /// A malformed node.
  llvm::Error invalid(const llvm::Twine &why) const;
  /// Success when `value` is f32, which the float-only slm ops need.
  llvm::Error requireFloat(mlir::Value value) const;

  //===--- building ---------------------------------------------------------===//
  /// An op whose result type slm infers. Args are those of the op's builder
  /// after the result types.
  template <typename OpT, typename... Args> llvm::Expected<mlir::Value> make(Args &&...args) {
    mlir::Type placeholder = builder().getNoneType();
    auto op = builder().create<OpT>(loc_, mlir::TypeRange(llvm::ArrayRef(placeholder)),
                                    std::forward<Args>(args)...);
    return first(finish(op.getOperation(), /*infer=*/true));
  }
  /// An op with several inferred results (split).
  template <typename OpT, typename... Args>
  llvm::Expected<llvm::SmallVector<mlir::Value>> makeMany(unsigned count, Args &&...args) {
    llvm::SmallVector<mlir::Type> placeholders(count, builder().getNoneType());
    auto op =
        builder().create<OpT>(loc_, mlir::TypeRange(placeholders), std::forward<Args>(args)...);
    return finish(op.getOperation(), /*infer=*/true);
  }
  /// An op whose result type the importer knows (reshape, slice, cast,
  /// expand, range, fill).
  template <typename OpT, typename... Args>
  llvm::Expected<mlir::Value> makeTyped(mlir::Type type, Args &&...args) {
    auto op = builder().create<OpT>(loc_, type, std::forward<Args>(args)...);
    return first(finish(op.getOperation(), /*infer=*/false));
  }

  /// slm.constant of an elements attribute.
  mlir::Value constant(mlir::ElementsAttr value);
  /// A constant integer tensor (rank 1, or 0 with `scalar`).
  mlir::Value intConstant(llvm::ArrayRef<int64_t> values, bool scalar = false,
                          mlir::Type elementType = nullptr);
  /// A rank-0 constant of `elementType` (float or integer).
  mlir::Value scalarConstant(mlir::Type elementType, double value);
  /// slm.shape of dimensions [start, end), recording the static ones as known.
  llvm::Expected<mlir::Value> shapeOf(mlir::Value value, int64_t start = 0,
                                      std::optional<int64_t> end = std::nullopt);
  /// slm.cast to `elementType`, keeping the shape (folds when unchanged).
  llvm::Expected<mlir::Value> castTo(mlir::Value value, mlir::Type elementType);

  //===--- what is known at import time ----------------------------------===//
  std::optional<KnownInts> known(mlir::Value value) const;
  /// All values of a constant integer tensor of rank <= 1.
  std::optional<llvm::SmallVector<int64_t>> constantInts(mlir::Value value) const;
  /// The one value of a constant scalar (or single-element) tensor.
  std::optional<double> constantScalar(mlir::Value value) const;
  /// A constant when `value` is complete, else the result of `build`, which
  /// is then recorded as partially known.
  llvm::Expected<mlir::Value> withKnown(const std::optional<KnownInts> &value,
                                        mlir::Type elementType,
                                        llvm::function_ref<llvm::Expected<mlir::Value>()> build);

  /// Verifies a built op (inferring its result types first when asked) and
  /// folds it; an op that fails is erased and its diagnostic returned.
  llvm::Expected<llvm::SmallVector<mlir::Value>> finish(mlir::Operation *op, bool infer);

private:
  static llvm::Expected<mlir::Value> first(llvm::Expected<llvm::SmallVector<mlir::Value>> values) {
    if (!values)
      return values.takeError();
    return values->front();
  }
  std::string where() const;

  GraphState &graph_;
  const onnx::NodeProto &proto_;
  llvm::SmallVector<mlir::Value> inputs_;
  llvm::SmallVector<mlir::Value> outputs_;
  mlir::Location loc_;
};

/// How messages name a node: its name, or its first output's when it has none.
std::string nodeLabel(const onnx::NodeProto &node);

/// The ranked tensor type of a value (every value the importer makes has one).
mlir::RankedTensorType tensorType(mlir::Value value);

/// Declares or assigns `decl` from an llvm::Expected, or returns its error
/// from the enclosing function: SLMC_TRY(Value sum, node.make<slm::AddOp>(a, b));
/// It expands to several statements, so brace it under if/for/case.
#define SLMC_TRY(decl, expr) SLMC_TRY_IMPL(SLMC_TRY_CONCAT(slmcTry, __LINE__), decl, expr)
#define SLMC_TRY_CONCAT_IMPL(a, b) a##b
#define SLMC_TRY_CONCAT(a, b) SLMC_TRY_CONCAT_IMPL(a, b)
#define SLMC_TRY_IMPL(tmp, decl, expr)                                                             \
  auto tmp = (expr);                                                                               \
  if (!tmp)                                                                                        \
    return tmp.takeError();                                                                        \
  decl = std::move(*tmp)

} // namespace slmc::onnx_import
