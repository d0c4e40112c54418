//===- main.cpp - the slmc command-line tool ------------------------------===//

#include "tools/slmc/Command.h"
#include "tools/slmc/CommonFlags.h"

#include "absl/flags/parse.h"
#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "compiler/Version.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace slmc::cli;

namespace {

const Command *const kCommands[] = {&importCommand(),  &compileCommand(), &runCommand(),
                                    &evalCommand(),    &inspectCommand(), &targetsCommand(),
                                    &synthCommand(),   &benchCommand(),   &tokenizeCommand(),
                                    &detokenizeCommand(), &keygenCommand()};

void printOverview(llvm::raw_ostream &os) {
  os << "slmc " << SLMC_VERSION_STRING
     << " - a compiler for small language models\n\nUsage: slmc COMMAND [options]\n\n"
        "Commands:\n";
  for (const Command *c : kCommands)
    os << llvm::formatv("  {0,-10} {1}\n", c->name, c->summary);
  os << "\nRun 'slmc COMMAND --help' for a command's options.\n";
}


void printHelp(const Command &command) {
  llvm::outs() << "Usage: " << command.usage << "\n\n" << command.summary << ".\n";
  if (*command.details)
    llvm::outs() << "\n" << command.details << "\n";
  llvm::outs() << "\nOptions:\n";
  for (const char *name : command.flags) {
    absl::CommandLineFlag *flag = absl::FindCommandLineFlag(name);
    std::string def = flag->DefaultValue();
    llvm::outs() << "  --" << dashed(name)
                 << (def.empty() || def == "false" || def == "nan" ? "" : " (default " + def + ")")
                 << "\n      "
                 << flag->Help() << "\n";
  }
}

/// Walks the flags of `args` (skipping their separate values), spelling each
/// name as Abseil does (max-context -> max_context) and checking that the
/// command owns it: Abseil knows every flag of the program, so without this
/// `slmc eval --prompt x` would be accepted.
bool normalizeFlags(const Command &command, llvm::MutableArrayRef<std::string> args) {
  bool ok = true;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string &arg = args[i];
    if (arg == "--")
      break;
    if (arg.size() < 2 || arg[0] != '-')
      continue;
    size_t dashes = arg.find_first_not_of('-');
    size_t end = std::min(arg.find('='), arg.size());
    std::replace(arg.begin() + dashes, arg.begin() + end, '-', '_');
    std::string name = arg.substr(dashes, end - dashes);
    absl::CommandLineFlag *flag = absl::FindCommandLineFlag(name);
    if (!flag && llvm::StringRef(name).starts_with("no")) {
      // --no-special (dashed, as the help spells flags) is Abseil's --nospecial
      size_t skip = llvm::StringRef(name).starts_with("no_") ? 3 : 2;
      flag = absl::FindCommandLineFlag(name.substr(skip));
      if (flag && flag->IsOfType<bool>() && skip == 3)
        arg = arg.substr(0, dashes) + "no" + arg.substr(dashes + 3);
    }
    if (!flag)
      continue; // Abseil reports unknown flags itself
    bool own = llvm::any_of(command.flags, [&](const char *f) { return flag->Name() == f; });
    if (!own) {
      llvm::errs() << "slmc " << command.name << ": error: --" << dashed(std::string(flag->Name()))
                   << " is not an option of this command (see slmc " << command.name
                   << " --help)\n";
      ok = false;
    }
    // "--flag value": the value is not a flag even if it starts with '-'.
    if (end == arg.size() && !flag->IsOfType<bool>())
      ++i;
  }
  return ok;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || llvm::StringRef(argv[1]) == "--help" || llvm::StringRef(argv[1]) == "-h") {
    printOverview(argc < 2 ? llvm::errs() : llvm::outs());
    return argc < 2 ? 2 : 0;
  }
  if (llvm::StringRef(argv[1]) == "--version") {
    llvm::outs() << "slmc " << SLMC_VERSION_STRING << "\n";
    return 0;
  }
  auto it = std::find_if(std::begin(kCommands), std::end(kCommands),
                         [&](const Command *c) { return llvm::StringRef(argv[1]) == c->name; });
  if (it == std::end(kCommands)) {
    llvm::errs() << "slmc: error: unknown command '" << argv[1] << "'\n\n";
    printOverview(llvm::errs());
    return 2;
  }
  const Command &command = **it;
  for (int i = 2; i < argc; ++i)
    if (llvm::StringRef(argv[i]) == "--help" || llvm::StringRef(argv[i]) == "-h") {
      printHelp(command);
      return 0;
    }

  std::vector<std::string> words{std::string("slmc ") + command.name};
  words.insert(words.end(), argv + 2, argv + argc);
  if (!normalizeFlags(command, llvm::MutableArrayRef(words).drop_front()))
    return 2;
  std::vector<char *> args;
  for (std::string &word : words)
    args.push_back(word.data());
  absl::SetProgramUsageMessage(command.usage);
  std::vector<char *> positional =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  std::vector<std::string> rest(positional.begin() + 1, positional.end());
  if (llvm::Error error = command.run(rest)) {
    llvm::errs() << "slmc " << command.name << ": error: " << llvm::toString(std::move(error))
                 << "\n";
    return 1;
  }
  return 0;
}
