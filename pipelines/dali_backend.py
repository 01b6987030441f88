"""DALI backend: ``fn.readers.file`` over the folder, then decode, crop box, resize, flip, layout.

On a GPU (``device="cuda"``) decoding is ``device="mixed"`` (nvJPEG) and the crop, resize, flip
and normalisation run on the GPU; on CPU the same graph runs with ``device_id=None``. Boxes come
from the shared sampler through a batch-wise ``fn.external_source`` that follows the reader's
order, which is why the pipeline is rebuilt each epoch with that epoch's file order: DALI's own
shuffling could not be reproduced by the other backends. Boxes need image sizes, read once from
the file headers when the loader is made.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from .folder import check_classes, drop_files, find_corrupt, image_sizes, scan_folder
from .loader import IMAGENET_MEAN, IMAGENET_STD, Loader
from .sampler import sample_boxes

log = logging.getLogger(__name__)


def import_dali():
    try:
        import nvidia.dali  # noqa: F401
    except ImportError as error:
        raise ImportError(
            "the DALI backend needs NVIDIA DALI: pip install 'fastinv[dali]' "
            f"(nvidia-dali-cuda130) -- {error}"
        ) from None
    from nvidia.dali import fn, pipeline_def, types

    return fn, pipeline_def, types


def build_pipeline(
    files,
    labels,
    boxes,
    *,
    batch_size: int,
    image_size: int,
    device_id,
    num_threads: int,
    normalize: bool,
    pad_outside: bool,
    seed: int = 0,
):
    """A DALI pipeline yielding ("images" CHW, "labels") for ``files`` in order with their ``boxes``.

    ``boxes`` is int (N, 5) (top, left, h, w, flip); ``pad_outside`` when some box reaches
    outside its image (translations): then the whole image is decoded and sliced with zero
    padding, otherwise only the box is decoded (``decoders.image_slice``, ROI decode on GPU).
    """
    fn, pipeline_def, types = import_dali()
    gpu = device_id is not None
    count = len(files)
    padded = -(-count // batch_size) * batch_size
    anchors = boxes[:, 0:2].astype(np.float32)
    shapes = boxes[:, 2:4].astype(np.float32)
    flips = boxes[:, 4].astype(np.int32)

    def boxes_of(batch_info):
        # Ending the data here stops the pipeline from prefetching (and decoding) batches of a
        # next epoch that is never read: the loader builds a new pipeline per epoch.
        first = batch_info.iteration * batch_size
        if first >= padded:
            raise StopIteration
        # The reader pads the last batch by repeating the last file (pad_last_batch).
        positions = np.minimum(np.arange(first, first + batch_size), count - 1)
        return anchors[positions], shapes[positions], flips[positions]

    @pipeline_def(
        batch_size=batch_size,
        num_threads=num_threads,
        device_id=device_id,
        seed=seed,
        prefetch_queue_depth=2,
    )
    def pipeline():
        jpegs, classes = fn.readers.file(
            files=list(files),
            labels=[int(v) for v in labels],
            random_shuffle=False,
            pad_last_batch=True,
            name="Reader",
        )
        anchor, shape, flip = fn.external_source(
            source=boxes_of, batch=True, batch_info=True, num_outputs=3
        )
        decoder = "mixed" if gpu else "cpu"
        # nvJPEG's default chroma upsampling differs from libjpeg-turbo's (CPU, PIL): ask for the same.
        upsampling = {"jpeg_fancy_upsampling": True} if gpu else {}
        if pad_outside:
            images = fn.decoders.image(
                jpegs, device=decoder, output_type=types.RGB, adjust_orientation=False, **upsampling
            )
            images = fn.slice(
                images,
                anchor,
                shape,
                axis_names="HW",
                normalized_anchor=False,
                normalized_shape=False,
                out_of_bounds_policy="pad",
                fill_values=0,
            )
        else:
            images = fn.decoders.image_slice(
                jpegs,
                anchor,
                shape,
                axis_names="HW",
                normalized_anchor=False,
                normalized_shape=False,
                device=decoder,
                output_type=types.RGB,
                adjust_orientation=False,
                **upsampling,
            )
        images = fn.resize(
            images,
            resize_x=image_size,
            resize_y=image_size,
            antialias=True,
            interp_type=types.INTERP_LINEAR,
        )
        if normalize:
            images = fn.crop_mirror_normalize(
                images,
                mirror=flip,
                output_layout="CHW",
                dtype=types.FLOAT,
                mean=[m * 255 for m in IMAGENET_MEAN],
                std=[s * 255 for s in IMAGENET_STD],
            )
        else:
            images = fn.crop_mirror_normalize(
                images, mirror=flip, output_layout="CHW", dtype=types.UINT8
            )
        return images, classes

    return pipeline()


class DaliLoader(Loader):
    backend = "dali"

    def __init__(self, source, *, skip_corrupt: bool = False, expected_classes=None, **options):
        import_dali()
        folder = scan_folder(source)
        if expected_classes is not None:
            check_classes(folder.classes, expected_classes, folder.root)
        workers = options["num_workers"] or 1
        # FIXME: the header of every file is read at each construction (about a minute per million
        # files on one core); a size cache beside the run would make it once.
        heights, widths, bad = image_sizes(folder.files, workers)
        if skip_corrupt:
            # DALI stops the whole pipeline on a bad file, so asking to skip costs one full
            # PIL decode of the folder up front.
            bad.update(find_corrupt([f for f in folder.files if f not in bad], workers))
        keep = np.array([f not in bad for f in folder.files], dtype=bool)
        folder = drop_files(folder, bad, skip_corrupt)
        self.folder, self.heights, self.widths = folder, heights[keep], widths[keep]
        super().__init__(classes=folder.classes, dataset_size=len(folder.files), **options)
        self.device_id = None
        if self.device.type == "cuda":
            # "cuda" alone means the current device (set by torch.cuda.set_device under torchrun).
            self.device_id = (
                self.device.index if self.device.index is not None else torch.cuda.current_device()
            )

    def pipeline(self, order, epoch: int):
        """The DALI pipeline of one epoch, built (what the benchmark also times directly)."""
        boxes = sample_boxes(
            self.augmentation,
            self.crop_fraction,
            self.seed,
            epoch,
            order,
            self.heights[order],
            self.widths[order],
            self.train,
        )
        outside = bool(
            (
                (boxes[:, 0] < 0)
                | (boxes[:, 1] < 0)
                | (boxes[:, 0] + boxes[:, 2] > self.heights[order])
                | (boxes[:, 1] + boxes[:, 3] > self.widths[order])
            ).any()
        )
        files = [self.folder.files[i] for i in order]
        pipe = build_pipeline(
            files,
            self.folder.labels[order],
            boxes,
            batch_size=self.batch_size,
            image_size=self.image_size,
            device_id=self.device_id,
            num_threads=max(1, self.num_workers),
            normalize=self.normalize,
            pad_outside=outside,
            seed=self.seed + epoch,
        )
        pipe.build()
        return pipe

    def _batches(self, order, epoch: int):
        if len(order) == 0:
            return
        from nvidia.dali.plugin.pytorch import DALIGenericIterator, LastBatchPolicy

        position = 0
        try:
            # The iterator decodes its first batches as soon as it is made.
            iterator = DALIGenericIterator(
                self.pipeline(order, epoch),
                ["images", "labels"],
                reader_name="Reader",
                last_batch_policy=LastBatchPolicy.PARTIAL,
                auto_reset=False,
            )
            while True:
                try:
                    (batch,) = next(iterator)
                except StopIteration:
                    break
                images, labels = batch["images"], batch["labels"]
                position += len(labels)
                yield images, labels.reshape(-1).to(torch.int64)
        except RuntimeError as error:
            # Batches in flight: the current one and the prefetched ones.
            raise self._explain(error, order[position : position + 4 * self.batch_size]) from error

    def _explain(self, error: RuntimeError, indices) -> RuntimeError:
        """Name the undecodable files among the batches in flight (DALI's message may not)."""
        bad = find_corrupt([self.folder.files[i] for i in indices], max(1, self.num_workers))
        if not bad:
            return error
        names = "; ".join(f"{path}: {reason}" for path, reason in bad.items())
        return RuntimeError(
            f"DALI could not decode {names} (pass skip_corrupt=True to skip such files)"
        )
