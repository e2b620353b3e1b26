"""The browser benchmark's ONNX models, made at bench time (random weights, seeded).

    PYTHONPATH=training /usr/bin/python3 bench/models.py OUT_DIR NAME [NAME ...]

NAME is one of
  resnet18-float  torchvision's resnet18 (float), for onnxruntime-web
  alexnet-float   torchvision's alexnet (float), for onnxruntime-web
  alexnet-xnor    the XNOR-Net paper's AlexNet (training/xnor_torch alexnet_xnor), exported
                  with export_onnx for `xnor-web convert`

torchvision is not a dependency: resnet18 and alexnet below are plain torch.nn copies of
torchvision.models.resnet18 / alexnet (same layers, shapes and init), so the graphs match what
a web developer would export from torchvision. Each OUT_DIR/NAME.onnx is written to a
temporary name and renamed, so a half-written file is never taken for a finished one.
"""
import os
import sys

import torch
import torch.nn as nn

OPSET = 13


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        s = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(y)) + s)


class ResNet18(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin, layers = 64, []
        for i, w in enumerate((64, 128, 256, 512)):
            layers.append(nn.Sequential(BasicBlock(cin, w, 1 if i == 0 else 2), BasicBlock(w, w)))
            cin = w
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class AlexNet(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(256 * 36, 4096), nn.ReLU(inplace=True),
            nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def export_float(model, path):
    x = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        torch.onnx.export(model.eval(), (x,), path, opset_version=OPSET, do_constant_folding=True,
                          input_names=["input"], output_names=["logits"])


def export_xnor(path):
    from xnor_torch import build, export_onnx
    export_onnx(build("alexnet_xnor").eval(), torch.rand(1, 3, 224, 224), path)


MAKERS = {
    "resnet18-float": lambda p: export_float(ResNet18(), p),
    "alexnet-float": lambda p: export_float(AlexNet(), p),
    "alexnet-xnor": export_xnor,
}


def main(argv):
    if len(argv) < 2 or any(n not in MAKERS for n in argv[1:]):
        sys.exit(__doc__)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    os.makedirs(argv[0], exist_ok=True)
    for name in argv[1:]:
        torch.manual_seed(sum(map(ord, name)))
        path = os.path.join(argv[0], name + ".onnx")
        MAKERS[name](path + ".tmp")
        os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main(sys.argv[1:])
