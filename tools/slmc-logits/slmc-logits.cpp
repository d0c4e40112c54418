//===- slmc-logits.cpp - a model's logits for given tokens ----------------===//
//
// Prints the logits a model (imported, on the reference executor) or an
// artifact (compiled, on the tiny runtime) gives for a token sequence, as JSON,
// for comparison with other implementations (the ONNX Runtime oracle tests).
// The tokens go in as one prefill call or one token per call (the KV-cache
// path), so both ways of running a decoder can be checked.
//
//===----------------------------------------------------------------------===//

#include "compiler/runner/ModelLoader.h"

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

ABSL_FLAG(std::string, tokens, "", "comma-separated token ids");
ABSL_FLAG(std::string, mode, "prefill",
          "prefill: all tokens in one call; decode: one token per call");
ABSL_FLAG(int32_t, threads, 1, "threads of a compiled artifact");

int main(int argc, char **argv) {
  std::vector<char *> args = absl::ParseCommandLine(argc, argv);
  auto fail = [](const llvm::Twine &message) {
    llvm::errs() << "slmc-logits: error: " << message << "\n";
    return 1;
  };
  if (args.size() != 2)
    return fail("usage: slmc-logits MODEL|ARTIFACT --tokens 1,2,3 [--mode prefill|decode]");
  std::vector<int32_t> tokens;
  llvm::SmallVector<llvm::StringRef> fields;
  std::string list = absl::GetFlag(FLAGS_tokens);
  llvm::StringRef(list).split(fields, ',', -1, false);
  for (llvm::StringRef field : fields) {
    int32_t token;
    if (field.trim().getAsInteger(10, token))
      return fail("--tokens: '" + field + "' is not a token id");
    tokens.push_back(token);
  }
  std::string mode = absl::GetFlag(FLAGS_mode);
  if (tokens.empty() || (mode != "prefill" && mode != "decode"))
    return fail("--tokens needs ids and --mode prefill or decode");
  auto runnable = slmc::openRunnable(args[1], "", absl::GetFlag(FLAGS_threads),
                                     static_cast<int64_t>(tokens.size()),
                                     /*needsTokenizer=*/false);
  if (!runnable)
    return fail(llvm::toString(runnable.takeError()));
  slmc::LanguageModel &model = *runnable->model;
  int64_t vocab = model.vocabSize();
  std::vector<float> logits;
  auto append = [&](llvm::ArrayRef<int32_t> chunk) -> llvm::Error {
    auto rows = model.forward(chunk);
    if (!rows)
      return rows.takeError();
    const float *data = rows->data<float>();
    logits.insert(logits.end(), data, data + chunk.size() * vocab);
    return llvm::Error::success();
  };
  if (mode == "prefill") {
    if (auto error = append(tokens))
      return fail(llvm::toString(std::move(error)));
  } else {
    for (int32_t token : tokens)
      if (auto error = append({token}))
        return fail(llvm::toString(std::move(error)));
  }
  llvm::outs() << "{\"backend\": \"" << runnable->backend << "\", \"vocab\": " << vocab
               << ", \"tokens\": [" << llvm::join(llvm::map_range(tokens, [](int32_t t) {
                    return std::to_string(t);
                  }), ", ")
               << "], \"logits\": [";
  for (size_t i = 0; i < logits.size(); ++i)
    llvm::outs() << (i ? "," : "") << llvm::format("%.9g", logits[i]);
  llvm::outs() << "]}\n";
  return 0;
}
