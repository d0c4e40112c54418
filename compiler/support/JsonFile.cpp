//===- JsonFile.cpp - JSON objects read from files ------------------------===//

#include "compiler/support/JsonFile.h"

#include "compiler/support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

namespace slmc {

llvm::Expected<llvm::json::Object> readJsonObject(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return makeError("{0}: cannot read: {1}", path, buffer.getError().message());
  auto json = llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return makeError("{0}: not valid JSON: {1}", path, llvm::toString(json.takeError()));
  if (!json->getAsObject())
    return makeError("{0}: not a JSON object", path);
  return std::move(*json->getAsObject());
}

} // namespace slmc
