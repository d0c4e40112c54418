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

def SelectKernels : Pass<"slm-select-kernels", "mlir::ModuleOp"> {
  let summary = "Picks the micro-kernel variant of every linear and embedding";
  let description = [{
    Records on each `slm.linear` and `slm.embedding` the variant the lowering
    calls (`slm.kernel = #slm.kernel<...>`), from its weight's format and the
    target's features: float weights `f32`; 4-bit codes in groups of 32, 64
    or 128 `q4` (`q4_avx512` with AVX-512 F/BW/VL); symmetric 8-bit codes
    `q8`, or with `w8a8` the W8A8 kernels that also quantize the input to
    int8 (`w8a8_vnni` with `+avx512vnni`); any other format `qany`. The
    verifier checks every choice against its weight (KernelVariants.h).
  }];
  let options = [
    Option<"targetFeatures", "target-features", "std::string", /*default=*/"\"\"",
           "the target's LLVM features (e.g. +avx2,+fma,+avx512vnni)">,
    Option<"w8a8", "w8a8", "bool", /*default=*/"false",
           "quantize the activations of linears with 8-bit weights to int8 (W8A8)">
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
