//===- SlmDialect.td - the slm dialect ---------------------*- tablegen -*-===//
//
// slm is slmc's tensor-level dialect: the ops that small decoder-only language
// models (Llama, Qwen2/3, Phi-3, Gemma) and the common ONNX graph operators are
// made of. Importers produce it; the reference executor runs it; later passes
// quantize, fuse and lower it.
//
//===----------------------------------------------------------------------===//

#ifndef SLM_DIALECT_TD
#define SLM_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Slm_Dialect : Dialect {
  let name = "slm";
  let cppNamespace = "::slm";
  let summary = "Tensor-level ops of small language models";
  let description = [{
    Value-semantics ops on builtin ranked tensors. Shapes may have dynamic
    dimensions (batch, sequence); element types are f32 for activations,
    f32/f16/bf16 for weights and i64/i32/i1 for indices, shapes and masks.
    Weights live in `dense_resource` blobs so that they are never copied into
    IR text.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  // The scalar bodies of slm.elementwise.
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect"];

  // Every fact that one stage of the pipeline tells a later one, declared
  // once with its type. SlmDialect::verifyOperationAttribute and
  // verifyRegion{Arg,Result}Attribute check where each may appear and what
  // it may hold.
  let discardableAttrs = (ins
    // On the module: the model's contract (see ModelContract.h).
    "::slm::ModelAttr":$model,
    // On @forward's arguments and results: the tensor's name in the source
    // model and in the artifact ("tokens", "input_ids", "logits").
    "::mlir::StringAttr":$name,
    // On the module (slm-layout-weights): bytes of the weights section.
    "::mlir::IntegerAttr":$weights_size,
    // On slm.constant (slm-layout-weights): where its bytes lie in the
    // weights section, 64-byte aligned.
    "::mlir::IntegerAttr":$weight_offset,
    // On slm.constant (slm-layout-weights): how its elements are arranged
    // there, when not in their own order (the kernels that read it need it).
    "::slm::WeightLayoutAttr":$weight_layout,
    // On the module (slm-plan-memory): the arena, the KV cache, the tokens
    // of one step.
    "::slm::MemoryPlanAttr":$memory_plan,
    // On ops (slm-plan-memory): each result's offset in the activation arena,
    // -1 for results that alias an operand or need no space.
    "::mlir::DenseI64ArrayAttr":$arena_offset,
    // On ops whose kernel needs scratch (slm-plan-memory): its arena offset.
    "::mlir::IntegerAttr":$scratch_offset,
    // On @forward's KV-cache arguments (slm-plan-memory): the byte offset of
    // the cache in the KV-cache buffer.
    "::mlir::IntegerAttr":$cache_offset,
    // On slm.linear and slm.embedding (slm-select-kernels): the micro-kernel
    // variant the lowering calls.
    "::slm::KernelAttr":$kernel
  );
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;

  let extraClassDeclaration = [{
    /// The loaded slm dialect of `context`.
    static SlmDialect &get(::mlir::MLIRContext *context);

  private:
    /// Adds the attributes (SlmAttrs.cpp, where their storage is defined).
    void registerAttributes();
  public:
  }];
}

class Slm_Op<string mnemonic, list<Trait> traits = []>
    : Op<Slm_Dialect, mnemonic, traits>;

#endif // SLM_DIALECT_TD
