//===- QuantizedModelTest.cpp - compiled quantized models against the oracle -===//
//
// A model whose weights are quantized (slm.dequantize of packed codes) runs
// on the reference executor as fake quantization. Compiled, the same module
// must compute the same logits within rounding, whether a sequence is
// prefilled at once, in chunks, or decoded token by token: stories260K (172
// wide FFN rows, ragged for groups of 32) and the distilled student in every
// kind of format, on the dedicated 4- and 8-bit kernels (both the AVX-512 and
// the generic ones) and the generic kernel. W8A8 changes the numerics; it must
// stay close to the weight-only reference and agree with itself across ways
// of feeding the sequence. No float copy of a quantized matrix may exist in
// the artifact or in the arena.
//
//===----------------------------------------------------------------------===//

#include "compiler/artifact/ArtifactReader.h"
#include "compiler/driver/Compile.h"
#include "compiler/runner/ModelLoader.h"
#include "compiler/runner/Perplexity.h"
#include "compiler/runner/ReferenceModel.h"
#include "compiler/runner/RuntimeModel.h"
#include "compiler/quant/Codebook.h"
#include "compiler/quant/QuantScheme.h"
#include "compiler/quant/TableRowClasses.h"
#include "compiler/quant/WeightTensors.h"
#include "compiler/targets/Target.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/Pass/PassManager.h"
#include "passes/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include "test/unit/driver/CollectLogits.h"

#include <gtest/gtest.h>

#include <cmath>

namespace slmc {
namespace {

const std::string kData = SLMC_TEST_DATA_DIR;
// Ids below 512: stories260K's vocabulary.
const std::vector<int32_t> kTokens{1, 403, 407, 261, 378, 308, 268, 300, 110, 286};
constexpr int64_t kContext = 32;

struct QuantizedCase {
  const char *name;
  std::string model, tokenizer;
  const char *format;
  const char *target;
  bool w8a8;
  // To the fake-quantized reference: the largest logit difference, and the
  // mean KL divergence of the next-token distributions.
  float tolerance;
  double maxKl;
  bool int8KvCache = false; // the reference runs the slm-quantize-kv-cache module too
  // The vocabulary's tables cut into three classes of rows (TableRowClasses.h)
  // in int8, `format` and cb2-g64.
  bool rowClasses = false;
};

void PrintTo(const QuantizedCase &c, std::ostream *os) { *os << c.name; }

/// The mean over positions of KL(softmax(p) || softmax(q)), rows of `vocab` logits.
double meanKl(const std::vector<float> &p, const std::vector<float> &q, int64_t vocab) {
  double total = 0;
  int64_t rows = static_cast<int64_t>(p.size()) / vocab;
  for (int64_t r = 0; r < rows; ++r) {
    auto logSoftmax = [&](const float *x) {
      double largest = *std::max_element(x, x + vocab), sum = 0;
      for (int64_t i = 0; i < vocab; ++i)
        sum += std::exp(x[i] - largest);
      std::vector<double> out(vocab);
      for (int64_t i = 0; i < vocab; ++i)
        out[i] = x[i] - largest - std::log(sum);
      return out;
    };
    std::vector<double> lp = logSoftmax(p.data() + r * vocab), lq = logSoftmax(q.data() + r * vocab);
    for (int64_t i = 0; i < vocab; ++i)
      total += std::exp(lp[i]) * (lp[i] - lq[i]);
  }
  return total / static_cast<double>(rows);
}

float largestDifference(const std::vector<float> &a, const std::vector<float> &b) {
  EXPECT_EQ(a.size(), b.size());
  float worst = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

/// Replaces every linear and embedding weight by its round-to-nearest
/// quantization in `format` (codebooks fitted to each), as `slmc compile
/// --quant FORMAT` does without calibration data.
void quantizeAll(mlir::ModuleOp module, llvm::StringRef format) {
  for (const WeightTensor &w : collectWeightTensors(module)) {
    llvm::StringRef name = w.name;
    TensorFormat parsed = llvm::cantFail(parseTensorFormat(
        name.ends_with(".rows0") ? "int8" : name.ends_with(".rows2") ? "cb2-g64" : format));
    std::vector<float> codebook;
    if (parsed->codebook)
      codebook = fitCodebook(w.values, w.rows, w.columns, *parsed, {1.0f});
    replaceWithQuantized(
        w, quantizeRoundToNearest(w.values, w.rows, w.columns, *parsed, 1.0f, codebook));
  }
}

/// A scrambled order of `vocab` rows cut into classes of a quarter, a half
/// and a quarter.
RowClasses scrambledClasses(int64_t vocab) {
  std::vector<double> importance(vocab);
  for (int64_t v = 0; v < vocab; ++v)
    importance[v] = double((v * 37) % vocab);
  return rankRows(importance, {0.25, 0.5});
}

/// The model imported and quantized, its fake-quantized reference, and its
/// compiled artifact.
struct QuantizedModel {
  ImportedModel imported;
  mlir::OwningOpRef<mlir::ModuleOp> referenceModule; // what `reference` runs
  std::unique_ptr<ReferenceModel> reference;
  llvm::SmallString<128> artifactPath;
  CompiledModel compiled;
  int64_t largestQuantizedBytes = 0; // of one quantized matrix as f32

  ~QuantizedModel() {
    if (!artifactPath.empty())
      llvm::sys::fs::remove(artifactPath);
  }
};

void build(const QuantizedCase &c, int64_t context, int64_t tokensPerCall, QuantizedModel &m) {
  auto imported = importModel(c.model);
  ASSERT_TRUE(static_cast<bool>(imported)) << llvm::toString(imported.takeError());
  m.imported = std::move(*imported);
  mlir::ModuleOp module = *m.imported.module;
  if (c.rowClasses)
    ASSERT_GT(splitVocabularyTables(module, scrambledClasses(m.imported.contract.vocabSize)), 0);
  quantizeAll(module, c.format);
  for (const WeightTensor &w : collectWeightTensors(module)) // float weights left over
    ADD_FAILURE() << w.name << " was not quantized";
  module.walk([&](slm::DequantizeOp op) {
    m.largestQuantizedBytes = std::max(
        m.largestQuantizedBytes, llvm::cast<mlir::RankedTensorType>(op.getType()).getNumElements() * 4);
  });
  if (c.int8KvCache) { // the reference reads and writes the same int8 cache rows
    mlir::PassManager pm(module.getContext());
    pm.addPass(createQuantizeKvCache());
    ASSERT_TRUE(mlir::succeeded(pm.run(module)));
  }
  // The reference runs a copy: code generation consumes the module.
  m.referenceModule = module.clone();
  auto reference = createReferenceModel(*m.referenceModule, context);
  ASSERT_TRUE(static_cast<bool>(reference)) << llvm::toString(reference.takeError());
  m.reference = std::move(*reference);

  CompileOptions options;
  options.target = c.target;
  options.maxContext = context;
  options.maxTokensPerCall = tokensPerCall;
  options.weightFormat = c.format;
  options.w8a8 = c.w8a8;
  options.int8KvCache = c.int8KvCache;
  auto tokenizer = llvm::MemoryBuffer::getFile(c.tokenizer, /*IsText=*/false);
  ASSERT_TRUE(static_cast<bool>(tokenizer)) << c.tokenizer;
  options.tokenizer = (*tokenizer)->getBuffer().str();
  auto contents = buildArtifact(module, options, m.compiled);
  ASSERT_TRUE(static_cast<bool>(contents)) << llvm::toString(contents.takeError());
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("quantized-model", "slmpack", m.artifactPath));
  llvm::Error written = writeArtifact(*contents, m.artifactPath);
  ASSERT_FALSE(static_cast<bool>(written)) << llvm::toString(std::move(written));
}

class QuantizedModelTest : public testing::TestWithParam<QuantizedCase> {};

TEST_P(QuantizedModelTest, LogitsMatchTheFakeQuantizedReference) {
  const QuantizedCase &c = GetParam();
  if (auto target = resolveTarget(c.target);
      !target || !missingHostFeatures(target->requiredFeatures).empty())
    GTEST_SKIP() << "this CPU cannot run " << c.target;
  QuantizedModel m;
  // Four tokens per call: the 10-token prefill takes three calls, the last
  // of two tokens (decode kernels), the first two of four (the GEMM).
  ASSERT_NO_FATAL_FAILURE(build(c, kContext, 4, m));

  // Packed codes and f16 scales only: no f32 tensor of a quantized size, and
  // an arena too small to hold even one decoded matrix.
  auto manifest = readArtifactManifest(m.artifactPath);
  ASSERT_TRUE(static_cast<bool>(manifest)) << llvm::toString(manifest.takeError());
  int64_t codes = 0, scales = 0;
  for (const auto &tensor : manifest->manifest.tensors()) {
    codes += tensor.dtype() == "i8";
    scales += tensor.dtype() == "f16";
    if (tensor.dtype() == "f32")
      EXPECT_EQ(tensor.shape_size(), 1) << tensor.name() << " is a float matrix";
  }
  EXPECT_GT(codes, 0);
  EXPECT_EQ(codes, scales - (llvm::StringRef(c.format).ends_with("asym") ? codes : 0));
  EXPECT_LT(static_cast<int64_t>(m.compiled.arenaSize), m.largestQuantizedBytes);
  EXPECT_EQ(manifest->manifest.options().w8a8(), c.w8a8);
  EXPECT_EQ(manifest->manifest.options().kv_cache(), c.int8KvCache ? "int8" : "f32");

  std::vector<float> expected = collectLogits(*m.reference, kTokens, kTokens.size());
  auto artifact = openArtifact(m.artifactPath);
  ASSERT_TRUE(static_cast<bool>(artifact)) << llvm::toString(artifact.takeError());
  std::vector<float> prefill;
  for (int threads : {1, 2}) {
    auto compiled = createRuntimeModel(artifact->artifact, threads);
    ASSERT_TRUE(static_cast<bool>(compiled)) << llvm::toString(compiled.takeError());
    for (size_t step : {kTokens.size(), size_t{3}, size_t{1}}) {
      std::vector<float> actual = collectLogits(**compiled, kTokens, step);
      std::string what = std::string(c.name) + ", threads " + std::to_string(threads) + ", " +
                         std::to_string(step) + " tokens per call";
      EXPECT_LE(largestDifference(actual, expected), c.tolerance) << what;
      EXPECT_LE(meanKl(expected, actual, m.imported.contract.vocabSize), c.maxKl) << what;
      if (prefill.empty())
        prefill = actual;
      // W8A8 quantizes each token's activations on its own: a token gets the
      // same numbers whichever call it comes in, up to the f32 rounding of
      // the other kernels.
      EXPECT_LE(largestDifference(actual, prefill), 1e-3f) << what << " against the prefill";
    }
  }
  // W8A8 is really on: its logits move away from the weight-only ones.
  if (c.w8a8)
    EXPECT_GT(largestDifference(prefill, expected), 1e-3f) << c.name;
}

const std::string kStudent = kData + "/tinystories-student";
const std::string kStories = kData + "/stories260K/stories260K.bin";

INSTANTIATE_TEST_SUITE_P(
    Formats, QuantizedModelTest,
    testing::Values(
        // name, model, tokenizer, format, target, w8a8, tolerance, maxKl
        QuantizedCase{"stories260K_int4_g32", kStories, kData + "/stories260K/tok512.bin",
                      "int4-g32", "host", false, 1e-4f, 1e-9},
        QuantizedCase{"student_int8", kStudent, kStudent + "/tokenizer.json", "int8", "host",
                      false, 1e-4f, 1e-9},
        QuantizedCase{"student_int4_g32_asym_avx2", kStudent, kStudent + "/tokenizer.json",
                      "int4-g32-asym", "x86-64-avx2", false, 1e-4f, 1e-9},
        QuantizedCase{"student_int3_g32", kStudent, kStudent + "/tokenizer.json", "int3-g32",
                      "host", false, 1e-4f, 1e-9},
        QuantizedCase{"student_int5_g128", kStudent, kStudent + "/tokenizer.json", "int5-g128",
                      "host", false, 1e-4f, 1e-9},
        // 5- to 7-bit codes on AVX2 targets: wide_avx2.
        QuantizedCase{"student_int6_g64_avx2", kStudent, kStudent + "/tokenizer.json", "int6-g64",
                      "x86-64-avx2", false, 1e-4f, 1e-9},
        // Codebooks: 4-bit by table lookups on AVX-512 (q4_avx512) and on
        // AVX2 (table_avx2); 3-bit on stories260K's ragged rows.
        QuantizedCase{"student_cb4_g32", kStudent, kStudent + "/tokenizer.json", "cb4-g32",
                      "host", false, 1e-4f, 1e-9},
        QuantizedCase{"student_cb4_g64_avx2", kStudent, kStudent + "/tokenizer.json", "cb4-g64",
                      "x86-64-avx2", false, 1e-4f, 1e-9},
        QuantizedCase{"stories260K_cb3_g32", kStories, kData + "/stories260K/tok512.bin",
                      "cb3-g32", "host", false, 1e-4f, 1e-9},
        // int8 KV cache: compiled kernels and the reference quantize every
        // key and value row alike, whatever the call it comes in.
        QuantizedCase{"stories260K_int4_g32_kv_int8", kStories,
                      kData + "/stories260K/tok512.bin", "int4-g32", "host", false, 1e-4f, 1e-9,
                      true},
        QuantizedCase{"student_cb4_g32_kv_int8_avx2", kStudent, kStudent + "/tokenizer.json",
                      "cb4-g32", "x86-64-avx2", false, 1e-4f, 1e-9, true},
        // A tied table in three classes of rows (int8, the format, cb2-g64):
        // logits joined along the vocabulary and put back in its order, rows
        // looked up in the class that holds them.
        QuantizedCase{"student_cb4_g32_row_classes", kStudent, kStudent + "/tokenizer.json",
                      "cb4-g32", "host", false, 1e-4f, 1e-9, false, true},
        QuantizedCase{"stories260K_int4_g32_row_classes_avx2", kStories,
                      kData + "/stories260K/tok512.bin", "int4-g32", "x86-64-avx2", false, 1e-4f,
                      1e-9, false, true},
        QuantizedCase{"student_int8_w8a8", kStudent, kStudent + "/tokenizer.json", "int8", "host",
                      true, 1.0f, 0.01},
        QuantizedCase{"student_int8_g32_w8a8_avx2", kStudent, kStudent + "/tokenizer.json",
                      "int8-g32", "x86-64-avx2", true, 1.0f, 0.01}),
    [](const testing::TestParamInfo<QuantizedCase> &info) { return info.param.name; });

/// Cut into classes of rows, a float model computes exactly what it did:
/// the same dot products and the same rows, put back in the vocabulary's
/// order (the split's IR on the reference executor, and compiled).
TEST(TableRowClasses, LeaveTheFloatModelsLogitsUnchanged) {
  for (const std::string &model : {kStudent, kStories}) {
    auto imported = importModel(model);
    ASSERT_TRUE(static_cast<bool>(imported)) << llvm::toString(imported.takeError());
    auto unsplit = createReferenceModel(*imported->module, kContext);
    ASSERT_TRUE(static_cast<bool>(unsplit)) << llvm::toString(unsplit.takeError());
    mlir::OwningOpRef<mlir::ModuleOp> split = imported->module->clone();
    ASSERT_GT(splitVocabularyTables(*split, scrambledClasses(imported->contract.vocabSize)), 0);
    auto reference = createReferenceModel(*split, kContext);
    ASSERT_TRUE(static_cast<bool>(reference)) << llvm::toString(reference.takeError());
    for (size_t step : {kTokens.size(), size_t{1}})
      EXPECT_EQ(collectLogits(**reference, kTokens, step),
                collectLogits(**unsplit, kTokens, step))
          << model << ", " << step << " tokens per call";
  }
}

/// What `slmc eval --teacher` reports for a quantized artifact (perplexity,
/// KL to the float model) is what the fake-quantized reference gives.
TEST(QuantizedModelEval, PerplexityAndKlMatchTheFakeQuantizedReference) {
  const std::string model = kData + "/tinystories-656k";
  QuantizedCase c{"tinystories_656k_int4_g32", model, model + "/tokenizer.json", "int4-g32",
                  "host", false, 0, 0};
  QuantizedModel m;
  ASSERT_NO_FATAL_FAILURE(build(c, 128, 64, m));
  auto teacher = openRunnable(model, "", 1, 128);
  ASSERT_TRUE(static_cast<bool>(teacher)) << llvm::toString(teacher.takeError());
  auto text = llvm::MemoryBuffer::getFile(kData + "/text/tinystories_train_head.txt");
  ASSERT_TRUE(static_cast<bool>(text));
  auto tokens = teacher->tokenizer->encode((*text)->getBuffer().take_front(6000), true);
  ASSERT_TRUE(static_cast<bool>(tokens));
  ScoredWindows windows = cutScoredWindows(*tokens, 128, m.imported.contract.bosTokenId);
  ASSERT_GE(windows.windows.size(), 4u);

  auto artifact = openArtifact(m.artifactPath);
  ASSERT_TRUE(static_cast<bool>(artifact)) << llvm::toString(artifact.takeError());
  auto compiled = createRuntimeModel(artifact->artifact, 1);
  ASSERT_TRUE(static_cast<bool>(compiled)) << llvm::toString(compiled.takeError());
  auto got = evaluatePerplexity(**compiled, windows, teacher->model.get());
  auto want = evaluatePerplexity(*m.reference, windows, teacher->model.get());
  ASSERT_TRUE(static_cast<bool>(got)) << llvm::toString(got.takeError());
  ASSERT_TRUE(static_cast<bool>(want)) << llvm::toString(want.takeError());
  EXPECT_NEAR(got->perplexity, want->perplexity, 1e-4 * want->perplexity);
  EXPECT_NEAR(*got->klToTeacher, *want->klToTeacher, 1e-4);
  EXPECT_GT(*want->klToTeacher, 1e-3); // int4 is not the float model
}

} // namespace
} // namespace slmc
