//===- OnnxTensorFile.cpp - TensorProto files as executor tensors ---------===//

#include "compiler/frontends/onnx/OnnxTensorFile.h"

#include "compiler/frontends/onnx/OnnxTensors.h"
#include "compiler/support/Error.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/onnx_pb.h> // onnx-ml.pb.h with ONNX_API defined

#include <cstring>

namespace slmc {
namespace {

exec::DType dtypeOf(onnx_import::ElementKind kind) {
  switch (kind) {
  case onnx_import::ElementKind::F32:
    return exec::DType::F32;
  case onnx_import::ElementKind::I64:
    return exec::DType::I64;
  case onnx_import::ElementKind::I32:
    return exec::DType::I32;
  case onnx_import::ElementKind::Bool:
    return exec::DType::I1;
  }
  llvm_unreachable("unknown element kind");
}

} // namespace

llvm::Expected<exec::Tensor> readTensorProtoFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError("{0}: cannot read the tensor: {1}", path, buffer.getError().message());
  auto proto = std::make_shared<onnx::TensorProto>();
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !proto->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return makeError("{0}: not a valid ONNX TensorProto: the protobuf is truncated or corrupted",
                     path);
  onnx_import::ExternalDataFiles externalFiles(llvm::sys::path::parent_path(path).str());
  onnx_import::TensorSource source{path, proto, &externalFiles};
  auto data = onnx_import::decodeTensor(*proto, source);
  if (!data)
    return data.takeError();
  // Executor tensors own aligned memory; test tensors are small, so copy.
  exec::Tensor tensor = exec::Tensor::zeros(dtypeOf(data->kind), data->shape);
  if (!data->bytes.empty())
    std::memcpy(tensor.data<char>(), data->bytes.data(), data->bytes.size());
  return tensor;
}

} // namespace slmc
