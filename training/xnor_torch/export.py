"""ONNX export (opset 13) in the form documented in ONNX_PATTERNS.md."""
import copy
import inspect
import json
import warnings

import torch

from .binary import XNORConv2d, XNORLinear, binary_layers, freeze_binary

OPSET = 13


def export_onnx(model, example_input, path, input_name="input", output_name="logits",
                metadata=None):
    """Export an eval-mode copy whose binary weights are already alpha·sign(W)
    constants. The batch dimension is dynamic; nothing else is. Needs the onnx
    package, which normalises the graph so every constant is an initializer."""
    import onnx  # fail before the slow export, not after

    m = freeze_binary(copy.deepcopy(model).cpu().float().eval())
    x = example_input.detach().cpu().float()
    kwargs = dict(opset_version=OPSET, do_constant_folding=True,
                  input_names=[input_name], output_names=[output_name],
                  dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}})
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # torch >= 2.9 defaults to the dynamo exporter
    with torch.no_grad(), warnings.catch_warnings():
        # torch 1.13 deprecates the g.op() that BinActive's symbolic uses; 2.x accepts it.
        warnings.filterwarnings("ignore", message=".*_graph_op.*", category=FutureWarning)
        torch.onnx.export(m, (x,), path, **kwargs)
    proto = onnx.load(path)
    _constants_to_initializers(proto.graph)
    entry = proto.metadata_props.add()
    entry.key = "xnor_torch.binary_layers"
    entry.value = json.dumps(binary_layer_table(m))  # informational; converters must not need it
    for key, value in (metadata or {}).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    return path


def binary_layer_table(model):
    rows = []
    for name, layer in binary_layers(model):
        xnor = isinstance(layer, (XNORConv2d, XNORLinear))
        rows.append({"module": name, "kind": "xnor" if xnor else "bwn",
                     "input_scale": bool(getattr(layer, "input_scale", False))})
    return rows


def _constants_to_initializers(graph):
    """Constant nodes become initializers and Identity nodes on initializers are
    bypassed, so a converter finds every constant in graph.initializer."""
    from onnx import numpy_helper

    inits = {i.name for i in graph.initializer}
    graph_outputs = {o.name for o in graph.output}
    rename, keep = {}, []
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute[0].name == "value":
            t = numpy_helper.to_array(node.attribute[0].t)
            graph.initializer.append(numpy_helper.from_array(t, node.output[0]))
            inits.add(node.output[0])
        elif (node.op_type == "Identity" and node.input[0] in inits
              and node.output[0] not in graph_outputs):
            rename[node.output[0]] = node.input[0]
        else:
            keep.append(node)
    for node in keep:
        for i, name in enumerate(node.input):
            node.input[i] = rename.get(name, name)
    del graph.node[:]
    graph.node.extend(keep)
    used = {n for node in graph.node for n in node.input}
    unused = [i for i in graph.initializer if i.name not in used]
    for i in unused:
        graph.initializer.remove(i)
