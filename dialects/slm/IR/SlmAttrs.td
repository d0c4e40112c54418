//===- SlmAttrs.td - attributes of the slm dialect ---------*- tablegen -*-===//

#ifndef SLM_ATTRS_TD
#define SLM_ATTRS_TD

include "dialects/slm/IR/SlmDialect.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

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

def Slm_Activation : I32EnumAttr<"Activation",
    "the activation of a gated unit", [
      I32EnumAttrCase<"silu", 0>,
      I32EnumAttrCase<"gelu", 1>,
      I32EnumAttrCase<"gelu_tanh", 2>
    ]> {
  let cppNamespace = "::slm";
  let genSpecializedAttr = 0;
}
def Slm_ActivationAttr : EnumAttr<Slm_Dialect, Slm_Activation, "activation">;

def Slm_Kernel : I32EnumAttr<"Kernel",
    "the micro-kernel variant an slm.linear or slm.embedding calls", [
      // Float weights: slm_uk_linear, slm_uk_embedding.
      I32EnumAttrCase<"f32", 0>,
      // 4-bit codes in groups of 32, 64 or 128: slm_uk_linear_q4.
      I32EnumAttrCase<"q4", 1>,
      // The same on AVX-512 F/BW/VL targets (table lookups): slm_uk_linear_q4_avx512.
      I32EnumAttrCase<"q4_avx512", 2>,
      // Symmetric 8-bit codes, per channel or in groups of a multiple of 32: slm_uk_linear_q8.
      I32EnumAttrCase<"q8", 3>,
      // Any quantized format: slm_uk_linear_qany, slm_uk_embedding_q.
      I32EnumAttrCase<"qany", 4>,
      // 8-bit weights and activations (needs scratch): slm_uk_linear_w8a8.
      I32EnumAttrCase<"w8a8", 5>,
      // The same with vpdpbusd on AVX-512 VNNI targets: slm_uk_linear_w8a8_vnni.
      I32EnumAttrCase<"w8a8_vnni", 6>,
      // Symmetric 4-bit weights in groups of 32, 64 or 128 and int8 activations (needs
      // scratch): slm_uk_linear_w4a8.
      I32EnumAttrCase<"w4a8", 7>,
      // The same with vpdpbusd on AVX-512 VNNI targets: slm_uk_linear_w4a8_vnni.
      I32EnumAttrCase<"w4a8_vnni", 8>,
      // Float weights stored as IEEE half (an slm.widen of f16): slm_uk_linear_f16,
      // slm_uk_embedding_f16.
      I32EnumAttrCase<"f16", 9>,
      // Float weights stored as bfloat16 (an slm.widen of bf16): slm_uk_linear_bf16,
      // slm_uk_embedding_bf16.
      I32EnumAttrCase<"bf16", 10>,
      // W8A8 with the Arm dot product (sdot) on AArch64 +dotprod targets:
      // slm_uk_linear_w8a8_sdot.
      I32EnumAttrCase<"w8a8_sdot", 11>,
      // W8A8 with the Arm matrix multiply (smmla) for prefill, sdot for decode,
      // on AArch64 +i8mm targets: slm_uk_linear_w8a8_smmla.
      I32EnumAttrCase<"w8a8_smmla", 12>,
      // W4A8 with the Arm dot product (sdot) on AArch64 +dotprod targets:
      // slm_uk_linear_w4a8_sdot.
      I32EnumAttrCase<"w4a8_sdot", 13>,
      // Codebook codes of 2 or 3 bits in groups of 32, 64 or 128 on AVX-512 F/BW/VL
      // targets (table lookups): slm_uk_linear_table_avx512.
      I32EnumAttrCase<"table_avx512", 14>,
      // Symmetric 8-bit codes on AVX-512 F/BW/VL targets (one row of x without widening
      // shuffles): slm_uk_linear_q8_avx512.
      I32EnumAttrCase<"q8_avx512", 15>,
      // 4-bit integer codes in groups of 32, 64 or 128 on AVX-512 VNNI targets (one row of x
      // as int8 digits, summed by vpdpbusd): slm_uk_linear_q4_vnni.
      I32EnumAttrCase<"q4_vnni", 16>,
      // Symmetric 8-bit codes on AVX-512 VNNI targets (one row of x as int8 digits, summed
      // by vpdpbusd): slm_uk_linear_q8_vnni.
      I32EnumAttrCase<"q8_vnni", 17>,
      // W8A8 with Intel AMX tiles for prefill on AMX-INT8 targets (vpdpbusd for decode):
      // slm_uk_linear_w8a8_amx.
      I32EnumAttrCase<"w8a8_amx", 18>,
      // W4A8 with Intel AMX tiles for prefill on AMX-INT8 targets (vpdpbusd for decode):
      // slm_uk_linear_w4a8_amx.
      I32EnumAttrCase<"w4a8_amx", 19>,
      // f32 weights stored as the GEMM's panels (an slm.constant with
      // #slm.weight_layout<panels16>), on targets with AVX-512 F/BW/VL:
      // slm_uk_linear_panels, slm_uk_embedding_panels.
      I32EnumAttrCase<"f32_panels", 20>,
      // Integer codes of 5 to 7 bits, or asymmetric 8-bit ones, in groups of 32, 64 or 128
      // on AVX-512 F/BW/VL targets (codes unpacked by one vpshufb and two shifts):
      // slm_uk_linear_wide_avx512.
      I32EnumAttrCase<"wide_avx512", 21>,
      // 4-bit integer codes in groups of 32, 64 or 128 on x86-64 targets with AVX2, FMA and
      // F16C (a decode takes x as three int8 digits per value and sums codes times digits
      // exactly by vpmaddubsw and vpmaddwd): slm_uk_linear_q4_avx2.
      I32EnumAttrCase<"q4_avx2", 22>,
      // Symmetric 8-bit codes on x86-64 targets with AVX2, FMA and F16C (eight codes per
      // sign-extending load, each group's sums scaled once): slm_uk_linear_q8_avx2.
      I32EnumAttrCase<"q8_avx2", 23>,
      // Integer codes of 5 to 7 bits, or asymmetric 8-bit ones, in groups of 32, 64 or 128
      // on x86-64 targets with AVX2, FMA and F16C (wide_avx512's decode on eight lanes):
      // slm_uk_linear_wide_avx2.
      I32EnumAttrCase<"wide_avx2", 24>,
      // 2-, 3- and 4-bit codebook codes in groups of 32, 64 or 128 on x86-64 targets with
      // AVX2, FMA and F16C (codes decoded by vpermps, qany's floats):
      // slm_uk_linear_table_avx2.
      I32EnumAttrCase<"table_avx2", 25>
    ]> {
  let cppNamespace = "::slm";
  let genSpecializedAttr = 0;
}
def Slm_KernelAttr : EnumAttr<Slm_Dialect, Slm_Kernel, "kernel">;

def Slm_WeightLayout : I32EnumAttr<"WeightLayout",
    "how a constant's elements are arranged in the artifact's weights section", [
      // In the tensor's own order (the default, an slm.constant without the attribute).
      I32EnumAttrCase<"row_major", 0>,
      // A matrix [n, k] of f32 as the GEMM reads it: ceil(n / 16) stripes of 16 rows,
      // each stored transposed, k x 16 (element (j, p) at (j / 16 * k + p) * 16 + j % 16),
      // the last stripe padded with zeros. Read by the f32_panels kernels.
      I32EnumAttrCase<"panels16", 1>
    ]> {
  let cppNamespace = "::slm";
  let genSpecializedAttr = 0;
}
def Slm_WeightLayoutAttr : EnumAttr<Slm_Dialect, Slm_WeightLayout, "weight_layout">;

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

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
    - asymmetric: q is an unsigned `bits`-bit integer, w = q * scale + minimum;
    - codebook (symmetric only): q is an unsigned `bits`-bit index into a
      table of 2^bits f32 values fitted to the tensor (the slm.dequantize's
      `codebook` operand), w = table[q] * scale: a non-uniform grid read by
      the same table lookups as integer codes.

    Codes are packed least significant bit first, group after group, each row
    starting on a byte boundary. Bits per weight, scales included:
    `bits + 16 * (symmetric ? 1 : 2) / group`, plus 32 * 2^bits per tensor for
    a codebook.

    ```mlir
    #slm.weight_format<bits = 4, group = 32, symmetric = true>
    #slm.weight_format<bits = 3, group = 32, symmetric = true, codebook = true>
    ```
  }];
  let parameters = (ins "unsigned":$bits, "int64_t":$group, "bool":$symmetric,
                        DefaultValuedParameter<"bool", "false">:$codebook);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The layout arithmetic (WeightFormat.h) of this format.
    ::slm::WeightFormat layout() const;
  }];
}

def Slm_ModelAttr : AttrDef<Slm_Dialect, "Model"> {
  let mnemonic = "model";
  let summary = "the model's contract: what it is and how @forward is called";
  let description = [{
    Carried by the module as `slm.model`. Importers attach it; passes read
    model facts from it and nowhere else. For decoders (`decoder = {...}`)
    the verifier checks @forward's signature against it: tokens, position and
    one key and one value cache [capacity, kv_heads, head_dim] per layer in,
    logits [tokens, vocab_size] and the updated caches out. A plain graph
    (no `decoder`) only promises, when vocab_size > 0, logits [..., vocab_size]
    as its first result.

    ```mlir
    #slm.model<architecture = "llama", source = "huggingface", vocab_size = 2048,
               max_positions = 512, bos_token_id = 1, eos_token_id = 2,
               decoder = {hidden_size = 128, layers = 2, heads = 8, kv_heads = 4,
                          head_dim = 16}>
    ```
  }];
  let parameters = (ins AttrParameter<"::slm::ModelContract", "", "const ::slm::ModelContract &">:$contract);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    const ::slm::ModelContract &operator*() const { return getContract(); }
    const ::slm::ModelContract *operator->() const { return &getContract(); }
  }];
}

def Slm_MemoryPlanAttr : AttrDef<Slm_Dialect, "MemoryPlan"> {
  let mnemonic = "memory_plan";
  let summary = "the static memory of a compiled model";
  let description = [{
    Recorded on the module by slm-plan-memory: bytes of the activation arena
    and of the KV cache (both 64-byte aligned), and the most tokens one call
    of the entry point processes (the arena is sized for it).

    ```mlir
    #slm.memory_plan<arena_size = 4096, kv_cache_size = 524288, max_tokens = 64>
    ```
  }];
  let parameters = (ins "int64_t":$arena_size, "int64_t":$kv_cache_size, "int64_t":$max_tokens);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // SLM_ATTRS_TD
