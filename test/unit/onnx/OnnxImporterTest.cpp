//===- OnnxImporterTest.cpp - the ONNX importer ---------------------------===//
//
// Imports ONNX's own node tests and small models built here with the
// protobuf API, checks the IR, and runs it on the reference executor against
// expected values.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/OnnxImporter.h"
#include "compiler/executor/Executor.h"
#include "compiler/frontends/onnx/OnnxTensorFile.h"
#include "compiler/weights/WeightBlob.h"
#include "dialects/slm/IR/SlmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <set>

namespace slmc {
namespace {

using exec::DType;
using exec::Tensor;

const std::string kData = SLMC_TEST_DATA_DIR;
const std::string kNodeTests = "/usr/share/libonnx-testdata/data/node";

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

class TempDir {
public:
  TempDir() {
    llvm::SmallString<128> path;
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("slmc-onnx-test", path));
    path_ = path.str().str();
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path_); }
  std::string file(llvm::StringRef name) const { return path_ + "/" + name.str(); }

private:
  std::string path_;
};

void writeFile(const std::string &path, llvm::StringRef bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), bytes.size());
}

struct Imported {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;

  mlir::func::FuncOp function() { return module->lookupSymbol<mlir::func::FuncOp>("forward"); }
  std::multiset<std::string> opNames() {
    std::multiset<std::string> names;
    function().walk([&](mlir::Operation *op) { names.insert(op->getName().getStringRef().str()); });
    return names;
  }
  std::string functionType() {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << function().getFunctionType();
    return text;
  }
};

Imported importOk(const std::string &path) {
  Imported imported{std::make_unique<mlir::MLIRContext>(), nullptr};
  auto module = importOnnx(*imported.context, path);
  if (!module) {
    ADD_FAILURE() << llvm::toString(module.takeError());
    return imported;
  }
  imported.module = std::move(*module);
  EXPECT_TRUE(mlir::succeeded(mlir::verify(*imported.module)));
  return imported;
}

/// The import error's message; `unsupported` says which kind it must be.
std::string importError(const std::string &path, bool unsupported) {
  mlir::MLIRContext context;
  auto module = importOnnx(context, path);
  if (module) {
    ADD_FAILURE() << path << " imported, an error was expected";
    return "";
  }
  EXPECT_EQ(module.errorIsA<OnnxUnsupportedError>(), unsupported);
  return llvm::toString(module.takeError());
}

std::vector<Tensor> run(Imported &imported, std::vector<Tensor> inputs) {
  auto executor = exec::Executor::create(imported.function());
  if (!executor) {
    ADD_FAILURE() << llvm::toString(executor.takeError());
    return {};
  }
  auto outputs = (*executor)->run(std::move(inputs));
  if (!outputs) {
    ADD_FAILURE() << llvm::toString(outputs.takeError());
    return {};
  }
  return std::move(*outputs);
}

/// numpy.testing.assert_allclose(rtol=1e-3, atol=1e-7), as the ONNX backend tests.
void expectClose(const Tensor &actual, const Tensor &expected, const std::string &what) {
  ASSERT_EQ(actual.describe(), expected.describe()) << what;
  for (int64_t i = 0; i < expected.size(); ++i) {
    float a = actual.floatAt(i), e = expected.floatAt(i);
    if (std::isnan(e))
      EXPECT_TRUE(std::isnan(a)) << what << " element " << i;
    else
      EXPECT_LE(std::fabs(a - e), 1e-7 + 1e-3 * std::fabs(e))
          << what << " element " << i << ": " << a << " vs " << e;
  }
}

Tensor floats(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<float> values) {
  return Tensor::fromValues<float>(DType::F32, shape, values);
}

Tensor ints(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<int64_t> values) {
  return Tensor::fromValues<int64_t>(DType::I64, shape, values);
}

/// Runs a node test folder's first data set and compares every output.
void expectNodeTestPasses(Imported &imported, const std::string &caseDir) {
  std::vector<Tensor> inputs, expected;
  for (auto [prefix, tensors] : {std::pair{"input", &inputs}, std::pair{"output", &expected}})
    for (int i = 0;; ++i) {
      std::string path = caseDir + "/test_data_set_0/" + prefix + "_" + std::to_string(i) + ".pb";
      if (!llvm::sys::fs::exists(path))
        break;
      auto tensor = readTensorProtoFile(path);
      ASSERT_TRUE(static_cast<bool>(tensor)) << llvm::toString(tensor.takeError());
      tensors->push_back(std::move(*tensor));
    }
  auto outputs = run(imported, std::move(inputs));
  ASSERT_EQ(outputs.size(), expected.size());
  for (size_t i = 0; i < outputs.size(); ++i)
    expectClose(outputs[i], expected[i], caseDir + " output " + std::to_string(i));
}

/// Builds ONNX models through the protobuf API.
class ModelBuilder {
public:
  explicit ModelBuilder(int64_t opset = 17) {
    model_.set_ir_version(8);
    auto *import = model_.add_opset_import();
    import->set_domain("");
    import->set_version(opset);
  }

  onnx::GraphProto &graph() { return *model_.mutable_graph(); }
  onnx::ModelProto &model() { return model_; }

  /// Dimensions: digits are sizes, other names symbolic, "" unknown.
  void input(const std::string &name, int elemType, const std::vector<std::string> &dims) {
    describe(graph().add_input(), name, elemType, dims);
  }
  void output(const std::string &name, int elemType, const std::vector<std::string> &dims) {
    describe(graph().add_output(), name, elemType, dims);
  }

  onnx::NodeProto &node(const std::string &opType, const std::vector<std::string> &inputs,
                        const std::vector<std::string> &outputs, const std::string &name = "") {
    onnx::NodeProto &node = *graph().add_node();
    node.set_op_type(opType);
    node.set_name(name);
    for (const auto &in : inputs)
      node.add_input(in);
    for (const auto &out : outputs)
      node.add_output(out);
    return node;
  }

  onnx::TensorProto &initializer(const std::string &name, int elemType,
                                 const std::vector<int64_t> &dims) {
    onnx::TensorProto &tensor = *graph().add_initializer();
    tensor.set_name(name);
    tensor.set_data_type(elemType);
    for (int64_t d : dims)
      tensor.add_dims(d);
    return tensor;
  }
  void floatInit(const std::string &name, const std::vector<int64_t> &dims,
                 const std::vector<float> &values) {
    auto &t = initializer(name, onnx::TensorProto::FLOAT, dims);
    t.set_raw_data(std::string(reinterpret_cast<const char *>(values.data()), 4 * values.size()));
  }
  void intInit(const std::string &name, const std::vector<int64_t> &values) {
    auto &t = initializer(name, onnx::TensorProto::INT64, {static_cast<int64_t>(values.size())});
    for (int64_t v : values)
      t.add_int64_data(v);
  }

  std::string save(const TempDir &dir, const std::string &name = "model.onnx") {
    std::string path = dir.file(name);
    writeFile(path, model_.SerializeAsString());
    return path;
  }

private:
  static void describe(onnx::ValueInfoProto *info, const std::string &name, int elemType,
                       const std::vector<std::string> &dims) {
    info->set_name(name);
    auto *tensor = info->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(elemType);
    auto *shape = tensor->mutable_shape();
    for (const auto &d : dims) {
      auto *dim = shape->add_dim();
      if (!d.empty() && std::isdigit(d[0]))
        dim->set_dim_value(std::stoll(d));
      else if (!d.empty())
        dim->set_dim_param(d);
    }
  }

  onnx::ModelProto model_;
};

void setAttr(onnx::NodeProto &node, const std::string &name, int64_t value) {
  auto *attr = node.add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INT);
  attr->set_i(value);
}

void setAttr(onnx::NodeProto &node, const std::string &name, const std::string &value) {
  auto *attr = node.add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::STRING);
  attr->set_s(value);
}

constexpr int kFloat = onnx::TensorProto::FLOAT;

//===----------------------------------------------------------------------===//
// ONNX node tests
//===----------------------------------------------------------------------===//

struct NodeCase {
  const char *name;
  std::vector<const char *> ops;
};

class NodeTest : public testing::TestWithParam<NodeCase> {};

TEST_P(NodeTest, ImportsAndMatchesExpectedOutputs) {
  std::string dir = kNodeTests + "/" + GetParam().name;
  if (!llvm::sys::fs::exists(dir))
    GTEST_SKIP() << dir << " is not installed (libonnx-testdata)";
  Imported imported = importOk(dir + "/model.onnx");
  ASSERT_TRUE(imported.module);
  auto names = imported.opNames();
  for (const char *op : GetParam().ops)
    EXPECT_TRUE(names.count(op)) << GetParam().name << " lacks " << op;
  expectNodeTestPasses(imported, dir);
}

INSTANTIATE_TEST_SUITE_P(
    Onnx, NodeTest,
    testing::Values(
        NodeCase{"test_gemm_all_attributes", {"slm.transpose", "slm.matmul", "slm.mul", "slm.add"}},
        NodeCase{"test_clip", {"slm.max", "slm.min"}},
        NodeCase{"test_layer_normalization_3d_axis1_epsilon",
                 {"slm.layer_norm", "slm.reduce_mean", "slm.rsqrt"}},
        NodeCase{"test_softmax_axis_0", {"slm.softmax"}},
        NodeCase{"test_reduce_l2_keep_dims_example", {"slm.mul", "slm.reduce_sum", "slm.sqrt"}},
        NodeCase{"test_split_equal_parts_1d", {"slm.split"}},
        NodeCase{"test_slice_neg_steps", {"slm.slice"}}, NodeCase{"test_triu_neg", {"slm.trilu"}},
        NodeCase{"test_where_example", {"slm.where"}},
        NodeCase{"test_pow_types_float32_int64", {"slm.cast", "slm.pow"}}),
    [](const auto &info) { return std::string(info.param.name).substr(5); });

/// Node tests whose operators take as run-time inputs what slm needs as
/// constants (pads, repeats, axes), and which ONNX stamps with opsets before
/// 13: with those inputs frozen into initializers and the opset raised
/// (these operators' semantics did not change), they check the converters.
class FrozenNodeTest : public testing::TestWithParam<const char *> {};

TEST_P(FrozenNodeTest, MatchesExpectedOutputs) {
  std::string dir = kNodeTests + "/" + GetParam();
  if (!llvm::sys::fs::exists(dir))
    GTEST_SKIP() << dir << " is not installed (libonnx-testdata)";
  onnx::ModelProto model;
  auto bytes = llvm::MemoryBuffer::getFile(dir + "/model.onnx");
  ASSERT_TRUE(static_cast<bool>(bytes));
  ASSERT_TRUE(model.ParseFromString((*bytes)->getBuffer().str()));
  for (auto &import : *model.mutable_opset_import())
    if (import.domain().empty())
      import.set_version(std::max<int64_t>(import.version(), 13));
  TempDir temp;
  ASSERT_FALSE(llvm::sys::fs::create_directories(temp.file("case/test_data_set_0")));
  auto *graph = model.mutable_graph();
  std::vector<onnx::ValueInfoProto> inputs(graph->input().begin(), graph->input().end());
  graph->clear_input();
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string from = dir + "/test_data_set_0/input_" + std::to_string(i) + ".pb";
    auto data = llvm::MemoryBuffer::getFile(from);
    ASSERT_TRUE(static_cast<bool>(data));
    if (i == 0) {
      *graph->add_input() = inputs[i];
      writeFile(temp.file("case/test_data_set_0/input_0.pb"), (*data)->getBuffer());
      continue;
    }
    onnx::TensorProto *init = graph->add_initializer();
    ASSERT_TRUE(init->ParseFromString((*data)->getBuffer().str()));
    init->set_name(inputs[i].name());
  }
  for (int i = 0;; ++i) {
    std::string name = "/test_data_set_0/output_" + std::to_string(i) + ".pb";
    auto data = llvm::MemoryBuffer::getFile(dir + name);
    if (!data)
      break;
    writeFile(temp.file("case" + name), (*data)->getBuffer());
  }
  writeFile(temp.file("case/model.onnx"), model.SerializeAsString());
  Imported imported = importOk(temp.file("case/model.onnx"));
  ASSERT_TRUE(imported.module);
  expectNodeTestPasses(imported, temp.file("case"));
}

INSTANTIATE_TEST_SUITE_P(Onnx, FrozenNodeTest,
                         testing::Values("test_constant_pad", "test_edge_pad", "test_reflect_pad",
                                         "test_tile", "test_tile_precomputed",
                                         "test_unsqueeze_two_axes", "test_squeeze_negative_axes",
                                         "test_reduce_sum_keepdims_example",
                                         "test_split_variable_parts_2d"),
                         [](const auto &info) { return std::string(info.param).substr(5); });

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST(OnnxImporter, ReportsEveryUnsupportedOperatorAtOnce) {
  ModelBuilder b(13);
  b.input("x", kFloat, {"1", "3", "8", "8"});
  b.floatInit("w", {3, 3, 1, 1}, std::vector<float>(9, 1.0f));
  b.node("Conv", {"x", "w"}, {"c"}, "conv1");
  b.node("Relu", {"c"}, {"r"}, "relu");
  b.node("LSTM", {"r", "w", "w"}, {"l"}, "lstm");
  b.output("l", kFloat, {});
  TempDir dir;
  std::string path = b.save(dir);
  std::string message = importError(path, /*unsupported=*/true);
  EXPECT_EQ(message, path + ": unsupported ONNX operators: Conv (node \"conv1\", opset 13), "
                            "LSTM (node \"lstm\", opset 13)");

  mlir::MLIRContext context;
  auto module = importOnnx(context, path);
  ASSERT_FALSE(module);
  llvm::handleAllErrors(module.takeError(), [](const OnnxUnsupportedError &e) {
    EXPECT_EQ(e.features(), (std::vector<std::string>{"Conv", "LSTM"}));
  });
}

TEST(OnnxImporter, CountsRepeatedUnsupportedOperators) {
  ModelBuilder b(17);
  b.input("x", kFloat, {"4"});
  b.node("CumSum", {"x", "x"}, {"a"}, "first");
  b.node("CumSum", {"a", "x"}, {"b"}, "second");
  b.output("b", kFloat, {"4"});
  TempDir dir;
  EXPECT_NE(importError(b.save(dir), true)
                .find("unsupported ONNX operators: CumSum (node \"first\" and 1 more, opset 17)"),
            std::string::npos);
}

TEST(OnnxImporter, RejectsOpsetsOutside13To21) {
  for (int64_t opset : {12, 22}) {
    ModelBuilder b(opset);
    b.input("x", kFloat, {"2"});
    b.node("Relu", {"x"}, {"y"});
    b.output("y", kFloat, {"2"});
    TempDir dir;
    std::string message = importError(b.save(dir), /*unsupported=*/true);
    EXPECT_NE(message.find("unsupported ONNX opset " + std::to_string(opset)), std::string::npos)
        << message;
  }
}

TEST(OnnxImporter, RejectsUnsupportedElementTypes) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::DOUBLE, {"2"});
  b.node("Relu", {"x"}, {"y"});
  b.output("y", onnx::TensorProto::DOUBLE, {"2"});
  TempDir dir;
  std::string message = importError(b.save(dir), /*unsupported=*/true);
  EXPECT_NE(message.find("input \"x\" has unsupported element type double"), std::string::npos)
      << message;
}

std::string serializedModelWithWeights() {
  ModelBuilder b;
  b.input("x", kFloat, {"256"});
  b.floatInit("w", {256}, std::vector<float>(256, 0.5f));
  b.node("Mul", {"x", "w"}, {"y"});
  b.output("y", kFloat, {"256"});
  return b.model().SerializeAsString();
}

TEST(OnnxImporter, RejectsTruncatedModel) {
  TempDir dir;
  std::string bytes = serializedModelWithWeights();
  std::string path = dir.file("truncated.onnx");
  writeFile(path, llvm::StringRef(bytes).take_front(bytes.size() / 2));
  EXPECT_EQ(importError(path, false),
            path + ": not a valid ONNX model: the protobuf is truncated or corrupted");
}

TEST(OnnxImporter, RejectsCorruptedModel) {
  TempDir dir;
  std::string bytes = serializedModelWithWeights();
  // 0xff bytes are invalid field tags (field 0x1fffffff... with wire type 7).
  std::fill(bytes.begin(), bytes.begin() + 16, '\xff');
  std::string path = dir.file("corrupted.onnx");
  writeFile(path, bytes);
  EXPECT_EQ(importError(path, false),
            path + ": not a valid ONNX model: the protobuf is truncated or corrupted");
}

TEST(OnnxImporter, RejectsMissingFile) {
  TempDir dir;
  std::string path = dir.file("absent.onnx");
  std::string message = importError(path, false);
  EXPECT_EQ(message.rfind(path + ": cannot read the ONNX model", 0), 0u) << message;
}

TEST(OnnxImporter, NamesFileAndNodeOfInvalidShapes) {
  ModelBuilder b;
  b.input("a", kFloat, {"2", "3"});
  b.input("b", kFloat, {"4"});
  b.node("Add", {"a", "b"}, {"c"}, "add");
  b.output("c", kFloat, {"2", "3"});
  TempDir dir;
  std::string path = b.save(dir);
  std::string message = importError(path, false);
  EXPECT_EQ(message.rfind(path + ": node \"add\" (Add, opset 17): ", 0), 0u) << message;
  EXPECT_NE(message.find("do not broadcast"), std::string::npos) << message;
}

//===----------------------------------------------------------------------===//
// External data
//===----------------------------------------------------------------------===//

std::string externalModel(const TempDir &dir, int64_t length) {
  ModelBuilder b;
  b.input("x", kFloat, {"16"});
  auto &w = b.initializer("w", kFloat, {16});
  w.set_data_location(onnx::TensorProto::EXTERNAL);
  for (auto [key, value] :
       {std::pair{"location", std::string("weights.bin")}, std::pair{"offset", std::string("0")},
        std::pair{"length", std::to_string(length)}}) {
    auto *entry = w.add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  }
  b.node("Add", {"x", "w"}, {"y"});
  b.output("y", kFloat, {"16"});
  return b.save(dir);
}

TEST(OnnxImporter, ReportsMissingExternalDataFile) {
  TempDir dir;
  std::string path = externalModel(dir, 64);
  std::string message = importError(path, false);
  EXPECT_EQ(message.rfind(path + ": cannot open external data file '" + dir.file("weights.bin") +
                              "' of tensor \"w\"",
                          0),
            0u)
      << message;
}

TEST(OnnxImporter, ReportsShortExternalDataFile) {
  TempDir dir;
  std::string path = externalModel(dir, 64);
  writeFile(dir.file("weights.bin"), std::string(10, '\0'));
  std::string message = importError(path, false);
  EXPECT_EQ(message, path + ": external data file 'weights.bin' of tensor \"w\" is too short: it "
                            "has 10 bytes, the tensor needs bytes 0 to 64");
}

TEST(OnnxImporter, MapsExternalDataWithoutCopying) {
  TempDir dir;
  std::string path = externalModel(dir, 64);
  std::vector<float> values(16);
  for (int i = 0; i < 16; ++i)
    values[i] = i * 0.25f;
  writeFile(dir.file("weights.bin"),
            llvm::StringRef(reinterpret_cast<const char *>(values.data()), 64));
  Imported imported = importOk(path);
  ASSERT_TRUE(imported.module);
  auto outputs = run(imported, {floats({16}, std::vector<float>(16, 1.0f))});
  ASSERT_EQ(outputs.size(), 1u);
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(outputs[0].data<float>()[i], 1.0f + i * 0.25f);
}

TEST(OnnxImporter, ImportsLlamaWithExternalWeights) {
  std::string path = kData + "/onnx-external/model.onnx";
  if (!llvm::sys::fs::exists(path))
    GTEST_SKIP() << path << " is missing";
  Imported imported = importOk(path);
  ASSERT_TRUE(imported.module);
  // One sequence at a time: the batch dimension is bound to 1.
  EXPECT_EQ(imported.functionType(), "(tensor<1x?xi64>) -> tensor<1x?x2048xf32>");
  int weights = 0;
  imported.function().walk([&](slm::ConstantOp op) {
    if (auto blob = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(op.getValue())) {
      ++weights;
      EXPECT_EQ(weightBytes(blob).size(), static_cast<size_t>(blob.getType().getNumElements() * 4));
    }
  });
  EXPECT_GE(weights, 20);
  EXPECT_GE(imported.opNames().count("slm.matmul"), 14u);

  auto model = slm::getModel(*imported.module);
  ASSERT_TRUE(model);
  EXPECT_EQ(model->source, "onnx");
  EXPECT_EQ(model->vocabSize, 2048);
  EXPECT_FALSE(model->hasKvCache());

  std::vector<int64_t> tokens = {1, 403, 407, 261};
  auto single = run(imported, {ints({1, 4}, tokens)});
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].describe(), "f32[1x4x2048]");
}

TEST(OnnxImporter, InlineAndExternalWeightsAgree) {
  std::string inlinePath = kData + "/tinystories-656k/model.onnx";
  std::string externalPath = kData + "/onnx-external/model.onnx";
  if (!llvm::sys::fs::exists(inlinePath) || !llvm::sys::fs::exists(externalPath))
    GTEST_SKIP() << "the TinyStories ONNX exports are missing";
  Imported inlined = importOk(inlinePath), external = importOk(externalPath);
  ASSERT_TRUE(inlined.module && external.module);
  EXPECT_EQ(inlined.functionType(), "(tensor<1x?xi64>) -> tensor<1x?x2048xf32>");
  Tensor tokens = ints({1, 5}, {1, 403, 407, 261, 5});
  auto a = run(inlined, {tokens}), b = run(external, {tokens});
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(a[0].describe(), b[0].describe());
  for (int64_t i = 0; i < a[0].size(); ++i)
    ASSERT_EQ(a[0].data<float>()[i], b[0].data<float>()[i]) << i;
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

/// x [d0, d1, 4] reshaped to [d0, d1, 2, 2] through Shape/Gather/Concat, as
/// exported graphs do.
ModelBuilder reshapeModel(const std::vector<std::string> &dims) {
  ModelBuilder b;
  b.input("x", kFloat, dims);
  b.intInit("zero", {0});
  b.intInit("one", {1});
  b.intInit("two_two", {2, 2});
  b.node("Shape", {"x"}, {"shape"});
  b.node("Gather", {"shape", "zero"}, {"d0"});
  b.node("Gather", {"shape", "one"}, {"d1"});
  setAttr(b.node("Concat", {"d0", "d1", "two_two"}, {"target"}), "axis", 0);
  b.node("Reshape", {"x", "target"}, {"y"});
  b.output("y", kFloat, {});
  return b;
}

TEST(OnnxImporter, BindsTheBatchAndKeepsOtherDimensionsDynamic) {
  TempDir dir;
  Imported imported = importOk(reshapeModel({"batch", "", "4"}).save(dir));
  ASSERT_TRUE(imported.module);
  EXPECT_EQ(imported.functionType(), "(tensor<1x?x4xf32>) -> tensor<1x?x2x2xf32>");
  auto function = imported.function();
  EXPECT_EQ(function.getArgAttrOfType<mlir::StringAttr>(0, "slm.name").getValue(), "x");
  EXPECT_EQ(function.getResultAttrOfType<mlir::StringAttr>(0, "slm.name").getValue(), "y");
  auto model = slm::getModel(*imported.module);
  ASSERT_TRUE(model);
  EXPECT_EQ(model->source, "onnx");
  EXPECT_EQ(model->vocabSize, 0); // float input: not a language model

  std::vector<float> values(3 * 4);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = float(i);
  auto outputs = run(imported, {floats({1, 3, 4}, values)});
  ASSERT_EQ(outputs.size(), 1u);
  expectClose(outputs[0], floats({1, 3, 2, 2}, values), "reshape");
}

TEST(OnnxImporter, FoldsShapeArithmeticOnStaticShapes) {
  TempDir dir;
  Imported imported = importOk(reshapeModel({"3", "2", "4"}).save(dir));
  ASSERT_TRUE(imported.module);
  EXPECT_EQ(imported.functionType(), "(tensor<3x2x4xf32>) -> tensor<3x2x2x2xf32>");
  auto names = imported.opNames();
  for (const char *op : {"slm.shape", "slm.gather", "slm.concat"})
    EXPECT_EQ(names.count(op), 0u) << op << " should have folded";
  EXPECT_EQ(names.count("slm.reshape"), 1u);
}

TEST(OnnxImporter, SplitsDynamicDimensionsIntoEqualParts) {
  ModelBuilder b(18);
  b.input("x", kFloat, {"n"});
  auto &split = b.node("Split", {"x"}, {"a", "b", "c"});
  setAttr(split, "num_outputs", 3);
  for (const char *out : {"a", "b", "c"})
    b.output(out, kFloat, {""});
  TempDir dir;
  Imported imported = importOk(b.save(dir));
  ASSERT_TRUE(imported.module);
  auto outputs = run(imported, {floats({7}, {0, 1, 2, 3, 4, 5, 6})});
  ASSERT_EQ(outputs.size(), 3u);
  expectClose(outputs[0], floats({3}, {0, 1, 2}), "a");
  expectClose(outputs[1], floats({3}, {3, 4, 5}), "b");
  expectClose(outputs[2], floats({1}, {6}), "c");
}

//===----------------------------------------------------------------------===//
// Data
//===----------------------------------------------------------------------===//

TEST(OnnxImporter, DecodesEveryInitializerEncoding) {
  ModelBuilder b;
  auto &typedFloat = b.initializer("typed_float", kFloat, {2});
  typedFloat.add_float_data(1.5f);
  typedFloat.add_float_data(-2.0f);
  auto &typedInt32 = b.initializer("typed_int32", onnx::TensorProto::INT32, {2});
  typedInt32.add_int32_data(7);
  typedInt32.add_int32_data(-8);
  b.intInit("typed_int64", {1LL << 40, -3});
  // 1.0 and -2.5 as IEEE half (raw bytes) and as bfloat16 (int32_data).
  auto &half = b.initializer("half", onnx::TensorProto::FLOAT16, {2});
  half.set_raw_data(std::string("\x00\x3c\x00\xc1", 4));
  auto &bfloat = b.initializer("bfloat", onnx::TensorProto::BFLOAT16, {2});
  bfloat.add_int32_data(0x3f80);
  bfloat.add_int32_data(0xc020);
  auto &flags = b.initializer("flags", onnx::TensorProto::BOOL, {3});
  flags.set_raw_data(std::string("\x01\x00\x01", 3));
  const char *names[] = {"typed_float", "typed_int32", "typed_int64", "half", "bfloat", "flags"};
  for (const char *name : names)
    b.output(name, kFloat, {});
  TempDir dir;
  Imported imported = importOk(b.save(dir));
  ASSERT_TRUE(imported.module);
  auto outputs = run(imported, {});
  ASSERT_EQ(outputs.size(), 6u);
  expectClose(outputs[0], floats({2}, {1.5f, -2.0f}), "float_data");
  EXPECT_EQ(outputs[1].describe(), "i32[2]");
  EXPECT_EQ(outputs[1].intAt(1), -8);
  EXPECT_EQ(outputs[2].intAt(0), 1LL << 40);
  expectClose(outputs[3], floats({2}, {1.0f, -2.5f}), "float16");
  expectClose(outputs[4], floats({2}, {1.0f, -2.5f}), "bfloat16");
  EXPECT_EQ(outputs[5].describe(), "i1[3]");
  EXPECT_EQ(outputs[5].intAt(1), 0);
  EXPECT_EQ(outputs[5].intAt(2), 1);
}

TEST(OnnxImporter, ImportsEveryConstantForm) {
  ModelBuilder b;
  auto addConstant = [&](const std::string &out, auto fill) {
    auto &node = b.node("Constant", {}, {out});
    fill(*node.add_attribute());
    b.output(out, kFloat, {});
  };
  addConstant("f", [](onnx::AttributeProto &a) {
    a.set_name("value_float");
    a.set_type(onnx::AttributeProto::FLOAT);
    a.set_f(2.5f);
  });
  addConstant("fs", [](onnx::AttributeProto &a) {
    a.set_name("value_floats");
    a.set_type(onnx::AttributeProto::FLOATS);
    a.add_floats(1.0f);
    a.add_floats(2.0f);
  });
  addConstant("i", [](onnx::AttributeProto &a) {
    a.set_name("value_int");
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(-4);
  });
  addConstant("is", [](onnx::AttributeProto &a) {
    a.set_name("value_ints");
    a.set_type(onnx::AttributeProto::INTS);
    a.add_ints(3);
    a.add_ints(4);
  });
  addConstant("t", [](onnx::AttributeProto &a) {
    a.set_name("value");
    a.set_type(onnx::AttributeProto::TENSOR);
    a.mutable_t()->set_data_type(kFloat);
    a.mutable_t()->add_dims(1);
    a.mutable_t()->add_float_data(9.0f);
  });
  TempDir dir;
  Imported imported = importOk(b.save(dir));
  ASSERT_TRUE(imported.module);
  auto outputs = run(imported, {});
  ASSERT_EQ(outputs.size(), 5u);
  expectClose(outputs[0], floats({}, {2.5f}), "value_float");
  expectClose(outputs[1], floats({2}, {1.0f, 2.0f}), "value_floats");
  EXPECT_EQ(outputs[2].describe(), "i64[]");
  EXPECT_EQ(outputs[2].intAt(0), -4);
  EXPECT_EQ(outputs[3].describe(), "i64[2]");
  EXPECT_EQ(outputs[3].intAt(1), 4);
  expectClose(outputs[4], floats({1}, {9.0f}), "value");
}

/// Imports and runs a model built in a test.
std::vector<Tensor> runModel(ModelBuilder &builder, std::vector<Tensor> inputs) {
  TempDir dir;
  Imported imported = importOk(builder.save(dir));
  if (!imported.module)
    return {};
  return run(imported, std::move(inputs));
}

void setInts(onnx::NodeProto &node, const std::string &name, const std::vector<int64_t> &values) {
  auto *attr = node.add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values)
    attr->add_ints(v);
}

TEST(OnnxImporter, ReadsReductionAxesByOpset) {
  const Tensor x = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  for (int64_t opset : {17, 18}) {
    ModelBuilder b(opset);
    b.input("x", kFloat, {"2", "3"});
    std::vector<std::string> inputs = {"x"};
    if (opset >= 18) {
      b.intInit("axes", {1});
      inputs.push_back("axes");
    }
    auto &node = b.node("ReduceMean", inputs, {"y"});
    setAttr(node, "keepdims", 0);
    if (opset < 18)
      setInts(node, "axes", {1});
    b.output("y", kFloat, {});
    auto outputs = runModel(b, {x});
    ASSERT_EQ(outputs.size(), 1u) << opset;
    expectClose(outputs[0], floats({2}, {2, 5}), "ReduceMean opset " + std::to_string(opset));
  }
}

TEST(OnnxImporter, ReadsSplitSizesByOpset) {
  const Tensor x = floats({3}, {0, 1, 2});
  {
    ModelBuilder b(13);
    b.input("x", kFloat, {"3"});
    b.intInit("split", {1, 2});
    b.node("Split", {"x", "split"}, {"a", "b"});
    b.output("a", kFloat, {});
    b.output("b", kFloat, {});
    auto outputs = runModel(b, {x});
    ASSERT_EQ(outputs.size(), 2u);
    expectClose(outputs[0], floats({1}, {0}), "split input a");
    expectClose(outputs[1], floats({2}, {1, 2}), "split input b");
  }
  {
    // From opset 18 num_outputs may leave a smaller last piece.
    ModelBuilder b(18);
    b.input("x", kFloat, {"3"});
    setAttr(b.node("Split", {"x"}, {"a", "b"}), "num_outputs", 2);
    b.output("a", kFloat, {});
    b.output("b", kFloat, {});
    auto outputs = runModel(b, {x});
    ASSERT_EQ(outputs.size(), 2u);
    expectClose(outputs[0], floats({2}, {0, 1}), "num_outputs a");
    expectClose(outputs[1], floats({1}, {2}), "num_outputs b");
  }
}

TEST(OnnxImporter, HandlesOptionalInputs) {
  {
    ModelBuilder b(13);
    b.input("x", kFloat, {"3"});
    b.floatInit("high", {}, {2.0f});
    b.node("Clip", {"x", "", "high"}, {"y"});
    b.output("y", kFloat, {});
    auto outputs = runModel(b, {floats({3}, {1, 2, 3})});
    ASSERT_EQ(outputs.size(), 1u);
    expectClose(outputs[0], floats({3}, {1, 2, 2}), "Clip without min");
  }
  {
    ModelBuilder b(13);
    b.input("x", kFloat, {"1", "3", "1"});
    b.node("Squeeze", {"x"}, {"y"});
    b.output("y", kFloat, {});
    auto outputs = runModel(b, {floats({1, 3, 1}, {1, 2, 3})});
    ASSERT_EQ(outputs.size(), 1u);
    expectClose(outputs[0], floats({3}, {1, 2, 3}), "Squeeze without axes");
  }
}

TEST(OnnxImporter, ImportsGeluFromOpset20) {
  ModelBuilder b(20);
  b.input("x", kFloat, {"3"});
  setAttr(b.node("Gelu", {"x"}, {"y"}), "approximate", "tanh");
  b.output("y", kFloat, {});
  auto outputs = runModel(b, {floats({3}, {-1, 0, 2})});
  ASSERT_EQ(outputs.size(), 1u);
  auto gelu = [](float x) -> float {
    return 0.5f * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715f * x * x * x)));
  };
  expectClose(outputs[0], floats({3}, {gelu(-1), gelu(0), gelu(2)}), "Gelu");
}

TEST(OnnxImporter, PadsInEveryMode) {
  struct Case {
    const char *mode;
    std::vector<int64_t> pads;
    std::vector<int64_t> shape;
    std::vector<float> expected;
  };
  // x = [[1, 2, 3], [4, 5, 6]], padded along axis 1.
  const Case cases[] = {
      {"constant", {0, 2, 0, 1}, {2, 6}, {9, 9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9}},
      {"edge", {0, 2, 0, 1}, {2, 6}, {1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6}},
      {"reflect", {0, 2, 0, 1}, {2, 6}, {3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5}},
      {"wrap", {0, 2, 0, 1}, {2, 6}, {2, 3, 1, 2, 3, 1, 5, 6, 4, 5, 6, 4}},
      {"constant", {1, -1, 0, 0}, {3, 2}, {9, 9, 2, 3, 5, 6}},
  };
  for (const Case &c : cases) {
    ModelBuilder b(19);
    b.input("x", kFloat, {"2", "3"});
    b.intInit("pads", c.pads);
    b.floatInit("value", {}, {9.0f});
    setAttr(b.node("Pad", {"x", "pads", "value"}, {"y"}), "mode", c.mode);
    b.output("y", kFloat, {});
    TempDir dir;
    Imported imported = importOk(b.save(dir));
    ASSERT_TRUE(imported.module) << c.mode;
    auto outputs = run(imported, {floats({2, 3}, {1, 2, 3, 4, 5, 6})});
    ASSERT_EQ(outputs.size(), 1u);
    expectClose(outputs[0], floats(c.shape, c.expected), c.mode);
  }
}

TEST(OnnxImporter, ReadsTensorProtoFiles) {
  std::string path = kNodeTests + "/test_and2d/test_data_set_0/output_0.pb";
  if (!llvm::sys::fs::exists(path))
    GTEST_SKIP() << path << " is not installed (libonnx-testdata)";
  auto tensor = readTensorProtoFile(path);
  ASSERT_TRUE(static_cast<bool>(tensor)) << llvm::toString(tensor.takeError());
  EXPECT_EQ(tensor->describe(), "i1[3x4]");

  TempDir dir;
  std::string bad = dir.file("bad.pb");
  writeFile(bad, std::string(8, '\xff'));
  auto error = readTensorProtoFile(bad);
  ASSERT_FALSE(static_cast<bool>(error));
  EXPECT_EQ(llvm::toString(error.takeError()),
            bad + ": not a valid ONNX TensorProto: the protobuf is truncated or corrupted");
}

} // namespace
} // namespace slmc
