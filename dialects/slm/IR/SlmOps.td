//===- SlmOps.td - ops of the slm dialect ------------------*- tablegen -*-===//

#ifndef SLM_OPS_TD
#define SLM_OPS_TD

include "dialects/slm/IR/SlmAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

//===----------------------------------------------------------------------===//
// Operand kinds
//===----------------------------------------------------------------------===//

def Slm_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Slm_IndexTensor : RankedTensorOf<[I64, I32]>;
def Slm_BoolTensor : RankedTensorOf<[I1]>;
def Slm_NumericTensor : RankedTensorOf<[F32, F16, BF16, I64, I32]>;
def Slm_Tensor : RankedTensorOf<[F32, F16, BF16, I64, I32, I1]>;
// Constants also hold the i8 codes of quantized weights.
def Slm_ConstantTensor : RankedTensorOf<[F32, F16, BF16, I64, I32, I1, I8]>;
// A 0-d tensor holding one integer, such as the position of the first token.
def Slm_ScalarIndex : 0DTensorOf<[I64, I32]>;
def Slm_ShapeTensor : 1DTensorOf<[I64, I32]>;
// A KV cache: f32 values, or int8 rows of a scale and codes (ModelContract.h).
def Slm_CacheTensor : RankedTensorOf<[F32, I8]>;

// Ops whose result type follows from their operands and attributes. The
// inferred type may be less static than the one an importer knows, hence the
// compatibility (rather than equality) check.
class Slm_InferredOp<string mnemonic, list<Trait> traits = []>
    : Slm_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptorWithIsCompatible])> {
  // The C++ body of inferReturnTypes (with `context`, `location`, `adaptor`
  // and `inferred` in scope); empty when ShapeInference.cpp defines it.
  code inferBody = "";
  let extraClassDefinition = !if(!empty(inferBody), "", [{
    ::mlir::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
  }] # inferBody # [{
    }
  }]) # [{
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                            ::mlir::TypeRange actual) {
      return ::slm::areCompatibleTensorTypes(inferred, actual);
    }
  }];
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Slm_ConstantOp : Slm_Op<"constant",
    [ConstantLike, Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "a constant tensor (weights are dense_resource blobs)";
  let description = [{
    Model weights are `dense_resource<name>` attributes whose bytes live outside
    the IR text (in an mmapped model file or a heap blob); small constants such
    as shapes are plain `dense<...>` attributes.

    ```mlir
    %w = slm.constant dense_resource<model.norm.weight> : tensor<128xf32>
    %s = slm.constant dense<[-1, 8, 16]> : tensor<3xi64>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Slm_ConstantTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Slm_DequantizeOp : Slm_Op<"dequantize", [Pure, AttrSizedOperandSegments]> {
  let summary = "a float weight matrix from its quantized storage";
  let description = [{
    `packed` holds the codes of a [rows, columns] matrix row by row as
    `format` lays them out; `scales` (and, for asymmetric formats, `minimums`)
    hold one f16 per group: [rows, groups per row]; a codebook format's
    `codebook` holds the 2^bits f32 values its codes index. The reference
    executor evaluates it once (fake quantization); code generation fuses it
    into the matrix products that read it.

    ```mlir
    %w = slm.dequantize %codes, %scales {format = #slm.weight_format<bits = 4, group = 32, symmetric = true>}
        : (tensor<384x64xi8>, tensor<384x4xf16>) -> tensor<384x128xf32>
    %v = slm.dequantize %codes, %scales codebook(%table : tensor<16xf32>)
        {format = #slm.weight_format<bits = 4, group = 32, symmetric = true, codebook = true>}
        : (tensor<384x64xi8>, tensor<384x4xf16>) -> tensor<384x128xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$packed, RankedTensorOf<[F16]>:$scales,
                   Optional<RankedTensorOf<[F16]>>:$minimums,
                   Optional<RankedTensorOf<[F32]>>:$codebook, Slm_WeightFormatAttr:$format);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $packed `,` $scales (`,` $minimums^)? (`codebook` `(` $codebook^ `:` type($codebook) `)`)?
    attr-dict `:` `(` type($packed) `,` type($scales) (`,` type($minimums)^)? `)` `->` type($result)
  }];
  let hasVerifier = 1;
}

def Slm_WidenOp : Slm_Op<"widen", [Pure, SameOperandsAndResultShape]> {
  let summary = "an f32 weight from its bf16 or f16 storage";
  let description = [{
    A float weight stored at half width (`slmc compile --weights bf16|f16`):
    the constant holds the narrow values, this op the f32 tensor they stand
    for, exactly (every bf16 and f16 value is an f32). The reference executor
    widens once; code generation fuses it into the linears and embeddings that
    read it (kernels `bf16` and `f16`), which widen as they stream the weight.

    ```mlir
    %w = slm.widen %stored : tensor<384x128xbf16> -> tensor<384x128xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[BF16, F16]>:$input);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

class Slm_UnaryOp<string mnemonic, string formula, Type type = Slm_FloatTensor,
                  list<Trait> traits = []>
    : Slm_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType])> {
  let summary = "elementwise " # formula;
  let arguments = (ins type:$input);
  let results = (outs type:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Slm_NegOp : Slm_UnaryOp<"neg", "-x", Slm_NumericTensor>;
def Slm_AbsOp : Slm_UnaryOp<"abs", "|x|", Slm_NumericTensor>;
def Slm_SignOp : Slm_UnaryOp<"sign", "sign(x) in {-1, 0, 1}", Slm_NumericTensor>;
def Slm_ExpOp : Slm_UnaryOp<"exp", "e^x">;
def Slm_LogOp : Slm_UnaryOp<"log", "natural logarithm">;
def Slm_SqrtOp : Slm_UnaryOp<"sqrt", "square root">;
def Slm_RsqrtOp : Slm_UnaryOp<"rsqrt", "1 / sqrt(x)">;
def Slm_ReciprocalOp : Slm_UnaryOp<"reciprocal", "1 / x">;
def Slm_TanhOp : Slm_UnaryOp<"tanh", "hyperbolic tangent">;
def Slm_ErfOp : Slm_UnaryOp<"erf", "Gauss error function">;
def Slm_SigmoidOp : Slm_UnaryOp<"sigmoid", "1 / (1 + e^-x)">;
def Slm_SiluOp : Slm_UnaryOp<"silu", "x * sigmoid(x)">;
def Slm_ReluOp : Slm_UnaryOp<"relu", "max(x, 0)">;
def Slm_SinOp : Slm_UnaryOp<"sin", "sine">;
def Slm_CosOp : Slm_UnaryOp<"cos", "cosine">;
def Slm_TanOp : Slm_UnaryOp<"tan", "tangent">;
def Slm_AsinOp : Slm_UnaryOp<"asin", "arcsine">;
def Slm_AcosOp : Slm_UnaryOp<"acos", "arccosine">;
def Slm_AtanOp : Slm_UnaryOp<"atan", "arctangent">;
def Slm_SinhOp : Slm_UnaryOp<"sinh", "hyperbolic sine">;
def Slm_CoshOp : Slm_UnaryOp<"cosh", "hyperbolic cosine">;
def Slm_AsinhOp : Slm_UnaryOp<"asinh", "inverse hyperbolic sine">;
def Slm_AcoshOp : Slm_UnaryOp<"acosh", "inverse hyperbolic cosine">;
def Slm_AtanhOp : Slm_UnaryOp<"atanh", "inverse hyperbolic tangent">;
def Slm_CeilOp : Slm_UnaryOp<"ceil", "rounding up">;
def Slm_FloorOp : Slm_UnaryOp<"floor", "rounding down">;
def Slm_RoundOp : Slm_UnaryOp<"round", "rounding half to even">;
def Slm_SoftplusOp : Slm_UnaryOp<"softplus", "log(1 + e^x)">;
def Slm_SoftsignOp : Slm_UnaryOp<"softsign", "x / (1 + |x|)">;
def Slm_HardSwishOp : Slm_UnaryOp<"hard_swish", "x * max(0, min(1, x / 6 + 1 / 2))">;
def Slm_NotOp : Slm_UnaryOp<"not", "logical negation", Slm_BoolTensor>;

def Slm_GeluOp : Slm_UnaryOp<"gelu", "x * Phi(x)"> {
  let description = [{
    `approximation = none` is the exact `0.5 x (1 + erf(x / sqrt 2))`;
    `tanh` is `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`.
  }];
  let arguments = (ins Slm_FloatTensor:$input,
      DefaultValuedAttr<Slm_GeluApproximationAttr,
                        "::slm::GeluApproximation::none">:$approximation);
}

// Activations with scalar parameters, as ONNX defines them.
class Slm_ParamUnaryOp<string mnemonic, string formula, dag params>
    : Slm_UnaryOp<mnemonic, formula> {
  let arguments = !con((ins Slm_FloatTensor:$input), params);
}

def Slm_LeakyReluOp : Slm_ParamUnaryOp<"leaky_relu", "x < 0 ? alpha x : x",
    (ins F32Attr:$alpha)>;
def Slm_EluOp : Slm_ParamUnaryOp<"elu", "x < 0 ? alpha (e^x - 1) : x",
    (ins F32Attr:$alpha)>;
def Slm_CeluOp : Slm_ParamUnaryOp<"celu",
    "max(0, x) + min(0, alpha (e^(x / alpha) - 1))", (ins F32Attr:$alpha)>;
def Slm_SeluOp : Slm_ParamUnaryOp<"selu",
    "gamma (x <= 0 ? alpha (e^x - 1) : x)", (ins F32Attr:$alpha, F32Attr:$gamma)>;
def Slm_HardSigmoidOp : Slm_ParamUnaryOp<"hard_sigmoid",
    "max(0, min(1, alpha x + beta))", (ins F32Attr:$alpha, F32Attr:$beta)>;
def Slm_ThresholdedReluOp : Slm_ParamUnaryOp<"thresholded_relu",
    "x > alpha ? x : 0", (ins F32Attr:$alpha)>;

//===----------------------------------------------------------------------===//
// Elementwise binary ops (numpy broadcasting)
//===----------------------------------------------------------------------===//

class Slm_BinaryOp<string mnemonic, string formula, Type operandType,
                   string resultElementType, list<Trait> traits = []>
    : Slm_InferredOp<mnemonic, !listconcat(traits, [AllElementTypesMatch<["lhs", "rhs"]>])> {
  let summary = "elementwise " # formula # " with numpy broadcasting";
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs Slm_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let inferBody = [{
      auto lhs = ::llvm::cast<::mlir::RankedTensorType>(adaptor.getLhs().getType());
      ::mlir::Type element = }] # resultElementType # [{;
      return ::slm::inferBroadcastType(location, {adaptor.getLhs().getType(),
                                       adaptor.getRhs().getType()}, element, inferred);
  }];
}

class Slm_ArithOp<string mnemonic, string formula, list<Trait> traits = []>
    : Slm_BinaryOp<mnemonic, formula, Slm_NumericTensor, "lhs.getElementType()", traits>;
class Slm_CompareOp<string mnemonic, string formula>
    : Slm_BinaryOp<mnemonic, formula, Slm_Tensor,
                   "::mlir::IntegerType::get(context, 1)">;
class Slm_LogicOp<string mnemonic, string formula>
    : Slm_BinaryOp<mnemonic, formula, Slm_BoolTensor, "lhs.getElementType()">;

def Slm_AddOp : Slm_ArithOp<"add", "lhs + rhs", [Commutative]>;
def Slm_SubOp : Slm_ArithOp<"sub", "lhs - rhs">;
def Slm_MulOp : Slm_ArithOp<"mul", "lhs * rhs", [Commutative]>;
def Slm_DivOp : Slm_ArithOp<"div", "lhs / rhs (integers truncate)">;
def Slm_PowOp : Slm_ArithOp<"pow", "lhs ^ rhs">;
def Slm_MaxOp : Slm_ArithOp<"max", "max(lhs, rhs)", [Commutative]>;
def Slm_MinOp : Slm_ArithOp<"min", "min(lhs, rhs)", [Commutative]>;
def Slm_ModOp : Slm_ArithOp<"mod", "remainder (sign of rhs; of lhs with fmod)"> {
  let arguments = (ins Slm_NumericTensor:$lhs, Slm_NumericTensor:$rhs,
                   UnitAttr:$fmod);
}
def Slm_EqualOp : Slm_CompareOp<"equal", "lhs == rhs">;
def Slm_LessOp : Slm_CompareOp<"less", "lhs < rhs">;
def Slm_LessEqualOp : Slm_CompareOp<"less_equal", "lhs <= rhs">;
def Slm_GreaterOp : Slm_CompareOp<"greater", "lhs > rhs">;
def Slm_GreaterEqualOp : Slm_CompareOp<"greater_equal", "lhs >= rhs">;
def Slm_AndOp : Slm_LogicOp<"and", "lhs and rhs">;
def Slm_OrOp : Slm_LogicOp<"or", "lhs or rhs">;
def Slm_XorOp : Slm_LogicOp<"xor", "lhs xor rhs">;

def Slm_WhereOp : Slm_InferredOp<"where", [AllElementTypesMatch<["on_true", "on_false", "result"]>]> {
  let summary = "condition ? on_true : on_false, with numpy broadcasting";
  let arguments = (ins Slm_BoolTensor:$condition, Slm_Tensor:$on_true,
                   Slm_Tensor:$on_false);
  let results = (outs Slm_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:` type($condition) `,`
    type($on_true) `,` type($on_false) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Fused elementwise computations
//===----------------------------------------------------------------------===//

def Slm_ElementwiseOp : Slm_Op<"elementwise", [Pure, SingleBlock,
                                                 IsolatedFromAbove]> {
  let summary = "a chain of elementwise float ops as one loop over the elements";
  let description = [{
    Each input has the result's shape or a single element (broadcast); the
    body computes one result element from one element of each input, in
    scalar `arith` and `math` ops, and yields it. slm-fuse-elementwise builds
    it from chains of elementwise slm ops, whose arithmetic the body spells
    out exactly (sigmoid as 1 / (1 + exp(-x)), as the kernels compute it);
    code generation turns it into one loop instead of a kernel call and an
    intermediate buffer per op.

    ```mlir
    %y = slm.elementwise %x, %b : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32> {
    ^bb0(%a: f32, %c: f32):
      %s = arith.addf %a, %c : f32
      %e = math.exp %s : f32
      slm.yield %e : f32
    }
    ```
  }];
  let arguments = (ins Variadic<RankedTensorOf<[F32]>>:$inputs);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $inputs attr-dict `:` type($inputs) `->` type($result) $body
  }];
  let hasVerifier = 1;
}

def Slm_YieldOp : Slm_Op<"yield", [Pure, Terminator, ReturnLike, HasParent<"ElementwiseOp">]> {
  let summary = "the element an slm.elementwise body computes";
  let arguments = (ins F32:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

class Slm_ReduceOp<string mnemonic, string what>
    : Slm_InferredOp<mnemonic, [AllElementTypesMatch<["input", "result"]>]> {
  let summary = what # " over the given axes";
  let description = [{
    `axes` lists each reduced dimension once (negative values count from the
    end). With `keepdims` the reduced dimensions stay as size 1.
  }];
  let arguments = (ins Slm_NumericTensor:$input, DenseI64ArrayAttr:$axes,
                   DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs Slm_NumericTensor:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes attr-dict `:` type($input) `->` type($result)
  }];
  let inferBody = [{
    return ::slm::inferReduceType(location, adaptor.getInput().getType(),
        adaptor.getAxes(), adaptor.getKeepdims(), nullptr, inferred);
  }];
}

def Slm_ReduceSumOp : Slm_ReduceOp<"reduce_sum", "sum">;
def Slm_ReduceMeanOp : Slm_ReduceOp<"reduce_mean", "arithmetic mean">;
def Slm_ReduceMaxOp : Slm_ReduceOp<"reduce_max", "maximum">;
def Slm_ReduceMinOp : Slm_ReduceOp<"reduce_min", "minimum">;
def Slm_ReduceProdOp : Slm_ReduceOp<"reduce_prod", "product">;

class Slm_ArgReduceOp<string mnemonic, string what> : Slm_InferredOp<mnemonic> {
  let summary = "index of the " # what # " along an axis";
  let arguments = (ins Slm_NumericTensor:$input, I64Attr:$axis,
                   DefaultValuedAttr<BoolAttr, "true">:$keepdims,
                   UnitAttr:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis attr-dict `:` type($input) `->` type($result)
  }];
  let inferBody = [{
    return ::slm::inferReduceType(location, adaptor.getInput().getType(),
        {static_cast<int64_t>(adaptor.getAxis())}, adaptor.getKeepdims(),
        ::mlir::IntegerType::get(context, 64), inferred);
  }];
}

def Slm_ArgMaxOp : Slm_ArgReduceOp<"argmax", "largest value">;
def Slm_ArgMinOp : Slm_ArgReduceOp<"argmin", "smallest value">;

class Slm_SoftmaxLikeOp<string mnemonic, string what>
    : Slm_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = what # " along an axis";
  let arguments = (ins Slm_FloatTensor:$input, DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Slm_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Slm_SoftmaxOp : Slm_SoftmaxLikeOp<"softmax", "e^x / sum(e^x)">;
def Slm_LogSoftmaxOp : Slm_SoftmaxLikeOp<"log_softmax", "x - log(sum(e^x))">;

def Slm_RmsNormOp : Slm_Op<"rms_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "x / sqrt(mean(x^2) + epsilon) * weight over the last dimension";
  let arguments = (ins Slm_FloatTensor:$input, Slm_FloatTensor:$weight, F32Attr:$epsilon);
  let results = (outs Slm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Slm_LayerNormOp : Slm_Op<"layer_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "(x - mean) / sqrt(var + epsilon) * scale + bias over dims [axis, rank)";
  let arguments = (ins Slm_FloatTensor:$input, Slm_FloatTensor:$scale,
                   Optional<Slm_FloatTensor>:$bias,
                   DefaultValuedAttr<I64Attr, "-1">:$axis, F32Attr:$epsilon);
  let results = (outs Slm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? attr-dict `:` type($input) `,` type($scale)
    (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra and the transformer blocks
//===----------------------------------------------------------------------===//

def Slm_MatmulOp : Slm_InferredOp<"matmul", [AllElementTypesMatch<["lhs", "rhs"]>]> {
  let summary = "numpy matmul: batched, with broadcasting batch dimensions";
  let arguments = (ins Slm_FloatTensor:$lhs, Slm_FloatTensor:$rhs);
  let results = (outs Slm_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def Slm_LinearOp : Slm_InferredOp<"linear"> {
  let summary = "x * weight^T + bias, weight laid out [out_features, in_features]";
  let arguments = (ins Slm_FloatTensor:$input, Slm_FloatTensor:$weight,
                   Optional<Slm_FloatTensor>:$bias);
  let results = (outs Slm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,` type($weight)
    (`,` type($bias)^)? `->` type($result)
  }];
}

def Slm_EmbeddingOp : Slm_InferredOp<"embedding"> {
  let summary = "rows of a [vocab, hidden] table selected by token ids";
  let arguments = (ins Slm_FloatTensor:$table, Slm_IndexTensor:$indices);
  let results = (outs Slm_FloatTensor:$result);
  let assemblyFormat = [{
    $table `,` $indices attr-dict `:` type($table) `,` type($indices) `->` type($result)
  }];
}

def Slm_HadamardOp : Slm_Op<"hadamard", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "a random Hadamard rotation of the last dimension, block by block (its own inverse)";
  let description = [{
    Each block of `block` features (a power of two) of the last dimension
    becomes `s ⊙ H (s ⊙ x) / sqrt(block)`, where H is the Walsh–Hadamard
    matrix (Sylvester order) and `s` the block's entries of `signs`, one ±1
    per feature of the last dimension. The rotation R = diag(s) H diag(s) /
    sqrt(block) is orthogonal and symmetric, so the op is its own inverse:
    slm-rotate-weights folds R into a linear's weight (W R) and rotates the
    linear's input here, which leaves x Wᵀ unchanged while the weights the
    quantizer rounds are incoherent (no column stands out).

    ```mlir
    %r = slm.hadamard %x, %signs {block = 128 : i64}
        : tensor<?x384xf32>, tensor<384xi8> -> tensor<?x384xf32>
    ```
  }];
  let arguments = (ins Slm_FloatTensor:$input, 1DTensorOf<[I8]>:$signs, I64Attr:$block);
  let results = (outs Slm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $signs attr-dict `:` type($input) `,` type($signs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Slm_RotaryOp : Slm_Op<"rotary", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "rotary position embedding of [tokens, heads, head_dim]";
  let description = [{
    Token `t` sits at position `position + t`. The first `rotary_dim` channels
    of each head (all by default) are rotated by the angle `pos * f_i` for
    pair `i`, where `f_i = theta^(-2i / rotary_dim)` (computed in f32), or
    `frequencies[i]` when given: a [rotary_dim / 2] f32 tensor, for the rope
    scalings (Llama 3's, linear, LongRoPE, ...) that the importer computes
    once. With `scale`, cos and sin are multiplied by it before they rotate
    (LongRoPE's attention factor: the rotated channels grow, the others
    pass). `interleaved` pairs channels (2i, 2i+1) as llama2.c does;
    `rotate_half` pairs (i, i + rotary_dim/2) as Hugging Face does.

    ```mlir
    %r = slm.rotary %q, %pos frequencies %f : tensor<8xf32>
        {layout = #slm<rotary_layout rotate_half>, theta = 5.0e+05 : f64}
        : tensor<?x4x16xf32>, tensor<i64> -> tensor<?x4x16xf32>
    ```
  }];
  let arguments = (ins Slm_FloatTensor:$input, Slm_ScalarIndex:$position,
                   Optional<Slm_FloatTensor>:$frequencies,
                   F64Attr:$theta, Slm_RotaryLayoutAttr:$layout,
                   OptionalAttr<I64Attr>:$rotary_dim, OptionalAttr<F32Attr>:$scale);
  let results = (outs Slm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $position (`frequencies` $frequencies^ `:` type($frequencies))? attr-dict
    `:` type($input) `,` type($position) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Slm_GatedActivationOp : Slm_InferredOp<"gated_activation"> {
  let summary = "act(gate) * up: the gate of a gated MLP (SwiGLU, GeGLU) in one pass";
  let description = [{
    With `up`, gate and up have the result's shape and the result is
    `act(gate) * up`. Without, `gate` is [..., 2n], the gate in its first half
    and up in its second (one linear computed both), and the result
    [..., n] is `act(gate[..., :n]) * gate[..., n:]`. `act` is silu, gelu
    (exact) or gelu_tanh, computed as slm.silu and slm.gelu compute them.

    ```mlir
    %h = slm.gated_activation %gate_up {activation = #slm<activation silu>}
        : tensor<?x768xf32> -> tensor<?x384xf32>
    ```
  }];
  let arguments = (ins Slm_FloatTensor:$gate, Optional<Slm_FloatTensor>:$up,
                   Slm_ActivationAttr:$activation);
  let results = (outs Slm_FloatTensor:$result);
  let assemblyFormat = [{
    $gate (`,` $up^)? attr-dict `:` type($gate) (`,` type($up)^)? `->` type($result)
  }];
}

def Slm_AddRmsNormOp : Slm_Op<"add_rms_norm",
    [Pure, AllTypesMatch<["input", "residual", "sum", "result"]>]> {
  let summary = "sum = input + residual and rms_norm(sum, weight), in one pass";
  let description = [{
    A transformer's residual connection and the norm that follows it: `sum`
    is the new residual stream, `result` the normalized input of the next
    block, computed exactly as slm.add then slm.rms_norm compute them.
  }];
  let arguments = (ins Slm_FloatTensor:$input, Slm_FloatTensor:$residual,
                   Slm_FloatTensor:$weight, F32Attr:$epsilon);
  let results = (outs Slm_FloatTensor:$sum, Slm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $residual `,` $weight attr-dict `:` type($input) `,` type($weight)
    `->` type($sum) `,` type($result)
  }];
  let hasVerifier = 1;
}

def Slm_AttentionOp : Slm_InferredOp<"attention", [AttrSizedOperandSegments]> {
  let summary = "scaled dot-product attention with grouped-query heads and an optional KV cache";
  let description = [{
    `query` is [tokens, q_heads, head_dim]; `key` and `value` are
    [tokens, kv_heads, head_dim], with q_heads a multiple of kv_heads (query
    head h reads kv head h / (q_heads / kv_heads)).

    Without a cache the op attends over the given keys. With `cache(...)` the
    caches are [capacity, kv_heads, head_dim] and `position` is a 0-d index:
    the new keys and values are written at rows position .. position+tokens-1
    and the queries attend over rows 0 .. position+tokens-1; the updated
    caches are returned. With `causal`, token t does not see later tokens;
    with `window` (causal only) the query at position p sees the keys at
    positions p - window + 1 .. p alone (sliding-window attention, as
    Mistral's and Gemma's masks keep them). The caches keep position p at row
    p mod capacity: a windowed layer's cache may be a ring of min(window,
    context) rows, holding the window before the call's tokens, which are
    read where they are and written after. With `softcap` c, a score s
    (already multiplied by `scale`) becomes c * tanh(s / c) before the
    softmax (Gemma 2's attention logit soft-capping). int8 caches ([capacity,
    kv_heads, 4 + head_dim] i8, see slm-quantize-kv-cache) hold each row as a
    scale and codes; every key and value the op reads, the call's own
    included, is the one such a row stands for, so a token's numbers do not
    depend on how tokens are split into calls.
  }];
  let arguments = (ins Slm_FloatTensor:$query, Slm_FloatTensor:$key,
                   Slm_FloatTensor:$value, Optional<Slm_CacheTensor>:$key_cache,
                   Optional<Slm_CacheTensor>:$value_cache,
                   Optional<Slm_ScalarIndex>:$position, F32Attr:$scale,
                   UnitAttr:$causal, OptionalAttr<I64Attr>:$window,
                   OptionalAttr<F32Attr>:$softcap);
  // The updated key and value caches, present exactly when caches are given.
  let results = (outs Slm_FloatTensor:$output, Variadic<Slm_CacheTensor>:$updated_caches);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`cache` `(` $key_cache^ `,` $value_cache `at` $position `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

def Slm_ReshapeOp : Slm_Op<"reshape", [Pure]> {
  let summary = "the same elements under a new shape (ONNX Reshape semantics)";
  let description = [{
    `shape` holds one entry per result dimension: -1 (at most once) is
    inferred from the element count, 0 copies the input's dimension unless
    `allowzero` is set.
  }];
  let arguments = (ins Slm_Tensor:$input, Slm_ShapeTensor:$shape, UnitAttr:$allowzero);
  let results = (outs Slm_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $shape attr-dict `:` type($input) `,` type($shape) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Slm_TransposeOp : Slm_InferredOp<"transpose", [AllElementTypesMatch<["input", "result"]>]> {
  let summary = "permutes dimensions: result dim i is input dim permutation[i]";
  let arguments = (ins Slm_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Slm_Tensor:$result);
  let assemblyFormat = [{
    $input `permutation` `=` $permutation attr-dict `:` type($input) `->` type($result)
  }];
  let hasCanonicalizer = 1;
}

def Slm_ConcatOp : Slm_InferredOp<"concat"> {
  let summary = "joins tensors along an axis";
  let arguments = (ins Variadic<Slm_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Slm_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` functional-type($inputs, $result)
  }];
}

def Slm_SplitOp : Slm_InferredOp<"split"> {
  let summary = "cuts a tensor along an axis into pieces of the given sizes";
  let arguments = (ins Slm_Tensor:$input, I64Attr:$axis, DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<Slm_Tensor>:$results);
  let assemblyFormat = [{
    $input `axis` `=` $axis `sizes` `=` $sizes attr-dict `:` type($input) `->` type($results)
  }];
}

def Slm_SliceOp : Slm_Op<"slice", [Pure, AllElementTypesMatch<["input", "result"]>]> {
  let summary = "strided slice (ONNX Slice semantics, clamped bounds)";
  let arguments = (ins Slm_Tensor:$input, Slm_ShapeTensor:$starts,
                   Slm_ShapeTensor:$ends, Slm_ShapeTensor:$axes,
                   Slm_ShapeTensor:$steps);
  let results = (outs Slm_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $starts `,` $ends `,` $axes `,` $steps `]` attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Slm_GatherOp : Slm_InferredOp<"gather", [AllElementTypesMatch<["input", "result"]>]> {
  let summary = "picks slices of input along an axis by index (negative counts from the end)";
  let arguments = (ins Slm_Tensor:$input, Slm_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs Slm_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $indices `]` `axis` `=` $axis attr-dict `:` type($input) `,`
    type($indices) `->` type($result)
  }];
}

def Slm_GatherElementsOp : Slm_InferredOp<"gather_elements",
    [AllElementTypesMatch<["input", "result"]>]> {
  let summary = "result[i..] = input[.. indices[i..] at axis ..]";
  let arguments = (ins Slm_Tensor:$input, Slm_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs Slm_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $indices `]` `axis` `=` $axis attr-dict `:` type($input) `,`
    type($indices) `->` type($result)
  }];
}

def Slm_UnsqueezeOp : Slm_InferredOp<"unsqueeze", [AllElementTypesMatch<["input", "result"]>]> {
  let summary = "inserts size-1 dimensions at the given result axes";
  let arguments = (ins Slm_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs Slm_Tensor:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes attr-dict `:` type($input) `->` type($result)
  }];
  let hasCanonicalizer = 1;
}

def Slm_SqueezeOp : Slm_InferredOp<"squeeze", [AllElementTypesMatch<["input", "result"]>]> {
  let summary = "removes the given size-1 dimensions";
  let arguments = (ins Slm_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs Slm_Tensor:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes attr-dict `:` type($input) `->` type($result)
  }];
  let hasCanonicalizer = 1;
}

def Slm_ExpandOp : Slm_Op<"expand", [Pure, AllElementTypesMatch<["input", "result"]>]> {
  let summary = "broadcasts input against a shape (numpy rules)";
  let arguments = (ins Slm_Tensor:$input, Slm_ShapeTensor:$shape);
  let results = (outs Slm_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $shape attr-dict `:` type($input) `,` type($shape) `->` type($result)
  }];
  let hasCanonicalizer = 1;
}

def Slm_CastOp : Slm_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "converts elements to the result's element type";
  let description = [{
    Floats to integers truncate toward zero; anything to i1 is `x != 0`.
  }];
  let arguments = (ins Slm_Tensor:$input);
  let results = (outs Slm_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Slm_ShapeOp : Slm_InferredOp<"shape"> {
  let summary = "the dimensions [start, end) of a tensor as a 1-d i64 tensor";
  let arguments = (ins Slm_Tensor:$input, DefaultValuedAttr<I64Attr, "0">:$start,
                   OptionalAttr<I64Attr>:$end);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Slm_RangeOp : Slm_Op<"range", [Pure, AllElementTypesMatch<["start", "limit", "delta", "result"]>]> {
  let summary = "start, start + delta, ... up to (excluding) limit";
  let arguments = (ins 0DTensorOf<[F32, I64, I32]>:$start,
                   0DTensorOf<[F32, I64, I32]>:$limit,
                   0DTensorOf<[F32, I64, I32]>:$delta);
  let results = (outs 1DTensorOf<[F32, I64, I32]>:$result);
  let assemblyFormat = [{
    $start `,` $limit `,` $delta attr-dict `:` functional-type(operands, results)
  }];
}

def Slm_FillOp : Slm_Op<"fill", [Pure]> {
  let summary = "a tensor of the given shape with every element equal to value";
  let arguments = (ins Slm_ShapeTensor:$shape, TypedAttrInterface:$value);
  let results = (outs Slm_Tensor:$result);
  let assemblyFormat = "$shape `,` $value attr-dict `:` type($shape) `->` type($result)";
  let hasVerifier = 1;
}

def Slm_TriluOp : Slm_Op<"trilu", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "keeps the upper or lower triangle of the last two dims, offset by k";
  let arguments = (ins Slm_Tensor:$input, Optional<Slm_ScalarIndex>:$k, UnitAttr:$upper);
  let results = (outs Slm_Tensor:$result);
  let assemblyFormat = [{
    $input (`,` $k^ `:` type($k))? attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // SLM_OPS_TD
