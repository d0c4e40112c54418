//===- CommonFlags.h - flags several subcommands share ----------*- C++ -*-===//
#pragma once

#include "absl/flags/declare.h"

#include <string>

ABSL_DECLARE_FLAG(std::string, tokenizer);
ABSL_DECLARE_FLAG(std::string, o);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(int32_t, threads);
