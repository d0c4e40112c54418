//===- ReferenceModel.cpp - a LanguageModel on the reference executor -----===//

#include "compiler/runner/ReferenceModel.h"

#include "compiler/executor/Executor.h"
#include "compiler/support/Error.h"
#include "dialects/slm/IR/SlmDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstring>

using namespace mlir;

namespace slmc {
namespace {

using exec::DType;
using exec::Tensor;

exec::Tensor tokenTensor(llvm::ArrayRef<int32_t> tokens, llvm::ArrayRef<int64_t> shape) {
  Tensor t = Tensor::zeros(DType::I64, shape);
  for (auto [i, token] : llvm::enumerate(tokens))
    t.data<int64_t>()[i] = token;
  return t;
}

/// (tokens, position, caches...) -> (logits, caches...), caches updated in place.
class CachedDecoder : public ReferenceModel {
public:
  CachedDecoder(std::unique_ptr<exec::Executor> executor, int64_t vocab, int64_t capacity,
                std::vector<Tensor> caches)
      : ReferenceModel(std::move(executor)), vocab_(vocab), capacity_(capacity),
        caches_(std::move(caches)) {}

  int64_t vocabSize() const override { return vocab_; }
  int64_t capacity() const override { return capacity_; }
  void reset() override { position_ = 0; }
  bool rewind(int64_t positions) override {
    positions = std::clamp<int64_t>(positions, 0, position_);
    bool ring = llvm::any_of(caches_, [&](const Tensor &c) { return c.dim(0) < capacity_; });
    if (ring && positions < position_)
      return false;
    position_ = positions;
    return true;
  }

  llvm::Expected<Tensor> forward(llvm::ArrayRef<int32_t> tokens) override {
    if (position_ + static_cast<int64_t>(tokens.size()) > capacity_)
      return makeError("{0} positions exceed the context of {1}", position_ + tokens.size(),
                       capacity_);
    std::vector<Tensor> inputs{tokenTensor(tokens, {static_cast<int64_t>(tokens.size())}),
                               Tensor::fromValues<int64_t>(DType::I64, {}, {position_})};
    inputs.insert(inputs.end(), caches_.begin(), caches_.end());
    auto outputs = executor_->run(std::move(inputs));
    if (!outputs)
      return outputs.takeError();
    position_ += tokens.size();
    std::copy(outputs->begin() + 1, outputs->end(), caches_.begin());
    return (*outputs)[0];
  }

  llvm::Expected<std::vector<Tensor>>
  gradient(llvm::ArrayRef<int32_t> tokens, const LogitsGradient &loss,
           llvm::ArrayRef<Operation *> constants) const override {
    if (static_cast<int64_t>(tokens.size()) > capacity_)
      return makeError("{0} positions exceed the context of {1}", tokens.size(), capacity_);
    std::vector<Tensor> inputs{tokenTensor(tokens, {static_cast<int64_t>(tokens.size())}),
                               Tensor::fromValues<int64_t>(DType::I64, {}, {0})};
    for (const Tensor &cache : caches_)
      inputs.push_back(Tensor::zeros(cache.dtype(), cache.shape()));
    return executor_->gradient(
        std::move(inputs),
        [&](llvm::ArrayRef<Tensor> results) -> llvm::Expected<std::vector<Tensor>> {
          auto seed = loss(results[0]);
          if (!seed)
            return seed.takeError();
          return std::vector<Tensor>{*seed};
        },
        constants);
  }

private:
  int64_t vocab_, capacity_, position_ = 0;
  std::vector<Tensor> caches_;
};

/// input_ids [batch?, sequence] -> logits [batch?, sequence, vocab].
class StatelessGraph : public ReferenceModel {
public:
  StatelessGraph(std::unique_ptr<exec::Executor> executor, int64_t vocab, int64_t capacity,
                 bool batched)
      : ReferenceModel(std::move(executor)), vocab_(vocab), capacity_(capacity), batched_(batched) {}

  int64_t vocabSize() const override { return vocab_; }
  int64_t capacity() const override { return capacity_; }
  void reset() override { history_.clear(); }
  bool rewind(int64_t positions) override {
    if (positions >= 0 && static_cast<size_t>(positions) < history_.size())
      history_.resize(positions);
    return true;
  }

  llvm::Expected<Tensor> forward(llvm::ArrayRef<int32_t> tokens) override {
    history_.insert(history_.end(), tokens.begin(), tokens.end());
    int64_t length = static_cast<int64_t>(history_.size());
    exec::Shape shape{length};
    if (batched_)
      shape.insert(shape.begin(), 1);
    auto outputs = executor_->run({tokenTensor(history_, shape)});
    if (!outputs)
      return outputs.takeError();
    const Tensor &logits = (*outputs)[0];
    if (logits.size() != length * vocab_ || logits.dim(-1) != vocab_)
      return makeError("the graph returned logits {0} for {1} tokens", logits.describe(), length);
    int64_t fresh = static_cast<int64_t>(tokens.size());
    Tensor rows = Tensor::zeros(DType::F32, {fresh, vocab_});
    std::memcpy(rows.data<float>(), logits.data<float>() + (length - fresh) * vocab_,
                sizeof(float) * fresh * vocab_);
    return rows;
  }

  llvm::Expected<std::vector<Tensor>>
  gradient(llvm::ArrayRef<int32_t> tokens, const LogitsGradient &loss,
           llvm::ArrayRef<Operation *> constants) const override {
    int64_t length = static_cast<int64_t>(tokens.size());
    exec::Shape shape{length};
    if (batched_)
      shape.insert(shape.begin(), 1);
    return executor_->gradient(
        {tokenTensor(tokens, shape)},
        [&](llvm::ArrayRef<Tensor> results) -> llvm::Expected<std::vector<Tensor>> {
          const Tensor &logits = results[0];
          if (logits.size() != length * vocab_)
            return makeError("the graph returned logits {0} for {1} tokens", logits.describe(),
                             length);
          auto seed = loss(logits.reshaped({length, vocab_}));
          if (!seed)
            return seed.takeError();
          return std::vector<Tensor>{seed->reshaped(logits.shape())};
        },
        constants);
  }

private:
  int64_t vocab_, capacity_;
  bool batched_;
  std::vector<int32_t> history_;
};

} // namespace

ReferenceModel::ReferenceModel(std::unique_ptr<exec::Executor> executor)
    : executor_(std::move(executor)) {}
ReferenceModel::~ReferenceModel() = default;

llvm::Expected<std::unique_ptr<ReferenceModel>> createReferenceModel(ModuleOp module,
                                                                    int64_t capacity) {
  func::FuncOp forward = slm::getForward(module);
  if (!forward)
    return makeError("the module has no @forward function");
  auto executor = exec::Executor::create(forward);
  if (!executor)
    return executor.takeError();
  slm::ModelAttr model = slm::getModel(module);
  FunctionType type = forward.getFunctionType();
  auto logitsType = type.getNumResults() ? llvm::dyn_cast<RankedTensorType>(type.getResult(0))
                                         : RankedTensorType();
  if (!logitsType || logitsType.getRank() < 2 || logitsType.isDynamicDim(logitsType.getRank() - 1))
    return makeError("@forward's first result must be logits [..., vocab] with a static vocab");
  int64_t vocab = logitsType.getShape().back();

  if (model && model->hasKvCache()) {
    std::vector<Tensor> caches;
    for (BlockArgument arg : forward.getArguments().drop_front(2)) {
      auto cache = llvm::cast<RankedTensorType>(arg.getType());
      // f32 values, or int8 rows of a scale and codes (zero rows read as 0).
      caches.push_back(Tensor::zeros(
          cache.getElementType().isSignlessInteger(8) ? DType::I8 : DType::F32,
          {slm::cacheRows(arg, capacity), cache.getDimSize(1), cache.getDimSize(2)}));
    }
    return std::make_unique<CachedDecoder>(std::move(*executor), vocab, capacity,
                                           std::move(caches));
  }
  auto input = type.getNumInputs() == 1 ? llvm::dyn_cast<RankedTensorType>(type.getInput(0))
                                        : RankedTensorType();
  if (!input || !input.getElementType().isInteger() || input.getRank() < 1 || input.getRank() > 2)
    return makeError("a graph without KV cache must take one integer input_ids tensor "
                     "[batch, sequence] or [sequence]; @forward has {0} inputs",
                     type.getNumInputs());
  return std::make_unique<StatelessGraph>(std::move(*executor), vocab, capacity,
                                          input.getRank() == 2);
}

} // namespace slmc
