//===- Passes.td - slmc's passes ---------------------------*- tablegen -*-===//

#ifndef SLMC_PASSES_TD
#define SLMC_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Optimize: what every importer's graph is made of, as the blocks of slm
//===----------------------------------------------------------------------===//

def RefineShapes : Pass<"slm-refine-shapes", "mlir::ModuleOp"> {
  let summary = "Makes dynamic dimensions static where they provably are";
  let description = [{
    Exported graphs compute shapes at run time (Shape -> Gather -> Concat ->
    Reshape), so an importer leaves dimensions dynamic that are not: reshaping
    [1, s, 8, 8] to `x.shape[:-1] + (-1, 2)` gives [1, ?, 8, ?, 2]. The pass
    names each dynamic dimension after the @forward argument dimension it
    provably equals (through elementwise broadcasting, transposes, matmuls,
    linears, concats, slices, gathers and reshapes) and follows integer shape
    vectors element by element; a reshape's -1 is what the element count
    leaves once equal symbols cancel, here 4. Every value gets the most static
    type proved; the canonicalizer then turns computed shapes into constants.
  }];
}

def FuseLinear : Pass<"slm-fuse-linear", "mlir::ModuleOp"> {
  let summary = "Turns matmuls with constant weights into slm.linear and table gathers into slm.embedding";
  let description = [{
    `matmul(x, W)` with a constant W [in, out] becomes `linear(x, Wᵀ)`: the
    weight is transposed once, at compile time, into the [out, in] layout that
    checkpoints store and the linear kernels read. `transpose(matmul(W,
    transpose(x)))`, how exporters write an output head that shares the
    embedding matrix, becomes `linear(x, W)`; a constant bias added to a
    linear joins it. `gather(table, ids)` along axis 0 of a constant table
    becomes `embedding(table, ids)`.
  }];
}

def FuseActivations : Pass<"slm-fuse-activations", "mlir::ModuleOp"> {
  let summary = "Recognizes decomposed SiLU and GELU";
  let description = [{
    `x * sigmoid(x)` becomes `silu(x)`; `0.5 x (1 + erf(x / sqrt 2))` becomes
    `gelu(x)` and `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x³)))` becomes
    `gelu(x) {approximation = tanh}`, whatever the order of the factors and
    whether constants multiply or divide.
  }];
}

def FuseNorms : Pass<"slm-fuse-norms", "mlir::ModuleOp"> {
  let summary = "Recognizes decomposed RMSNorm and LayerNorm";
  let description = [{
    `x / sqrt(mean(x²) + eps)` (with pow or x*x, sqrt and a division, a
    reciprocal or rsqrt, over the last dimension) times a constant weight
    becomes `rms_norm(x, weight)`; `(x - mean(x)) / sqrt(var + eps)` times a
    scale plus a bias becomes `layer_norm(x, scale, bias)`. Without a weight
    the norm takes a constant of ones.
  }];
}

def FuseRotary : Pass<"slm-fuse-rotary", "mlir::ModuleOp"> {
  let summary = "Recognizes rotary position embeddings";
  let description = [{
    `x * cos + rotate_half(x) * sin` becomes `slm.rotary` in the rotate-half
    layout on [tokens, heads, head_dim], with transposes and reshapes around
    it that later cancel with their neighbours. cos and sin may be tables the
    graph slices or values it computes from positions: the pass evaluates them
    for concrete sequences (SequenceEvaluator) and fuses only when they are
    the angles of consecutive positions from 0 for frequencies
    theta^(-2i/head_dim), whose theta the op records. A table's length is the
    model's number of positions.
  }];
}

def FuseAttention : Pass<"slm-fuse-attention", "mlir::ModuleOp"> {
  let summary = "Recognizes scaled dot-product attention";
  let description = [{
    `softmax(scale * q·kᵀ + mask)·v` on [1, heads, tokens, head_dim] tensors
    becomes `slm.attention` on [tokens, heads, head_dim]: the scale may divide
    or multiply the scores, the mask be applied with `where` and a large
    negative fill or be added, and grouped-query keys and values be repeated
    with unsqueeze/expand/reshape (the fused op reads them unrepeated). The
    mask is evaluated for concrete sequences and must hide exactly each
    query's future keys (`causal`), or be absent.
  }];
}

def IntroduceKvCache : Pass<"slm-introduce-kv-cache", "mlir::ModuleOp"> {
  let summary = "Turns a graph-level decoder into a decoder step with a KV cache";
  let description = [{
    A graph that maps token ids [1, tokens] to logits through fused rotary
    embeddings from position 0 and causal attention becomes a decoder step
    with the contract of checkpoint imports: @forward(tokens, position, key
    and value cache per layer) -> (logits, updated caches), rotary embeddings
    at the step's position, attention reading and extending its layer's
    cache, and `#slm.model` recording the decoder's shape. A graph that
    still computes anything from the whole sequence (an unfused mask or
    position range) stays as it is, with a remark that says why.
  }];
}

def ShareWeights : Pass<"slm-share-weights", "mlir::ModuleOp"> {
  let summary = "Keeps one constant per distinct weight (tied weights stored once)";
  let description = [{
    Exporters write a tied weight twice, the embedding table for the Gather
    and its transpose for the output MatMul, which slm-fuse-linear turns back
    into the table's layout. Two dense_resource constants of the same type
    and the same bytes become one, so that a tied model's ONNX export is
    stored, quantized and read per token once, as its checkpoint is.
  }];
}

def SinkConstants : Pass<"slm-sink-constants", "mlir::ModuleOp"> {
  let summary = "Moves every constant to just before its first reader";
  let description = [{
    Canonicalization gathers constants at the top of the function, in an order
    that depends on the input's history. After the stages that canonicalize,
    this puts each constant where it is first read, so that the IR of two
    inputs with the same computation is the same (and so are the weight
    layout and the code generated from it).
  }];
}

//===----------------------------------------------------------------------===//
// Quantize: what prepares weights for rounding
//===----------------------------------------------------------------------===//

def RotateWeights : Pass<"slm-rotate-weights", "mlir::ModuleOp"> {
  let summary = "Folds random Hadamard rotations into linear weights (incoherence processing)";
  let description = [{
    Before quantization: each f32 weight read only by slm.linear (as the
    weight) and slm.embedding (as the table) whose rows have a power-of-two
    block of at least 16 features becomes W R, R = diag(s) H diag(s) /
    sqrt(block) block by block (H Walsh–Hadamard, s random signs per row
    width); each linear reading it reads slm.hadamard(x) = x R instead of x,
    and each embedding's gathered rows go through slm.hadamard back (R is its
    own inverse). The model computes the same function (up to rounding);
    the rotated rows have no outlying columns for the quantizer to round.
    Linears that read one value share one slm.hadamard.
  }];
  let options = [
    Option<"seed", "seed", "uint64_t", /*default=*/"0", "seed of the random signs">,
  ];
}

//===----------------------------------------------------------------------===//
// Fuse: slm blocks into fewer kernels (after quantization)
//===----------------------------------------------------------------------===//

def FuseProjections : Pass<"slm-fuse-projections", "mlir::ModuleOp"> {
  let summary = "Stacks the linears that read one input into one linear and a split";
  let description = [{
    Linears that read the same input (attention's q/k/v projections, an
    MLP's gate and up) become one linear whose weight stacks theirs row by
    row, followed by an `slm.split` of its output along the last dimension:
    the input is read once and one kernel runs instead of several. Float
    weights stack as floats, quantized ones (`slm.dequantize` of one format)
    stack their codes, scales and minimums; biases stack when all have one.
    Linears whose weights do not stack (different formats) stay apart.
  }];
}

def FuseGatedMlp : Pass<"slm-fuse-gated-mlp", "mlir::ModuleOp"> {
  let summary = "Fuses act(gate) * up into slm.gated_activation";
  let description = [{
    `mul(silu(gate), up)` (or gelu) becomes `slm.gated_activation(gate, up)`,
    one kernel instead of two; when gate and up are the two halves of one
    split (slm-fuse-projections stacked their linears), it reads the stacked
    output directly and the split goes away. A gated MLP is then three
    kernels: the stacked gate/up linear, the gated activation, the down
    projection.
  }];
}

def FuseResidualNorm : Pass<"slm-fuse-residual-norm", "mlir::ModuleOp"> {
  let summary = "Fuses a residual add and the RMSNorm that reads it";
  let description = [{
    `rms_norm(add(a, b))` becomes `slm.add_rms_norm(a, b)`, whose second
    result is the norm and whose first, the sum, replaces the add for its
    other readers (the residual stream): one pass over the rows instead of
    two kernels.
  }];
}

def FuseElementwise : Pass<"slm-fuse-elementwise", "mlir::ModuleOp"> {
  let summary = "Fuses chains of elementwise float ops into slm.elementwise";
  let description = [{
    An elementwise float op (add, sub, mul, div, max, min, neg, abs, exp,
    log, sqrt, rsqrt, reciprocal, sigmoid, silu, relu, sin, cos) whose operand
    another such op computes for it alone absorbs that op: the two become one
    `slm.elementwise` whose scalar body (arith, math) spells out both the way
    the kernels compute them. Repeated, a chain becomes one loop over the
    elements instead of a kernel call and an intermediate buffer per op.
    Operands must have the result's shape or be single elements.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::math::MathDialect"];
}

//===----------------------------------------------------------------------===//
// Plan: static shapes, kernels, weights and memory for code generation
//===----------------------------------------------------------------------===//

def SpecializeShapes : Pass<"slm-specialize-shapes", "mlir::ModuleOp"> {
  let summary = "Fixes the KV-cache capacity of a decoder";
  let description = [{
    Decoders come out of the importers with caches of dynamic capacity
    (`tensor<?xHxDxf32>`). Code generation plans memory statically, so this
    pass gives every cache argument, the attention ops that update it and the
    function results the static capacity `max-context`. It fails if the model
    cannot hold that many positions.
  }];
  let options = [
    Option<"maxContext", "max-context", "int64_t", /*default=*/"0",
           "KV-cache capacity in positions (0: the model's max_positions)">
  ];
}

def QuantizeKvCache : Pass<"slm-quantize-kv-cache", "mlir::ModuleOp"> {
  let summary = "Stores a decoder's KV cache as int8 with a scale per position and head";
  let description = [{
    `slmc compile --kv-cache int8`. Every cache argument of @forward, the
    attention ops that update it and the function results become
    `tensor<capacity x kv_heads x (4 + head_dim) x i8>`: per position and
    head, the f32 scale s = max|x| / 127 and head_dim codes
    round-half-even(x / s), read back as code * s (a quarter of the f32
    cache, plus the scales). The model contract records it (`kv_cache =
    int8`), so the memory plan, the kernels, the reference executor and the
    runtime size and read the caches from one fact. Nothing happens to a
    graph without a cache or a cache already int8.
  }];
}

def LayoutWeights : Pass<"slm-layout-weights", "mlir::ModuleOp"> {
  let summary = "Assigns every constant its place in the artifact's weights section";
  let description = [{
    Gives each distinct constant attribute a 64-byte aligned offset
    (`slm.weight_offset`), in the order ops first read them, and
    records the section size as `slm.weights_size` on the module. The artifact
    writer copies the bytes there; the lowering addresses them from the base.
    Constants that the code generator reads at compile time only (the shapes
    of reshapes and expands, slice bounds, constant positions) get no place.
    A matrix whose readers call the f32_panels kernels is stored as the
    GEMM's panels (`slm.weight_layout = #slm.weight_layout<panels16>`, sized
    to whole stripes); the artifact records each tensor's layout.
  }];
}

def SelectKernels : Pass<"slm-select-kernels", "mlir::ModuleOp"> {
  let summary = "Picks the micro-kernel variant of every linear and embedding";
  let description = [{
    Records on each `slm.linear` and `slm.embedding` the variant the lowering
    calls (`slm.kernel = #slm.kernel<...>`), from its weight's format and the
    target's features: float weights `f32`, or on AVX-512 F/BW/VL targets
    `f32_panels` for f32 matrices read by a linear and otherwise only as
    linear weights or embedding tables (slm-layout-weights stores them as the
    GEMM's panels, so that prefill reads them in place); 4-bit codes in groups of 32, 64
    or 128 `q4` (`q4_avx512` with AVX-512 F/BW/VL, which also reads 4-bit
    codebooks; integer codes `q4_vnni` with `+avx512vnni`, `q4_avx2` on
    other targets with `+avx2,+fma,+f16c`); 2- and 3-bit
    codebooks in such groups `table_avx512` with AVX-512 F/BW/VL (2- to 4-bit
    ones `table_avx2` on other targets with `+avx2,+fma,+f16c`); integer codes
    of 5 to 7 bits, or asymmetric 8-bit ones, in such groups `wide_avx512`
    with AVX-512 F/BW/VL (`wide_avx2` on other targets with `+avx2,+fma,+f16c`); symmetric
    8-bit codes `q8` (`q8_avx512` with AVX-512 F/BW/VL, `q8_vnni` with
    `+avx512vnni`, `q8_avx2` on other targets with `+avx2,+fma,+f16c`), or with `w8a8` the W8A8 kernels that also quantize the
    input to int8 (`w8a8_vnni` with `+avx512vnni`, `w8a8_amx` with also
    `+amx-tile,+amx-int8`, `w8a8_sdot` with AArch64's
    `+dotprod`, `w8a8_smmla` with `+i8mm`); symmetric 4-bit codes with `w8a8`
    the W4A8 kernels (`w4a8`, `w4a8_vnni`, `w4a8_amx`, `w4a8_sdot`); any other format `qany`. The
    verifier checks every choice against its weight (KernelVariants.h).
  }];
  let options = [
    Option<"targetFeatures", "target-features", "std::string", /*default=*/"\"\"",
           "the target's LLVM features (e.g. +avx2,+fma,+avx512vnni)">,
    Option<"w8a8", "w8a8", "bool", /*default=*/"false",
           "quantize the activations of linears with 8-bit or symmetric 4-bit weights to int8 (W8A8, W4A8)">
  ];
}

def PlanMemory : Pass<"slm-plan-memory", "mlir::ModuleOp"> {
  let summary = "Plans the activation arena and the KV cache statically";
  let description = [{
    Gives every intermediate tensor a 64-byte aligned offset in one activation
    arena (`slm.arena_offset` on the op, one entry per result), reusing the
    space of tensors whose last reader has run. Tensors with a dynamic
    dimension (the token count of a decoder step) are sized for `max-tokens`.
    Reshapes, squeezes and unsqueezes alias their input. KV-cache arguments get
    consecutive regions of the cache (`slm.cache_offset` argument attributes).
    The module records `slm.memory_plan = #slm.memory_plan<arena_size,
    kv_cache_size, max_tokens>`. `slm.dequantize` gets no space: the ops it feeds read
    the packed weights. Ops whose `slm.kernel` needs scratch (W8A8 linears,
    which quantize their input to int8) get it in the arena for the time
    they run (`slm.scratch_offset`).
  }];
  let options = [
    Option<"maxTokens", "max-tokens", "int64_t", /*default=*/"64",
           "the most tokens one decoder step processes (prefill chunk)">
  ];
}

def ConvertSlmToLLVM : Pass<"convert-slm-to-llvm", "mlir::ModuleOp"> {
  let summary = "Lowers a planned slm function to LLVM dialect calls of micro-kernels";
  let description = [{
    Replaces `@forward` with an LLVM function that follows the runtime ABI
    (runtime/include/slm_kernel_abi.h): `slm_forward(const slm_step_args *)`
    for decoders with a KV cache, `slm_graph(const slm_graph_args *)` for
    static-shape graphs. The conversion framework does the rest: a type
    converter turns tensors into pointers and one conversion pattern per op
    replaces it by calls of the micro-kernels of
    compiler/targets/ukernels/slm_ukernels.h on pointers into the weights,
    the arena, the KV cache or the inputs, with dimensions as constants or
    computed from the step's token count. Every call is checked at build time
    against the kernel's C prototype (passes/lowering/KernelCall.h).

    Requires slm-select-kernels, slm-layout-weights and slm-plan-memory:
    `slm.linear` and `slm.embedding` call the variant in their `slm.kernel`
    (quantized ones read the packed codes and scales of the `slm.dequantize`
    that feeds them, which itself becomes no code). Ops without a
    micro-kernel are reported by name. The casts between pointers and
    tensors left at the seams cancel out in reconcile-unrealized-casts, which
    follows this pass.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // SLMC_PASSES_TD
