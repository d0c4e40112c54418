//===- Passes.td - slmc's passes ---------------------------*- tablegen -*-===//

#ifndef SLMC_PASSES_TD
#define SLMC_PASSES_TD

include "mlir/Pass/PassBase.td"

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

def LayoutWeights : Pass<"slm-layout-weights", "mlir::ModuleOp"> {
  let summary = "Assigns every constant its place in the artifact's weights section";
  let description = [{
    Gives each distinct constant attribute a 64-byte aligned offset
    (`slm.weight_offset`), in the order the function first uses them, and
    records the section size as `slm.weights_size` on the module. The artifact
    writer copies the bytes there; the lowering addresses them from the base.
  }];
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
    The module records `slm.arena_size`, `slm.kv_cache_size` and
    `slm.max_tokens`. `slm.dequantize` gets no space: the ops it feeds read
    the packed weights. With `w8a8`, each `slm.linear` whose weight is a
    symmetric 8-bit `slm.dequantize` gets scratch for its input quantized to
    int8 (`slm.scratch_offset`), which tells the lowering to compute it W8A8.
  }];
  let options = [
    Option<"maxTokens", "max-tokens", "int64_t", /*default=*/"64",
           "the most tokens one decoder step processes (prefill chunk)">,
    Option<"w8a8", "w8a8", "bool", /*default=*/"false",
           "quantize the activations of linears with 8-bit weights to int8 (W8A8)">
  ];
}

def ConvertSlmToLLVM : Pass<"convert-slm-to-llvm", "mlir::ModuleOp"> {
  let summary = "Lowers a planned slm function to LLVM dialect calls of micro-kernels";
  let description = [{
    Replaces `@forward` with an LLVM function that follows the runtime ABI
    (runtime/include/slm_kernel_abi.h): `slm_forward(const slm_step_args *)`
    for decoders with a KV cache, `slm_graph(const slm_graph_args *)` for
    static-shape graphs. Each slm op becomes a call to a micro-kernel of
    compiler/targets/ukernels/slm_ukernels.h on pointers into the weights,
    the arena, the KV cache or the inputs; dimensions are constants or
    computed from the step's token count. Requires slm-layout-weights and
    slm-plan-memory. Ops without a micro-kernel are reported by name.

    `slm.dequantize` becomes no call: the `slm.linear` and `slm.embedding`
    ops it feeds call quantized kernels on its packed codes and scales
    (a dedicated kernel for 4-bit and 8-bit formats, a generic one for the
    rest; W8A8 kernels for linears with `slm.scratch_offset`). It may feed
    nothing else. `target-features` (LLVM's feature string) selects kernel
    variants that need an ISA extension: `+avx512vnni` the VNNI W8A8 GEMM.
  }];
  let options = [
    Option<"targetFeatures", "target-features", "std::string", /*default=*/"\"\"",
           "the target's LLVM features (e.g. +avx2,+fma,+avx512vnni)">
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // SLMC_PASSES_TD
