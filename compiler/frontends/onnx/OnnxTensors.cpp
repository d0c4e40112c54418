//===- OnnxTensors.cpp - decoding ONNX TensorProtos -----------------------===//

#include "compiler/frontends/onnx/OnnxTensors.h"

#include "compiler/frontends/onnx/OnnxImporter.h"
#include "compiler/support/Error.h"
#include "compiler/weights/WeightBlob.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"

#include <onnx/onnx_pb.h> // onnx-ml.pb.h with ONNX_API defined

#include <cstring>
#include <vector>

using namespace mlir;
using llvm::Expected;

namespace slmc::onnx_import {
namespace {

/// Larger tensors are weights: they stay out of the IR text and are not
/// folded; smaller ones (shapes, axes, scalars) print inline and fold.
constexpr int64_t kInlineElements = 64;

/// A resource key MLIR can print and parse back (a bare identifier):
/// "onnx::MatMul_5" -> "onnx__MatMul_5", "/Constant_output_0" -> "_Constant_output_0".
std::string resourceName(StringRef name) {
  std::string key;
  for (char c : name)
    key += llvm::isAlnum(c) || c == '_' || c == '.' || c == '$' ? c : '_';
  if (key.empty() || llvm::isDigit(key.front()) || key.front() == '.' || key.front() == '$')
    key.insert(key.begin(), '_');
  return key;
}

float halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal half: renormalise into a float exponent.
    exponent = 113;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float bfloat16ToFloat(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

/// Widens 16-bit float patterns (from raw bytes or int32_data) into an owned
/// f32 buffer.
template <typename GetBits>
void widenHalves(TensorData &data, int64_t count, bool bfloat, GetBits bits) {
  auto values = std::make_shared<std::vector<float>>(count);
  for (int64_t i = 0; i < count; ++i)
    (*values)[i] = bfloat ? bfloat16ToFloat(bits(i)) : halfToFloat(bits(i));
  data.bytes = ArrayRef<char>(reinterpret_cast<const char *>(values->data()),
                              values->size() * sizeof(float));
  data.owner = std::move(values);
}

template <typename T> ArrayRef<char> asBytes(const google::protobuf::RepeatedField<T> &field) {
  return ArrayRef<char>(reinterpret_cast<const char *>(field.data()), field.size() * sizeof(T));
}

Expected<int64_t> parseExternalNumber(const onnx::StringStringEntryProto &entry,
                                      const TensorSource &source, StringRef tensorName) {
  int64_t value;
  if (StringRef(entry.value()).getAsInteger(10, value) || value < 0)
    return makeError("{0}: tensor \"{1}\" has an invalid external data {2} \"{3}\"", source.path,
                     tensorName, entry.key(), entry.value());
  return value;
}

/// The stored bytes of an external-data tensor: a slice of its mmapped file.
Expected<ArrayRef<char>> externalBytes(const onnx::TensorProto &tensor, const TensorSource &source,
                                       std::shared_ptr<const void> &owner) {
  StringRef name = tensor.name();
  std::string location;
  int64_t offset = 0;
  std::optional<int64_t> length;
  for (const auto &entry : tensor.external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset" || entry.key() == "length") {
      auto value = parseExternalNumber(entry, source, name);
      if (!value)
        return value.takeError();
      (entry.key() == "offset" ? offset : length.emplace()) = *value;
    }
  }
  if (location.empty())
    return makeError("{0}: tensor \"{1}\" has external data without a location", source.path, name);
  if (!source.externalFiles)
    return makeError("{0}: tensor \"{1}\" refers to external data, which is not available here",
                     source.path, name);
  auto file = source.externalFiles->open(location, source.path, name);
  if (!file)
    return file.takeError();
  int64_t size = static_cast<int64_t>((*file)->getBufferSize());
  // Compared by subtraction: offset + length may overflow int64 (the message
  // adds them unsigned, where two values below 2^63 cannot).
  if (offset > size || (length && *length > size - offset))
    return makeError("{0}: external data file '{1}' of tensor \"{2}\" is too short: it has {3} "
                     "bytes, the tensor needs bytes {4} to {5}",
                     source.path, location, name, size, offset,
                     length ? static_cast<uint64_t>(offset) + static_cast<uint64_t>(*length)
                            : static_cast<uint64_t>(size));
  int64_t end = length ? offset + *length : size;
  owner = *file;
  return ArrayRef<char>((*file)->getBufferStart() + offset, end - offset);
}

} // namespace

size_t byteWidth(ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
  case ElementKind::I32:
    return 4;
  case ElementKind::I64:
    return 8;
  case ElementKind::Bool:
    return 1;
  }
  llvm_unreachable("unknown element kind");
}

Type elementType(MLIRContext *context, ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
    return Float32Type::get(context);
  case ElementKind::I64:
    return IntegerType::get(context, 64);
  case ElementKind::I32:
    return IntegerType::get(context, 32);
  case ElementKind::Bool:
    return IntegerType::get(context, 1);
  }
  llvm_unreachable("unknown element kind");
}

std::optional<ElementKind> elementKindOf(int32_t onnxType, bool widenHalf) {
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return ElementKind::F32;
  case onnx::TensorProto::INT64:
    return ElementKind::I64;
  case onnx::TensorProto::INT32:
    return ElementKind::I32;
  case onnx::TensorProto::BOOL:
    return ElementKind::Bool;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    return widenHalf ? std::optional(ElementKind::F32) : std::nullopt;
  default:
    return std::nullopt;
  }
}

std::optional<ElementKind> elementKindOf(Type type) {
  if (type.isF32())
    return ElementKind::F32;
  if (type.isSignlessInteger(64))
    return ElementKind::I64;
  if (type.isSignlessInteger(32))
    return ElementKind::I32;
  if (type.isSignlessInteger(1))
    return ElementKind::Bool;
  return std::nullopt;
}

std::string onnxTypeName(int32_t onnxType) {
  if (onnx::TensorProto::DataType_IsValid(onnxType))
    return llvm::StringRef(
               onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(onnxType)))
        .lower();
  return "data type " + std::to_string(onnxType);
}

Expected<std::shared_ptr<llvm::MemoryBuffer>>
ExternalDataFiles::open(StringRef location, StringRef modelPath, StringRef tensorName) {
  if (auto it = files_.find(location); it != files_.end())
    return it->second;
  llvm::SmallString<256> path(directory_);
  llvm::sys::path::append(path, location);
  // No null terminator: the file is mapped as is, so that weights can point
  // into it.
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError("{0}: cannot open external data file '{1}' of tensor \"{2}\": {3}", modelPath,
                     path, tensorName, buffer.getError().message());
  std::shared_ptr<llvm::MemoryBuffer> shared = std::move(*buffer);
  files_[location] = shared;
  return shared;
}

int64_t TensorData::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

RankedTensorType TensorData::type(MLIRContext *context) const {
  return RankedTensorType::get(shape, elementType(context, kind));
}

Expected<TensorData> decodeTensor(const onnx::TensorProto &tensor, const TensorSource &source) {
  StringRef name = tensor.name();
  int32_t onnxType = tensor.data_type();
  auto kind = elementKindOf(onnxType, /*widenHalf=*/true);
  if (!kind)
    return llvm::make_error<OnnxUnsupportedError>(
        llvm::formatv("{0}: tensor \"{1}\" has unsupported element type {2}", source.path, name,
                      onnxTypeName(onnxType))
            .str(),
        std::vector<std::string>{"element type " + onnxTypeName(onnxType)});
  if (tensor.has_segment())
    return llvm::make_error<OnnxUnsupportedError>(
        llvm::formatv("{0}: tensor \"{1}\" is segmented", source.path, name).str(),
        std::vector<std::string>{"segmented tensor"});

  TensorData data;
  data.kind = *kind;
  // The element count, checked: a product that wrapped around could match a
  // small payload and describe a huge tensor.
  constexpr int64_t kMostElements = int64_t{1} << 48;
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0)
      return makeError("{0}: tensor \"{1}\" has a negative dimension {2}", source.path, name, d);
    if (d > 0 && count > kMostElements / d)
      return makeError("{0}: tensor \"{1}\" has more than 2^48 elements", source.path, name);
    count *= d;
    data.shape.push_back(d);
  }
  bool half = onnxType == onnx::TensorProto::FLOAT16 || onnxType == onnx::TensorProto::BFLOAT16;
  bool bfloat = onnxType == onnx::TensorProto::BFLOAT16;
  // Bytes per stored element: 16-bit floats are widened after reading.
  size_t storedWidth = half ? 2 : byteWidth(*kind);

  ArrayRef<char> stored;
  std::shared_ptr<const void> owner = source.protoOwner;
  bool fromBytes = true;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    auto bytes = externalBytes(tensor, source, owner);
    if (!bytes)
      return bytes.takeError();
    stored = *bytes;
  } else if (tensor.has_raw_data()) {
    stored = ArrayRef<char>(tensor.raw_data().data(), tensor.raw_data().size());
  } else {
    fromBytes = false;
  }

  if (fromBytes) {
    if (stored.size() != count * storedWidth)
      return makeError("{0}: tensor \"{1}\" holds {2} bytes but its {3} elements of {4} need {5}",
                       source.path, name, stored.size(), count, onnxTypeName(onnxType),
                       count * storedWidth);
    if (half) {
      widenHalves(data, count, bfloat, [&](int64_t i) {
        uint16_t bits;
        std::memcpy(&bits, stored.data() + 2 * i, 2);
        return bits;
      });
    } else {
      data.bytes = stored;
      data.owner = std::move(owner);
    }
    return data;
  }

  // Typed fields: each kind has its own repeated field; 16-bit floats and
  // bools travel in int32_data.
  int64_t available = 0;
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    available = tensor.float_data_size();
    data.bytes = asBytes(tensor.float_data());
    break;
  case onnx::TensorProto::INT64:
    available = tensor.int64_data_size();
    data.bytes = asBytes(tensor.int64_data());
    break;
  default:
    available = tensor.int32_data_size();
    if (onnxType == onnx::TensorProto::INT32)
      data.bytes = asBytes(tensor.int32_data());
    break;
  }
  if (available != count)
    return makeError("{0}: tensor \"{1}\" holds {2} values but its shape needs {3}", source.path,
                     name, available, count);
  if (half) {
    widenHalves(data, count, bfloat,
                [&](int64_t i) { return static_cast<uint16_t>(tensor.int32_data(i)); });
  } else if (*kind == ElementKind::Bool) {
    auto bools = std::make_shared<std::vector<char>>(count);
    for (int64_t i = 0; i < count; ++i)
      (*bools)[i] = tensor.int32_data(i) != 0;
    data.bytes = ArrayRef<char>(bools->data(), bools->size());
    data.owner = std::move(bools);
  } else {
    data.owner = std::move(owner);
  }
  return data;
}

ElementsAttr toElementsAttr(MLIRContext *context, const TensorData &data, StringRef name) {
  RankedTensorType type = data.type(context);
  int64_t count = data.numElements();
  if (data.kind == ElementKind::Bool) {
    // Bools are bit-packed in dense attributes; their one-byte-per-element
    // layout has no blob form.
    llvm::SmallVector<bool> values;
    for (char byte : data.bytes.take_front(count))
      values.push_back(byte != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(values));
  }
  if (count <= kInlineElements) {
    // getFromRawBuffer treats a one-element buffer as a splat, which is what
    // a scalar is.
    return DenseElementsAttr::getFromRawBuffer(type, data.bytes);
  }
  size_t width = byteWidth(data.kind);
  std::string key = resourceName(name);
  if (reinterpret_cast<uintptr_t>(data.bytes.data()) % width == 0 && data.owner)
    return wrapWeight(type, key, data.bytes, data.owner);
  return copyWeight(type, key, data.bytes);
}

} // namespace slmc::onnx_import
