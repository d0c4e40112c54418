//===- InspectCommand.cpp - slmc inspect ----------------------------------===//

#include "tools/slmc/Command.h"
#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"
#include "compiler/artifact/ArtifactReader.h"
#include "compiler/support/Error.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

ABSL_FLAG(std::vector<std::string>, trusted_key, {},
          "public key files (comma-separated): fail unless the artifact is signed by one of "
          "them and its signature matches");

namespace slmc::cli {
namespace {

std::string keyHex(const slm_public_key &key) {
  return llvm::toHex(llvm::ArrayRef(key.bytes), /*LowerCase=*/true);
}

std::string shapeText(const google::protobuf::RepeatedField<int64_t> &shape) {
  return "[" + llvm::join(llvm::map_range(shape, [](int64_t d) { return std::to_string(d); }), "x") +
         "]";
}

llvm::json::Array tensorsJson(const google::protobuf::RepeatedPtrField<slm::artifact::TensorInfo> &list) {
  llvm::json::Array out;
  for (const auto &t : list)
    out.push_back(llvm::json::Object{{"name", t.name()},
                                     {"shape", llvm::json::Array(t.shape())},
                                     {"dtype", t.dtype()},
                                     {"layout", t.layout()},
                                     {"offset", static_cast<int64_t>(t.offset())},
                                     {"size", static_cast<int64_t>(t.size())}});
  return out;
}

/// The kernels one call of the first entry point makes (a decoder step: one token).
llvm::json::Object kernelCallsJson(const slm::artifact::Manifest &m) {
  int64_t total = 0;
  llvm::json::Array kernels;
  if (m.entry_points_size())
    for (const auto &calls : m.entry_points(0).kernel_calls()) {
      total += calls.count();
      kernels.push_back(llvm::json::Object{{"kernel", calls.kernel()}, {"count", calls.count()}});
    }
  return llvm::json::Object{{"total", total}, {"kernels", std::move(kernels)}};
}

llvm::json::Array stopIdsJson(const slm::artifact::ChatTemplate &chat) {
  llvm::json::Array ids;
  for (int64_t id : chat.stop_token_ids())
    ids.push_back(id);
  return ids;
}

llvm::json::Object toJson(const ArtifactManifest &a) {
  const slm::artifact::Manifest &m = a.manifest;
  llvm::json::Array entries;
  for (const auto &e : m.entry_points())
    entries.push_back(llvm::json::Object{{"name", e.name()},
                                         {"kind", e.kind()},
                                         {"inputs", tensorsJson(e.inputs())},
                                         {"outputs", tensorsJson(e.outputs())}});
  const auto &model = m.model();
  const auto &memory = m.memory();
  return llvm::json::Object{
      {"format_version", static_cast<int64_t>(a.layout.format_version)},
      {"producer", m.producer()},
      {"target",
       llvm::json::Object{{"name", m.target().name()},
                          {"triple", m.target().triple()},
                          {"cpu", m.target().cpu()},
                          {"required_features", llvm::json::Array(m.target().required_features())}}},
      {"model", llvm::json::Object{{"architecture", model.architecture()},
                                   {"vocab_size", model.vocab_size()},
                                   {"hidden_size", model.hidden_size()},
                                   {"layers", model.layers()},
                                   {"heads", model.heads()},
                                   {"kv_heads", model.kv_heads()},
                                   {"head_dim", model.head_dim()},
                                   {"max_context", model.max_context()},
                                   {"bos_token_id", model.bos_token_id()},
                                   {"eos_token_id", model.eos_token_id()},
                                   {"parameters", model.parameters()},
                                   {"sliding_window", model.sliding_window()}}},
      {"entry_points", std::move(entries)},
      {"kernel_calls_per_token", kernelCallsJson(m)},
      {"memory_plan", llvm::json::Object{{"arena_bytes", static_cast<int64_t>(memory.arena_size())},
                                         {"kv_cache_bytes", static_cast<int64_t>(memory.kv_cache_size())},
                                         {"logits_bytes", static_cast<int64_t>(memory.logits_size())},
                                         {"max_tokens_per_call", memory.max_tokens_per_call()},
                                         {"last_logits_on_request", memory.last_logits_on_request()}}},
      {"sizes", llvm::json::Object{{"file", static_cast<int64_t>(a.layout.file_size)},
                                   {"manifest", static_cast<int64_t>(a.layout.manifest_size)},
                                   {"code", static_cast<int64_t>(a.layout.code_size)},
                                   {"weights", static_cast<int64_t>(a.layout.weights_size)},
                                   {"tokenizer", static_cast<int64_t>(m.tokenizer().data().size())}}},
      {"tokenizer", m.tokenizer().kind()},
      {"signer", a.signer ? llvm::json::Value(keyHex(*a.signer)) : llvm::json::Value(nullptr)},
      {"chat_template", m.tokenizer().has_chat()
                            ? llvm::json::Value(llvm::json::Object{
                                  {"source", m.tokenizer().chat().source()},
                                  {"bos_token", m.tokenizer().chat().bos_token()},
                                  {"eos_token", m.tokenizer().chat().eos_token()},
                                  {"stop_token_ids", stopIdsJson(m.tokenizer().chat())}})
                            : llvm::json::Value(nullptr)},
      {"tensors", tensorsJson(m.tensors())},
      {"compile_options", llvm::json::Object{{"max_context", m.options().max_context()},
                                             {"weight_format", m.options().weight_format()},
                                             {"w8a8", m.options().w8a8()},
                                             {"kv_cache", m.options().kv_cache()},
                                             {"source_model", m.options().source_model()}}},
  };
}

void printText(const ArtifactManifest &a, llvm::raw_ostream &os) {
  const slm::artifact::Manifest &m = a.manifest;
  const auto &model = m.model();
  const auto &memory = m.memory();
  os << llvm::formatv("producer     {0} (format version {1})\n", m.producer(), a.layout.format_version);
  os << llvm::formatv("target       {0} ({1}, cpu {2})\n", m.target().name(), m.target().triple(),
                      m.target().cpu());
  os << "features     " << llvm::join(m.target().required_features(), " ") << "\n";
  os << llvm::formatv("model        {0}: vocab {1}, hidden {2}, {3} layers, {4} heads / {5} kv "
                      "heads of {6}, context {7}, bos {8}, eos {9}\n",
                      model.architecture(), model.vocab_size(), model.hidden_size(), model.layers(),
                      model.heads(), model.kv_heads(), model.head_dim(), model.max_context(),
                      model.bos_token_id(), model.eos_token_id());
  if (model.sliding_window() > 0)
    os << llvm::formatv("             windowed layers' KV caches are rings of {0} rows\n",
                        model.sliding_window());
  for (const auto &e : m.entry_points()) {
    os << llvm::formatv("entry point  {0} ({1})\n", e.name(), e.kind());
    int64_t total = 0;
    std::vector<std::string> calls;
    for (const auto &c : e.kernel_calls()) {
      total += c.count();
      calls.push_back(llvm::formatv("{0} {1}", c.kernel(), c.count()).str());
    }
    os << llvm::formatv("kernel calls {0} per {1}: {2}\n", total,
                        e.kind() == "decoder_step" ? "token" : "call", llvm::join(calls, ", "));
  }
  os << llvm::formatv("memory plan  arena {0} B, KV cache {1} B{4}, logits {2} B{5}, up to {3} "
                      "tokens per call\n",
                      memory.arena_size(), memory.kv_cache_size(), memory.logits_size(),
                      memory.max_tokens_per_call(),
                      m.options().kv_cache() == "int8" ? " (int8, a scale per position and head)"
                                                       : "",
                      memory.last_logits_on_request() ? " (the last token's alone on request)" : "");
  os << llvm::formatv("sizes        file {0} B = manifest {1} + code {2} + weights {3} (+ "
                      "header, padding)\n",
                      a.layout.file_size, a.layout.manifest_size, a.layout.code_size,
                      a.layout.weights_size);
  os << llvm::formatv("tokenizer    {0}, {1} B\n", m.tokenizer().kind(), m.tokenizer().data().size());
  os << "signature    "
     << (a.signer ? "Ed25519, key " + keyHex(*a.signer) : std::string("none")) << "\n";
  if (m.tokenizer().has_chat()) {
    const auto &chat = m.tokenizer().chat();
    os << llvm::formatv("chat template: {0} bytes, stop tokens {1}\n", chat.source().size(),
                        llvm::join(llvm::map_range(chat.stop_token_ids(),
                                                   [](int64_t id) { return std::to_string(id); }),
                                   " "));
  }
  os << llvm::formatv("source       {0}, {1} weights{2}, {3} parameters\n",
                      m.options().source_model(), m.options().weight_format(),
                      m.options().w8a8() ? " with int8 activations (W8A8, W4A8)" : "",
                      model.parameters());
  os << llvm::formatv("tensors      {0}\n", m.tensors_size());
  for (const auto &t : m.tensors())
    os << llvm::formatv("  {0,-52} {1,-4} {2,-14} {3,-10} @{4,10} {5,10} B\n", t.name(), t.dtype(),
                        shapeText(t.shape()), t.layout(), t.offset(), t.size());
}

llvm::Error runInspect(const std::vector<std::string> &args) {
  if (args.size() != 1)
    return makeError("expected exactly one ARTIFACT, got {0} arguments", args.size());
  std::vector<slm_public_key> trusted;
  for (const std::string &path : absl::GetFlag(FLAGS_trusted_key)) {
    auto key = readPublicKey(path);
    if (!key)
      return key.takeError();
    trusted.push_back(*key);
  }
  auto artifact = readArtifactManifest(args[0], trusted);
  if (!artifact)
    return artifact.takeError();
  if (absl::GetFlag(FLAGS_json))
    llvm::outs() << llvm::formatv("{0:2}", llvm::json::Value(toJson(*artifact))) << "\n";
  else
    printText(*artifact, llvm::outs());
  return llvm::Error::success();
}

} // namespace

const Command &inspectCommand() {
  static const Command command{
      "inspect",
      "Describe a compiled .slmpack artifact",
      "slmc inspect ARTIFACT [--json] [--trusted-key KEY.pub,...]",
      "Shows the target and the CPU features it requires, entry points, tensors with their\n"
      "layouts, sizes, the memory plan, the producer and the key that signed it. The file is\n"
      "validated as the runtime validates it, except that it may be for another CPU; with\n"
      "--trusted-key it must also carry a valid signature by one of the keys.",
      {"json", "trusted_key"},
      runInspect};
  return command;
}

} // namespace slmc::cli
