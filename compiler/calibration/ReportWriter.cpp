//===- ReportWriter.cpp - the quantization report as JSON, table and chart ===//

#include "compiler/calibration/ReportWriter.h"

#include "compiler/support/AtomicFile.h"
#include "compiler/support/Error.h"
#include "llvm/Support/FormatVariadic.h"

#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <sstream>

namespace slmc {
namespace {

/// "layers.3.mlp.up_proj" -> "up_proj"; "model.embed_tokens.weight" -> "embed_tokens".
std::string shortName(llvm::StringRef name) {
  name.consume_back(".weight");
  return name.rsplit('.').second.empty() ? name.str() : name.rsplit('.').second.str();
}

std::string escapeXml(llvm::StringRef text) {
  std::string out;
  for (char c : text)
    switch (c) {
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '&': out += "&amp;"; break;
    case '"': out += "&quot;"; break;
    default: out += c;
    }
  return out;
}

/// One colour per bit width, light to dark as bits grow; f32 grey.
const char *barColour(double bitsPerWeight) {
  static const char *const kByBits[] = {"#fde725", "#fde725", "#b5de2b", "#6ece58", "#35b779",
                                        "#1f9e89", "#26828e", "#31688e", "#3e4989"};
  if (bitsPerWeight >= 16)
    return "#9e9e9e";
  return kByBits[std::clamp(static_cast<int>(bitsPerWeight), 0, 8)];
}

} // namespace

std::string shortestDecimal(double value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

llvm::Error writeReportJson(const slm::quant::QuantReport &report, llvm::StringRef path) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(report, &json, options);
  if (!status.ok())
    return makeError("{0}: cannot encode the report: {1}", path, status.ToString());
  return writeFileAtomically(path, {llvm::ArrayRef<char>(json.data(), json.size())});
}

void printReportTable(const slm::quant::QuantReport &report, llvm::raw_ostream &os) {
  // Predicted sensitivity measures no tensor's round-to-nearest alone.
  bool predicted = report.calibration().sensitivity() == "predicted";
  os << llvm::formatv("{0,-44} {1,10} {2,-14} {3,7} {4,11} {5,11}  {6}\n", "tensor", "shape",
                      "format", "bits/w", predicted ? "pred. ΔKL" : "ΔKL", "RTN ΔKL", "rounding");
  for (const slm::quant::TensorReport &t : report.tensors()) {
    std::string shape = llvm::formatv("{0}x{1}", t.shape(0), t.shape(1)).str();
    std::string rtn = predicted ? "-" : llvm::formatv("{0:E2}", t.rtn_delta_kl()).str();
    os << llvm::formatv("{0,-44} {1,10} {2,-14} {3,7:F3} {4,11:E2} {5,11}  {6}\n", t.name(),
                        shape, t.format(), t.bits_per_weight(), t.delta_kl(), rtn, t.rounding());
  }
  os << llvm::formatv("\n{0,-14} {1,10} {2,8} {3,11} {4,10} {5,7}   (held-out: {6} tokens)\n",
                      "model", "size MB", "bpw", "KL", "ppl", "top-1",
                      report.calibration().held_out_tokens());
  for (const slm::quant::ModelSummary &m : report.models())
    os << llvm::formatv("{0,-14} {1,10:F3} {2,8:F3} {3,11:F6} {4,10:F4} {5,6:F2}%\n", m.name(),
                        m.size_bytes() / 1e6, m.bits_per_weight(), m.kl_to_teacher(),
                        m.perplexity(), 100 * m.top1_agreement());
  if (const slm::quant::Calibration &c = report.calibration(); c.soft_targets_top_k() > 0)
    os << llvm::formatv("ΔKL measured against the teacher's top {0} tokens and their tail (mean "
                        "tail mass {1:E2}): the float student's calibration KL {2:E3} is within "
                        "[{2:E3}, {3:E3}] in full\n",
                        c.soft_targets_top_k(), c.soft_targets_tail_mass(), c.float_kl(),
                        c.float_kl_upper_bound());
  if (const slm::quant::Tuning &t = report.tuning(); t.steps() > 0)
    os << llvm::formatv("scale tuning: {0} steps over {1} windows, {2} parameters, {3} codes "
                        "({4} changed), calibration KL {5:F6} -> {6:F6} ({7}, {8:F1} s)\n",
                        t.steps(), t.windows(), t.parameters(), t.codes(), t.codes_changed(),
                        t.calibration_kl_before(), t.calibration_kl_after(),
                        t.kept() ? "kept" : "not kept", t.seconds());
  else if (!t.skipped().empty())
    os << "scale tuning: skipped, " << t.skipped() << "\n";
  if (report.gate().enabled())
    os << llvm::formatv("gate: held-out KL {0:F6} {1} the limit {2}: {3}\n", report.gate().kl(),
                        report.gate().passed() ? "<=" : ">", shortestDecimal(report.gate().max_kl()),
                        report.gate().passed() ? "passed" : "FAILED");
}

llvm::Error writeReportSvg(const slm::quant::QuantReport &report, llvm::StringRef path) {
  const auto &tensors = report.tensors();
  const int n = tensors.size();
  const double left = 70, right = 20, slot = std::max(18.0, 760.0 / std::max(n, 1));
  const double width = left + right + slot * n;
  const double top = 56, panel = 170, gap = 46, labels = 70;
  const double height = top + panel + gap + panel + labels;
  std::string svg;
  llvm::raw_string_ostream os(svg);
  os << llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
                      "font-family=\"sans-serif\" font-size=\"11\">\n",
                      width, height);
  os << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  std::string title = llvm::formatv("{0} — {1}", report.student(), report.scheme()).str();
  for (const slm::quant::ModelSummary &m : report.models())
    if (m.name() == "final student")
      title += llvm::formatv(": {0:F3} bpw, held-out KL {1:F4}, same top token {2:F1}%",
                             m.bits_per_weight(), m.kl_to_teacher(), 100 * m.top1_agreement());
  os << llvm::formatv("<text x=\"{0}\" y=\"20\" font-size=\"14\">{1}</text>\n", left,
                      escapeXml(title));
  os << llvm::formatv("<text x=\"{0}\" y=\"40\" fill=\"#555\">teacher: {1}</text>\n", left,
                      escapeXml(report.teacher().empty() ? "the float student (self-distillation)"
                                                         : report.teacher()));

  // Panel 1: bits per weight, 0..16 (f32 bars are cut and labelled).
  const double maxBits = 16, base1 = top + panel;
  for (double b : {0.0, 4.0, 8.0, 12.0, 16.0}) {
    double y = base1 - b / maxBits * panel;
    os << llvm::formatv("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"#ddd\"/>"
                        "<text x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5}</text>\n",
                        left, width - right, y, left - 6, y + 4, static_cast<int>(b));
  }
  os << llvm::formatv("<text x=\"14\" y=\"{0}\" transform=\"rotate(-90 14 {0})\" "
                      "text-anchor=\"middle\">bits per weight</text>\n",
                      top + panel / 2);
  // Panel 2: ΔKL on a log scale from the smallest positive value up.
  double lo = 1e-6, hi = 1e-6;
  for (const auto &t : tensors)
    for (double v : {t.delta_kl(), t.rtn_delta_kl()})
      if (v > 0)
        hi = std::max(hi, v);
  lo = std::pow(10.0, std::floor(std::log10(hi)) - 4);
  hi = std::pow(10.0, std::ceil(std::log10(hi)));
  const double top2 = base1 + gap, base2 = top2 + panel;
  auto yOf = [&](double v) {
    double clamped = std::clamp(v, lo, hi);
    return base2 - (std::log10(clamped) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) * panel;
  };
  for (double v = lo; v <= hi * 1.01; v *= 10)
    os << llvm::formatv("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"#ddd\"/>"
                        "<text x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5:E0}</text>\n",
                        left, width - right, yOf(v), left - 6, yOf(v) + 4, v);
  os << llvm::formatv("<text x=\"14\" y=\"{0}\" transform=\"rotate(-90 14 {0})\" "
                      "text-anchor=\"middle\">ΔKL alone</text>\n",
                      top2 + panel / 2);
  os << llvm::formatv("<circle cx=\"{0}\" cy=\"{1}\" r=\"4\" fill=\"#d62728\"/><text x=\"{2}\" "
                      "y=\"{3}\">chosen rounding</text><circle cx=\"{4}\" cy=\"{1}\" r=\"4\" "
                      "fill=\"none\" stroke=\"#555\"/><text x=\"{5}\" y=\"{3}\">round-to-nearest"
                      "</text>\n",
                      width - right - 250, top2 - 10, width - right - 242, top2 - 6,
                      width - right - 130, width - right - 122);

  int64_t previousLayer = -2;
  for (int i = 0; i < n; ++i) {
    const slm::quant::TensorReport &t = tensors[i];
    double x = left + slot * i, mid = x + slot / 2;
    if (t.layer() != previousLayer) {
      os << llvm::formatv("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#bbb\"/>"
                          "<text x=\"{3}\" y=\"{4}\" fill=\"#555\">{5}</text>\n",
                          x, top, base2, x + 3, top + 10,
                          t.layer() < 0 ? std::string("io") : "layer " + std::to_string(t.layer()));
      previousLayer = t.layer();
    }
    double bits = std::min(t.bits_per_weight(), maxBits);
    double h = bits / maxBits * panel;
    os << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" fill=\"{4}\">"
                        "<title>{5}: {6} ({7:F3} bits/weight)</title></rect>\n",
                        x + 2, base1 - h, slot - 4, h, barColour(t.bits_per_weight()),
                        escapeXml(t.name()), t.format(), t.bits_per_weight());
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\" font-size=\"9\">{2}"
                        "</text>\n",
                        mid, base1 - h - 3, escapeXml(t.format()));
    os << llvm::formatv("<circle cx=\"{0}\" cy=\"{1}\" r=\"3.5\" fill=\"none\" stroke=\"#555\"/>"
                        "<circle cx=\"{0}\" cy=\"{2}\" r=\"3.5\" fill=\"#d62728\"><title>{3}: ΔKL "
                        "{4:E2}, RTN {5:E2}</title></circle>\n",
                        mid, yOf(t.rtn_delta_kl()), yOf(t.delta_kl()), escapeXml(t.name()),
                        t.delta_kl(), t.rtn_delta_kl());
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" transform=\"rotate(-60 {0} {1})\" "
                        "text-anchor=\"end\">{2}</text>\n",
                        mid, base2 + 12, escapeXml(shortName(t.name())));
  }
  os << "</svg>\n";
  return writeFileAtomically(path, {llvm::ArrayRef<char>(svg.data(), svg.size())});
}

} // namespace slmc
