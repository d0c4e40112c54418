//===- HfNormalize.cpp - tokenizer.json normalizer and pre-tokenizer ------===//

#include "compiler/tokenizer/HfNormalize.h"

#include "compiler/support/Error.h"

#include <numeric>

namespace slmc {
namespace {
llvm::StringRef typeOf(const llvm::json::Object &spec) {
  return spec.getString("type").value_or("(no type)");
}

// Non-overlapping occurrences, left to right, as Rust's str::replace finds them.
TrackedText replaceAll(const TrackedText &input, llvm::StringRef pattern, llvm::StringRef content) {
  TrackedText output;
  llvm::StringRef text = input.text;
  for (size_t at = 0; at < text.size();) {
    if (text.substr(at).starts_with(pattern)) {
      output.text += content;
      output.origin.insert(output.origin.end(), content.size(), input.origin[at]);
      at += pattern.size();
    } else {
      output.text += text[at];
      output.origin.push_back(input.origin[at]);
      ++at;
    }
  }
  return output;
}

TrackedText prepend(TrackedText text, llvm::StringRef prefix) {
  text.text.insert(0, prefix.str());
  text.origin.insert(text.origin.begin(), prefix.size(), text.origin.front());
  return text;
}
} // namespace

TrackedText TrackedText::of(llvm::StringRef text) {
  TrackedText tracked{text.str(), std::vector<size_t>(text.size())};
  std::iota(tracked.origin.begin(), tracked.origin.end(), 0);
  return tracked;
}

TrackedText TrackedText::slice(size_t begin, size_t end) const {
  return {text.substr(begin, end - begin),
          std::vector<size_t>(origin.begin() + begin, origin.begin() + end)};
}

llvm::Error Normalizer::addSteps(llvm::StringRef path, const llvm::json::Value &spec,
                                 std::vector<Step> &steps) {
  const llvm::json::Object *object = spec.getAsObject();
  if (!object)
    return makeError("{0}: a normalizer is not a JSON object", path);
  llvm::StringRef type = typeOf(*object);
  if (type == "Sequence") {
    const llvm::json::Array *inner = object->getArray("normalizers");
    if (!inner)
      return makeError("{0}: normalizer Sequence has no \"normalizers\" array", path);
    for (const llvm::json::Value &each : *inner)
      if (llvm::Error error = addSteps(path, each, steps))
        return error;
    return llvm::Error::success();
  }
  if (type == "Prepend") {
    std::optional<llvm::StringRef> prefix = object->getString("prepend");
    if (!prefix)
      return makeError("{0}: normalizer Prepend has no \"prepend\" string", path);
    steps.push_back({true, "", prefix->str()});
    return llvm::Error::success();
  }
  if (type == "Replace") {
    const llvm::json::Object *pattern = object->getObject("pattern");
    std::optional<llvm::StringRef> find = pattern ? pattern->getString("String") : std::nullopt;
    std::optional<llvm::StringRef> content = object->getString("content");
    if (!find || find->empty() || !content)
      return makeError("{0}: normalizer Replace needs a non-empty \"pattern\": {{\"String\": ...} "
                       "and a \"content\" string (regex patterns are not supported)",
                       path);
    steps.push_back({false, find->str(), content->str()});
    return llvm::Error::success();
  }
  return makeError("{0}: normalizer type '{1}' is not supported (only Sequence, Prepend, Replace)",
                   path, type);
}

llvm::Expected<Normalizer> Normalizer::parse(llvm::StringRef path, const llvm::json::Value *spec) {
  Normalizer normalizer;
  if (spec && spec->kind() != llvm::json::Value::Null)
    if (llvm::Error error = addSteps(path, *spec, normalizer.steps_))
      return std::move(error);
  return normalizer;
}

TrackedText Normalizer::apply(TrackedText text) const {
  for (const Step &step : steps_) {
    // Hugging Face's Prepend leaves empty text empty.
    if (step.prepend && !text.text.empty())
      text = prepend(std::move(text), step.content);
    else if (!step.prepend)
      text = replaceAll(text, step.pattern, step.content);
  }
  return text;
}

llvm::Expected<PreTokenizer> PreTokenizer::parse(llvm::StringRef path,
                                                 const llvm::json::Value *spec) {
  PreTokenizer pre;
  if (!spec || spec->kind() == llvm::json::Value::Null)
    return pre;
  const llvm::json::Object *object = spec->getAsObject();
  if (!object)
    return makeError("{0}: the pre_tokenizer is not a JSON object", path);
  if (typeOf(*object) != "Metaspace")
    return makeError("{0}: pre_tokenizer type '{1}' is not supported (only Metaspace)", path,
                     typeOf(*object));
  pre.metaspace_ = true;
  pre.replacement_ = object->getString("replacement").value_or("\xE2\x96\x81").str();
  if (pre.replacement_.empty())
    return makeError("{0}: pre_tokenizer Metaspace has an empty replacement", path);
  pre.split_ = object->getBoolean("split").value_or(true);
  // Files written before prepend_scheme existed say add_prefix_space instead.
  if (std::optional<llvm::StringRef> scheme = object->getString("prepend_scheme")) {
    if (*scheme == "always")
      pre.prepend_ = Prepend::Always;
    else if (*scheme == "first")
      pre.prepend_ = Prepend::First;
    else if (*scheme == "never")
      pre.prepend_ = Prepend::Never;
    else
      return makeError("{0}: Metaspace prepend_scheme '{1}' is not supported", path, *scheme);
  } else {
    pre.prepend_ =
        object->getBoolean("add_prefix_space").value_or(true) ? Prepend::Always : Prepend::Never;
  }
  return pre;
}

std::vector<TrackedText> PreTokenizer::apply(TrackedText text) const {
  if (!metaspace_)
    return {std::move(text)};
  text = replaceAll(text, " ", replacement_);
  // "first" prefixes only the text that starts the caller's input, not the
  // text after an added token.
  bool wantsPrefix =
      prepend_ == Prepend::Always || (prepend_ == Prepend::First && text.origin.front() == 0);
  if (wantsPrefix && !llvm::StringRef(text.text).starts_with(replacement_))
    text = prepend(std::move(text), replacement_);
  if (!split_)
    return {std::move(text)};
  // Each replacement starts a new word (Hugging Face's MergedWithNext).
  std::vector<TrackedText> words;
  size_t start = 0;
  for (size_t at = llvm::StringRef(text.text).find(replacement_, 1); at != llvm::StringRef::npos;
       at = llvm::StringRef(text.text).find(replacement_, at + replacement_.size())) {
    words.push_back(text.slice(start, at));
    start = at;
  }
  words.push_back(text.slice(start, text.text.size()));
  return words;
}

} // namespace slmc
