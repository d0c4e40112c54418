"""Checks that a --quant report's final student and gate are the artifact's
held-out figures: those `slmc eval ARTIFACT --held-out --teacher T --json`
prints (argv[2]) for the report (argv[1])."""
import json
import sys

report = json.load(open(sys.argv[1]))
shipped = json.load(open(sys.argv[2]))
final = [m for m in report["models"] if m["name"] == "final student"][0]
assert final["numerics"] == "artifact", final
assert all(m["numerics"] == "reference" for m in report["models"] if m is not final), report
assert abs(final["kl_to_teacher"] - shipped["kl_to_teacher"]) <= 1e-4, (final, shipped)
assert abs(report["gate"]["kl"] - shipped["kl_to_teacher"]) <= 1e-4, (report["gate"], shipped)
assert abs(final["top1_agreement"] - shipped["top1_agreement"]) <= 1e-4, (final, shipped)
assert abs(final["perplexity"] - shipped["ppl"]) <= 1e-4 * shipped["ppl"], (final, shipped)
# Weight-only: the fake-quantized reference agrees with the artifact closely.
if len(sys.argv) > 3 and sys.argv[3] == "weight-only":
    assert abs(report["gate"]["reference_kl"] - report["gate"]["kl"]) <= 1e-3, report["gate"]
