"""Checks where an slmc compile --quant auto report (argv[1]) offered formats of
one group per row below 8 bits: for every tensor whose rows are not a whole
number of groups of 32, and for no other; there they store fewer bits than the
same codes in groups, whose last group is padded."""
import json
import sys

PER_ROW = {"cb3", "cb4", "int5", "int6"}
report = json.load(open(sys.argv[1]))
assert PER_ROW <= set(report["calibration"]["candidates"]), report["calibration"]
ragged = 0
for tensor in report["tensors"]:
    bits = {c["format"]: int(c["bits"]) for c in tensor["candidates"]}
    if tensor["shape"][1] % 32 == 0:
        assert not PER_ROW & set(bits), tensor
        continue
    ragged += 1
    assert PER_ROW <= set(bits), tensor
    for grouped in ("cb4-g32", "cb4-g64", "cb4-g128"):
        assert bits["cb4"] < bits[grouped], (grouped, bits)
assert ragged > 0, "no tensor with ragged rows"
# And the allocator took one (stories260K at 4.5 bpw: its down projections).
assert any(t["format"] in PER_ROW for t in report["tensors"]), report["tensors"]
