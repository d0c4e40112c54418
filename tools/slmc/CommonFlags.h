//===- CommonFlags.h - flags several subcommands share ----------*- C++ -*-===//
#pragma once

#include "absl/flags/declare.h"

#include <string>
#include <string_view>

ABSL_DECLARE_FLAG(std::string, tokenizer);
ABSL_DECLARE_FLAG(std::string, o);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(int32_t, threads);
ABSL_DECLARE_FLAG(std::string, teacher);
ABSL_DECLARE_FLAG(uint64_t, seed);

namespace slmc::cli {
/// Flags are shown as users type them: --max-context, not --max_context.
std::string dashed(std::string_view name);
/// True when the flag (underscore spelling) holds other than its default.
bool isFlagSet(std::string_view name);
} // namespace slmc::cli
