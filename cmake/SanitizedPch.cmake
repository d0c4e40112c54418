# The sanitized build (SLMC_SANITIZE) compiles everything again, from scratch
# in CI; most of a C++ file's time here is spent parsing MLIR's headers, so the
# heaviest targets parse them once, into a precompiled header. Upstream
# headers only: our own (passes/Passes.h, the dialect's) change what they
# declare with macros their includers define first.
set(SLMC_PCH_HEADERS
  <mlir/IR/BuiltinOps.h>
  <mlir/IR/PatternMatch.h>
  <mlir/Pass/Pass.h>
  <mlir/Transforms/DialectConversion.h>
  <mlir/Transforms/GreedyPatternRewriteDriver.h>
  <mlir/Dialect/Func/IR/FuncOps.h>
  <mlir/Dialect/Arith/IR/Arith.h>
  <mlir/Dialect/Math/IR/Math.h>
  <mlir/Dialect/LLVMIR/LLVMDialect.h>
  <llvm/Support/FormatVariadic.h>
  <llvm/Support/raw_ostream.h>
)
function(slmc_precompile_mlir_headers)
  foreach(target ${ARGN})
    if(TARGET ${target})
      target_precompile_headers(${target} PRIVATE ${SLMC_PCH_HEADERS})
    endif()
  endforeach()
endfunction()
