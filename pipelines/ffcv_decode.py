"""FFCV decoder that applies the shared crop boxes: decode, box crop with zero fill, resize, flip.

FFCV ships a random-resized crop and a centre crop, but neither a translation with zero fill nor
a centred random-size crop, nor our area laws. This decoder covers every configuration with the
box of ``sampler.resolve_box`` (compiled by numba from the same source), so the fill happens
where the crop happens, inside the decoder's parallel loop, before the resize: done later on the
GPU, a translation could only bring in zeros where the image had content outside the crop.

Numba freezes the values a compiled function sees at compile time; the configuration, seed and
epoch are instead read at every batch from small arrays through their addresses (FFCV's own
ctypes ``memcpy``), so one compiled loader serves them all.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from ffcv.fields.rgb_image import IMAGE_MODES, SimpleRGBImageDecoder
from ffcv.libffcv import ctypes_memcopy, imdecode, resize_crop
from ffcv.pipeline.allocation_query import AllocationQuery
from ffcv.pipeline.compiler import Compiler
from numba import njit

from .augment import Augmentation
from .sampler import GOLDEN, MIX_1, MIX_2, resolve_box

# The per-image work lives in module-level functions cached on disk: compiled inside FFCV's
# parallel loop (which FFCV compiles afresh for every loader), it cost ~10 s per loader.


@njit(cache=True)
def _mix(z):
    z = z + np.uint64(GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX_1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX_2)
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def uniforms_row(seed, epoch, index, count):
    """``sampler.uniforms(seed, epoch, [index], count)[0]`` in numba (all arguments uint64)."""
    key = _mix(_mix(_mix(seed) ^ epoch) ^ index)
    out = np.empty(count, dtype=np.float64)
    for slot in range(count):
        out[slot] = np.float64(_mix(key ^ np.uint64(slot)) >> np.uint64(11)) * (
            1.0 / 9007199254740992.0
        )
    return out


@njit(cache=True)
def box_of(seed, epoch, index, draws, params, height, width):
    return resolve_box(uniforms_row(seed, epoch, index, draws), params, height, width)


@njit(cache=True)
def fill_box(image, top, left, box):
    """Copy the part of ``box`` (h, w, 3) that lies on ``image`` at (top, left); zeros elsewhere."""
    h, w = box.shape[0], box.shape[1]
    box[:] = 0
    y0, y1 = max(top, 0), min(top + h, image.shape[0])
    x0, x1 = max(left, 0), min(left + w, image.shape[1])
    if y1 > y0 and x1 > x0:
        box[y0 - top : y1 - top, x0 - left : x1 - left] = image[y0:y1, x0:x1]


@njit(cache=True)
def flip_columns(image):
    width = image.shape[1]
    for row in range(image.shape[0]):
        for col in range(width // 2):
            for channel in range(image.shape[2]):
                swap = image[row, col, channel]
                image[row, col, channel] = image[row, width - 1 - col, channel]
                image[row, width - 1 - col, channel] = swap


class BoxCropDecoder(SimpleRGBImageDecoder):
    """Decode an ``RGBImageField`` to (S, S, 3) uint8 through the shared crop boxes.

    A subclass of FFCV's simple decoder only so that FFCV recognises it as this field's decoder.
    """

    def __init__(self, image_size: int):
        super().__init__()
        self.image_size = image_size
        # Read by the compiled code through their addresses at every batch, so that one
        # compiled loader serves every configuration, seed and epoch (compiling costs seconds).
        self.integers = np.zeros(3, dtype=np.int64)  # seed, epoch, draws
        self.params = np.zeros(len(Augmentation("probe").pack(1.0)), dtype=np.float64)

    def configure(
        self, augmentation: Augmentation, crop_fraction: float, seed: int, epoch: int, train: bool
    ) -> None:
        """Set what the next batches are decoded with."""
        augmentation = augmentation if train else Augmentation("validation")
        self.params[:] = augmentation.pack(crop_fraction)
        self.integers[:] = (seed, epoch, augmentation.draws)

    def declare_state_and_memory(self, previous_state):
        pixels = int((self.metadata["height"].astype(np.uint64) * self.metadata["width"]).max())
        output_shape = (self.image_size, self.image_size, 3)
        state = replace(previous_state, jit_mode=True, shape=output_shape, dtype=np.dtype("<u1"))
        return state, (
            AllocationQuery(output_shape, np.dtype("<u1")),
            AllocationQuery((3 * pixels,), np.dtype("<u1")),  # decoded image
            AllocationQuery((3 * pixels,), np.dtype("<u1")),
        )  # zero-filled box

    def generate_code(self):
        memory_read = self.memory_read
        loop = Compiler.get_iterator()
        imdecode_c = Compiler.compile(imdecode)
        resize_crop_c = Compiler.compile(resize_crop)
        jpg = IMAGE_MODES["jpg"]
        integers_address, integers_bytes = self.integers.ctypes.data, self.integers.nbytes
        params_address, params_bytes = self.params.ctypes.data, self.params.nbytes
        params_count = len(self.params)

        def decode(batch_indices, storage, metadata, storage_state):
            destination, decoded, boxed = storage
            integers = np.zeros(3, dtype=np.int64)
            ctypes_memcopy(integers_address, integers.ctypes.data, integers_bytes)
            params = np.zeros(params_count, dtype=np.float64)
            ctypes_memcopy(params_address, params.ctypes.data, params_bytes)
            seed, epoch, draws = np.uint64(integers[0]), np.uint64(integers[1]), integers[2]
            for slot in loop(len(batch_indices)):
                index = batch_indices[slot]
                field = metadata[index]
                data = memory_read(field["data_ptr"], storage_state)
                height, width = np.int64(field["height"]), np.int64(field["width"])
                if field["mode"] == jpg:
                    imdecode_c(
                        data, decoded[slot], height, width, height, width, 0, 0, 1, 1, False, False
                    )
                    image = decoded[slot][: 3 * height * width].reshape(height, width, 3)
                else:
                    image = data.reshape(height, width, 3)
                top, left, h, w, flip = box_of(
                    seed, epoch, np.uint64(index), draws, params, height, width
                )
                out = destination[slot]
                if top >= 0 and left >= 0 and top + h <= height and left + w <= width:
                    resize_crop_c(image, top, top + h, left, left + w, out)
                else:
                    box = boxed[slot][: 3 * h * w].reshape(h, w, 3)
                    fill_box(image, top, left, box)
                    resize_crop_c(box, 0, h, 0, w, out)
                if flip:
                    flip_columns(out)
            return destination[: len(batch_indices)]

        decode.is_parallel = True
        return decode
