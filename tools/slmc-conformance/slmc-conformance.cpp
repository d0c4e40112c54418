//===- slmc-conformance.cpp - the ONNX node tests on the reference executor ===//
//
// Runs ONNX's backend node tests (one folder per case: model.onnx and
// test_data_set_*/{input,output}_N.pb) through the importer, the optimize
// stage and the reference executor (or code generation and the runtime) and
// compares with the expected outputs as the ONNX backend tests do (numpy
// assert_allclose, rtol 1e-3, atol 1e-7).
//
//===----------------------------------------------------------------------===//

#include "compiler/executor/Executor.h"
#include "compiler/frontends/onnx/OnnxImporter.h"
#include "compiler/frontends/onnx/OnnxTensorFile.h"
#include "compiler/pipeline/Pipeline.h"
#include "tools/slmc-conformance/CompiledBackend.h"
#include "tools/slmc-conformance/OracleCase.h"

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

ABSL_FLAG(std::string, dir, "/usr/share/libonnx-testdata/data/node",
          "folder holding one sub-folder per test case");
ABSL_FLAG(std::string, filter, "", "run only the cases whose name contains this");
ABSL_FLAG(std::string, backend, "reference",
          "reference: the reference executor; compiled: slmc compile + the tiny runtime (cases "
          "must also pass on the reference executor)");
ABSL_FLAG(std::string, target, "host", "the target of the compiled backend");
ABSL_FLAG(std::string, oracle_dir, "",
          "write every passing case with perturbed inputs and slmc's outputs for them to this "
          "folder, for test/oracles/onnxruntime/compare_conformance.js");
ABSL_FLAG(bool, verbose, false,
          "print every case's status and a tally of what the unsupported cases need");

namespace {

using slmc::exec::DType;
using slmc::exec::Tensor;

constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

enum class Status { Passed, Failed, Unsupported, NotCompiled };

struct Outcome {
  Status status;
  std::string detail;
  /// What an unsupported case lacks (op types, element types, opsets).
  std::vector<std::string> features;
};

std::vector<std::string> sortedChildren(llvm::StringRef dir, llvm::StringRef prefix,
                                        bool directories) {
  std::vector<std::string> names;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    bool isDir = llvm::sys::fs::is_directory(it->path());
    if (name.starts_with(prefix) && isDir == directories)
      names.push_back(name.str());
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// The first element where `actual` differs from `expected`, described; empty
/// when they match.
std::string compare(const Tensor &actual, const Tensor &expected) {
  if (actual.dtype() != expected.dtype() || actual.shape() != expected.shape())
    return llvm::formatv("got {0}, expected {1}", actual.describe(), expected.describe()).str();
  for (int64_t i = 0; i < expected.size(); ++i) {
    if (expected.dtype() == DType::F32) {
      float a = actual.data<float>()[i], e = expected.data<float>()[i];
      bool same = std::isnan(e) ? std::isnan(a)
                  : std::isinf(e)
                      ? a == e
                      : std::fabs(double(a) - double(e)) <= kAtol + kRtol * std::fabs(e);
      if (!same)
        return llvm::formatv("element {0}: got {1}, expected {2}", i, llvm::format("%.9g", a),
                             llvm::format("%.9g", e))
            .str();
    } else if (actual.intAt(i) != expected.intAt(i)) {
      return llvm::formatv("element {0}: got {1}, expected {2}", i, actual.intAt(i),
                           expected.intAt(i))
          .str();
    }
  }
  return "";
}

/// Tensors named prefix_0.pb, prefix_1.pb, ... until one is missing.
llvm::Expected<std::vector<Tensor>> readTensors(llvm::StringRef dir, llvm::StringRef prefix) {
  std::vector<Tensor> tensors;
  for (int i = 0;; ++i) {
    std::string path = llvm::formatv("{0}/{1}_{2}.pb", dir, prefix, i).str();
    if (!llvm::sys::fs::exists(path))
      return tensors;
    auto tensor = slmc::readTensorProtoFile(path);
    if (!tensor)
      return tensor.takeError();
    tensors.push_back(std::move(*tensor));
  }
}

Outcome unsupported(llvm::Error error) {
  Outcome outcome{Status::Unsupported, "", {}};
  llvm::handleAllErrors(
      std::move(error),
      [&](const slmc::OnnxUnsupportedError &e) {
        outcome.detail = e.message();
        outcome.features = e.features();
      },
      [&](const llvm::ErrorInfoBase &e) { outcome.detail = e.message(); });
  return outcome;
}

Outcome dataError(llvm::StringRef set, llvm::Error error) {
  if (error.isA<slmc::OnnxUnsupportedError>())
    return unsupported(std::move(error));
  return {Status::Failed, (set + ": " + llvm::toString(std::move(error))).str(), {}};
}

/// Compares a run's outputs with the expected ones; empty when they match.
std::string compareAll(llvm::StringRef set, const std::vector<Tensor> &outputs,
                       const std::vector<Tensor> &expected) {
  if (outputs.size() != expected.size())
    return llvm::formatv("{0}: {1} outputs, expected {2}", set, outputs.size(), expected.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::string difference = compare(outputs[i], expected[i]);
    if (!difference.empty())
      return llvm::formatv("{0}: output {1}: {2}", set, i, difference);
  }
  return "";
}

/// Writes the case with perturbed inputs and slmc's outputs for them (see
/// OracleCase.h); a case whose perturbed run fails is left out.
void writeForOracle(llvm::StringRef caseDir, mlir::func::FuncOp function,
                    slmc::exec::Executor &executor, slmc::conformance::CompiledGraph *compiled,
                    const std::vector<Tensor> &testInputs) {
  std::string name = llvm::sys::path::filename(caseDir).str();
  std::vector<Tensor> inputs = slmc::conformance::perturbedInputs(testInputs, name);
  std::map<std::string, std::vector<Tensor>> outputs;
  auto reference = executor.run(inputs);
  if (!reference) {
    llvm::consumeError(reference.takeError());
    return;
  }
  outputs["reference"] = std::move(*reference);
  if (compiled) {
    auto run = compiled->run(inputs);
    if (!run) {
      llvm::consumeError(run.takeError());
      return;
    }
    outputs["compiled"] = std::move(*run);
  }
  std::vector<std::string> names;
  for (unsigned i = 0; i < function.getNumArguments(); ++i)
    names.push_back(function.getArgAttrOfType<mlir::StringAttr>(i, "slm.name").str());
  if (auto error = slmc::conformance::writeOracleCase(absl::GetFlag(FLAGS_oracle_dir), name,
                                                      (caseDir + "/model.onnx").str(), names,
                                                      inputs, outputs))
    llvm::errs() << "slmc-conformance: warning: " << llvm::toString(std::move(error)) << "\n";
}

Outcome runCase(llvm::StringRef caseDir, bool compiled, llvm::StringRef target) {
  mlir::MLIRContext context;
  std::string modelPath = (caseDir + "/model.onnx").str();
  auto module = slmc::importOnnx(context, modelPath);
  if (!module) {
    if (module.errorIsA<slmc::OnnxUnsupportedError>())
      return unsupported(module.takeError());
    return {Status::Failed, "import: " + llvm::toString(module.takeError()), {}};
  }
  // As slmc runs every model: the fusions must compute what they replace.
  if (auto error = slmc::runStage("optimize", **module, slmc::addOptimizePasses, {}))
    return {Status::Failed, llvm::toString(std::move(error)), {}};
  // The compiled backend consumes its own copy of the module.
  mlir::OwningOpRef<mlir::ModuleOp> copy = (*module)->clone();
  auto function = (*module)->lookupSymbol<mlir::func::FuncOp>("forward");
  auto executor = slmc::exec::Executor::create(function);
  if (!executor) {
    std::string message = llvm::toString(executor.takeError());
    // The executor names ops and types it has no kernel for.
    if (llvm::StringRef(message).contains("no reference kernel"))
      return {Status::Unsupported, message, {"executor: " + message}};
    return {Status::Failed, "executor: " + message, {}};
  }
  auto dataSets = sortedChildren(caseDir, "test_data_set_", /*directories=*/true);
  if (dataSets.empty())
    return {Status::Failed, "no test_data_set_* folder", {}};
  // Compiled once, run on every data set.
  std::unique_ptr<slmc::conformance::CompiledGraph> graph;
  if (compiled) {
    auto built = slmc::conformance::CompiledGraph::compile(copy->clone(), target);
    if (!built)
      return {Status::Failed, "compiled: " + llvm::toString(built.takeError()), {}};
    graph = std::move(*built);
  }
  for (const std::string &set : dataSets) {
    std::string setDir = (caseDir + "/" + set).str();
    auto inputs = readTensors(setDir, "input");
    if (!inputs)
      return dataError(set, inputs.takeError());
    auto expected = readTensors(setDir, "output");
    if (!expected)
      return dataError(set, expected.takeError());
    auto outputs = (*executor)->run(*inputs);
    if (!outputs)
      return {Status::Failed, set + ": run: " + llvm::toString(outputs.takeError()), {}};
    if (std::string difference = compareAll(set, *outputs, *expected); !difference.empty())
      return {Status::Failed, difference, {}};
    if (!compiled)
      continue;
    if (!graph->notSupported().empty())
      return {Status::NotCompiled, graph->notSupported(), {"codegen: " + graph->notSupported()}};
    auto run = graph->run(*inputs);
    if (!run)
      return {Status::Failed, set + ": compiled: " + llvm::toString(run.takeError()), {}};
    if (std::string difference = compareAll(set, *run, *expected); !difference.empty())
      return {Status::Failed, "compiled: " + difference, {}};
  }
  if (!absl::GetFlag(FLAGS_oracle_dir).empty()) {
    auto inputs = readTensors((caseDir + "/" + dataSets.front()).str(), "input");
    if (inputs)
      writeForOracle(caseDir, function, **executor, graph.get(), *inputs);
    else
      llvm::consumeError(inputs.takeError());
  }
  return {Status::Passed, "", {}};
}

} // namespace

int main(int argc, char **argv) {
  absl::ParseCommandLine(argc, argv);
  std::string root = absl::GetFlag(FLAGS_dir);
  std::string filter = absl::GetFlag(FLAGS_filter);
  bool verbose = absl::GetFlag(FLAGS_verbose);
  std::string backend = absl::GetFlag(FLAGS_backend);
  if (backend != "reference" && backend != "compiled") {
    llvm::errs() << "slmc-conformance: --backend must be reference or compiled, not " << backend
                 << "\n";
    return 2;
  }
  bool compiled = backend == "compiled";

  if (!llvm::sys::fs::is_directory(root)) {
    llvm::errs() << "slmc-conformance: " << root << " is not a folder\n";
    return 2;
  }
  int passed = 0, failed = 0, skipped = 0, notCompiled = 0, cases = 0;
  std::map<std::string, int> needs;
  for (const std::string &name : sortedChildren(root, "", /*directories=*/true)) {
    std::string caseDir = root + "/" + name;
    if (!llvm::StringRef(name).contains(filter) || !llvm::sys::fs::exists(caseDir + "/model.onnx"))
      continue;
    ++cases;
    Outcome outcome = runCase(caseDir, compiled, absl::GetFlag(FLAGS_target));
    switch (outcome.status) {
    case Status::Passed:
      ++passed;
      if (verbose)
        llvm::outs() << "PASS " << name << "\n";
      break;
    case Status::Failed:
      ++failed;
      llvm::outs() << "FAIL " << name << ": " << outcome.detail << "\n";
      break;
    case Status::Unsupported:
      ++skipped;
      for (const std::string &feature : outcome.features)
        ++needs[feature];
      if (verbose)
        llvm::outs() << "UNSUPPORTED " << name << ": " << outcome.detail << "\n";
      break;
    case Status::NotCompiled:
      ++skipped;
      ++notCompiled;
      for (const std::string &feature : outcome.features)
        ++needs[feature];
      llvm::outs() << "NOT YET COMPILED " << name << ": " << outcome.detail << "\n";
      break;
    }
  }
  if (verbose) {
    std::vector<std::pair<std::string, int>> tally(needs.begin(), needs.end());
    std::sort(tally.begin(), tally.end(), [](const auto &a, const auto &b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    llvm::outs() << "unsupported features (cases):\n";
    for (const auto &[feature, count] : tally)
      llvm::outs() << llvm::formatv("  {0,4}  {1}\n", count, feature);
  }
  llvm::outs() << cases << " distinct node cases\n";
  llvm::outs() << passed << " passed, " << failed << " failed, " << skipped << " unsupported";
  if (compiled)
    llvm::outs() << " (" << notCompiled << " of them not yet supported by the code generator)";
  llvm::outs() << "\n";
  return failed > 0 ? 1 : 0;
}
