//===- CompiledModel.h - a model after code generation ----------*- C++ -*-===//
#pragma once

#include "compiler/pipeline/Pipeline.h"
#include "compiler/targets/Target.h"
#include "dialects/slm/IR/ModelContract.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace slmc {

/// A constant of the model, placed in the artifact's weights section.
struct PlacedWeight {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype; // "f32", "f16", "i64", "i32", "i8", "i1"
  std::string layout = "row_major"; // an #slm.weight_layout: "row_major", "panels16"
  uint64_t offset = 0;
  llvm::ArrayRef<char> bytes; // into a weight blob, or into `owned`
  std::shared_ptr<std::string> owned;
};

/// A tensor a graph entry point takes or returns.
struct TensorSignature {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype;
};

/// How often one call of the entry point calls a kernel.
struct KernelCalls {
  std::string kernel;
  int64_t count = 0;
};

/// What code generation produced: everything the artifact writer packs.
struct CompiledModel {
  Target target;
  slm::ModelContract model; // with max_positions the KV-cache capacity of decoders
  std::string entryPoint;   // "slm_forward" or "slm_graph"
  std::string entryKind;    // "decoder_step" or "graph"
  std::string code;         // ELF shared object
  std::vector<PlacedWeight> weights;
  uint64_t weightsSize = 0;
  uint64_t arenaSize = 0, kvCacheSize = 0, logitsSize = 0;
  int64_t maxTokensPerCall = 0;
  std::vector<TensorSignature> inputs, outputs; // graph entry points only
  /// Kernel calls per call of the entry point (for decoders: per token), by kernel.
  std::vector<KernelCalls> kernelCalls;
};

/// The most tokens one slm_forward call takes unless asked otherwise (a prompt
/// is prefilled in calls of this many tokens). Each call reads every weight
/// once and the GEMM fills a weight panel once per 128 rows (UK_MC), so 64
/// read the weights of a 128-token prompt twice: qwen3-0.6b int4-g32 prefilled
/// it at 130-137 tokens/s with 64, 162-167 with 128 (one Xeon core). The cost
/// is address space: the logits buffer holds this many rows of the
/// vocabulary, touched only when every token's logits are asked for.
inline constexpr int64_t kDefaultMaxTokensPerCall = 128;

struct CodegenOptions {
  Target target;
  int64_t maxContext = 0;        // 0: the model's max_positions
  int64_t maxTokensPerCall = kDefaultMaxTokensPerCall; // prefill chunk
  bool w8a8 = false;             // int8 activations for linears with 8-bit weights
  bool int8KvCache = false;      // the KV cache stored as int8 (slm-quantize-kv-cache)
  IrDump dump;                   // the IR after every pass, when asked for
};

/// Runs the fuse, plan and lower stages on `module` (which it consumes), then
/// emits the code. The module's context must stay alive while the
/// result is used (weights point into its blobs).
llvm::Expected<CompiledModel> generateCode(mlir::ModuleOp module, const CodegenOptions &options);

} // namespace slmc
