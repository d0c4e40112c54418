//===- ArtifactWriter.cpp - writing .slmpack files ------------------------===//

#include "compiler/artifact/ArtifactWriter.h"

#include "compiler/support/AtomicFile.h"
#include "compiler/support/Error.h"
#include "runtime/src/slm_checksum.h"
#include "runtime/src/slm_signature.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <array>

namespace slmc {
namespace {

constexpr uint32_t kFormatVersion = 1;
constexpr uint64_t kHeaderSize = 128;
constexpr uint64_t kSectionAlignment = 4096;
constexpr uint64_t kWeightAlignment = 64;

/// The zero bytes between sections and between weights.
const std::array<char, kSectionAlignment> kZeros{};

/// Field order alone does not make protobuf output canonical (map fields and
/// unknown fields may be reordered); deterministic mode does.
llvm::Expected<std::string> serializeManifest(const slm::artifact::Manifest &manifest,
                                              llvm::StringRef path) {
  std::string bytes;
  bool serialized;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    serialized = manifest.SerializeToCodedStream(&coded) && !coded.HadError();
  }
  if (!serialized)
    return makeError("{0}: the manifest does not serialize (over protobuf's 2 GiB limit?)", path);
  return bytes;
}

/// The file as a sequence of byte ranges, so that the checksum and the write
/// see the same bytes without assembling a copy of the weights.
class FilePieces {
public:
  void append(llvm::ArrayRef<char> bytes) {
    if (!bytes.empty())
      pieces_.push_back(bytes);
    size_ += bytes.size();
  }
  /// Zero bytes up to `offset`.
  void padTo(uint64_t offset) {
    while (size_ < offset)
      append(llvm::ArrayRef(kZeros).take_front(std::min<uint64_t>(offset - size_, kZeros.size())));
  }
  uint64_t size() const { return size_; }
  llvm::ArrayRef<llvm::ArrayRef<char>> pieces() const { return pieces_; }

private:
  std::vector<llvm::ArrayRef<char>> pieces_;
  uint64_t size_ = 0;
};

/// The weights in the order they lie in the section, after checking that they
/// are aligned and do not overlap.
llvm::Expected<std::vector<const WeightBlob *>> placementOrder(llvm::ArrayRef<WeightBlob> weights,
                                                               llvm::StringRef path) {
  std::vector<const WeightBlob *> order;
  for (const WeightBlob &weight : weights) {
    if (weight.offset % kWeightAlignment != 0)
      return makeError("{0}: weight '{1}' at offset {2} is not {3}-byte aligned", path,
                       weight.name, weight.offset, kWeightAlignment);
    order.push_back(&weight);
  }
  // Pointers into one array order equal offsets as given.
  std::sort(order.begin(), order.end(), [](const WeightBlob *a, const WeightBlob *b) {
    return std::pair(a->offset, a) < std::pair(b->offset, b);
  });
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i]->offset < order[i - 1]->offset + order[i - 1]->bytes.size())
      return makeError("{0}: weight '{1}' at offset {2} overlaps weight '{3}' at offset {4}", path,
                       order[i]->name, order[i]->offset, order[i - 1]->name,
                       order[i - 1]->offset);
  return order;
}

slm::artifact::TensorInfo tensorInfo(const WeightBlob &weight) {
  slm::artifact::TensorInfo info;
  info.set_name(weight.name);
  info.mutable_shape()->Add(weight.shape.begin(), weight.shape.end());
  info.set_dtype(weight.dtype);
  info.set_layout(weight.layout);
  info.set_offset(weight.offset);
  info.set_size(weight.bytes.size());
  return info;
}

void writeHeader(std::array<char, kHeaderSize> &header, uint64_t fileSize, uint64_t manifestSize,
                 uint64_t codeOffset, uint64_t codeSize, uint64_t weightsOffset,
                 uint64_t weightsSize) {
  using llvm::support::endian::write32le;
  using llvm::support::endian::write64le;
  header.fill(0);
  std::copy_n("SLMPACK", 8, header.begin());
  write32le(&header[8], kFormatVersion);
  write32le(&header[12], kHeaderSize);
  write64le(&header[16], fileSize);
  write64le(&header[24], kHeaderSize);
  write64le(&header[32], manifestSize);
  write64le(&header[40], codeOffset);
  write64le(&header[48], codeSize);
  write64le(&header[56], weightsOffset);
  write64le(&header[64], weightsSize);
}

/// The signature block over the file so far (which ends where the block
/// starts; docs/ARTIFACT.md, "Signatures").
std::array<char, SLM_SIGNATURE_BLOCK_SIZE> signatureBlock(const FilePieces &file,
                                                          const SigningKey &key) {
  slm_signed_message_state state;
  slm_signed_message_begin(&state);
  for (llvm::ArrayRef<char> piece : file.pieces())
    slm_signed_message_update(&state, piece.data(), piece.size());
  std::array<uint8_t, SLM_SIGNED_MESSAGE_SIZE> message;
  slm_signed_message_end(&state, message.data());
  std::array<uint8_t, 64> signature = sign(key, message);
  std::array<char, SLM_SIGNATURE_BLOCK_SIZE> block{};
  std::copy_n(SLM_SIGNATURE_MAGIC, 8, block.begin());
  std::copy_n(key.publicKey.bytes, SLM_PUBLIC_KEY_SIZE, block.begin() + SLM_SIGNATURE_KEY_OFFSET);
  std::copy_n(signature.begin(), SLM_SIGNATURE_BYTES, block.begin() + SLM_SIGNATURE_BYTES_OFFSET);
  return block;
}

uint64_t checksum(const FilePieces &file) {
  slm_hash64_state state;
  slm_hash64_begin(&state, file.size());
  for (llvm::ArrayRef<char> piece : file.pieces())
    slm_hash64_update(&state, piece.data(), piece.size());
  return slm_hash64_end(&state);
}

} // namespace

uint64_t layoutWeights(llvm::MutableArrayRef<WeightBlob> weights) {
  uint64_t end = 0;
  for (WeightBlob &weight : weights) {
    weight.offset = llvm::alignTo(end, kWeightAlignment);
    end = weight.offset + weight.bytes.size();
  }
  return end;
}

llvm::Error writeArtifact(const ArtifactContents &contents, llvm::StringRef path) {
  llvm::Expected<std::vector<const WeightBlob *>> placed = placementOrder(contents.weights, path);
  if (!placed)
    return placed.takeError();
  slm::artifact::Manifest manifest = contents.manifest;
  manifest.clear_tensors();
  for (const WeightBlob &weight : contents.weights)
    *manifest.add_tensors() = tensorInfo(weight);
  llvm::Expected<std::string> manifestBytes = serializeManifest(manifest, path);
  if (!manifestBytes)
    return manifestBytes.takeError();

  std::array<char, kHeaderSize> header;
  FilePieces file;
  file.append(header);
  file.append(llvm::ArrayRef(manifestBytes->data(), manifestBytes->size()));
  uint64_t codeOffset = llvm::alignTo(file.size(), kSectionAlignment);
  file.padTo(codeOffset);
  file.append(llvm::ArrayRef(contents.code.data(), contents.code.size()));
  uint64_t weightsOffset = llvm::alignTo(file.size(), kSectionAlignment);
  file.padTo(weightsOffset);
  for (const WeightBlob *weight : *placed) {
    file.padTo(weightsOffset + weight->offset);
    file.append(weight->bytes);
  }
  uint64_t weightsSize = file.size() - weightsOffset;
  std::array<char, SLM_SIGNATURE_BLOCK_SIZE> signature;
  if (contents.signer) {
    // The header (checksum zero) says where the block lies before the bytes are signed.
    uint64_t signatureOffset = llvm::alignTo(file.size(), SLM_SIGNATURE_BLOCK_ALIGNMENT);
    file.padTo(signatureOffset);
    writeHeader(header, signatureOffset + SLM_SIGNATURE_BLOCK_SIZE, manifestBytes->size(),
                codeOffset, contents.code.size(), weightsOffset, weightsSize);
    llvm::support::endian::write64le(&header[SLM_SIGNATURE_OFFSET_FIELD], signatureOffset);
    llvm::support::endian::write64le(&header[SLM_SIGNATURE_SIZE_FIELD], SLM_SIGNATURE_BLOCK_SIZE);
    signature = signatureBlock(file, *contents.signer);
    file.append(signature);
  } else {
    writeHeader(header, file.size(), manifestBytes->size(), codeOffset, contents.code.size(),
                weightsOffset, weightsSize);
  }
  llvm::support::endian::write64le(&header[SLM_CHECKSUM_OFFSET], checksum(file));
  return writeFileAtomically(path, file.pieces());
}

} // namespace slmc
