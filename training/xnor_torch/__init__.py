"""XNOR-Net / BWN layers, architectures, compact checkpoints and ONNX export."""
from .binary import (BinActive, BWNConv2d, BWNLinear, XNORConv2d, XNORLinear,
                     binary_layers, freeze_binary, sign)
from .compact import load_compact, save_compact
from .export import export_onnx
from .models import ARCHS, build, input_shape
from .models import (alexnet_bwn, alexnet_xnor, cifar10_bwn, cifar10_float, cifar10_xnor,
                     fmnist_bwn, fmnist_float, fmnist_xnor, resnet18_bwn, resnet18_xnor)
