//===- Safetensors.cpp - mmapped .safetensors files -----------------------===//

#include "compiler/frontends/hf/Safetensors.h"

#include "compiler/support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

namespace slmc {

size_t safetensorsDTypeSize(llvm::StringRef dtype) {
  return llvm::StringSwitch<size_t>(dtype)
      .Cases("F64", "I64", "U64", 8)
      .Cases("F32", "I32", "U32", 4)
      .Cases("F16", "BF16", "I16", "U16", 2)
      .Cases("I8", "U8", "BOOL", 1)
      .Default(0);
}

llvm::Expected<std::shared_ptr<SafetensorsFile>> SafetensorsFile::open(llvm::StringRef path) {
  auto opened = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!opened)
    return makeError("{0}: cannot read: {1}", path, opened.getError().message());
  auto file = std::make_shared<SafetensorsFile>();
  file->path_ = path.str();
  file->buffer_ = std::move(*opened);
  llvm::StringRef all = file->buffer_->getBuffer();
  if (all.size() < 8)
    return makeError("{0}: truncated safetensors file ({1} bytes, no header length)", path,
                     all.size());
  uint64_t headerLength;
  std::memcpy(&headerLength, all.data(), 8);
  if (headerLength > all.size() - 8)
    return makeError("{0}: safetensors header length {1} exceeds the file's {2} bytes", path,
                     headerLength, all.size());
  llvm::StringRef header = all.substr(8, headerLength);
  llvm::StringRef data = all.substr(8 + headerLength);
  auto json = llvm::json::parse(header);
  if (!json)
    return makeError("{0}: safetensors header is not valid JSON: {1}", path,
                     llvm::toString(json.takeError()));
  const llvm::json::Object *entries = json->getAsObject();
  if (!entries)
    return makeError("{0}: safetensors header is not a JSON object", path);
  for (const auto &[key, value] : *entries) {
    if (key == "__metadata__")
      continue;
    const llvm::json::Object *entry = value.getAsObject();
    auto dtype = entry ? entry->getString("dtype") : std::nullopt;
    const llvm::json::Array *shape = entry ? entry->getArray("shape") : nullptr;
    const llvm::json::Array *offsets = entry ? entry->getArray("data_offsets") : nullptr;
    if (!dtype || !shape || !offsets || offsets->size() != 2)
      return makeError("{0}: tensor {1} lacks dtype, shape or data_offsets", path, key.str());
    Tensor tensor;
    tensor.dtype = dtype->str();
    size_t width = safetensorsDTypeSize(*dtype);
    if (!width)
      return makeError("{0}: tensor {1} has unknown dtype {2}", path, key.str(), tensor.dtype);
    uint64_t count = 1;
    for (const llvm::json::Value &d : *shape) {
      auto dim = d.getAsInteger();
      if (!dim || *dim < 0 || (*dim > 0 && count > (uint64_t{1} << 48) / *dim))
        return makeError("{0}: tensor {1} has an invalid shape", path, key.str());
      tensor.shape.push_back(*dim);
      count *= *dim;
    }
    auto begin = (*offsets)[0].getAsInteger(), end = (*offsets)[1].getAsInteger();
    if (!begin || !end || *begin < 0 || *end < *begin ||
        static_cast<uint64_t>(*end) > data.size())
      return makeError("{0}: tensor {1} has data offsets [{2}, {3}) outside the {4} data bytes",
                       path, key.str(), begin.value_or(-1), end.value_or(-1), data.size());
    if (static_cast<uint64_t>(*end - *begin) != count * width)
      return makeError("{0}: tensor {1} spans {2} bytes but its {3} shape needs {4}", path,
                       key.str(), *end - *begin, tensor.dtype, count * width);
    tensor.bytes = llvm::ArrayRef<char>(data.data() + *begin, *end - *begin);
    file->tensors_[key] = std::move(tensor);
  }
  return file;
}

const SafetensorsFile::Tensor *SafetensorsFile::find(llvm::StringRef name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> names;
  for (const auto &entry : tensors_)
    names.push_back(entry.getKey().str());
  std::sort(names.begin(), names.end());
  return names;
}

llvm::Expected<std::vector<float>> readAsF32(const SafetensorsFile::Tensor &tensor) {
  size_t count = tensor.bytes.size() / safetensorsDTypeSize(tensor.dtype);
  std::vector<float> values(count);
  const char *src = tensor.bytes.data();
  if (tensor.dtype == "F32") {
    std::memcpy(values.data(), src, count * 4);
  } else if (tensor.dtype == "BF16") {
    for (size_t i = 0; i < count; ++i) {
      uint16_t half;
      std::memcpy(&half, src + 2 * i, 2);
      uint32_t bits = uint32_t{half} << 16;
      std::memcpy(&values[i], &bits, 4);
    }
  } else if (tensor.dtype == "F16") {
    for (size_t i = 0; i < count; ++i) {
      _Float16 half;
      std::memcpy(&half, src + 2 * i, 2);
      values[i] = static_cast<float>(half);
    }
  } else {
    return makeError("dtype {0} is not a floating-point weight type (F32, F16, BF16)",
                     tensor.dtype);
  }
  return values;
}

void SafetensorsFile::releasePages(const Tensor &tensor) const {
  // Only a mapping of the file can drop pages and read them back later; a
  // small file read into the heap keeps its bytes.
  if (buffer_->getBufferKind() != llvm::MemoryBuffer::MemoryBuffer_MMap)
    return;
  uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t start = reinterpret_cast<uintptr_t>(tensor.bytes.data());
  uintptr_t begin = (start + page - 1) & ~(page - 1);
  uintptr_t end = (start + tensor.bytes.size()) & ~(page - 1);
  if (end > begin)
    madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
}

} // namespace slmc
