//===- PlanMemory.cpp - static activation arena and KV cache layout -------===//

#include "passes/Passes.h"

#include "dialects/slm/IR/KernelVariants.h"
#include "dialects/slm/IR/SlmOps.h"
#include "passes/plan/W8A8Scratch.h"
#include "llvm/Support/MathExtras.h"

namespace slmc {
#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

constexpr int64_t kNotInArena = -1;
/// The most tokens one call may take, and the most bytes a plan may ask for
/// (64 TiB): far above any device, far below int64's overflow.
constexpr int64_t kMaxTokens = int64_t{1} << 24;
constexpr int64_t kMaxBytes = int64_t{1} << 46;

/// Bytes of a buffer whose dynamic dimensions hold `maxTokens`, aligned.
int64_t bufferBytes(Type type, int64_t maxTokens) {
  return llvm::alignTo(slm::storageBytes(llvm::cast<RankedTensorType>(type), maxTokens),
                       slm::kBufferAlignment);
}

/// Ops whose result is their first operand's bytes under another shape.
bool isAlias(Operation *op) { return llvm::isa<slm::ReshapeOp, slm::SqueezeOp, slm::UnsqueezeOp>(op); }

struct Interval {
  int64_t offset, size;
  int64_t lastUse;
};

/// First-fit placement of buffers whose lifetimes are intervals of program order.
class ArenaAllocator {
public:
  int64_t allocate(int64_t size, int64_t now, int64_t lastUse) {
    llvm::erase_if(live_, [&](const Interval &i) { return i.lastUse < now; });
    llvm::sort(live_, [](const Interval &a, const Interval &b) { return a.offset < b.offset; });
    int64_t offset = 0;
    for (const Interval &i : live_) {
      if (offset + size <= i.offset)
        break;
      offset = std::max(offset, i.offset + i.size);
    }
    live_.push_back({offset, size, lastUse});
    peak_ = std::max(peak_, offset + size);
    return offset;
  }
  int64_t peak() const { return peak_; }

private:
  std::vector<Interval> live_;
  int64_t peak_ = 0;
};

struct PlanMemoryPass : impl::PlanMemoryBase<PlanMemoryPass> {
  using PlanMemoryBase::PlanMemoryBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp forward = slm::getForward(module);
    if (!forward || !forward.getBody().hasOneBlock()) {
      module.emitError("memory planning needs a single-block @forward function");
      return signalPassFailure();
    }
    // Bounds that keep every size below int64 (dims are bounded by the
    // importers; a buffer is at most kMaxTokens rows of them).
    if (maxTokens <= 0 || maxTokens > kMaxTokens) {
      module.emitError("max-tokens ") << static_cast<int64_t>(maxTokens) << " is not in 1.."
                                      << kMaxTokens;
      return signalPassFailure();
    }
    Block &body = forward.getBody().front();
    slm::ModelAttr model = slm::getModel(module);
    bool decoder = model && model->hasKvCache();
    slm::SlmDialect &slm = slm::SlmDialect::get(&getContext());
    Builder b(&getContext());

    // Program order, and the last reader of each buffer (aliases extend the
    // life of what they alias; returned values live to the end).
    llvm::DenseMap<Operation *, int64_t> order;
    for (auto [i, op] : llvm::enumerate(body))
      order[&op] = i;
    int64_t end = order.size();
    llvm::DenseMap<Value, Value> rootOf;
    auto root = [&](Value v) {
      auto it = rootOf.find(v);
      return it == rootOf.end() ? v : it->second;
    };
    llvm::DenseMap<Value, int64_t> lastUse;
    for (Operation &op : body) {
      if (isAlias(&op))
        rootOf[op.getResult(0)] = root(op.getOperand(0));
      for (Value operand : op.getOperands()) {
        int64_t when = llvm::isa<func::ReturnOp>(op) ? end : order[&op];
        int64_t &last = lastUse[root(operand)];
        last = std::max(last, when);
      }
    }

    ArenaAllocator arena;
    int64_t cacheBytes = 0;
    // A call's tokens all enter the KV cache: no more per call than the
    // largest cache (the context) holds, whatever was asked.
    int64_t tokensPerCall = maxTokens;
    if (decoder) {
      int64_t context = 0;
      for (BlockArgument cache : body.getArguments().drop_front(2))
        if (auto type = llvm::cast<RankedTensorType>(cache.getType()); type.hasStaticShape())
          context = std::max(context, type.getDimSize(0));
      if (context > 0)
        tokensPerCall = std::min<int64_t>(tokensPerCall, context);
      // The ABI passes int32 tokens; the IR reads i64, so they are widened
      // into an arena buffer before the first op.
      BlockArgument tokens = body.getArgument(0);
      int64_t at = arena.allocate(bufferBytes(tokens.getType(), tokensPerCall), -1, lastUse.lookup(tokens));
      forward.setArgAttr(0, slm.getArenaOffsetAttrHelper().getName(), b.getDenseI64ArrayAttr({at}));
      for (BlockArgument cache : body.getArguments().drop_front(2)) {
        auto type = llvm::cast<RankedTensorType>(cache.getType());
        if (!type.hasStaticShape()) {
          forward.emitError("KV cache argument ") << cache.getArgNumber()
              << " has a dynamic capacity; run slm-specialize-shapes first";
          return signalPassFailure();
        }
        forward.setArgAttr(cache.getArgNumber(), slm.getCacheOffsetAttrHelper().getName(),
                           b.getI64IntegerAttr(cacheBytes));
        cacheBytes += bufferBytes(type, 0);
      }
    }
    for (Operation &op : body) {
      // A dequantized or widened weight is read in its stored form by the ops
      // it feeds: no f32 copy of it exists.
      if (llvm::isa<slm::ConstantOp, slm::DequantizeOp, slm::WidenOp, func::ReturnOp>(op))
        continue;
      SmallVector<int64_t> offsets;
      for (OpResult result : op.getResults()) {
        bool inArena = !isAlias(&op) && !(llvm::isa<slm::AttentionOp>(op) && result.getResultNumber() > 0);
        // A result nobody reads still lives while its op writes it, so the
        // op's results never share space.
        int64_t last = std::max(lastUse.lookup(result), order[&op]);
        offsets.push_back(inArena ? arena.allocate(bufferBytes(result.getType(), tokensPerCall),
                                                   order[&op], last)
                                  : kNotInArena);
      }
      slm.getArenaOffsetAttrHelper().setAttr(&op, b.getDenseI64ArrayAttr(offsets));
      // W8A8 linears quantize their input into scratch that lives while they run.
      auto kernel = slm.getKernelAttrHelper().getAttr(&op);
      if (kernel && slm::kernelNeedsScratch(kernel.getValue())) {
        auto linear = llvm::cast<slm::LinearOp>(op);
        auto input = llvm::cast<RankedTensorType>(linear.getInput().getType());
        int64_t rows = 1;
        for (int64_t d : input.getShape().drop_back())
          rows *= ShapedType::isDynamic(d) ? tokensPerCall : d;
        int64_t bytes = llvm::alignTo(w8a8ScratchBytes(linear, rows), slm::kBufferAlignment);
        slm.getScratchOffsetAttrHelper().setAttr(
            &op, b.getI64IntegerAttr(arena.allocate(bytes, order[&op], order[&op])));
      }
    }
    if (arena.peak() > kMaxBytes || cacheBytes > kMaxBytes) {
      module.emitError("the memory plan needs ")
          << arena.peak() << " bytes of activations and " << cacheBytes
          << " of KV cache, more than " << kMaxBytes << "; lower --max-tokens or --max-context";
      return signalPassFailure();
    }
    slm.getMemoryPlanAttrHelper().setAttr(
        module, slm::MemoryPlanAttr::get(&getContext(),
                                         llvm::alignTo(arena.peak(), slm::kBufferAlignment),
                                         cacheBytes, decoder ? tokensPerCall : 1));
  }
};

} // namespace
} // namespace slmc
