//===- main.cpp - the slmc command-line tool ------------------------------===//

#include "tools/slmc/Command.h"

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

const Command *const kCommands[] = {&importCommand(), &runCommand(), &evalCommand()};

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
    llvm::outs() << llvm::formatv("  --{0}", name)
                 << (def.empty() || def == "false" ? "" : " (default " + def + ")") << "\n      "
                 << flag->Help() << "\n";
  }
}

/// Abseil knows every flag of the program; a command rejects the ones that are
/// not its own so that, say, `slmc eval --prompt x` is an error.
bool checkFlagsBelong(const Command &command, llvm::ArrayRef<char *> args) {
  bool ok = true;
  for (size_t i = 0; i < args.size(); ++i) {
    llvm::StringRef arg = args[i];
    if (arg == "--")
      break;
    if (!arg.starts_with("-") || arg.size() < 2)
      continue;
    auto [name, value] = arg.ltrim('-').split('=');
    absl::CommandLineFlag *flag = absl::FindCommandLineFlag(std::string(name));
    if (!flag && name.starts_with("no"))
      flag = absl::FindCommandLineFlag(std::string(name.drop_front(2)));
    if (!flag)
      continue; // Abseil reports unknown flags itself
    bool own = llvm::any_of(command.flags, [&](const char *f) { return flag->Name() == f; });
    if (!own) {
      llvm::errs() << "slmc " << command.name << ": error: --" << std::string(flag->Name())
                   << " is not an option of this command (see slmc " << command.name
                   << " --help)\n";
      ok = false;
    }
    // "--flag value": the value is not a flag even if it starts with '-'.
    if (!arg.contains('=') && !flag->IsOfType<bool>())
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

  std::string program = std::string("slmc ") + command.name;
  std::vector<char *> args{program.data()};
  args.insert(args.end(), argv + 2, argv + argc);
  absl::SetProgramUsageMessage(command.usage);
  if (!checkFlagsBelong(command, llvm::ArrayRef(args).drop_front()))
    return 2;
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
