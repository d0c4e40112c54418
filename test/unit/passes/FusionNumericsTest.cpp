//===- FusionNumericsTest.cpp - fused graphs compute what they replaced ---===//
//
// Every function of the fusion passes' lit tests runs on the reference
// executor before and after its pass, on the same random inputs: a fusion may
// reorder float operations, never change what is computed. (The lit tests
// check the IR; this checks the numbers.)
//
//===----------------------------------------------------------------------===//

#include "compiler/InitAll.h"
#include "compiler/executor/Executor.h"
#include "dialects/slm/IR/SlmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <ostream>

namespace {

using slmc::exec::DType;
using slmc::exec::Tensor;

struct Case {
  const char *file;     // under test/lit/passes
  const char *pipeline; // what runs between the two executions
};

// gtest prints a parameter's bytes unless told how to show it.
void PrintTo(const Case &c, std::ostream *os) { *os << c.file << " with " << c.pipeline; }

class FusionNumerics : public ::testing::TestWithParam<Case> {
protected:
  FusionNumerics() {
    slmc::registerAllPasses();
    slmc::loadAllDialects(context);
  }
  mlir::MLIRContext context;
};

/// Inputs for @forward: floats in [-1, 1), integers (token ids) in [0, 3],
/// dynamic dimensions 5.
std::vector<Tensor> randomInputs(mlir::func::FuncOp f, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<Tensor> inputs;
  for (mlir::Type t : f.getArgumentTypes()) {
    auto type = llvm::cast<mlir::RankedTensorType>(t);
    slmc::exec::Shape shape;
    for (int64_t d : type.getShape())
      shape.push_back(mlir::ShapedType::isDynamic(d) ? 5 : d);
    DType dtype = *slmc::exec::dtypeOf(type.getElementType());
    Tensor x = Tensor::zeros(dtype, shape);
    for (int64_t i = 0; i < x.size(); ++i) {
      if (dtype == DType::F32)
        x.data<float>()[i] = std::uniform_real_distribution<float>(-1, 1)(gen);
      else if (dtype == DType::I64)
        x.data<int64_t>()[i] = std::uniform_int_distribution<int64_t>(0, 3)(gen);
    }
    inputs.push_back(std::move(x));
  }
  return inputs;
}

std::vector<Tensor> run(mlir::func::FuncOp f, std::vector<Tensor> inputs) {
  auto executor = slmc::exec::Executor::create(f);
  if (!executor) {
    ADD_FAILURE() << llvm::toString(executor.takeError());
    return {};
  }
  auto results = (*executor)->run(std::move(inputs));
  if (!results) {
    ADD_FAILURE() << llvm::toString(results.takeError());
    return {};
  }
  return std::move(*results);
}

TEST_P(FusionNumerics, SameResultsAfterThePass) {
  std::string path = std::string(SLMC_SOURCE_DIR) + "/test/lit/passes/" + GetParam().file;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  ASSERT_TRUE(buffer) << path;
  llvm::SmallVector<llvm::StringRef> splits;
  (*buffer)->getBuffer().split(splits, "// -----");
  int checked = 0;
  for (auto [index, text] : llvm::enumerate(splits)) {
    std::string what = std::string(GetParam().file) + " split " + std::to_string(index);
    // The parser wants a null-terminated buffer.
    std::string source = text.str();
    auto before = mlir::parseSourceString<mlir::ModuleOp>(source, &context);
    auto after = mlir::parseSourceString<mlir::ModuleOp>(source, &context);
    ASSERT_TRUE(before && after) << what;
    mlir::PassManager pm(&context);
    ASSERT_TRUE(mlir::succeeded(mlir::parsePassPipeline(GetParam().pipeline, pm))) << what;
    ASSERT_TRUE(mlir::succeeded(pm.run(*after))) << what;
    for (auto f : before->getOps<mlir::func::FuncOp>()) {
      auto g = after->lookupSymbol<mlir::func::FuncOp>(f.getSymName());
      ASSERT_TRUE(g) << what;
      std::vector<Tensor> inputs = randomInputs(f, 1234 + index);
      auto want = run(f, inputs), got = run(g, inputs);
      ASSERT_EQ(want.size(), got.size()) << what;
      for (size_t r = 0; r < want.size(); ++r) {
        ASSERT_EQ(want[r].shape(), got[r].shape()) << what << " result " << r;
        if (want[r].dtype() != DType::F32)
          continue;
        for (int64_t i = 0; i < want[r].size(); ++i) {
          float a = want[r].data<float>()[i], b = got[r].data<float>()[i];
          ASSERT_LE(std::fabs(a - b), 1e-5 * (1 + std::fabs(a)))
              << what << " @" << f.getSymName().str() << " result " << r << " element " << i
              << ": " << b << " after the pass, " << a << " before";
        }
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Passes, FusionNumerics,
    ::testing::Values(Case{"canonicalize-shapes.mlir", "builtin.module(canonicalize)"},
                      Case{"refine-shapes.mlir", "builtin.module(slm-refine-shapes,canonicalize)"},
                      Case{"fuse-linear.mlir", "builtin.module(slm-fuse-linear)"},
                      Case{"fuse-activations.mlir", "builtin.module(slm-fuse-activations)"},
                      Case{"fuse-norms.mlir", "builtin.module(slm-fuse-norms)"},
                      Case{"fuse-rotary.mlir", "builtin.module(slm-fuse-rotary,canonicalize)"},
                      Case{"fuse-attention.mlir", "builtin.module(slm-fuse-attention,canonicalize)"},
                      Case{"fuse-projections.mlir", "builtin.module(slm-fuse-projections)"},
                      Case{"fuse-gated-mlp.mlir",
                           "builtin.module(slm-fuse-projections,slm-fuse-gated-mlp,canonicalize)"},
                      Case{"fuse-residual-norm.mlir", "builtin.module(slm-fuse-residual-norm)"},
                      Case{"fuse-elementwise.mlir", "builtin.module(slm-fuse-elementwise)"},
                      Case{"share-weights.mlir", "builtin.module(slm-share-weights)"},
                      Case{"sink-constants.mlir", "builtin.module(canonicalize,slm-sink-constants)"}),
    [](const ::testing::TestParamInfo<Case> &info) {
      std::string name = info.param.file;
      name = name.substr(0, name.find('.'));
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

} // namespace
