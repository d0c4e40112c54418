/*===- header.c - the header and the sections it points to ----------------===*/

#include "header.h"

#include "error.h"
#include "little_endian.h"
#include "slm_checksum.h"
#include "slm_signature.h"

#include <string.h>

static const char kMagic[8] = "SLMPACK";
/* Sections after the manifest start on page boundaries so they can be mapped. */
static const uint64_t kSectionAlignment = 4096;

static slm_status check_section(const char *path, const char *name, uint64_t offset,
                                uint64_t size, const char *previous, uint64_t previous_end,
                                uint64_t file_size) {
  if (offset % kSectionAlignment != 0)
    return slm_fail(SLM_ERROR_FORMAT, "%s: %s section offset %llu is not %llu-aligned", path,
                    name, (unsigned long long)offset, (unsigned long long)kSectionAlignment);
  if (offset < previous_end)
    return slm_fail(SLM_ERROR_FORMAT,
                    "%s: %s section at %llu overlaps the %s section, which ends at %llu", path,
                    name, (unsigned long long)offset, previous, (unsigned long long)previous_end);
  if (offset > file_size || size > file_size - offset)
    return slm_fail(SLM_ERROR_FORMAT,
                    "%s: %s section (%llu bytes at %llu) runs past the end of the %llu-byte file",
                    path, name, (unsigned long long)size, (unsigned long long)offset,
                    (unsigned long long)file_size);
  return SLM_OK;
}

static slm_status check_sections(const char *path, const slm_artifact_layout *layout) {
  if (layout->manifest_offset != SLM_HEADER_SIZE)
    return slm_fail(SLM_ERROR_FORMAT, "%s: manifest section at %llu does not follow the header",
                    path, (unsigned long long)layout->manifest_offset);
  if (layout->manifest_size > layout->file_size - SLM_HEADER_SIZE)
    return slm_fail(SLM_ERROR_FORMAT,
                    "%s: manifest section (%llu bytes at %d) runs past the end of the %llu-byte "
                    "file",
                    path, (unsigned long long)layout->manifest_size, SLM_HEADER_SIZE,
                    (unsigned long long)layout->file_size);
  slm_status status =
      check_section(path, "code", layout->code_offset, layout->code_size, "manifest",
                    SLM_HEADER_SIZE + layout->manifest_size, layout->file_size);
  if (status == SLM_OK)
    status = check_section(path, "weights", layout->weights_offset, layout->weights_size, "code",
                           layout->code_offset + layout->code_size, layout->file_size);
  if (status != SLM_OK)
    return status;
  uint64_t end = layout->weights_offset + layout->weights_size;
  if (layout->signature_offset == 0 && layout->signature_size == 0) {
    if (end != layout->file_size)
      return slm_fail(SLM_ERROR_FORMAT,
                      "%s: the weights section ends at %llu, before the end of the %llu-byte file",
                      path, (unsigned long long)end, (unsigned long long)layout->file_size);
    return SLM_OK;
  }
  /* A signed file: the block at the first 64-byte boundary after the weights, ending the file. */
  uint64_t expected = (end + SLM_SIGNATURE_BLOCK_ALIGNMENT - 1) / SLM_SIGNATURE_BLOCK_ALIGNMENT *
                      SLM_SIGNATURE_BLOCK_ALIGNMENT;
  if (layout->signature_size != SLM_SIGNATURE_BLOCK_SIZE)
    return slm_fail(SLM_ERROR_FORMAT, "%s: signature block is %llu bytes, not %d", path,
                    (unsigned long long)layout->signature_size, SLM_SIGNATURE_BLOCK_SIZE);
  if (layout->signature_offset != expected)
    return slm_fail(SLM_ERROR_FORMAT,
                    "%s: signature block at %llu, not at %llu (the first %d-byte boundary after "
                    "the weights)",
                    path, (unsigned long long)layout->signature_offset,
                    (unsigned long long)expected, SLM_SIGNATURE_BLOCK_ALIGNMENT);
  if (expected > layout->file_size || layout->file_size - expected != SLM_SIGNATURE_BLOCK_SIZE)
    return slm_fail(SLM_ERROR_FORMAT,
                    "%s: the signature block (%d bytes at %llu) does not end the %llu-byte file",
                    path, SLM_SIGNATURE_BLOCK_SIZE, (unsigned long long)expected,
                    (unsigned long long)layout->file_size);
  return SLM_OK;
}

slm_status slm_read_header(const char *path, const uint8_t *file, uint64_t size,
                           slm_artifact_layout *layout) {
  if (size >= sizeof kMagic && memcmp(file, kMagic, sizeof kMagic) != 0)
    return slm_fail(SLM_ERROR_FORMAT, "%s: bad magic (not a .slmpack file)", path);
  if (size < SLM_HEADER_SIZE)
    return slm_fail(SLM_ERROR_FORMAT,
                    "%s: file is %llu bytes, shorter than the %d-byte header (truncated?)", path,
                    (unsigned long long)size, SLM_HEADER_SIZE);
  memset(layout, 0, sizeof *layout);
  layout->format_version = (uint32_t)slm_load_le(file + 8, 4);
  if (layout->format_version > SLM_FORMAT_VERSION)
    return slm_fail(SLM_ERROR_FORMAT, "%s: format version %u is newer than this runtime's %d",
                    path, layout->format_version, SLM_FORMAT_VERSION);
  if (layout->format_version != SLM_FORMAT_VERSION)
    return slm_fail(SLM_ERROR_FORMAT, "%s: format version %u is not one this runtime knows",
                    path, layout->format_version);
  uint64_t header_size = slm_load_le(file + 12, 4);
  if (header_size != SLM_HEADER_SIZE)
    return slm_fail(SLM_ERROR_FORMAT, "%s: header size is %llu, but format version %d has %d",
                    path, (unsigned long long)header_size, SLM_FORMAT_VERSION, SLM_HEADER_SIZE);
  layout->file_size = slm_load_le(file + 16, 8);
  if (layout->file_size != size)
    return slm_fail(SLM_ERROR_FORMAT, "%s: file is %llu bytes but its header says %llu (%s)",
                    path, (unsigned long long)size, (unsigned long long)layout->file_size,
                    size < layout->file_size ? "truncated?" : "bytes appended?");
  layout->manifest_offset = slm_load_le(file + 24, 8);
  layout->manifest_size = slm_load_le(file + 32, 8);
  layout->code_offset = slm_load_le(file + 40, 8);
  layout->code_size = slm_load_le(file + 48, 8);
  layout->weights_offset = slm_load_le(file + 56, 8);
  layout->weights_size = slm_load_le(file + 64, 8);
  layout->checksum = slm_load_le(file + SLM_CHECKSUM_OFFSET, 8);
  layout->signature_offset = slm_load_le(file + SLM_SIGNATURE_OFFSET_FIELD, 8);
  layout->signature_size = slm_load_le(file + SLM_SIGNATURE_SIZE_FIELD, 8);
  slm_status status = check_sections(path, layout);
  if (status != SLM_OK)
    return status;
  if (slm_slmpack_checksum(file, size) != layout->checksum)
    return slm_fail(SLM_ERROR_CHECKSUM, "%s: checksum mismatch (file corrupted)", path);
  if (layout->signature_size != 0 &&
      memcmp(file + layout->signature_offset, SLM_SIGNATURE_MAGIC, 8) != 0)
    return slm_fail(SLM_ERROR_FORMAT, "%s: bad signature block magic", path);
  return SLM_OK;
}
