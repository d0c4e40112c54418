//===- CompiledBackend.cpp - running a graph through slmc compile ---------===//

#include "tools/slmc-conformance/CompiledBackend.h"

#include "compiler/driver/Compile.h"
#include "compiler/support/Error.h"
#include "runtime/include/slm_runtime.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"

namespace slmc::conformance {
namespace {

std::optional<exec::DType> dtypeNamed(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<exec::DType>>(name)
      .Case("f32", exec::DType::F32)
      .Case("i64", exec::DType::I64)
      .Case("i32", exec::DType::I32)
      .Case("i1", exec::DType::I1)
      .Default(std::nullopt);
}

/// Messages of the code generator that mean "not yet", not "wrong".
bool isNotYetSupported(llvm::StringRef message) {
  return message.contains("has no micro-kernel") || message.contains("code generation needs") ||
         message.contains("code generation handles") ||
         message.contains("code generation does not handle") ||
         message.contains("needs static shapes");
}

} // namespace

llvm::Expected<std::unique_ptr<CompiledGraph>> CompiledGraph::compile(mlir::ModuleOp module,
                                                                      llvm::StringRef target) {
  std::unique_ptr<CompiledGraph> graph(new CompiledGraph);
  CompileOptions options;
  options.target = target.str();
  options.sourceName = "conformance";
  auto contents = buildArtifact(module, options, graph->compiled_);
  if (!contents) {
    std::string message = llvm::toString(contents.takeError());
    if (!isNotYetSupported(message))
      return makeError("compile: {0}", message);
    graph->notSupported_ = message;
    return graph;
  }
  llvm::SmallString<128> path;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("conformance", "slmpack", path))
    return makeError("cannot create a temporary file: {0}", ec.message());
  graph->path_ = path.str().str();
  if (auto error = writeArtifact(*contents, path))
    return std::move(error);
  if (slm_artifact_open(path.c_str(), &graph->artifact_) != SLM_OK)
    return makeError("runtime: {0}", slm_last_error());
  if (slm_session_create(graph->artifact_, 1, &graph->session_) != SLM_OK)
    return makeError("runtime: {0}", slm_last_error());
  return graph;
}

CompiledGraph::~CompiledGraph() {
  if (session_)
    slm_session_destroy(session_);
  if (artifact_)
    slm_artifact_close(artifact_);
  if (!path_.empty())
    llvm::sys::fs::remove(path_);
}

llvm::Expected<std::vector<exec::Tensor>>
CompiledGraph::run(const std::vector<exec::Tensor> &inputs) {
  if (inputs.size() != compiled_.inputs.size())
    return makeError("{0} inputs for a graph of {1}", inputs.size(), compiled_.inputs.size());
  std::vector<const void *> in;
  for (auto [tensor, signature] : llvm::zip(inputs, compiled_.inputs)) {
    // The compiled code trusts its buffers: check them against the signature.
    if (tensor.shape() != llvm::ArrayRef<int64_t>(signature.shape) ||
        dtypeNamed(signature.dtype) != tensor.dtype())
      return makeError("input {0} is {1}, the graph takes {2}", signature.name, tensor.describe(),
                       signature.dtype);
    in.push_back(tensor.raw());
  }
  std::vector<exec::Tensor> outputs;
  std::vector<void *> out;
  for (const TensorSignature &signature : compiled_.outputs) {
    auto dtype = dtypeNamed(signature.dtype);
    if (!dtype)
      return makeError("output dtype {0} has no tensor type", signature.dtype);
    outputs.push_back(exec::Tensor::zeros(*dtype, signature.shape));
    out.push_back(outputs.back().data<char>());
  }
  if (slm_session_run_graph(session_, in.data(), out.data()) != SLM_OK)
    return makeError("runtime: {0}", slm_last_error());
  return outputs;
}

} // namespace slmc::conformance
