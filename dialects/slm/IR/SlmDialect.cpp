//===- SlmDialect.cpp - the slm dialect -----------------------------------===//

#include "dialects/slm/IR/SlmDialect.h"

#include "dialects/slm/IR/SlmOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace slm;

#include "dialects/slm/IR/SlmDialect.cpp.inc"
#include "dialects/slm/IR/SlmEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/slm/IR/SlmAttrs.cpp.inc"

void SlmDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/slm/IR/SlmOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/slm/IR/SlmAttrs.cpp.inc"
      >();
}

Operation *SlmDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  auto elements = llvm::dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}
