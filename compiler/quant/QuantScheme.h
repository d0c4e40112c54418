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

/// What `--quant auto` chooses among, per tensor: codebooks at 2, 3 and 4 bits,
/// or integer grids there when the linears quantize their inputs (`--w8a8`:
/// the W4A8 kernels read integer codes), then integer grids of 5 to 8 bits
/// and f32 — cheapest first on rows of a multiple of 128 columns; then
/// formats of one group per row below 8 bits, which allocatorOffers gives
/// only to tensors with ragged rows.
std::vector<TensorFormat> allocatorCandidates(bool integerActivations = false);

/// Whether `--quant auto` offers `format` (one of allocatorCandidates) for a
/// tensor whose rows are `columns` wide. A format of one group per row below
/// 8 bits is offered only where every grouped format would pad the rows
/// (`columns` not a multiple of 32, stories260K's 172): each row's codes are
/// stored to a whole number of groups, so there the grouped formats pay for
/// codes that do not exist (cb4-g64: 4.79 bits a weight on 172-wide rows,
/// one group per row 4.14). Elsewhere they would only add a coarser choice
/// that the generic kernel reads (the 4-bit kernels take groups of 32, 64
/// and 128).
bool allocatorOffers(const TensorFormat &format, int64_t columns);

} // namespace slmc
