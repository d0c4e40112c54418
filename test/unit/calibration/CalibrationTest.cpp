//===- CalibrationTest.cpp - weight rewriting and calibration hooks -------===//

#include "compiler/InitAll.h"
#include "compiler/calibration/CalibrationData.h"
#include "compiler/calibration/LayerHessians.h"
#include "compiler/runner/ModelLoader.h"
#include "compiler/runner/ReferenceModel.h"
#include "compiler/executor/Executor.h"
#include "compiler/quant/WeightTensors.h"
#include "compiler/weights/WeightBlob.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

namespace slmc {
namespace {

using exec::DType;
using exec::Tensor;

/// forward(%ids: [T] i64, %x: [T, 4] f32) -> (embedding(table, ids) [T, 4],
/// linear(x, table) [T, 6], linear(x, w) [T, 3]): a tied table and a plain weight.
struct TinyModel {
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp function;
  std::vector<float> table, weight;

  TinyModel() {
    loadAllDialects(context);
    for (int i = 0; i < 24; ++i)
      table.push_back(0.1f * (i % 7) - 0.3f);
    for (int i = 0; i < 12; ++i)
      weight.push_back(0.05f * i - 0.2f);
    mlir::OpBuilder b(&context);
    auto loc = b.getUnknownLoc();
    module = mlir::ModuleOp::create(loc);
    b.setInsertionPointToEnd(module->getBody());
    auto f32 = b.getF32Type();
    auto dyn = mlir::ShapedType::kDynamic;
    auto ids = mlir::RankedTensorType::get({dyn}, b.getI64Type());
    auto x = mlir::RankedTensorType::get({dyn, 4}, f32);
    llvm::SmallVector<mlir::Type> results = {x, mlir::RankedTensorType::get({dyn, 6}, f32),
                                             mlir::RankedTensorType::get({dyn, 3}, f32)};
    function = b.create<mlir::func::FuncOp>(loc, "forward", b.getFunctionType({ids, x}, results));
    mlir::Block *body = function.addEntryBlock();
    b.setInsertionPointToStart(body);
    mlir::Value t = b.create<slm::ConstantOp>(
        loc, ownWeight(mlir::RankedTensorType::get({6, 4}, f32), "table", table));
    mlir::Value w = b.create<slm::ConstantOp>(
        loc, ownWeight(mlir::RankedTensorType::get({3, 4}, f32), "w", weight));
    mlir::Value e = b.create<slm::EmbeddingOp>(loc, results[0], t, body->getArgument(0));
    mlir::Value head = b.create<slm::LinearOp>(loc, results[1], body->getArgument(1), t, nullptr);
    mlir::Value y = b.create<slm::LinearOp>(loc, results[2], body->getArgument(1), w, nullptr);
    b.create<mlir::func::ReturnOp>(loc, mlir::ValueRange{e, head, y});
  }

  std::vector<Tensor> inputs(const std::vector<float> &x) const {
    int64_t tokens = static_cast<int64_t>(x.size()) / 4;
    std::vector<int64_t> ids(tokens);
    for (int64_t i = 0; i < tokens; ++i)
      ids[i] = (i * 5) % 6;
    return {Tensor::fromValues<int64_t>(DType::I64, {tokens}, ids),
            Tensor::fromValues<float>(DType::F32, {tokens, 4}, x)};
  }
};

const std::vector<float> kInputs = {1, 2, -1, 0.5, 0, 3, 1, -2, 0.25, -1, 2, 1};

TEST(WeightTensors, FindsLinearWeightsAndTiedTables) {
  TinyModel m;
  std::vector<WeightTensor> weights = collectWeightTensors(*m.module);
  ASSERT_EQ(weights.size(), 2u);
  EXPECT_EQ(weights[0].name, "table");
  EXPECT_TRUE(weights[0].feedsLinear && weights[0].feedsEmbedding);
  EXPECT_EQ(weights[1].name, "w");
  EXPECT_TRUE(weights[1].feedsLinear && !weights[1].feedsEmbedding);
  EXPECT_EQ(weights[1].values[1], m.weight[1]);
  WeightBits bits = countWeightBits(*m.module);
  EXPECT_EQ(bits.parameters, 36);
  EXPECT_EQ(bits.bitsPerWeight(), 32);
}

TEST(WeightTensors, RewrittenModelRunsTheFakeQuantizedWeights) {
  TinyModel m;
  std::vector<WeightTensor> weights = collectWeightTensors(*m.module);
  slm::WeightFormat format{4, 0, true};
  std::vector<std::vector<float>> decoded;
  for (const WeightTensor &w : weights) {
    QuantizedWeight q = quantizeRoundToNearest(w.values, w.rows, w.columns, format);
    decoded.push_back(q.dequantized());
    replaceWithQuantized(w, q);
  }
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*m.module)));
  EXPECT_TRUE(collectWeightTensors(*m.module).empty());
  WeightBits bits = countWeightBits(*m.module);
  EXPECT_EQ(bits.parameters, 36);
  EXPECT_EQ(bits.bits, 9 * (16 + 16)); // per row: 4 codes in 2 bytes, one f16 scale

  auto executor = exec::Executor::create(m.function);
  ASSERT_TRUE(static_cast<bool>(executor)) << llvm::toString(executor.takeError());
  auto out = (*executor)->run(m.inputs(kInputs));
  ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
  // Token 1 has id 5: the embedding returns row 5 of the decoded table.
  for (int c = 0; c < 4; ++c)
    EXPECT_EQ((*out)[0].data<float>()[4 + c], decoded[0][5 * 4 + c]);
  for (int r = 0; r < 3; ++r) {
    float expected = 0;
    for (int c = 0; c < 4; ++c)
      expected += kInputs[c] * decoded[1][r * 4 + c];
    EXPECT_NEAR((*out)[2].data<float>()[r], expected, 1e-6);
  }
}

TEST(LayerHessians, SumsTheSecondMomentOfLinearInputs) {
  TinyModel m;
  std::vector<WeightTensor> weights = collectWeightTensors(*m.module);
  auto executor = exec::Executor::create(m.function);
  ASSERT_TRUE(static_cast<bool>(executor)) << llvm::toString(executor.takeError());
  LayerHessians hessians(weights);
  hessians.attach(**executor);
  for (int run = 0; run < 2; ++run)
    ASSERT_TRUE(static_cast<bool>((*executor)->run(m.inputs(kInputs))));
  llvm::Error detached = hessians.detach(**executor);
  ASSERT_FALSE(static_cast<bool>(detached)) << llvm::toString(std::move(detached));
  ASSERT_TRUE(static_cast<bool>((*executor)->run(m.inputs(kInputs)))); // no longer counted
  for (size_t w : {0, 1}) {
    llvm::ArrayRef<double> h = hessians.of(w);
    ASSERT_EQ(h.size(), 16u);
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        double expected = 0;
        for (int t = 0; t < 3; ++t)
          expected += 2.0 * kInputs[t * 4 + i] * kInputs[t * 4 + j];
        EXPECT_NEAR(h[i * 4 + j], expected, 1e-5) << i << "," << j;
      }
  }
  // Both linears read x: one H, computed once (the sums above are not doubled) and stored once.
  EXPECT_EQ(hessians.of(0).data(), hessians.of(1).data());
}

TEST(Executor, ReplacesConstantsForTrials) {
  TinyModel m;
  std::vector<WeightTensor> weights = collectWeightTensors(*m.module);
  auto executor = exec::Executor::create(m.function);
  ASSERT_TRUE(static_cast<bool>(executor)) << llvm::toString(executor.takeError());
  std::vector<float> zeros(12, 0.0f);
  llvm::Error misfit =
      (*executor)->replaceConstant(weights[1].constant, Tensor::fromValues<float>(DType::F32, {4, 3}, zeros));
  EXPECT_NE(llvm::toString(std::move(misfit)).find("does not fit"), std::string::npos);
  llvm::Error replaced =
      (*executor)->replaceConstant(weights[1].constant, Tensor::fromValues<float>(DType::F32, {3, 4}, zeros));
  ASSERT_FALSE(static_cast<bool>(replaced)) << llvm::toString(std::move(replaced));
  auto out = (*executor)->run(m.inputs(kInputs));
  ASSERT_TRUE(static_cast<bool>(out));
  EXPECT_EQ((*out)[2].data<float>()[0], 0.0f);
  EXPECT_NE((*out)[1].data<float>()[0], 0.0f);
}

} // namespace
} // namespace slmc

namespace slmc {
namespace {

/// Two tiny random models with one vocabulary (64): the teacher's soft
/// targets and the student's divergence from them, dense and top-k.
struct TeacherAndStudent {
  std::unique_ptr<LanguageModel> teacher, student;
  std::vector<std::vector<int32_t>> windows = {{1, 17, 42, 5, 63, 28, 9, 33, 0, 51, 12, 2},
                                               {1, 5, 5, 6, 40, 41, 3, 22, 60, 8}};
  ImportedModel teacherIR, studentIR;

  TeacherAndStudent() {
    std::string data = SLMC_TEST_DATA_DIR;
    auto t = importModel(data + "/tiny-hf/qwen3");
    auto s = importModel(data + "/tiny-hf/llama3-rope");
    EXPECT_TRUE(static_cast<bool>(t) && static_cast<bool>(s));
    teacherIR = std::move(*t);
    studentIR = std::move(*s);
    teacher = std::move(*createReferenceModel(*teacherIR.module, 16));
    student = std::move(*createReferenceModel(*studentIR.module, 16));
  }
};

TEST(SoftTargets, TopKBracketsTheFullKl) {
  TeacherAndStudent m;
  auto dense = SoftTargets::compute(*m.teacher, m.windows);
  ASSERT_TRUE(static_cast<bool>(dense)) << llvm::toString(dense.takeError());
  auto full = dense->compare(*m.student, m.windows);
  ASSERT_TRUE(static_cast<bool>(full));
  EXPECT_GT(full->kl, 0.1);
  EXPECT_EQ(full->klUpperBound, full->kl);
  for (int64_t k : {1, 4, 16, 48}) {
    auto top = SoftTargets::compute(*m.teacher, m.windows, k);
    ASSERT_TRUE(static_cast<bool>(top));
    EXPECT_EQ(top->topK(), k);
    EXPECT_GT(top->meanTailMass(), 0);
    auto bracket = top->compare(*m.student, m.windows);
    ASSERT_TRUE(static_cast<bool>(bracket));
    // Coarsening loses divergence (data processing); the per-position bound covers the loss.
    EXPECT_LE(bracket->kl, full->kl + 1e-9) << "k " << k;
    EXPECT_GE(bracket->klUpperBound, full->kl - 1e-9) << "k " << k;
    EXPECT_EQ(bracket->top1, full->top1);
  }
  // Keeping (almost) everything is the dense KL.
  auto all = SoftTargets::compute(*m.teacher, m.windows, 63);
  auto nearly = all->compare(*m.student, m.windows);
  EXPECT_NEAR(nearly->kl, full->kl, 1e-3);
}

/// What scale tuning descends: klGradient's KL is compare()'s, and its
/// gradient is the KL's derivative in each logit (dense and top-k targets).
TEST(SoftTargets, KlGradientIsTheDerivativeOfTheKl) {
  TeacherAndStudent m;
  for (int64_t k : {0, 8}) {
    auto targets = SoftTargets::compute(*m.teacher, m.windows, k);
    ASSERT_TRUE(static_cast<bool>(targets)) << llvm::toString(targets.takeError());
    auto agreement = targets->compare(*m.student, m.windows);
    ASSERT_TRUE(static_cast<bool>(agreement));
    double sum = 0;
    int64_t positions = 0;
    for (size_t w = 0; w < m.windows.size(); ++w) {
      m.student->reset();
      auto logits = m.student->forward(m.windows[w]);
      ASSERT_TRUE(static_cast<bool>(logits));
      exec::Tensor gradient;
      auto kl = targets->klGradient(w, *logits, gradient);
      ASSERT_TRUE(static_cast<bool>(kl)) << llvm::toString(kl.takeError());
      sum += *kl;
      positions += static_cast<int64_t>(m.windows[w].size());
      if (w > 0)
        continue;
      exec::Tensor z = exec::Tensor::zeros(exec::DType::F32, logits->shape());
      std::copy_n(logits->data<float>(), logits->size(), z.data<float>());
      for (int64_t i : {int64_t(3), int64_t(70), z.size() / 2, z.size() - 1}) {
        const float h = 1e-2f, original = z.data<float>()[i];
        auto at = [&](float value) {
          z.data<float>()[i] = value;
          exec::Tensor unused;
          return *targets->klGradient(w, z, unused);
        };
        double difference = (at(original + h) - at(original - h)) / (2 * h);
        z.data<float>()[i] = original;
        EXPECT_NEAR(gradient.data<float>()[i], difference, 1e-3) << "k " << k << " logit " << i;
      }
    }
    EXPECT_NEAR(sum / positions, agreement->kl, 1e-9 + 1e-6 * agreement->kl) << "k " << k;
  }
}

TEST(SoftTargets, KeepsDenseTargetsWhileTheyFit) {
  EXPECT_EQ(SoftTargets::topKFor(4096, 512), 0);  // TinyStories: 8 MB
  EXPECT_EQ(SoftTargets::topKFor(4096, 151936), kTopTargets); // Qwen: 2.5 GB dense
  EXPECT_EQ(SoftTargets::topKFor(1 << 20, 100), 0); // no fewer tokens than k to keep
}

} // namespace
} // namespace slmc
