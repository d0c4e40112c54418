//===- OnnxTensorFile.h - TensorProto files as executor tensors -*- C++ -*-===//
//
// The ONNX backend tests store their inputs and expected outputs as
// serialized TensorProtos (input_0.pb, output_0.pb, ...).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/executor/Tensor.h"
#include "llvm/Support/Error.h"

namespace slmc {

/// Reads a serialized onnx.TensorProto (raw, typed or external data, decoded
/// as the importer decodes initializers). Unsupported element types are
/// OnnxUnsupportedErrors; unreadable or malformed files name the file.
llvm::Expected<exec::Tensor> readTensorProtoFile(llvm::StringRef path);

} // namespace slmc
