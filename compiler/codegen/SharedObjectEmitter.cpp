//===- SharedObjectEmitter.cpp - LLVM dialect -> ELF shared object --------===//

#include "compiler/codegen/SharedObjectEmitter.h"

#include "compiler/support/Error.h"
#include "compiler/targets/UkernelBitcode.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/IPO/GlobalDCE.h"
#include "llvm/Transforms/IPO/Internalize.h"

namespace slmc {
namespace {

void initializeLLVMTargets() {
  static bool done = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    return true;
  }();
  (void)done;
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>> createTargetMachine(const Target &target) {
  std::string error;
  const llvm::Target *llvmTarget = llvm::TargetRegistry::lookupTarget(target.triple, error);
  if (!llvmTarget)
    return makeError("target {0}: {1}", target.name, error);
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      target.triple, target.cpu, target.features, options, llvm::Reloc::PIC_,
      llvm::CodeModel::Small, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return makeError("target {0}: LLVM cannot create a target machine", target.name);
  return machine;
}

void optimize(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  // PassBuilder leaves vectorization off unless asked, as clang and opt do.
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  tuning.LoopInterleaving = true;
  tuning.LoopUnrolling = true;
  llvm::PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(module, modules);
}

void dropUnusedGlobals(llvm::Module &module) {
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder;
  builder.registerModuleAnalyses(modules);
  llvm::ModulePassManager pm;
  pm.addPass(llvm::GlobalDCEPass());
  pm.run(module, modules);
}

/// Links an object file into a shared object with the system's ld.lld.
llvm::Expected<std::string> linkSharedObject(llvm::StringRef object) {
  auto lld = llvm::sys::findProgramByName("ld.lld-19");
  if (!lld)
    lld = llvm::sys::findProgramByName("ld.lld");
  if (!lld)
    return makeError("cannot find ld.lld-19 or ld.lld on PATH (Debian package lld-19)");
  llvm::SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("slmc-link", dir))
    return makeError("cannot create a temporary directory: {0}", ec.message());
  auto cleanup = llvm::make_scope_exit([&] { llvm::sys::fs::remove_directories(dir); });
  std::string objectPath = (dir + "/model.o").str(), libraryPath = (dir + "/model.so").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(objectPath, ec);
    if (ec)
      return makeError("{0}: {1}", objectPath, ec.message());
    os << object;
  }
  llvm::SmallVector<llvm::StringRef> args{*lld, "-shared", "-soname", "slm_model.so",
                                          "--hash-style=gnu", "-z", "noexecstack", "-z", "now",
                                          "-o", libraryPath, objectPath};
  std::string message;
  if (int rc = llvm::sys::ExecuteAndWait(*lld, args, std::nullopt, {}, 0, 0, &message))
    return makeError("ld.lld failed ({0}): {1}", rc, message);
  auto library = llvm::MemoryBuffer::getFile(libraryPath, /*IsText=*/false);
  if (!library)
    return makeError("{0}: {1}", libraryPath, library.getError().message());
  return (*library)->getBuffer().str();
}

} // namespace

llvm::Expected<std::string> emitSharedObject(mlir::ModuleOp module, const Target &target,
                                             llvm::ArrayRef<std::string> entryPoints) {
  initializeLLVMTargets();
  auto machine = createTargetMachine(target);
  if (!machine)
    return machine.takeError();

  mlir::registerBuiltinDialectTranslation(*module.getContext());
  mlir::registerLLVMDialectTranslation(*module.getContext());
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context, "slm_model");
  if (!llvmModule)
    return makeError("translating the lowered module to LLVM IR failed");

  llvm::StringRef bitcode = ukernelBitcode(target.arch);
  if (bitcode.empty())
    return makeError("target {0}: no micro-kernels for architecture {1}", target.name, target.arch);
  auto kernels = llvm::parseBitcodeFile(llvm::MemoryBufferRef(bitcode, "slm_ukernels"), context);
  if (!kernels)
    return makeError("the built-in micro-kernels do not load: {0}",
                     llvm::toString(kernels.takeError()));
  for (llvm::Module *m : {llvmModule.get(), kernels->get()}) {
    m->setTargetTriple(target.triple);
    m->setDataLayout((*machine)->createDataLayout());
  }
  if (llvm::Linker::linkModules(*llvmModule, std::move(*kernels)))
    return makeError("linking the micro-kernels into the model failed");

  // The kernels were compiled for no particular CPU: give every function the
  // target's, so that the optimizer vectorizes for its ISA.
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", target.cpu);
    f.addFnAttr("target-features", target.features);
    if (target.preferVectorWidth)
      f.addFnAttr("prefer-vector-width", std::to_string(target.preferVectorWidth));
    f.removeFnAttr("tune-cpu");
  }
  // The target constants the micro-kernels declare (native_target.c defines
  // them in native builds): constants here, so O3 keeps one variant.
  if (llvm::GlobalVariable *tile = llvmModule->getGlobalVariable("slm_uk_gemm_tile_columns")) {
    tile->setInitializer(llvm::ConstantInt::get(tile->getValueType(), target.gemmTileColumns));
    tile->setConstant(true);
  }
  llvm::StringSet<> keep;
  for (const std::string &name : entryPoints)
    keep.insert(name);
  llvm::internalizeModule(*llvmModule,
                          [&](const llvm::GlobalValue &gv) { return keep.contains(gv.getName()); });
  // Drop the micro-kernels this model does not call before optimizing, so that
  // O3 spends its time on the code that ships.
  dropUnusedGlobals(*llvmModule);
  if (llvm::verifyModule(*llvmModule, &llvm::errs()))
    return makeError("the emitted LLVM module does not verify");
  optimize(*llvmModule, **machine);

  llvm::SmallString<0> object;
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager codegen;
  if ((*machine)->addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile))
    return makeError("target {0}: LLVM cannot emit object code", target.name);
  codegen.run(*llvmModule);
  return linkSharedObject(object);
}

} // namespace slmc
