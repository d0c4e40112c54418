//===- SlmOps.h - ops of the slm dialect ------------------------*- C++ -*-===//
#pragma once

#include "dialects/slm/IR/SlmDialect.h"

#define GET_OP_CLASSES
#include "dialects/slm/IR/SlmOps.h.inc"
