//===- JsonFile.h - JSON objects read from files ----------------*- C++ -*-===//
#pragma once

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

namespace slmc {

/// The JSON object in the file `path`; errors name the path and say whether
/// it could not be read, is not JSON, or is not an object.
llvm::Expected<llvm::json::Object> readJsonObject(llvm::StringRef path);

} // namespace slmc
