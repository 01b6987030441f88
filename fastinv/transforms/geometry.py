"""2x3 affine matrices (``theta``) in fastinv's pixel convention.

Convention, used by every warp in fastinv (kernels and twins alike):

* pixel ``(i, j)`` (column ``i``, row ``j``) has its centre at the continuous point ``(x, y) = (i, j)``;
  the image covers ``[-0.5, W - 0.5] x [-0.5, H - 0.5]``;
* ``theta`` maps an *output* pixel centre to the *input* point it samples (the inverse map, as
  ``cv2.warpAffine`` with ``WARP_INVERSE_MAP``): ``[x_in, y_in] = theta @ [x_out, y_out, 1]``.

This equals ``torch.nn.functional.grid_sample(..., align_corners=False)`` after the change of
variables in :func:`theta_to_normalized`, and therefore ``torchvision.transforms.v2.functional.affine``
when :func:`affine_theta` is given the same angle, translation, scale and shear.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["affine_theta", "compose", "crop_resize_theta", "theta_to_normalized"]


def _as3(theta: np.ndarray) -> np.ndarray:
    out = np.zeros(theta.shape[:-2] + (3, 3), dtype=np.float64)
    out[..., :2, :] = theta
    out[..., 2, 2] = 1.0
    return out


def affine_theta(
    size: tuple[int, int],
    angle: float = 0.0,
    translate: tuple[float, float] = (0.0, 0.0),
    scale: float = 1.0,
    shear: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """Inverse-map matrix of torchvision's ``affine`` about the image centre, in pixels.

    Args:
        size: ``(H, W)`` of the image (input and output alike).
        angle: rotation in degrees, clockwise on screen (the sign of torchvision's ``affine``).
        translate: ``(tx, ty)`` shift of the content in pixels (right, down).
        scale: isotropic zoom factor (> 1 enlarges the content).
        shear: ``(sx, sy)`` shear angles in degrees, torchvision's parameterisation.

    Returns:
        float64 array [2, 3].
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    height, width = size
    cx, cy = (width - 1) * 0.5, (height - 1) * 0.5
    # Forward map about the centre: p_out = c + t + scale * R(angle) SHy(sy) SHx(sx) (p_in - c).
    # The y axis points down, so the usual R(angle) turns the content clockwise on screen.
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    rotation = np.array([[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]])
    shear_x = np.array([[1.0, -math.tan(sx)], [0.0, 1.0]])
    shear_y = np.array([[1.0, 0.0], [-math.tan(sy), 1.0]])
    linear = scale * rotation @ shear_y @ shear_x
    forward = np.eye(3)
    forward[:2, :2] = linear
    centre = np.array([cx, cy])
    forward[:2, 2] = centre + np.asarray(translate, dtype=np.float64) - linear @ centre
    return np.linalg.inv(forward)[:2]


def compose(*thetas: np.ndarray) -> np.ndarray:
    """Compose inverse maps: ``compose(a, b)`` samples like warping by ``a`` then by ``b``.

    With inverse maps the sampling point of the composite is ``a(b(p_out))``, so the product is
    ``a @ b`` (leading batch dimensions broadcast).
    """
    out = _as3(np.asarray(thetas[0], dtype=np.float64))
    for theta in thetas[1:]:
        out = out @ _as3(np.asarray(theta, dtype=np.float64))
    return out[..., :2, :]


def crop_resize_theta(
    box: tuple[float, float, float, float], out_size: tuple[int, int]
) -> np.ndarray:
    """Inverse map that resamples the box ``(left, top, width, height)`` (in input pixels,
    edges, not centres) to an output of ``out_size = (H', W')`` pixels.

    This is how resize and centre-crop fold into a studied transform: ``compose(crop, theta)``.
    It interpolates, without the antialiasing filter of a true downscale.
    """
    left, top, box_w, box_h = box
    out_h, out_w = out_size
    sx, sy = box_w / out_w, box_h / out_h
    # Output pixel edge -0.5 maps to input edge `left - 0.5`: x_in = sx * (x_out + 0.5) + left - 0.5
    return np.array([[sx, 0.0, left - 0.5 + 0.5 * sx], [0.0, sy, top - 0.5 + 0.5 * sy]])


def theta_to_normalized(
    theta: np.ndarray, in_size: tuple[int, int], out_size: tuple[int, int]
) -> np.ndarray:
    """Convert a pixel-space inverse map to ``affine_grid``'s normalised, align_corners=False form."""
    in_h, in_w = in_size
    out_h, out_w = out_size
    # normalised u = (2x + 1) / W - 1  <=>  x = (u + 1) W / 2 - 1/2
    to_pixels_out = np.array(
        [[out_w / 2, 0, out_w / 2 - 0.5], [0, out_h / 2, out_h / 2 - 0.5], [0, 0, 1]]
    )
    to_norm_in = np.array([[2 / in_w, 0, 1 / in_w - 1], [0, 2 / in_h, 1 / in_h - 1], [0, 0, 1]])
    return (to_norm_in @ _as3(np.asarray(theta, dtype=np.float64)) @ to_pixels_out)[..., :2, :]
