"""The networks of "Train longer, generalize better" (Hoffer, Hubara & Soudry, 2017), built by name.

All normalization layers are plain ``nn.BatchNorm1d`` / ``nn.BatchNorm2d``, so that ghost batch
normalization can be applied afterwards by converting them.
"""

from .alexnet import AlexNetBN
from .mlp import F1
from .registry import ModelInfo, build, count_parameters, has_batch_norm, model_info, names
from .resnet import BasicBlock, CifarResNet, resnet44, wrn16_4
from .shallow import ShallowConvNet
from .vgg import VGG16

__all__ = [
    "AlexNetBN",
    "BasicBlock",
    "CifarResNet",
    "F1",
    "ModelInfo",
    "ShallowConvNet",
    "VGG16",
    "build",
    "count_parameters",
    "has_batch_norm",
    "model_info",
    "names",
    "resnet44",
    "wrn16_4",
]
