//===- OnnxImporter.cpp - ONNX models to the slm dialect ------------------===//
//
// Reads the ModelProto, checks up front that every node has a converter (so
// that one error lists everything unsupported), then walks the graph in its
// topological order.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/OnnxImporter.h"

#include "compiler/frontends/onnx/OnnxConverters.h"
#include "compiler/frontends/onnx/OnnxNode.h"
#include "compiler/frontends/onnx/OnnxTensors.h"
#include "compiler/support/Error.h"
#include "dialects/slm/IR/SlmDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/onnx_pb.h> // onnx-ml.pb.h with ONNX_API defined

using namespace mlir;
using llvm::Expected;

namespace slmc {

char OnnxUnsupportedError::ID = 0;

namespace onnx_import {
namespace {

constexpr int64_t kMinOpset = 13;
constexpr int64_t kMaxOpset = 21;

llvm::Error unsupported(const Twine &message, std::vector<std::string> features) {
  return llvm::make_error<OnnxUnsupportedError>(message.str(), std::move(features));
}

bool isDefaultDomain(StringRef domain) { return domain.empty() || domain == "ai.onnx"; }

Expected<std::shared_ptr<onnx::ModelProto>> readModel(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError("{0}: cannot read the ONNX model: {1}", path, buffer.getError().message());
  auto model = std::make_shared<onnx::ModelProto>();
  StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return makeError("{0}: the model is larger than protobuf's 2 GiB limit; store its weights "
                     "as external data",
                     path);
  if (!model->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return makeError("{0}: not a valid ONNX model: the protobuf is truncated or corrupted", path);
  if (!model->has_graph())
    return makeError("{0}: not a valid ONNX model: it has no graph", path);
  return model;
}

/// The default domain's opset; nullopt when the model imports none (it may
/// use other domains only).
Expected<std::optional<int64_t>> defaultOpset(const onnx::ModelProto &model, StringRef path) {
  for (const auto &opset : model.opset_import()) {
    if (!isDefaultDomain(opset.domain()))
      continue;
    if (opset.version() < kMinOpset || opset.version() > kMaxOpset)
      return unsupported(llvm::formatv("{0}: unsupported ONNX opset {1} (slmc imports opsets "
                                       "{2} to {3})",
                                       path, opset.version(), kMinOpset, kMaxOpset)
                             .str(),
                         {llvm::formatv("opset {0}", opset.version()).str()});
    return std::optional<int64_t>(opset.version());
  }
  return std::optional<int64_t>();
}

/// One error naming every operator without a converter, each type once with
/// its first node.
llvm::Error checkSupported(const onnx::ModelProto &model, int64_t opset, StringRef path) {
  struct Use {
    std::string firstNode;
    int64_t version;
    int count = 0;
  };
  // In order of first use, for a stable message.
  std::vector<std::pair<std::string, Use>> missing;
  llvm::StringMap<size_t> index;
  for (const auto &node : model.graph().node()) {
    std::string domain = isDefaultDomain(node.domain()) ? "" : node.domain();
    if (domain.empty() && findConverter(node.op_type()))
      continue;
    int64_t version = opset;
    for (const auto &import : model.opset_import())
      if (!domain.empty() && import.domain() == domain)
        version = import.version();
    std::string key = domain.empty() ? node.op_type() : domain + "." + node.op_type();
    auto [slot, fresh] = index.try_emplace(key, missing.size());
    if (fresh)
      missing.emplace_back(key, Use());
    Use &use = missing[slot->second].second;
    if (use.count++ == 0) {
      use.firstNode = nodeLabel(node);
      use.version = version;
    }
  }
  if (missing.empty())
    return llvm::Error::success();
  SmallVector<std::string> entries;
  std::vector<std::string> types;
  for (const auto &[type, use] : missing) {
    types.push_back(type);
    std::string entry = llvm::formatv("{0} (node \"{1}\"", type, use.firstNode).str();
    if (use.count > 1)
      entry += llvm::formatv(" and {0} more", use.count - 1).str();
    entry += llvm::formatv(", opset {0})", use.version).str();
    entries.push_back(std::move(entry));
  }
  return unsupported(
      llvm::formatv("{0}: unsupported ONNX operators: {1}", path, llvm::join(entries, ", ")).str(),
      std::move(types));
}

Expected<RankedTensorType> importType(MLIRContext *context, const onnx::ValueInfoProto &info,
                                      StringRef role, StringRef path) {
  const onnx::TypeProto &type = info.type();
  if (!type.has_tensor_type())
    return unsupported(llvm::formatv("{0}: {1} \"{2}\" is not a tensor (sequences, maps and "
                                     "optionals are unsupported)",
                                     path, role, info.name())
                           .str(),
                       {"non-tensor " + role.str()});
  const auto &tensor = type.tensor_type();
  auto kind = elementKindOf(tensor.elem_type());
  if (!kind)
    return unsupported(llvm::formatv("{0}: {1} \"{2}\" has unsupported element type {3}", path,
                                     role, info.name(), onnxTypeName(tensor.elem_type()))
                           .str(),
                       {"element type " + onnxTypeName(tensor.elem_type())});
  if (!tensor.has_shape())
    return unsupported(llvm::formatv("{0}: {1} \"{2}\" has no shape: slm needs every tensor's rank",
                                     path, role, info.name())
                           .str(),
                       {"unranked " + role.str()});
  SmallVector<int64_t> shape;
  for (const auto &dim : tensor.shape().dim())
    shape.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value()
                                                                : ShapedType::kDynamic);
  // slmc runs one sequence at a time: the unknown leading (batch) dimension
  // of an input of rank 2 or more is 1.
  if (role == "input" && shape.size() >= 2 && ShapedType::isDynamic(shape[0]))
    shape[0] = 1;
  return RankedTensorType::get(shape, elementType(context, *kind));
}

/// Constants that only fed attributes (axes, perms) and shape arithmetic
/// that folded away leave dead ops behind.
void eraseDeadOps(func::FuncOp function) {
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(function.getBody().front())))
    if (isOpTriviallyDead(&op))
      op.erase();
}

/// A graph whose first input is integers (token ids [batch, sequence] or
/// [sequence]; exported decoders may take an attention mask, position ids and
/// past keys and values after them) and whose first output ends in a static
/// dimension is a language model over that vocabulary; any other graph
/// promises nothing (vocab_size 0).
slm::ModelContract contractOf(func::FuncOp function) {
  slm::ModelContract contract;
  contract.architecture = "graph";
  contract.source = "onnx";
  FunctionType type = function.getFunctionType();
  if (type.getNumInputs() == 0 || type.getNumResults() == 0)
    return contract;
  auto ids = llvm::cast<RankedTensorType>(type.getInput(0));
  auto logits = llvm::cast<RankedTensorType>(type.getResult(0));
  if (ids.getElementType().isInteger() && ids.getRank() >= 1 && ids.getRank() <= 2 &&
      logits.getRank() >= 2 && !logits.isDynamicDim(logits.getRank() - 1) &&
      logits.getShape().back() > 2)
    contract.vocabSize = logits.getShape().back();
  return contract;
}

class GraphImporter {
public:
  GraphImporter(MLIRContext &context, StringRef path, std::shared_ptr<onnx::ModelProto> model,
                int64_t opset)
      : context_(context), path_(path.str()), model_(std::move(model)), builder_(&context),
        externalFiles_(llvm::sys::path::parent_path(path).str()),
        state_(builder_, path_, opset,
               TensorSource{path_, std::static_pointer_cast<const void>(model_), &externalFiles_}) {
  }

  Expected<OwningOpRef<ModuleOp>> run();

private:
  llvm::Error importArguments(func::FuncOp function);
  llvm::Error importNode(const onnx::NodeProto &proto);
  llvm::Error importResults(func::FuncOp function);

  MLIRContext &context_;
  std::string path_;
  std::shared_ptr<onnx::ModelProto> model_;
  OpBuilder builder_;
  ExternalDataFiles externalFiles_;
  GraphState state_;
};

Expected<OwningOpRef<ModuleOp>> GraphImporter::run() {
  const onnx::GraphProto &graph = model_->graph();
  for (const auto &init : graph.initializer())
    state_.initializers[init.name()] = &init;

  // Inference and verification failures reach us as diagnostics; keep the
  // latest so that errors can quote it.
  ScopedDiagnosticHandler handler(&context_, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      state_.diagnostic = diag.str();
    return success();
  });

  Location loc = FileLineColLoc::get(&context_, path_, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  builder_.setInsertionPointToEnd(module->getBody());
  auto function = builder_.create<func::FuncOp>(loc, "forward", builder_.getFunctionType({}, {}));
  builder_.setInsertionPointToEnd(function.addEntryBlock());

  if (auto error = importArguments(function))
    return std::move(error);
  for (const auto &node : graph.node())
    if (auto error = importNode(node))
      return std::move(error);
  if (auto error = importResults(function))
    return std::move(error);
  eraseDeadOps(function);
  slm::setModel(*module, contractOf(function));

  state_.diagnostic.clear();
  if (failed(mlir::verify(*module)))
    return makeError("{0}: the imported IR does not verify: {1}", path_, state_.diagnostic);
  return module;
}

llvm::Error GraphImporter::importArguments(func::FuncOp function) {
  Block &entry = function.getBody().front();
  SmallVector<Type> types;
  SmallVector<StringRef> names;
  for (const auto &input : model_->graph().input()) {
    // Older exporters list initializers among the inputs too.
    if (state_.initializers.count(input.name()))
      continue;
    auto type = importType(&context_, input, "input", path_);
    if (!type)
      return type.takeError();
    state_.values[input.name()] = entry.addArgument(*type, function.getLoc());
    types.push_back(*type);
    names.push_back(input.name());
  }
  function.setType(builder_.getFunctionType(types, {}));
  for (auto [i, name] : llvm::enumerate(names))
    function.setArgAttr(i, slm::SlmDialect::NameAttrHelper::getNameStr(),
                        builder_.getStringAttr(name));
  return llvm::Error::success();
}

llvm::Error GraphImporter::importNode(const onnx::NodeProto &proto) {
  const OpConverter *converter = findConverter(proto.op_type());
  std::string user = "node \"" + nodeLabel(proto) + "\"";
  SmallVector<Value> inputs;
  for (const std::string &name : proto.input()) {
    if (name.empty()) {
      inputs.push_back(Value());
      continue;
    }
    auto value = state_.lookup(name, user);
    if (!value)
      return value.takeError();
    inputs.push_back(*value);
  }
  Node node(state_, proto, std::move(inputs));
  for (unsigned i = 0; i < converter->requiredInputs; ++i)
    if (!node.input(i))
      return node.invalid(llvm::formatv("required input {0} is missing", i).str());
  if (auto error = converter->convert(node))
    return error;
  for (unsigned i = 0; i < node.numOutputs(); ++i) {
    if (!node.wantsOutput(i))
      continue;
    if (!node.output(i))
      return node.unsupported(
          llvm::formatv("output {0} (\"{1}\") cannot be computed", i, proto.output(i)).str());
    state_.values[proto.output(i)] = node.output(i);
  }
  return llvm::Error::success();
}

llvm::Error GraphImporter::importResults(func::FuncOp function) {
  SmallVector<Value> results;
  for (const auto &output : model_->graph().output()) {
    auto value = state_.lookup(output.name(), "the graph output");
    if (!value)
      return value.takeError();
    results.push_back(*value);
  }
  builder_.create<func::ReturnOp>(function.getLoc(), results);
  function.setType(
      builder_.getFunctionType(function.getArgumentTypes(), ValueRange(results).getTypes()));
  for (auto [i, output] : llvm::enumerate(model_->graph().output()))
    function.setResultAttr(i, slm::SlmDialect::NameAttrHelper::getNameStr(),
                           builder_.getStringAttr(output.name()));
  return llvm::Error::success();
}

} // namespace
} // namespace onnx_import

Expected<OwningOpRef<ModuleOp>> importOnnx(MLIRContext &context, StringRef path) {
  using namespace onnx_import;
  context.getOrLoadDialect<slm::SlmDialect>();
  context.getOrLoadDialect<func::FuncDialect>();
  auto model = readModel(path);
  if (!model)
    return model.takeError();
  auto opset = defaultOpset(**model, path);
  if (!opset)
    return opset.takeError();
  if (auto error = checkSupported(**model, opset->value_or(0), path))
    return std::move(error);
  if (!*opset && (*model)->graph().node_size() > 0)
    return makeError("{0}: the model imports no opset of the default ONNX domain", path);
  return GraphImporter(context, path, std::move(*model), opset->value_or(kMaxOpset)).run();
}

} // namespace slmc
