//===- HfImporter.cpp - Hugging Face folders -> slm IR --------------------===//

#include "compiler/frontends/hf/HfImporter.h"

#include "compiler/frontends/decoder/DecoderBuilder.h"
#include "compiler/frontends/hf/HfConfig.h"
#include "compiler/frontends/hf/Safetensors.h"
#include "compiler/support/Error.h"
#include "compiler/weights/WeightBlob.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;

namespace slmc {
namespace {

std::string join(llvm::StringRef folder, llvm::StringRef name) {
  llvm::SmallString<256> path(folder);
  llvm::sys::path::append(path, name);
  return path.str().str();
}

/// Every tensor of the model, from one file or from the shards of an index.
class WeightFiles {
public:
  static llvm::Expected<WeightFiles> open(llvm::StringRef folder) {
    WeightFiles files;
    std::string single = join(folder, "model.safetensors");
    std::string index = join(folder, "model.safetensors.index.json");
    if (llvm::sys::fs::exists(single)) {
      auto file = SafetensorsFile::open(single);
      if (!file)
        return file.takeError();
      for (const std::string &name : (*file)->names())
        files.byName_[name] = *file;
      return files;
    }
    if (!llvm::sys::fs::exists(index))
      return makeError("{0}: no model.safetensors or model.safetensors.index.json", folder);
    auto buffer = llvm::MemoryBuffer::getFile(index, /*IsText=*/true);
    if (!buffer)
      return makeError("{0}: cannot read: {1}", index, buffer.getError().message());
    auto json = llvm::json::parse((*buffer)->getBuffer());
    const llvm::json::Object *map =
        json && json->getAsObject() ? json->getAsObject()->getObject("weight_map") : nullptr;
    if (!map) {
      if (!json)
        llvm::consumeError(json.takeError());
      return makeError("{0}: not a safetensors index (no \"weight_map\" object)", index);
    }
    llvm::StringMap<std::shared_ptr<SafetensorsFile>> shards;
    for (const auto &[name, shardValue] : *map) {
      // A shard is a file of this folder, named plainly: nothing that leaves
      // the folder or names the folder itself.
      auto shard = shardValue.getAsString();
      if (!shard || shard->empty() || *shard == "." || shard->contains('/') ||
          shard->contains(".."))
        return makeError("{0}: tensor {1} maps to an invalid shard name (not a file name in "
                         "the model's folder)",
                         index, name.str());
      auto &file = shards[*shard];
      if (!file) {
        auto opened = SafetensorsFile::open(join(folder, *shard));
        if (!opened)
          return opened.takeError();
        file = *opened;
      }
      files.byName_[name] = file;
    }
    return files;
  }

  /// The file holding `name` and the tensor, or nullopt.
  std::optional<std::pair<std::shared_ptr<SafetensorsFile>, const SafetensorsFile::Tensor *>>
  find(llvm::StringRef name) const {
    auto it = byName_.find(name);
    if (it == byName_.end())
      return std::nullopt;
    const SafetensorsFile::Tensor *tensor = it->second->find(name);
    if (!tensor)
      return std::nullopt;
    return std::make_pair(it->second, tensor);
  }

  /// 1 + the largest N of the model.layers.N.* tensors (0 if none).
  int64_t layerCount() const {
    int64_t count = 0;
    for (const auto &entry : byName_) {
      llvm::StringRef rest = entry.getKey();
      int64_t index = 0;
      if (rest.consume_front("model.layers.") && !rest.consumeInteger(10, index) &&
          rest.starts_with("."))
        count = std::max(count, index + 1);
    }
    return count;
  }

private:
  llvm::StringMap<std::shared_ptr<SafetensorsFile>> byName_;
};

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  return llvm::join(llvm::map_range(shape, [](int64_t d) { return std::to_string(d); }), ", ");
}

constexpr llvm::StringLiteral kEmbedding = "model.embed_tokens.weight";
constexpr llvm::StringLiteral kHead = "lm_head.weight";

} // namespace

llvm::Expected<OwningOpRef<ModuleOp>> importHuggingFace(MLIRContext &context,
                                                        llvm::StringRef folder) {
  auto config = readHfConfig(join(folder, "config.json"));
  if (!config)
    return config.takeError();
  auto files = WeightFiles::open(folder);
  if (!files)
    return files.takeError();
  // The layer count drives everything after (the graph has two cache
  // arguments per layer): checked against the tensors before any of it.
  // (Layers past the count are ignored, as transformers ignores them.)
  int64_t layers = config->shape().layers, present = files->layerCount();
  if (layers > present)
    return makeError("{0}: config.json's num_hidden_layers is {1} but the safetensors files "
                     "hold {2} layers",
                     folder, layers, present);
  // Tied models store the shared matrix under either name.
  bool hasEmbedding = files->find(kEmbedding).has_value();
  bool hasHead = files->find(kHead).has_value();
  if (!hasHead || !hasEmbedding)
    config->tiedEmbeddings = true;

  WeightSource source = [&](llvm::StringRef name,
                            llvm::ArrayRef<int64_t> shape) -> llvm::Expected<ElementsAttr> {
    auto found = files->find(name);
    if (!found && config->tiedEmbeddings && (name == kEmbedding || name == kHead))
      found = files->find(name == kEmbedding ? kHead : kEmbedding);
    if (!found)
      return makeError("{0}: tensor {1} is missing from the safetensors files", folder, name);
    auto [file, tensor] = *found;
    if (llvm::ArrayRef<int64_t>(tensor->shape) != shape)
      return makeError("{0}: tensor {1} has shape [{2}] but config.json implies [{3}]",
                       file->path(), name, formatShape(tensor->shape), formatShape(shape));
    auto type = RankedTensorType::get(shape, Float32Type::get(&context));
    bool aligned = reinterpret_cast<uintptr_t>(tensor->bytes.data()) % alignof(float) == 0;
    if (tensor->dtype == "F32" && aligned)
      return wrapWeight(type, name, tensor->bytes, file->owner());
    auto values = readAsF32(*tensor);
    if (!values)
      return makeError("{0}: tensor {1}: {2}", file->path(), name,
                       llvm::toString(values.takeError()));
    file->releasePages(*tensor);
    return ownWeight(type, name, std::move(*values));
  };
  return buildDecoder(context, *config, "huggingface", source);
}

} // namespace slmc
