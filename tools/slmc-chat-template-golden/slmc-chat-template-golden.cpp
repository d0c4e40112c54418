//===- slmc-chat-template-golden.cpp - chat templates against goldens ------===//
//
// slmc-chat-template-golden TEMPLATE_DIR GOLDEN.jsonl
//
// Each line of GOLDEN.jsonl is {template, case, context, text} or {template,
// case, context, error} as an independent engine (@huggingface/jinja,
// test/oracles/jinja/render.mjs) rendered TEMPLATE_DIR/<template>.jinja with
// `context` (JSON text: its keys keep their order, as tojson shows). libslmtok
// must produce the same text, or fail where it failed (the template's own
// raise_exception). Prints every mismatch and a summary; exits 1 on any.
//
//===----------------------------------------------------------------------===//

#include "slm_chat.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <memory>

namespace {

struct TemplateDeleter {
  void operator()(slm_chat_template *t) const { slm_chat_template_free(t); }
};
using TemplatePtr = std::unique_ptr<slm_chat_template, TemplateDeleter>;

} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    llvm::errs() << "usage: slmc-chat-template-golden TEMPLATE_DIR GOLDEN.jsonl\n";
    return 2;
  }
  std::string dir = argv[1];
  auto golden = llvm::MemoryBuffer::getFile(argv[2], /*IsText=*/true);
  if (!golden) {
    llvm::errs() << argv[2] << ": cannot read\n";
    return 2;
  }

  llvm::StringMap<TemplatePtr> templates;
  int total = 0, failed = 0;
  llvm::SmallVector<llvm::StringRef> lines;
  (*golden)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef line : lines) {
    auto record = llvm::json::parse(line);
    const llvm::json::Object *o = record ? record->getAsObject() : nullptr;
    auto name = o ? o->getString("template") : std::nullopt;
    auto caseName = o ? o->getString("case") : std::nullopt;
    auto context = o ? o->getString("context") : std::nullopt;
    if (!o || !name || !caseName || !context) {
      if (!record)
        llvm::consumeError(record.takeError());
      llvm::errs() << "slmc-chat-template-golden: a malformed golden line: " << line << "\n";
      return 2;
    }
    ++total;
    char error[512] = {0};
    auto &t = templates[*name];
    if (!t) {
      std::string path = dir + "/" + name->str() + ".jinja";
      auto source = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
      if (!source) {
        llvm::errs() << path << ": cannot read\n";
        return 2;
      }
      t.reset(slm_chat_template_parse((*source)->getBufferStart(), (*source)->getBufferSize(),
                                      error, sizeof error));
      if (!t) {
        llvm::outs() << "FAIL " << *name << ": does not parse: " << error << "\n";
        ++failed;
        templates.erase(*name);
        continue;
      }
    }
    char *text = nullptr;
    size_t len = 0;
    bool rendered = slm_chat_template_render_json(t.get(), context->data(), context->size(), &text,
                                                  &len, error, sizeof error);
    std::string got = rendered ? std::string(text, len) : std::string();
    std::free(text);
    auto want = o->getString("text");
    bool ok = want ? rendered && got == *want : !rendered;
    if (!ok) {
      ++failed;
      llvm::outs() << "FAIL " << *name << " / " << *caseName << ": ";
      if (!rendered)
        llvm::outs() << "error " << error << "\n";
      else if (!want)
        llvm::outs() << "rendered, but the golden failed: " << *o->getString("error") << "\n";
      else
        llvm::outs() << "\n  want " << llvm::json::Value(*want) << "\n  got  "
                     << llvm::json::Value(got) << "\n";
    }
  }
  llvm::outs() << (total - failed) << " of " << total << " renders match the golden\n";
  return failed ? 1 : 0;
}
