//===- QuantScheme.h - weight format names as the CLI spells them -*- C++ -*-===//
#pragma once

#include "dialects/slm/IR/WeightFormat.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace slmc {

/// A weight tensor's storage: a #slm.weight_format, or nullopt for f32 (left
/// unquantized).
using TensorFormat = std::optional<slm::WeightFormat>;

/// "int8" (per output channel), "int4-g32", "int5-g64-asym", ..., "f32".
/// Bits 2..8; groups 32, 64, 128 (none: per output channel); "-asym" for
/// asymmetric formats with a minimum per group. "cb3-g32", "cb4-g64", ...:
/// codes index a codebook fitted per tensor (bits 2..4).
llvm::Expected<TensorFormat> parseTensorFormat(llvm::StringRef name);
std::string tensorFormatName(const TensorFormat &format);

/// Storage bits of a rows x columns tensor in `format`, scales included.
int64_t tensorFormatBits(const TensorFormat &format, int64_t rows, int64_t columns);

/// What `--quant auto` chooses among, per tensor, cheapest first: codebooks
/// at 3 and 4 bits, or integer grids there when the linears quantize their
/// inputs (`--w8a8`: the W4A8 kernels read integer codes).
std::vector<TensorFormat> allocatorCandidates(bool integerActivations = false);

} // namespace slmc
