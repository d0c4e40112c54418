//===- GradientTest.cpp - reverse mode against finite differences ---------===//
//
// Every tiny Hugging Face decoder (each architecture's ops: GQA, q/k norms,
// biases, Llama 3 / linear / LongRoPE / partial rotary, sliding windows,
// Gemma's soft caps and scaled embeddings) is differentiated by the reference
// executor's reverse mode, and the gradient of a random linear function of
// its logits with respect to its weights and norm weights is checked against
// central differences of the same function, element by element; some also
// with their vocabulary tables cut into classes of rows.
//
//===----------------------------------------------------------------------===//

#include "compiler/executor/Executor.h"
#include "compiler/quant/TableRowClasses.h"
#include "compiler/runner/ModelLoader.h"
#include "compiler/runner/ReferenceModel.h"
#include "compiler/weights/WeightBlob.h"
#include "dialects/slm/IR/SlmDialect.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

namespace slmc {
namespace {

using exec::DType;
using exec::Tensor;

const std::string kData = SLMC_TEST_DATA_DIR;
const std::vector<int32_t> kTokens = {1, 17, 42, 5, 63, 28, 9, 33, 0, 51, 12, 2};

/// The f32 constants of @forward that hold more than a scalar (weights,
/// biases, norm weights; not rope frequencies, which get no gradient), with
/// their values.
struct Constant {
  mlir::Operation *op;
  exec::Shape shape;
  std::vector<float> values;
};
std::vector<Constant> floatConstants(mlir::ModuleOp module) {
  std::vector<Constant> out;
  slm::getForward(module).walk([&](slm::ConstantOp constant) {
    auto type = llvm::cast<mlir::RankedTensorType>(constant.getType());
    if (!type.getElementType().isF32() || type.getNumElements() < 2 || constant->use_empty() ||
        llvm::all_of(constant->getUsers(), [](mlir::Operation *user) {
          return llvm::isa<slm::RotaryOp>(user);
        }))
      return;
    Constant c{constant, exec::Shape(type.getShape()), {}};
    if (auto dense = llvm::dyn_cast<mlir::DenseElementsAttr>(constant.getValue())) {
      for (float v : dense.getValues<float>())
        c.values.push_back(v);
    } else {
      llvm::ArrayRef<char> bytes = weightBytes(constant.getValue());
      c.values.resize(bytes.size() / 4);
      std::memcpy(c.values.data(), bytes.data(), bytes.size());
    }
    out.push_back(std::move(c));
  });
  return out;
}

std::string describe(mlir::Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->getLoc().print(os);
  for (mlir::Operation *user : op->getUsers())
    os << " -> " << user->getName();
  return text;
}

/// Cuts every vocabulary table into three classes of rows in a scrambled
/// order (TableRowClasses.h), so that gradients run through the gathers,
/// the concat and the selects that put them back together.
void splitScrambled(mlir::ModuleOp module, int64_t vocab) {
  std::vector<double> importance(vocab);
  for (int64_t v = 0; v < vocab; ++v)
    importance[v] = double((v * 37) % vocab);
  EXPECT_GT(splitVocabularyTables(module, rankRows(importance, {0.25, 0.5})), 0);
}

class GradientOfDecoder : public testing::TestWithParam<std::tuple<const char *, bool>> {};

TEST_P(GradientOfDecoder, MatchesCentralDifferences) {
  auto [name, splitRows] = GetParam();
  auto imported = importModel(kData + "/tiny-hf/" + name);
  ASSERT_TRUE(static_cast<bool>(imported)) << llvm::toString(imported.takeError());
  if (splitRows) {
    auto unsplit = createReferenceModel(*imported->module, 16);
    ASSERT_TRUE(static_cast<bool>(unsplit)) << llvm::toString(unsplit.takeError());
    int64_t vocab = (*unsplit)->vocabSize();
    unsplit->reset();
    splitScrambled(*imported->module, vocab);
  }
  auto model = createReferenceModel(*imported->module, 16);
  ASSERT_TRUE(static_cast<bool>(model)) << llvm::toString(model.takeError());
  std::vector<Constant> constants = floatConstants(*imported->module);
  ASSERT_FALSE(constants.empty());
  std::vector<mlir::Operation *> ops;
  for (const Constant &c : constants)
    ops.push_back(c.op);

  // L = Σ R ⊙ logits with R fixed: dL/dlogits = R.
  const int64_t vocab = (*model)->vocabSize(), n = static_cast<int64_t>(kTokens.size());
  std::mt19937 random(7);
  std::normal_distribution<float> normal;
  Tensor r = Tensor::zeros(DType::F32, {n, vocab});
  for (int64_t i = 0; i < r.size(); ++i)
    r.data<float>()[i] = normal(random);
  auto loss = [&]() -> double {
    (*model)->reset();
    auto logits = (*model)->forward(kTokens);
    EXPECT_TRUE(static_cast<bool>(logits)) << llvm::toString(logits.takeError());
    double sum = 0;
    for (int64_t i = 0; i < r.size(); ++i)
      sum += double(r.data<float>()[i]) * logits->data<float>()[i];
    return sum;
  };
  auto gradients = (*model)->gradient(
      kTokens, [&](const Tensor &) -> llvm::Expected<Tensor> { return r; }, ops);
  ASSERT_TRUE(static_cast<bool>(gradients)) << llvm::toString(gradients.takeError());
  ASSERT_EQ(gradients->size(), constants.size());

  int checked = 0;
  for (size_t c = 0; c < constants.size(); ++c) {
    Constant &constant = constants[c];
    const Tensor &g = (*gradients)[c];
    ASSERT_EQ(g.size(), static_cast<int64_t>(constant.values.size()));
    // The largest gradient and a few random elements.
    std::vector<int64_t> probes;
    int64_t largest = 0;
    for (int64_t i = 0; i < g.size(); ++i)
      if (std::fabs(g.data<float>()[i]) > std::fabs(g.data<float>()[largest]))
        largest = i;
    probes.push_back(largest);
    for (int k = 0; k < 3; ++k)
      probes.push_back(std::uniform_int_distribution<int64_t>(0, g.size() - 1)(random));
    for (int64_t i : probes) {
      float original = constant.values[i];
      // A five-point stencil: its O(h⁴) truncation error allows a step
      // large enough for the f32 logits' rounding to fade.
      const float h = 0.03f;
      auto at = [&](float value) {
        constant.values[i] = value;
        llvm::cantFail((*model)->executor().replaceConstant(
            constant.op, Tensor::fromValues<float>(DType::F32, constant.shape, constant.values)));
        return loss();
      };
      double difference = (8 * (at(original + h) - at(original - h)) -
                           (at(original + 2 * h) - at(original - 2 * h))) /
                          (12.0 * h);
      at(original);
      double analytic = g.data<float>()[i];
      EXPECT_NEAR(analytic, difference, 2e-2 * std::max(std::fabs(analytic), 1.0))
          << name << " constant " << c << " " << describe(constant.op) << " element " << i;
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

INSTANTIATE_TEST_SUITE_P(HuggingFace, GradientOfDecoder,
                         testing::Combine(testing::Values("llama-bf16", "llama-f16-sharded",
                                                          "qwen2", "qwen3", "llama3-rope",
                                                          "llama-linear-rope", "phi3-longrope",
                                                          "phi3-partial", "mistral-window",
                                                          "gemma2-softcap", "gemma3-local"),
                                          testing::Values(false)));
// Tied (qwen3, gemma2) and separate (llama-bf16) tables cut into row classes.
INSTANTIATE_TEST_SUITE_P(TableRowClasses, GradientOfDecoder,
                         testing::Combine(testing::Values("llama-bf16", "qwen3",
                                                          "gemma2-softcap"),
                                          testing::Values(true)));

/// A path through an op without a product is an error naming the op.
TEST(Gradient, NamesAnOpWithoutAProduct) {
  mlir::MLIRContext context;
  context.loadDialect<slm::SlmDialect, mlir::func::FuncDialect>();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(R"mlir(
    func.func @forward(%x: tensor<3xf32>) -> tensor<3xf32> {
      %w = slm.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
      %y = slm.mul %x, %w : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
      %z = slm.exp %y : tensor<3xf32>
      return %z : tensor<3xf32>
    })mlir",
                                                        &context);
  ASSERT_TRUE(module);
  auto forward = module->lookupSymbol<mlir::func::FuncOp>("forward");
  auto executor = exec::Executor::create(forward);
  ASSERT_TRUE(static_cast<bool>(executor));
  mlir::Operation *w = &forward.getBody().front().front();
  auto gradient = (*executor)->gradient(
      {Tensor::fromValues<float>(DType::F32, {3}, {1.0f, 1.0f, 1.0f})},
      [](llvm::ArrayRef<Tensor> results) -> llvm::Expected<std::vector<Tensor>> {
        return std::vector<Tensor>{Tensor::fromValues<float>(DType::F32, {3}, {1, 1, 1})};
      },
      {w});
  ASSERT_FALSE(static_cast<bool>(gradient));
  std::string message = llvm::toString(gradient.takeError());
  EXPECT_NE(message.find("slm.exp"), std::string::npos) << message;
  EXPECT_NE(message.find("has no gradient"), std::string::npos) << message;
}

} // namespace
} // namespace slmc
