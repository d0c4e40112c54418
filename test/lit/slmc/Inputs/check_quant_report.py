"""Checks an slmc compile --quant auto report (QuantReport.proto as JSON)."""
import json
import sys

report = json.load(open(sys.argv[1]))
budget = float(sys.argv[2])
final = {m["name"]: m for m in report["models"]}
assert list(final) == ["teacher", "float student", "RTN student", "final student"], final
assert final["final student"]["bits_per_weight"] <= budget, final
assert report["budget"]["bits_per_weight"] == budget, report["budget"]
candidates = report["calibration"]["candidates"]
assert len(report["tensors"]) == 15, len(report["tensors"])
for tensor in report["tensors"]:
    assert [c["format"] for c in tensor["candidates"]] == candidates, tensor
    chosen = [c for c in tensor["candidates"] if c["format"] == tensor["format"]][0]
    assert chosen["delta_kl"] == tensor["delta_kl"], tensor
    # The chosen rounding is the better of the two measured.
    assert tensor["delta_kl"] <= tensor["rtn_delta_kl"], tensor
bits = sum(int(t["bits"]) for t in report["tensors"])
assert bits <= int(report["budget"]["max_bytes"]) * 8, bits
assert final["final student"]["calibration_kl"] <= final["RTN student"]["calibration_kl"], final
assert report["teacher"].endswith("tinystories-656k"), report["teacher"]
