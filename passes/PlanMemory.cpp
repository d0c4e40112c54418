//===- PlanMemory.cpp - static activation arena and KV cache layout -------===//

#include "passes/Passes.h"

#include "compiler/frontends/decoder/DecoderConfig.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "passes/FusedDequantize.h"
#include "llvm/Support/MathExtras.h"

namespace slmc {
#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

constexpr uint64_t kAlignment = 64;
constexpr int64_t kNotInArena = -1;

/// Bytes of a tensor whose dynamic dimensions hold `maxTokens`; i1 takes a byte.
uint64_t bufferBytes(Type type, int64_t maxTokens) {
  auto tensor = llvm::cast<RankedTensorType>(type);
  uint64_t elements = 1;
  for (int64_t d : tensor.getShape())
    elements *= ShapedType::isDynamic(d) ? maxTokens : d;
  return llvm::alignTo(elements * std::max(1u, tensor.getElementTypeBitWidth() / 8), kAlignment);
}

/// Ops whose result is their first operand's bytes under another shape.
bool isAlias(Operation *op) { return llvm::isa<slm::ReshapeOp, slm::SqueezeOp, slm::UnsqueezeOp>(op); }

struct Interval {
  uint64_t offset, size;
  int64_t lastUse;
};

/// First-fit placement of buffers whose lifetimes are intervals of program order.
class ArenaAllocator {
public:
  uint64_t allocate(uint64_t size, int64_t now, int64_t lastUse) {
    llvm::erase_if(live_, [&](const Interval &i) { return i.lastUse < now; });
    llvm::sort(live_, [](const Interval &a, const Interval &b) { return a.offset < b.offset; });
    uint64_t offset = 0;
    for (const Interval &i : live_) {
      if (offset + size <= i.offset)
        break;
      offset = std::max(offset, i.offset + i.size);
    }
    live_.push_back({offset, size, lastUse});
    peak_ = std::max(peak_, offset + size);
    return offset;
  }
  uint64_t peak() const { return peak_; }

private:
  std::vector<Interval> live_;
  uint64_t peak_ = 0;
};

struct PlanMemoryPass : impl::PlanMemoryBase<PlanMemoryPass> {
  using PlanMemoryBase::PlanMemoryBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    if (!forward || !forward.getBody().hasOneBlock()) {
      module.emitError("memory planning needs a single-block @forward function");
      return signalPassFailure();
    }
    if (maxTokens <= 0) {
      module.emitError("max-tokens must be positive");
      return signalPassFailure();
    }
    Block &body = forward.getBody().front();
    bool decoder = readModelInfo(module).kvCache;
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
    uint64_t cacheBytes = 0;
    if (decoder) {
      // The ABI passes int32 tokens; the IR reads i64, so they are widened
      // into an arena buffer before the first op.
      BlockArgument tokens = body.getArgument(0);
      forward.setArgAttr(0, "slm.arena_offset",
                         b.getI64IntegerAttr(arena.allocate(bufferBytes(tokens.getType(), maxTokens),
                                                            -1, lastUse.lookup(tokens))));
      for (BlockArgument cache : body.getArguments().drop_front(2)) {
        auto type = llvm::cast<RankedTensorType>(cache.getType());
        if (!type.hasStaticShape()) {
          forward.emitError("KV cache argument ") << cache.getArgNumber()
              << " has a dynamic capacity; run slm-specialize-shapes first";
          return signalPassFailure();
        }
        forward.setArgAttr(cache.getArgNumber(), "slm.cache_offset",
                           b.getI64IntegerAttr(cacheBytes));
        cacheBytes += llvm::alignTo(type.getNumElements() * 4, kAlignment);
      }
    }
    for (Operation &op : body) {
      // A dequantized weight is read in its packed form by the ops it feeds:
      // no float copy of it exists.
      if (llvm::isa<slm::ConstantOp, slm::DequantizeOp, func::ReturnOp>(op))
        continue;
      SmallVector<int64_t> offsets;
      for (OpResult result : op.getResults()) {
        bool inArena = !isAlias(&op) && !(llvm::isa<slm::AttentionOp>(op) && result.getResultNumber() > 0);
        // A result nobody reads still lives while its op writes it, so the
        // op's results never share space.
        int64_t last = std::max(lastUse.lookup(result), order[&op]);
        offsets.push_back(inArena ? static_cast<int64_t>(arena.allocate(
                                        bufferBytes(result.getType(), maxTokens), order[&op], last))
                                  : kNotInArena);
      }
      op.setAttr("slm.arena_offset", b.getDenseI64ArrayAttr(offsets));
      // W8A8 linears quantize their input into scratch that lives while they run.
      if (auto linear = llvm::dyn_cast<slm::LinearOp>(op); linear && w8a8) {
        slm::DequantizeOp weight = dequantizedWeight(linear.getWeight());
        if (weight && hasInt8Kernel(weight.getFormat().layout())) {
          auto input = llvm::cast<RankedTensorType>(linear.getInput().getType());
          int64_t rows = 1;
          for (int64_t d : input.getShape().drop_back())
            rows *= ShapedType::isDynamic(d) ? maxTokens : d;
          uint64_t bytes = llvm::alignTo(w8a8ScratchBytes(linear, rows), kAlignment);
          op.setAttr("slm.scratch_offset",
                     b.getI64IntegerAttr(arena.allocate(bytes, order[&op], order[&op])));
        }
      }
    }
    module->setAttr("slm.arena_size", b.getI64IntegerAttr(llvm::alignTo(arena.peak(), kAlignment)));
    module->setAttr("slm.kv_cache_size", b.getI64IntegerAttr(cacheBytes));
    module->setAttr("slm.max_tokens", b.getI64IntegerAttr(decoder ? maxTokens : 1));
  }
};

} // namespace
} // namespace slmc
