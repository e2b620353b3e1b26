#!/usr/bin/env python3
"""Writes ONNX's backend node tests (onnx.backend.test.case.node, from python3-onnx) to OUT:
OUT/node/<test>/model.onnx and test_data_set_*/{input,output}_*.pb, as onnx's
`backend-test-tools generate-data` does, for the op types given (default: all).

numpy >= 1.24 removed the np.float/np.int/np.bool/np.object aliases that onnx 1.12's case
generators still use; they are restored before the generator is imported.

    /usr/bin/python3 scripts/onnx-conformance/generate.py OUT [OpType ...]
"""
import os
import sys
import warnings

import numpy as np

for alias, t in (("float", float), ("int", int), ("bool", bool), ("object", object), ("str", str), ("complex", complex)):
    if alias not in np.__dict__:
        setattr(np, alias, t)

warnings.filterwarnings("ignore")

import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402
import onnx.backend.test.case.node as node_test  # noqa: E402


def main() -> None:
    out = sys.argv[1]
    ops = sys.argv[2:]
    cases = node_test.collect_testcases(None)
    n = 0
    for case in cases:
        if ops and not any(nd.op_type in ops for nd in case.model.graph.node):
            continue
        d = os.path.join(out, "node", case.name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        for i, (inputs, outputs) in enumerate(case.data_sets):
            ds = os.path.join(d, f"test_data_set_{i}")
            os.makedirs(ds, exist_ok=True)
            for kind, vals, infos in (("input", inputs, case.model.graph.input), ("output", outputs, case.model.graph.output)):
                for j, v in enumerate(vals):
                    if not infos[j].type.HasField("tensor_type"):
                        continue
                    with open(os.path.join(ds, f"{kind}_{j}.pb"), "wb") as f:
                        f.write(numpy_helper.from_array(np.asarray(v), infos[j].name).SerializeToString())
        n += 1
    with open(os.path.join(out, "onnx-version.txt"), "w") as f:
        f.write(f"{onnx.__version__} numpy {np.__version__}\n")
    print(f"{n} node tests written to {out}/node (onnx {onnx.__version__})")


if __name__ == "__main__":
    main()
