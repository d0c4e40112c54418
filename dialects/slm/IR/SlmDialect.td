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
}

class Slm_Op<string mnemonic, list<Trait> traits = []>
    : Op<Slm_Dialect, mnemonic, traits>;

def Slm_RotaryLayout : I32EnumAttr<"RotaryLayout",
    "how the two halves of each rotated pair are laid out in a head", [
      I32EnumAttrCase<"interleaved", 0>,
      I32EnumAttrCase<"rotate_half", 1>
    ]> {
  let cppNamespace = "::slm";
  let genSpecializedAttr = 0;
}
def Slm_RotaryLayoutAttr : EnumAttr<Slm_Dialect, Slm_RotaryLayout, "rotary_layout">;

def Slm_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "which formula gelu uses", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"tanh", 1>
    ]> {
  let cppNamespace = "::slm";
  let genSpecializedAttr = 0;
}
def Slm_GeluApproximationAttr
    : EnumAttr<Slm_Dialect, Slm_GeluApproximation, "gelu_approximation">;

def Slm_WeightFormatAttr : AttrDef<Slm_Dialect, "WeightFormat"> {
  let mnemonic = "weight_format";
  let summary = "how a quantized weight matrix [out, in] is stored";
  let description = [{
    Each row (output channel) is cut into groups of `group` consecutive inputs
    (`group = 0`: the whole row is one group, i.e. per output channel); the
    last group of a row whose length is not a multiple of `group` is padded
    with zeros. Every group has an f16 scale and, unless `symmetric`, an f16
    minimum:

    - symmetric: q is a signed `bits`-bit integer, w = q * scale;
    - asymmetric: q is an unsigned `bits`-bit integer, w = q * scale + minimum.

    Codes are packed least significant bit first, group after group, each row
    starting on a byte boundary. Bits per weight, scales included:
    `bits + 16 * (symmetric ? 1 : 2) / group`.

    ```mlir
    #slm.weight_format<bits = 4, group = 32, symmetric = true>
    ```
  }];
  let parameters = (ins "unsigned":$bits, "int64_t":$group, "bool":$symmetric);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The layout arithmetic (WeightFormat.h) of this format.
    ::slm::WeightFormat layout() const;
  }];
}

#endif // SLM_DIALECT_TD
