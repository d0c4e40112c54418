//===- SlmAttrs.cpp - attributes of the slm dialect -----------------------===//

#include "dialects/slm/IR/SlmDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace slm;

#define GET_ATTRDEF_CLASSES
#include "dialects/slm/IR/SlmAttrs.cpp.inc"

void SlmDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/slm/IR/SlmAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// #slm.weight_format
//===----------------------------------------------------------------------===//

LogicalResult WeightFormatAttr::verify(function_ref<InFlightDiagnostic()> emitError, unsigned bits,
                                       int64_t group, bool symmetric, bool codebook) {
  if (bits < 2 || bits > 8)
    return emitError() << "weight formats have 2 to 8 bits per code, not " << bits;
  if (group < 0 || (group > 0 && (group * bits) % 8))
    return emitError() << "a group of " << group << " " << bits
                       << "-bit codes does not fill whole bytes";
  if (codebook && !symmetric)
    return emitError() << "codebook formats have no minimums: they must be symmetric";
  if (codebook && bits > 4)
    return emitError() << "codebook formats have 2 to 4 bits per code, not " << bits;
  return success();
}

WeightFormat WeightFormatAttr::layout() const {
  return {getBits(), getGroup(), getSymmetric(), getCodebook()};
}

//===----------------------------------------------------------------------===//
// #slm.model
//===----------------------------------------------------------------------===//

namespace {

/// `key = value` pairs in a fixed order, as the printer writes them.
class KeyValueParser {
public:
  explicit KeyValueParser(AsmParser &parser) : parser_(parser) {}

  ParseResult key(StringRef name, bool first = false) {
    if (!first && parser_.parseComma())
      return failure();
    return failure(parser_.parseKeyword(name) || parser_.parseEqual());
  }
  ParseResult string(StringRef name, std::string &out, bool first = false) {
    return failure(key(name, first) || parser_.parseString(&out));
  }
  template <typename Int> ParseResult integer(StringRef name, Int &out, bool first = false) {
    return failure(key(name, first) || parser_.parseInteger(out));
  }

private:
  AsmParser &parser_;
};

} // namespace

Attribute ModelAttr::parse(AsmParser &parser, Type) {
  ModelContract c;
  KeyValueParser kv(parser);
  if (parser.parseLess() || kv.string("architecture", c.architecture, /*first=*/true) ||
      kv.string("source", c.source) || kv.integer("vocab_size", c.vocabSize) ||
      kv.integer("max_positions", c.maxPositions) || kv.integer("bos_token_id", c.bosTokenId) ||
      kv.integer("eos_token_id", c.eosTokenId))
    return {};
  if (succeeded(parser.parseOptionalComma())) {
    DecoderShape d;
    if (parser.parseKeyword("decoder") || parser.parseEqual() || parser.parseLBrace() ||
        kv.integer("hidden_size", d.hiddenSize, /*first=*/true) || kv.integer("layers", d.layers) ||
        kv.integer("heads", d.heads) || kv.integer("kv_heads", d.kvHeads) ||
        kv.integer("head_dim", d.headDim))
      return {};
    if (succeeded(parser.parseOptionalComma())) {
      if (parser.parseKeyword("kv_cache") || parser.parseEqual() || parser.parseKeyword("int8"))
        return {};
      d.int8KvCache = true;
    }
    if (parser.parseRBrace())
      return {};
    c.decoder = d;
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); }, parser.getContext(), c);
}

void ModelAttr::print(AsmPrinter &p) const {
  const ModelContract &c = getContract();
  p << "<architecture = \"" << c.architecture << "\", source = \"" << c.source
    << "\", vocab_size = " << c.vocabSize << ", max_positions = " << c.maxPositions
    << ", bos_token_id = " << c.bosTokenId << ", eos_token_id = " << c.eosTokenId;
  if (const auto &d = c.decoder)
    p << ", decoder = {hidden_size = " << d->hiddenSize << ", layers = " << d->layers
      << ", heads = " << d->heads << ", kv_heads = " << d->kvHeads
      << ", head_dim = " << d->headDim << (d->int8KvCache ? ", kv_cache = int8" : "") << "}";
  p << ">";
}

LogicalResult ModelAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                ModelContract contract) {
  if (std::string why = contract.inconsistency(); !why.empty())
    return emitError() << "invalid model contract: " << why;
  return success();
}

//===----------------------------------------------------------------------===//
// #slm.memory_plan
//===----------------------------------------------------------------------===//

LogicalResult MemoryPlanAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                     int64_t arenaSize, int64_t kvCacheSize, int64_t maxTokens) {
  for (auto [size, what] : {std::pair{arenaSize, "arena_size"}, {kvCacheSize, "kv_cache_size"}})
    if (size < 0 || size % kBufferAlignment)
      return emitError() << what << " " << size << " must be a non-negative multiple of "
                         << kBufferAlignment;
  if (maxTokens <= 0)
    return emitError() << "max_tokens must be positive, got " << maxTokens;
  return success();
}
