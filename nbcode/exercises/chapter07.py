"""Chapter 7, the convolutional network: the checked exercises."""

import copy
import functools

import torch
from torch import nn

from . import ___, Exercise, NotQuite, NotAttempted, as_number, number, number_function, numbers_returned

SETUP = ("import math\nimport torch\nfrom torch import nn\nfrom torch.nn import functional as F\n"
         "from nbcode.models import conv_block, make_cnn\nfrom nbcode.train import count_parameters\n")


# Exercise 1: the output size of a convolution.

def _conv_size_cases():
    fixed = [(28, 3, 1, 1), (28, 3, 2, 1), (27, 3, 2, 1), (64, 5, 2, 2), (11, 4, 3, 1), (9, 5, 2, 2), (5, 5, 1, 0),
             (1, 3, 1, 1), (28, 2, 2, 0), (7, 7, 1, 3), (10, 3, 3, 0), (13, 1, 2, 0)]
    generator = torch.Generator().manual_seed(7)
    while len(fixed) < 40:
        size, kernel, stride, padding = (int(torch.randint(low, high, (), generator=generator))
                                         for low, high in ((1, 41), (1, 8), (1, 5), (0, 4)))
        if size + 2 * padding >= kernel:  # otherwise nn.Conv2d refuses: the kernel does not fit once
            fixed.append((size, kernel, stride, padding))
    return [(f"size={size}, kernel={kernel}, stride={stride}, padding={padding}", (size, kernel, stride, padding))
            for size, kernel, stride, padding in fixed]


@functools.lru_cache(maxsize=None)
def _conv2d_size(size, kernel, stride, padding):
    with torch.device("meta"):  # PyTorch's own layer, shapes only
        return nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)(torch.empty(1, 1, size, size)).shape[-1]


_CONV_SIZE_MISTAKES = (
    (lambda n, k, s, p: (n + 2 * p - k) // s,
     "Your sizes are one short: count the window's first position too, then one more per stride step."),
    (lambda n, k, s, p: (n + p - k) // s + 1, "The padding is added on both sides of the axis, not once."),
    (lambda n, k, s, p: (n - k) // s + 1, "Your function ignores the padding: it adds p zeros on each side."),
    (lambda n, k, s, p: n + 2 * p - k + 1, "Your function ignores the stride: the window moves s pixels per step."),
    (lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1,
     "Your function rounds up: a window that would stick out past the padded border is not counted, "
     "so the division rounds down."),
    (lambda n, k, s, p: (n + 2 * p - k + 1) // s,
     "The + 1 belongs outside the division: the first position, plus one per full stride step."),
)


def _check_conv_size(conv_output_size):
    cases = _conv_size_cases()
    gots = numbers_returned(conv_output_size, cases, "conv_output_size")
    for (description, _), got in zip(cases, gots):
        if got != int(got):
            raise NotQuite(f"conv_output_size returned {got:g} for {description}: a number of positions is a "
                           "whole number, and a window that does not fit completely is not counted.")
    number_function(conv_output_size, _conv2d_size, cases, _CONV_SIZE_MISTAKES, "conv_output_size", "nn.Conv2d")


# Exercise 2: the shapes through three layers.

_LAYER_NAMES = ("Conv2d(3, 8, 5, stride=2, padding=2)", "MaxPool2d(2)", "Conv2d(8, 16, 3)")
_SHAPES = ((8, 32, 32), (8, 16, 16), (16, 14, 14))
_SHAPE_MISTAKES = {
    0: {(8, 30, 30): "is what the first convolution gives without its padding of 2 on each side.",
        (8, 31, 31): "counts the first convolution's padding on one side only.",
        (8, 64, 64): "ignores the first convolution's stride of 2.",
        (8, 33, 33): "rounds up: with stride 2 the last window that fits starts earlier."},
    1: {(8, 32, 32): "is the shape before the pooling: MaxPool2d(2) changes it."},
    2: {(16, 16, 16): "keeps the size, but Conv2d(8, 16, 3) has no padding.",
        (16, 13, 13): "takes off 3 pixels; a kernel of 3 without padding fits at size - 3 + 1 positions.",
        (8, 14, 14): "has the wrong number of channels: a convolution's output has one channel per kernel."},
}


def _as_shape(shape, where):
    if torch.is_tensor(shape) or not hasattr(shape, "__len__") or isinstance(shape, str):
        raise NotQuite(f"The shape {where} should be a tuple like (C, H, W); it is {shape!r}.")
    try:
        return tuple(int(size) for size in shape)
    except (TypeError, ValueError):
        raise NotQuite(f"The shape {where} should hold whole numbers; it is {shape!r}.") from None


def _check_shapes(shapes):
    if not isinstance(shapes, (list, tuple)) or len(shapes) != 3:
        length = f"of length {len(shapes)}" if hasattr(shapes, "__len__") else type(shapes).__name__
        raise NotQuite(f"shapes should be a list of three shapes, one after each layer; it is {length}.")
    for index, (shape, layer, want) in enumerate(zip(shapes, _LAYER_NAMES, _SHAPES)):
        where = f"after {layer}"
        got = _as_shape(shape, where)
        if got == want:
            continue
        if len(got) == 4 and got[1:] == want:
            raise NotQuite(f"The shape {where} includes the batch dimension; give one image's (C, H, W).")
        if len(got) != 3:
            raise NotQuite(f"The shape {where} has {len(got)} numbers; one image has three, (C, H, W).")
        if got == (want[1], want[2], want[0]):
            raise NotQuite(f"The shape {where}, {got}, has the channels last; PyTorch puts the channels first, "
                           "(C, H, W).")
        known = _SHAPE_MISTAKES[index].get(got)
        raise NotQuite(f"The shape {where}, {got}, " + (known or "is not right.") +
                       " Use H_out = floor((H + 2p - k) / s) + 1.")


# Exercise 3: parameters of a convolution and of a dense layer between the same sizes.

def _check_counts(conv_params, dense_params):
    conv_value = as_number(conv_params, "conv_params")
    dense_value = as_number(dense_params, "dense_params")
    conv, dense = 32 * 16 * 9 + 32, (16 * 196) * (32 * 196) + 32 * 196
    if (conv_value, dense_value) == (dense, conv):
        raise NotQuite("The two counts are swapped: conv_params is the convolution's.")
    conv_mistakes = {32 * 16 * 9: "one bias per output channel is missing.",
                     32 * 16 * 3 + 32: "a 3x3 kernel has 9 weights per input channel, not 3.",
                     32 * 9 + 32: "each output channel has a 3x3 kernel for every one of the 16 input channels.",
                     conv * 196: "the weights are shared: every one of the 14x14 positions uses the same kernels.",
                     32 * 16 * 9 + 32 * 196: "the convolution has one bias per output channel, shared by all positions."}
    dense_mistakes = {dense - 32 * 196: "one bias per output number (32 x 14 x 14 of them) is missing.",
                      (16 * 196) * (32 * 144) + 32 * 144: "this is the count for the unpadded 32x12x12 output; "
                                                            "with padding=1 the output is 32x14x14.",
                      (16 * 196) * (32 * 196) + 16 * 196: "the biases belong to the outputs, not the inputs."}
    if conv_value != conv:
        raise NotQuite(f"conv_params is {conv_value:,.0f}: " + conv_mistakes.get(conv_value, "not right.") +
                       " Count the weights of the kernels, then the biases.")
    if dense_value != dense:
        raise NotQuite(f"dense_params is {dense_value:,.0f}: " + dense_mistakes.get(dense_value, "not right.") +
                       " A Linear layer from m to n numbers has a weight for each pair, and n biases.")


# Exercise 4: the receptive field through a stack of layers.

def _receptive_field_by_autograd(layers):
    return _receptive_field_measured(tuple(tuple(layer) for layer in layers))


@functools.lru_cache(maxsize=None)
def _receptive_field_measured(layers):
    """The receptive field measured as the chapter does: where the gradient of one output unit is non-zero.

    Each (kernel, stride) layer is a 1-d convolution with all weights 1, on an input of ones, so every
    input pixel the unit depends on gets a positive gradient (max pooling has the same receptive field).
    """
    length, spacing = 1, 1
    for kernel, stride in layers:
        spacing *= stride
        length += kernel * spacing
    x = torch.ones(1, 1, length, dtype=torch.float64, requires_grad=True)
    out = x
    for kernel, stride in layers:
        weight = torch.ones(1, 1, kernel, dtype=torch.float64)
        out = torch.nn.functional.conv1d(out, weight, stride=stride)
    out[0, 0, 0].backward()
    return int(x.grad[0, 0].nonzero().max()) + 1  # the first unit sees pixels 0 to r - 1


def _receptive_field_cases():
    lists = [[], [(3, 1)], [(3, 1), (3, 1)], [(3, 1), (2, 2), (3, 1)], [(3, 1), (2, 2), (3, 1), (2, 2)],
             [(5, 1)] * 4 + [(2, 2)], [(7, 2), (3, 2)], [(1, 2), (3, 1)], [(2, 2), (2, 2), (2, 2)]]
    generator = torch.Generator().manual_seed(4)
    for _ in range(8):
        length = int(torch.randint(1, 7, (), generator=generator))
        lists.append([(int(torch.randint(1, 8, (), generator=generator)), int(torch.randint(1, 4, (), generator=generator)))
                      for _ in range(length)])
    return [(f"layers={layers}", (layers,)) for layers in lists]


def _field_strides_ignored(layers):
    return 1 + sum(kernel - 1 for kernel, _ in layers)


def _field_own_stride(layers):
    r, j = 1, 1
    for kernel, stride in layers:
        j *= stride
        r += (kernel - 1) * j
    return r


def _field_from_zero(layers):
    r, j = 0, 1
    for kernel, stride in layers:
        r += (kernel - 1) * j
        j *= stride
    return r


def _field_kernels_times_spacing(layers):
    r, j = 1, 1
    for kernel, stride in layers:
        r += kernel * j
        j *= stride
    return r


_FIELD_MISTAKES = (
    (_field_strides_ignored, "Your function ignores the strides: after a layer of stride s, neighbouring units are "
                             "s times farther apart in the input, so the next kernel spans more pixels."),
    (_field_own_stride, "Your function multiplies by each layer's own stride too early: a layer's kernel steps "
                        "over the units of the layer below, which are j_{l-1} pixels apart; its own stride only "
                        "spaces the layers above."),
    (_field_from_zero, "Your fields are one pixel short: start from r_0 = 1, a pixel of the input sees itself."),
    (_field_kernels_times_spacing, "Your fields are too large: each layer adds k - 1 spacings, not k."),
)


def _check_receptive_field(receptive_field):
    number_function(receptive_field, _receptive_field_by_autograd, _receptive_field_cases(), _FIELD_MISTAKES,
                    "receptive_field", "the gradient (measured with autograd)")


# Exercise 5: global average pooling.

def _gap_reference():
    """The network of the exercise, with uninitialised weights (the check copies the reader's into it), built on
    the meta device so that it draws no random numbers from the reader's generator."""
    from nbcode.models import conv_block

    with torch.device("meta"):
        model = nn.Sequential(*conv_block(1, 16), nn.MaxPool2d(2), *conv_block(16, 32), nn.MaxPool2d(2),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    return model.to_empty(device="cpu")


def _run(model, size, generator):
    x = torch.randn(3, 1, size, size, generator=generator)
    try:
        with torch.no_grad():
            return model(x)
    except Exception as error:
        message = str(error).splitlines()[0].rstrip(".") + "."
        raise NotQuite(f"gap_cnn raised {type(error).__name__} on a batch of {size}x{size} images: {message}"
                       + (" The network must work at every size: does the pooling adapt to the size?"
                          if size != 28 else "")) from None


def _check_gap_cnn(gap_cnn, n_parameters):
    if gap_cnn is ___ or n_parameters is ___:
        raise NotAttempted
    if not isinstance(gap_cnn, nn.Module):
        raise NotQuite(f"gap_cnn should be a network (an nn.Module); it is {type(gap_cnn).__name__}.")
    model = copy.deepcopy(gap_cnn).cpu().float().eval()
    modules = list(model.modules())
    generator = torch.Generator().manual_seed(5)
    out = None
    for size in (28, 32, 20):
        try:
            out = _run(model, size, generator)
        except NotQuite:
            if size == 28 and any(isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)) for m in modules) \
                    and not any(isinstance(m, nn.Flatten) for m in modules):
                raise NotQuite("gap_cnn fails on 28x28 images: after the pooling each image is a 32x1x1 block, "
                               "and Linear(32, 10) needs it as a vector of 32 numbers.") from None
            raise
        if size == 28 and isinstance(out, torch.Tensor) and out.shape == (3, 32, 1, 1):
            raise NotQuite("gap_cnn returns 32x1x1 maps per image, not 10 logits: the head after the pooling "
                           "is missing.")
        if not torch.is_tensor(out) or out.shape != (3, 10):
            shape = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
            raise NotQuite(f"gap_cnn maps a batch of three {size}x{size} images to {shape}; the expected "
                           "shape is (3, 10), ten logits per image.")
    counts = {"conv": sum(p.numel() for m in modules if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))
                          for p in m.parameters(recurse=False)),
              "all": sum(p.numel() for p in model.parameters())}
    if counts["conv"] != 4848:
        raise NotQuite(f"The convolutions and batch norms of gap_cnn have {counts['conv']:,} parameters; the "
                       "chapter's have 4,848. Keep its two blocks (conv_block(1, 16) and conv_block(16, 32), "
                       "each followed by MaxPool2d(2)).")
    if counts["all"] != 5178:
        raise NotQuite(f"gap_cnn has {counts['all']:,} parameters, {counts['all'] - 4848:,} of them after the "
                       "convolutions; the head of the exercise is one Linear(32, 10) after the pooling.")
    # Same weights in the reference, then compare: this finds max pooling in place of average pooling.
    reference = _gap_reference().eval()
    theirs = [t for t in list(model.parameters()) + list(model.buffers())]
    ours = [t for t in list(reference.parameters()) + list(reference.buffers())]
    if [t.shape for t in theirs] == [t.shape for t in ours]:
        with torch.no_grad():
            for mine, yours in zip(ours, theirs):
                mine.copy_(yours)
        for size in (28, 32):
            x = torch.randn(3, 1, size, size, generator=generator)
            with torch.no_grad():
                if not torch.allclose(model(x), reference(x), rtol=1e-4, atol=1e-5):
                    maximum = any(isinstance(m, nn.AdaptiveMaxPool2d) for m in modules)
                    raise NotQuite("With the same weights, gap_cnn's logits differ from those of global average "
                                   f"pooling on {size}x{size} images" +
                                   (": it takes the maximum of each channel, not the average." if maximum else "."))
    value = as_number(n_parameters, "n_parameters")
    if value == 4848:
        raise NotQuite("n_parameters is 4,848, the convolutions and batch norms alone: add the new head's.")
    if value == 206970:
        raise NotQuite("n_parameters is 206,970, the original CNN's: count the network with the new head.")
    if value == 330:
        raise NotQuite("n_parameters is 330, the new head's alone: add the convolutions and batch norms.")
    number(n_parameters, 5178, name="n_parameters", rel=0)


EXERCISES = [
    Exercise(
        chapter=7, number=1, names=("conv_output_size",), checker=_check_conv_size,
        hints=("Along one axis the padded input has size + 2 * padding pixels. Count the positions where a "
               "window of `kernel` pixels fits, if it moves `stride` pixels per step.",
               "The first window starts at 0 and the last one must end at or before the padded edge: there are "
               "(size + 2 * padding - kernel) pixels to move through, in steps of `stride`, rounded down.",
               "floor((size + 2 * padding - kernel) / stride) + 1; in Python `//` rounds down."),
        solution_code="""
def conv_output_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


print(conv_output_size(28, 3, 2, 1), conv_output_size(27, 3, 2, 1))  # 14 14: the floor merges 27 and 28
""",
        placeholder="""
def conv_output_size(size, kernel, stride, padding):
    return ___  # the output size along one axis
""",
        wrong=(("def conv_output_size(size, kernel, stride, padding):\n    return (size + 2 * padding - kernel) / stride + 1",
                "whole number"),
               ("def conv_output_size(size, kernel, stride, padding):\n    return (size + padding - kernel) // stride + 1",
                "both sides"),
               ("def conv_output_size(size, kernel, stride, padding):\n    return (size + 2 * padding - kernel) // stride",
                "one short"),
               ("def conv_output_size(size, kernel, stride, padding):\n"
                "    return math.ceil((size + 2 * padding - kernel) / stride) + 1", "rounds up")),
        correct_message="It agrees with nn.Conv2d on 40 cases, odd sizes and strides that do not divide included.",
    ),
    Exercise(
        chapter=7, number=2, names=("shapes",), checker=_check_shapes,
        hints=("Work out one layer at a time with H_out = floor((H + 2p - k) / s) + 1; a convolution's output "
               "has as many channels as it has kernels.",
               "First layer: floor((64 + 4 - 5) / 2) + 1. MaxPool2d(2) halves height and width and keeps the "
               "channels. The last convolution has no padding.",
               "Let PyTorch check you: push torch.zeros(1, 3, 64, 64) through the layers one by one and read "
               "x.shape[1:] after each."),
        solution_code="""
net = nn.Sequential(nn.Conv2d(3, 8, 5, stride=2, padding=2), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3))
x = torch.zeros(1, 3, 64, 64)
shapes = []
for layer in net:
    x = layer(x)
    shapes.append(tuple(x.shape[1:]))  # one image's (C, H, W)
print(shapes)  # [(8, 32, 32), (8, 16, 16), (16, 14, 14)]
""",
        placeholder="shapes = ___  # [(C, H, W) after the first convolution, after the pooling, after the second convolution]",
        wrong=(("shapes = [(8, 30, 30), (8, 15, 15), (16, 13, 13)]", "without its padding"),
               ("shapes = [(8, 32, 32), (8, 16, 16), (16, 16, 16)]", "no padding"),
               ("shapes = [(32, 32, 8), (16, 16, 8), (14, 14, 16)]", "channels last"),
               ("shapes = [(1, 8, 32, 32), (1, 8, 16, 16), (1, 16, 14, 14)]", "batch dimension")),
        correct_message="(8, 32, 32), then (8, 16, 16), then (16, 14, 14).",
    ),
    Exercise(
        chapter=7, number=3, names=("conv_params", "dense_params"), checker=_check_counts,
        hints=("A convolution has one kernel of C_in x k x k weights per output channel, and one bias per output "
               "channel, whatever the image size.",
               "A Linear layer from m to n numbers has m * n weights and n biases; here m = 16 * 14 * 14 and, "
               "with padding=1, n = 32 * 14 * 14.",
               "count_parameters(layer) counts for you; build the Linear layer with device=\"meta\", so that its "
               "weights take no memory."),
        solution_code="""
conv = nn.Conv2d(16, 32, 3, padding=1)
dense = nn.Linear(16 * 14 * 14, 32 * 14 * 14, device="meta")  # meta: shapes only, no 79 MB of weights
conv_params, dense_params = count_parameters(conv), count_parameters(dense)
print(conv_params, dense_params)  # 4640 19675264
""",
        placeholder="""
conv_params = ___  # parameters of nn.Conv2d(16, 32, 3, padding=1)
dense_params = ___  # parameters of a Linear layer from its 16x14x14 input to its 32x14x14 output
""",
        wrong=(("conv_params, dense_params = 32 * 16 * 9, 16 * 196 * 32 * 196 + 32 * 196", "one bias per output channel"),
               ("conv_params, dense_params = 32 * 16 * 9 + 32, 16 * 196 * 32 * 144 + 32 * 144", "unpadded"),
               ("conv_params, dense_params = 32 * 16 * 9 + 32, 16 * 196 * 32 * 196", "bias per output number"),
               ("conv_params, dense_params = 16 * 196 * 32 * 196 + 32 * 196, 32 * 16 * 9 + 32", "swapped")),
        correct_message="4,640 against 19,675,264: about 4,240 times fewer.",
    ),
    Exercise(
        chapter=7, number=4, names=("receptive_field",), checker=_check_receptive_field,
        hints=("Keep two numbers as you go through the layers: r, the receptive field so far, and j, the spacing "
               "in input pixels between neighbouring units; both start at 1.",
               "A layer of kernel k spans k units of the layer below, which are j pixels apart: it adds "
               "(k - 1) * j to r. Then its stride s spreads its own units: j becomes j * s.",
               "In a loop over (kernel, stride): first r += (kernel - 1) * j, then j *= stride."),
        solution_code="""
def receptive_field(layers):
    r, j = 1, 1  # one input pixel sees itself; input pixels are 1 apart
    for kernel, stride in layers:
        r += (kernel - 1) * j  # the kernel spans kernel units of the layer below, j pixels apart
        j *= stride  # this layer's units are stride units of the layer below apart
    return r


cnn_layers = [(3, 1), (2, 2), (3, 1), (2, 2)]  # conv, pool, conv, pool
print(receptive_field(cnn_layers[:3]), receptive_field(cnn_layers))  # 8 10, as measured in the chapter
""",
        placeholder="""
def receptive_field(layers):
    return ___  # the receptive field of a unit after the layers, given as (kernel, stride) pairs
""",
        wrong=(("def receptive_field(layers):\n    return 1 + sum(kernel - 1 for kernel, stride in layers)",
                "ignores the strides"),
               ("def receptive_field(layers):\n    r, j = 1, 1\n    for kernel, stride in layers:\n"
                "        j *= stride\n        r += (kernel - 1) * j\n    return r", "too early"),
               ("def receptive_field(layers):\n    r, j = 0, 1\n    for kernel, stride in layers:\n"
                "        r += (kernel - 1) * j\n        j *= stride\n    return r", "one pixel short")),
        correct_message="It agrees with the field measured by autograd for every stack tried, the empty one included.",
    ),
    Exercise(
        chapter=7, number=5, names=("gap_cnn", "n_parameters"), checker=_check_gap_cnn,
        hints=("Keep the chapter's two blocks, conv_block(1, 16), MaxPool2d(2), conv_block(16, 32), "
               "MaxPool2d(2), and put the new head after them in one nn.Sequential.",
               "nn.AdaptiveAvgPool2d(1) leaves each image as 32 channels of 1x1; nn.Flatten() turns that into 32 "
               "numbers for nn.Linear(32, 10).",
               "make_cnn(16)[:8] is the convolutional part as a Sequential; count_parameters(gap_cnn) counts."),
        solution_code="""
gap_cnn = nn.Sequential(*conv_block(1, 16), nn.MaxPool2d(2), *conv_block(16, 32), nn.MaxPool2d(2),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
n_parameters = count_parameters(gap_cnn)  # 5,178
for size in (28, 32):
    print(size, tuple(gap_cnn.eval()(torch.zeros(1, 1, size, size)).shape))  # (1, 10) for both
""",
        placeholder="""
gap_cnn = ___  # the CNN with global average pooling in place of its head
n_parameters = ___  # its number of parameters
""",
        wrong=(("gap_cnn = nn.Sequential(*make_cnn(16)[:8], nn.AdaptiveAvgPool2d(1), nn.Linear(32, 10))\n"
                "n_parameters = 5178", "vector of 32 numbers"),
               ("gap_cnn = nn.Sequential(*make_cnn(16)[:8], nn.AvgPool2d(7), nn.Flatten(), nn.Linear(32, 10))\n"
                "n_parameters = 5178", "does the pooling adapt"),
               ("gap_cnn = nn.Sequential(*make_cnn(16)[:8], nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(32, 10))\n"
                "n_parameters = 5178", "not the average"),
               ("gap_cnn = nn.Sequential(*make_cnn(16)[:8], nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 128),\n"
                "                        nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10))\n"
                "n_parameters = count_parameters(gap_cnn)", "one Linear(32, 10)"),
               ("gap_cnn = nn.Sequential(*make_cnn(16)[:8], nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))\n"
                "n_parameters = 4848", "alone")),
        correct_message="5,178 parameters, 4,848 of them in the convolutions and batch norms, and it takes any "
                        "input size from 4x4 up.",
    ),
]
