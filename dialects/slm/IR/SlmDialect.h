//===- SlmDialect.h - the slm dialect ---------------------------*- C++ -*-===//
#pragma once

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/IR/TypeUtilities.h"

#include "dialects/slm/IR/ModelContract.h"
#include "dialects/slm/IR/WeightFormat.h"
#include "dialects/slm/IR/SlmEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/slm/IR/SlmAttrs.h.inc"

#include "dialects/slm/IR/SlmDialect.h.inc"

namespace slm {

/// True when each pair of types are tensors of the same element type whose
/// shapes agree wherever both are static.
bool areCompatibleTensorTypes(mlir::TypeRange inferred, mlir::TypeRange actual);

/// Numpy broadcast of the operand shapes with the given result element type.
mlir::LogicalResult inferBroadcastType(std::optional<mlir::Location> location,
                                       llvm::ArrayRef<mlir::Type> operands,
                                       mlir::Type elementType,
                                       llvm::SmallVectorImpl<mlir::Type> &inferred);

/// Resolves a possibly negative axis against a rank; nullopt when out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// The type of reducing `input` over `axes`; `elementType` overrides the
/// input's element type (argmax/argmin produce i64).
mlir::LogicalResult inferReduceType(std::optional<mlir::Location> location,
                                    mlir::Type input, llvm::ArrayRef<int64_t> axes,
                                    bool keepdims, mlir::Type elementType,
                                    llvm::SmallVectorImpl<mlir::Type> &inferred);

//===----------------------------------------------------------------------===//
// The model contract on a module
//===----------------------------------------------------------------------===//

/// The module's `slm.model` contract, or a null attribute when it has none.
ModelAttr getModel(mlir::ModuleOp module);
void setModel(mlir::ModuleOp module, const ModelContract &contract);
/// The module's @forward, or null.
mlir::func::FuncOp getForward(mlir::ModuleOp module);
/// Rows the KV cache argument `cache` of @forward needs for `positions`
/// positions: all of them, or for a windowed attention min(window,
/// positions), a ring (slm.attention keeps position p at row p mod rows).
int64_t cacheRows(mlir::BlockArgument cache, int64_t positions);
/// After @forward's cache arguments changed type: the attention ops' updated
/// caches and the function's type follow them.
void propagateCacheTypes(mlir::func::FuncOp forward);

//===----------------------------------------------------------------------===//
// How tensors are stored in the weights section, the arena and the caches
//===----------------------------------------------------------------------===//

/// Bytes per element as compiled code and the artifact store them: i1 takes a
/// byte (the runtime and the kernels read masks as bytes), others their width.
int64_t storageBytes(mlir::Type elementType);
/// Bytes of `type` with every dynamic dimension taken as `dynamicExtent`.
int64_t storageBytes(mlir::RankedTensorType type, int64_t dynamicExtent = 1);

/// Output channels side by side in a stripe of #slm.weight_layout<panels16>
/// (SLM_UK_PANEL_COLUMNS of the kernels).
constexpr int64_t kPanelColumns = 16;
/// Bytes of a constant of `type` stored in `layout`: panels16 pads the rows
/// of a matrix to whole stripes.
int64_t storageBytes(mlir::RankedTensorType type, WeightLayout layout);
/// Writes the row-major f32 matrix `rows` x `columns` at `matrix` to `panels`
/// in panels16's order, padding included (storageBytes of them).
void arrangeAsPanels(const float *matrix, int64_t rows, int64_t columns, float *panels);

/// Alignment of every buffer compiled code addresses (weights, arena, caches).
constexpr int64_t kBufferAlignment = 64;

} // namespace slm
