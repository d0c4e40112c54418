//===- OracleCase.cpp - a case for the ONNX Runtime oracle ----------------===//

#include "tools/slmc-conformance/OracleCase.h"

#include "compiler/support/AtomicFile.h"
#include "compiler/support/Error.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <random>

namespace slmc::conformance {
namespace {

/// ONNX Runtime's name of the element type.
const char *ortType(exec::DType t) {
  switch (t) {
  case exec::DType::F32: return "float32";
  case exec::DType::I64: return "int64";
  case exec::DType::I32: return "int32";
  case exec::DType::I1: return "bool";
  case exec::DType::I8: return "int8";
  case exec::DType::F16: return "float16";
  case exec::DType::BF16: return "bfloat16";
  }
  return "";
}

llvm::Expected<llvm::json::Object> writeTensor(llvm::StringRef dir, llvm::StringRef file,
                                               const exec::Tensor &t) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, file);
  llvm::ArrayRef<char> bytes(static_cast<const char *>(t.raw()),
                             t.size() * exec::byteWidth(t.dtype()));
  if (auto error = writeFileAtomically(path, {bytes}))
    return std::move(error);
  return llvm::json::Object{{"file", file.str()},
                            {"dtype", ortType(t.dtype())},
                            {"shape", llvm::json::Array(t.shape())}};
}

} // namespace

std::vector<exec::Tensor> perturbedInputs(const std::vector<exec::Tensor> &inputs,
                                          llvm::StringRef caseName) {
  std::mt19937 gen(static_cast<uint32_t>(llvm::hash_value(caseName)));
  std::uniform_real_distribution<float> shift(-0.25f, 0.25f);
  std::vector<exec::Tensor> moved;
  for (const exec::Tensor &t : inputs) {
    exec::Tensor copy = exec::Tensor::zeros(t.dtype(), t.shape());
    std::memcpy(copy.data<char>(), t.raw(), t.size() * exec::byteWidth(t.dtype()));
    // Only floats move: integer inputs are often indices, axes or shapes.
    if (t.dtype() == exec::DType::F32)
      for (int64_t i = 0; i < t.size(); ++i)
        copy.data<float>()[i] += shift(gen);
    moved.push_back(std::move(copy));
  }
  return moved;
}

llvm::Error writeOracleCase(llvm::StringRef dir, llvm::StringRef caseName,
                            llvm::StringRef modelPath, const std::vector<std::string> &inputNames,
                            const std::vector<exec::Tensor> &inputs,
                            const std::map<std::string, std::vector<exec::Tensor>> &outputs) {
  llvm::SmallString<256> caseDir(dir);
  llvm::sys::path::append(caseDir, caseName);
  if (std::error_code ec = llvm::sys::fs::create_directories(caseDir))
    return makeError("{0}: cannot create the directory: {1}", caseDir, ec.message());
  llvm::json::Array inputList;
  for (auto [i, t] : llvm::enumerate(inputs)) {
    auto entry = writeTensor(caseDir, "input_" + std::to_string(i) + ".bin", t);
    if (!entry)
      return entry.takeError();
    (*entry)["name"] = inputNames[i];
    inputList.push_back(std::move(*entry));
  }
  llvm::json::Object byBackend;
  for (const auto &[backend, tensors] : outputs) {
    llvm::json::Array list;
    for (auto [i, t] : llvm::enumerate(tensors)) {
      auto entry = writeTensor(caseDir, backend + "_" + std::to_string(i) + ".bin", t);
      if (!entry)
        return entry.takeError();
      list.push_back(std::move(*entry));
    }
    byBackend[backend] = std::move(list);
  }
  llvm::json::Object manifest{{"model", modelPath.str()},
                              {"inputs", std::move(inputList)},
                              {"outputs", std::move(byBackend)}};
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest)));
  llvm::sys::path::append(caseDir, "case.json");
  return writeFileAtomically(caseDir, {llvm::ArrayRef<char>(text.data(), text.size())});
}

} // namespace slmc::conformance
