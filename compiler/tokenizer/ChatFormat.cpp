//===- ChatFormat.cpp - a model's chat template and stop tokens -----------===//

#include "compiler/tokenizer/ChatFormat.h"

#include "compiler/support/Error.h"
#include "compiler/support/JsonFile.h"
#include "slm_chat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

namespace slmc {
namespace {

std::string join(llvm::StringRef folder, llvm::StringRef name) {
  llvm::SmallString<256> path(folder);
  llvm::sys::path::append(path, name);
  return path.str().str();
}

/// The JSON object in `path`, nullopt when the file does not exist.
llvm::Expected<std::optional<llvm::json::Object>> readObject(const std::string &path) {
  if (!llvm::sys::fs::exists(path))
    return std::nullopt;
  auto object = readJsonObject(path);
  if (!object)
    return object.takeError();
  return std::move(*object);
}

/// A special token field: a string, or an AddedToken object {"content": ...}.
llvm::Expected<std::string> tokenField(const llvm::json::Object &o, llvm::StringRef key,
                                       const std::string &path) {
  const llvm::json::Value *v = o.get(key);
  if (!v || v->kind() == llvm::json::Value::Null)
    return "";
  if (auto s = v->getAsString())
    return s->str();
  if (const auto *added = v->getAsObject())
    if (auto content = added->getString("content"))
      return content->str();
  return makeError("{0}: \"{1}\" must be a string or an object with \"content\"", path, key);
}

/// eos_token_id: one id or a list of them (generation_config.json, config.json).
llvm::Error addIds(const llvm::json::Object &o, const std::string &path,
                   std::vector<int32_t> &ids, int32_t vocab) {
  const llvm::json::Value *v = o.get("eos_token_id");
  if (!v || v->kind() == llvm::json::Value::Null)
    return llvm::Error::success();
  llvm::SmallVector<const llvm::json::Value *> values;
  if (const auto *list = v->getAsArray())
    for (const llvm::json::Value &e : *list)
      values.push_back(&e);
  else
    values.push_back(v);
  for (const llvm::json::Value *e : values) {
    auto id = e->getAsInteger();
    if (!id || *id < 0 || *id >= vocab)
      return makeError("{0}: eos_token_id must be token ids below the vocabulary size {1}", path,
                       vocab);
    ids.push_back(static_cast<int32_t>(*id));
  }
  return llvm::Error::success();
}

} // namespace

llvm::Error checkChatTemplate(llvm::StringRef where, llvm::StringRef source) {
  char error[512] = {0};
  slm_chat_template *t = slm_chat_template_parse(source.data(), source.size(), error, sizeof error);
  if (!t)
    return makeError("{0}: {1}", where, error);
  slm_chat_template_free(t);
  return llvm::Error::success();
}

llvm::Expected<std::optional<ChatFormat>> readChatFormat(llvm::StringRef folder,
                                                         const Tokenizer &tokenizer,
                                                         int32_t modelEos) {
  std::string configPath = join(folder, "tokenizer_config.json");
  auto config = readObject(configPath);
  if (!config)
    return config.takeError();
  if (!*config)
    return std::nullopt;
  ChatFormat chat;
  const llvm::json::Value *source = (*config)->get("chat_template");
  if (!source || source->kind() == llvm::json::Value::Null)
    return std::nullopt;
  if (auto text = source->getAsString()) {
    chat.templateSource = text->str();
  } else if (const auto *named = source->getAsArray()) {
    // Several named templates (e.g. "default", "tool_use"): the default one.
    for (const llvm::json::Value &entry : *named)
      if (const auto *o = entry.getAsObject())
        if (o->getString("name") == std::optional<llvm::StringRef>("default"))
          if (auto text = o->getString("template"))
            chat.templateSource = text->str();
    if (chat.templateSource.empty())
      return makeError("{0}: chat_template lists no template named \"default\"", configPath);
  } else {
    return makeError("{0}: chat_template must be a string or a list of named templates",
                     configPath);
  }
  if (auto error = checkChatTemplate(configPath + ": chat_template", chat.templateSource))
    return std::move(error);
  auto bos = tokenField(**config, "bos_token", configPath);
  auto eos = tokenField(**config, "eos_token", configPath);
  if (!bos || !eos)
    return llvm::joinErrors(bos.takeError(), eos.takeError());
  chat.bosToken = *bos;
  chat.eosToken = *eos;

  int32_t vocab = tokenizer.vocabSize();
  if (modelEos >= 0 && modelEos < vocab)
    chat.stopIds.push_back(modelEos);
  if (!chat.eosToken.empty())
    if (int32_t id = tokenizer.tokenId(chat.eosToken); id >= 0)
      chat.stopIds.push_back(id);
  for (llvm::StringRef name : {"config.json", "generation_config.json"}) {
    std::string path = join(folder, name);
    auto o = readObject(path);
    if (!o)
      return o.takeError();
    if (*o)
      if (auto error = addIds(**o, path, chat.stopIds, vocab))
        return std::move(error);
  }
  llvm::sort(chat.stopIds);
  chat.stopIds.erase(std::unique(chat.stopIds.begin(), chat.stopIds.end()), chat.stopIds.end());
  return chat;
}

} // namespace slmc
