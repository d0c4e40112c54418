//===- KeygenCommand.cpp - slmc keygen ------------------------------------===//

#include "tools/slmc/Command.h"
#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"
#include "compiler/artifact/SigningKey.h"
#include "compiler/support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace slmc::cli {
namespace {

llvm::Error runKeygen(const std::vector<std::string> &args) {
  if (!args.empty())
    return makeError("slmc keygen takes no arguments; name the key with -o FILE");
  std::string output = absl::GetFlag(FLAGS_o);
  if (output.empty() || output == "-")
    return makeError("-o FILE is required: the secret key goes to FILE, the public key to "
                     "FILE.pub");
  auto key = generateKeyPair(output);
  if (!key)
    return key.takeError();
  llvm::outs() << publicKeyText(*key);
  llvm::errs() << llvm::formatv("wrote the secret key to {0} (keep it private) and the public "
                                "key to {0}.pub\n",
                                output);
  return llvm::Error::success();
}

} // namespace

const Command &keygenCommand() {
  static const Command command{
      "keygen",
      "Make an Ed25519 key pair to sign artifacts with",
      "slmc keygen -o FILE",
      "Writes a fresh secret key to FILE (readable by its owner only; an existing FILE is\n"
      "never overwritten) and its public key to FILE.pub, and prints the public key.\n"
      "`slmc compile --sign FILE` signs an artifact; a device given FILE.pub (slmrun\n"
      "--trusted-key, slm_artifact_open_trusted) runs only what the key signed.",
      {"o"},
      runKeygen};
  return command;
}

} // namespace slmc::cli
