//===- fuzz_safetensors_index.cpp - a sharded model's index ---------------===//
//
// Bytes as model.safetensors.index.json in a folder that holds a real sharded
// model (test/data/tiny-hf/llama-f16-sharded: its config.json and two shards),
// imported as slmc imports a Hugging Face folder: the index's JSON and
// weight_map (shard names that escape the folder or name no file, tensors
// mapped to a shard that lacks them), the layer count against the tensors
// the index maps, the tied-embedding fallback, and the import itself.
//
//===----------------------------------------------------------------------===//

#include "ImportContext.h"
#include "InputFile.h"
#include "compiler/frontends/hf/HfImporter.h"

#include "llvm/Support/FileSystem.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext &context = slmc::fuzz::importContext();
  static const std::string &folder = [] () -> const std::string & {
    const std::string &dir = slmc::fuzz::scratchDirectory();
    for (const char *name : {"config.json", "model-00001-of-00002.safetensors",
                             "model-00002-of-00002.safetensors"})
      llvm::sys::fs::create_link(std::string(SLMC_FUZZ_DATA "/tiny-hf/llama-f16-sharded/") + name,
                                 dir + "/" + name);
    return dir;
  }();
  if (!slmc::fuzz::writeInput(folder + "/model.safetensors.index.json", data, size))
    return 0;
  auto module = slmc::importHuggingFace(context, folder);
  if (!module)
    llvm::consumeError(module.takeError());
  return 0;
}
