"""Frame sources: image files, video files and cameras, each frame with an explicit timestamp.

Every source yields :class:`Frame` objects (RGB ``uint8`` arrays of shape (H, W, 3),
upright, with a timestamp in seconds from the start of the source). Orientation metadata is
applied here, at the edge, so that the rest of twistcoach sees people the right way up:
EXIF orientation for photos, the display matrix (rotation) for videos.

Timestamps
----------
image
    0.0.
video
    The frame's presentation time (pts x time base) minus the stream's start time, so
    variable-frame-rate files keep their real timing.
camera
    Seconds of a monotonic clock since the camera was opened (the only place a clock is
    read, because a live camera has no timestamps of its own we can trust).

Unreadable, empty or non-media files raise :class:`MediaError`, whose message names the file.

Size limits
-----------
A frame's size is checked from the file's header before a pixel is decoded (issue 16: a
2.6 MB PNG declaring 30000 x 30000 pixels took 5.3 GB and crashed the decoder): at most
:data:`MAX_FRAME_PIXELS` pixels and :data:`MAX_FRAME_SIDE` on a side, and at least
:data:`MIN_FRAME_SIDE` on each side (nobody can be found in fewer). Photos are measured with
Pillow, which reads the header only, then decoded with OpenCV (whose own pixel limit is set to
the same number when this module is imported before ``cv2``); videos with the size their
frames are *shown* at (:func:`shown_size`: the stream's width and height from PyAV,
stretched by its sample aspect ratio, as every frame is before it is measured), and every
decoded frame again before it is converted to RGB. The stored size alone let a
4000 x 4000 stream whose pixels are 5 times as wide as high through as 20000 x 4000 frames
(80 Mpx, 1.4 GB for four blank frames).

Video streams, edit lists, mirrored recordings
----------------------------------------------
A file with several video streams is measured on its first (a cover picture is no stream
of frames: skipped), and :attr:`VideoSource.warnings` says which and that the others were
ignored. The frame count :attr:`VideoSource.expected_frames` promises is the header's,
unless the stream's duration covers fewer frames: a phone-trimmed file (an edit list) keeps
every coded frame but shows only those within the cut, so its header's count was called
"cut short". A recording saved mirrored (some phones' front cameras) is flipped back with
``mirrored=True``: its pixels cannot tell, and the person's right reads as their left.
"""

from __future__ import annotations

import io
import math
import os
import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import numpy as np
from numpy.typing import NDArray

# A file that cannot be used as a source of frames (the message names the file): the
# package's media error, a ValueError, so the CLI exits 2 and the web answers 422.
from twistcoach.errors import MediaError as MediaError
from twistcoach.i18n import ngettext

RgbArray = NDArray[np.uint8]

#: Suffixes read as still photographs (anything else is tried as a video).
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".jp2", ".pgm", ".ppm", ".avif"}
    | {".heic", ".heif"}
)


#: The most pixels in a frame (photo or video): 64 Mi, above a 48 MP phone photo and an 8K
#: video frame (33 MP); an RGB copy of such a frame is 200 MB.
MAX_FRAME_PIXELS = 64 * 1024 * 1024
#: The longest side of a frame, in pixels.
MAX_FRAME_SIDE = 16384
#: The shortest side a frame may have: a person cannot be found in fewer pixels.
MIN_FRAME_SIDE = 32

# OpenCV's decoders check this limit themselves (read once, when cv2 is first imported).
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_FRAME_PIXELS))


def _limits_text() -> str:
    return f"at most {MAX_FRAME_PIXELS:,} pixels and {MAX_FRAME_SIDE} on a side"


def check_frame_size(
    name: object,
    width: int,
    height: int,
    *,
    video: bool = False,
    stored: tuple[int, int] | None = None,
) -> None:
    """Refuse a frame size outside the limits (see the module docs), before decoding.

    Parameters
    ----------
    name
        The file (or source), named in the message.
    width, height
        The size the frames are used at, in pixels (a video's as shown: :func:`shown_size`).
    video
        Whether these are a video's frames (for the message).
    stored
        The size the file stores, when it differs from the size shown (non-square pixels):
        the message gives both.

    Raises
    ------
    MediaError
        When the frame is too large or too small.
    """
    subject = "the video's frames are" if video else "the image is"
    size = f"{width}x{height} pixels"
    if stored is not None and stored != (width, height):
        size += f" as shown, {stored[0]}x{stored[1]} stored with non-square pixels"
    if width * height > MAX_FRAME_PIXELS or max(width, height) > MAX_FRAME_SIDE:
        raise MediaError(f"{name}: {subject} too large to analyse ({size}; {_limits_text()})")
    if min(width, height) < MIN_FRAME_SIDE:
        raise MediaError(
            f"{name}: {subject} too small to find a person in ({width}x{height} pixels; "
            f"at least {MIN_FRAME_SIDE} on each side)"
        )


def _image_header_size(path: Path, data: NDArray[np.uint8]) -> tuple[int, int]:
    """(width, height) from an image file's header, without decoding its pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check warns (or raises) on open: ours comes next, exactly.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data.tobytes())) as image:
                width, height = image.size
    except Image.DecompressionBombError as err:
        # Pillow refuses past twice its own limit, before saying the size: quote its count.
        found = re.search(r"\((\d+) pixels\)", str(err))
        pixels = f"{int(found.group(1)):,} pixels; " if found else ""
        raise MediaError(
            f"{path}: the image is too large to analyse ({pixels}{_limits_text()})"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise MediaError(f"{path}: not a readable image") from None
    return int(width), int(height)


class SourceKind(StrEnum):
    """What a source reads from."""

    IMAGE = "image"
    VIDEO = "video"
    CAMERA = "camera"


@dataclass(frozen=True)
class Frame:
    """One frame.

    Attributes
    ----------
    timestamp_s
        Seconds from the start of the source (see the module docs).
    rgb
        Shape (H, W, 3), uint8, RGB, upright.
    index
        0-based position of the frame in its source.
    """

    timestamp_s: float
    rgb: RgbArray
    index: int


class FrameSource(Protocol):
    """An iterable of frames that must be closed (use it as a context manager)."""

    kind: SourceKind
    name: str

    def frames(self) -> Iterator[Frame]:
        """Yield the frames in order."""
        ...

    @property
    def expected_frames(self) -> int | None:
        """Number of frames if known in advance (for progress bars), else None."""
        ...

    def close(self) -> None:
        """Release the file or device."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class _Closing:
    """Context-manager plumbing shared by the sources."""

    def close(self) -> None:
        """Release resources (nothing by default)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _check_file(path: Path) -> None:
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if path.is_dir():
        raise MediaError(
            f"{path}: a folder; give its photographs and videos one by one (or "
            "`twistcoach batch` for a whole folder)"
        )
    if not path.is_file():
        raise MediaError(f"{path}: not a file (a device or a pipe)")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: the file is empty")


def read_image(path: Path) -> RgbArray:
    """Read a photograph as an upright RGB array.

    Parameters
    ----------
    path
        An image file (JPEG, PNG, ...). EXIF orientation is applied (OpenCV's decoder does
        so for ``IMREAD_COLOR``).

    Returns
    -------
    ndarray
        Shape (H, W, 3), uint8, RGB.

    Raises
    ------
    MediaError
        Naming the file when it is missing, empty, not a decodable image, or its header
        declares a size outside the limits (:func:`check_frame_size`, checked before
        decoding).
    """
    import cv2

    _check_file(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as err:
        raise MediaError(f"{path}: cannot read the file ({err.strerror})") from None
    if _is_heic(data[:32].tobytes()):
        raise MediaError(
            f"{path}: a HEIC photograph (a phone's own format), which twistcoach cannot "
            "read: save or share it as JPEG and analyse that"
        )
    check_frame_size(path, *_image_header_size(path, data))
    # imdecode (not imread) so non-ASCII paths work; IMREAD_COLOR applies EXIF orientation.
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None or bgr.size == 0:
        raise MediaError(f"{path}: not a readable image")
    check_frame_size(path, int(bgr.shape[1]), int(bgr.shape[0]))
    rgb: RgbArray = np.ascontiguousarray(bgr[:, :, ::-1])
    return rgb


#: Picture formats (Pillow's names) whose further frames are more pictures: an animation's
#: (animated WebP, APNG, GIF) or a document's pages (TIFF). A JPEG's (MPO) are left out:
#: they are a phone's previews or depth maps, never another moment of the person.
_MULTI_FRAME_FORMATS = frozenset({"GIF", "PNG", "TIFF", "WEBP"})


def picture_frames(path: Path) -> int:
    """How many frames a picture file holds (an animation's or a TIFF's pages), from its
    header with Pillow; :func:`read_image` reads only the first.

    Returns
    -------
    int
        1 for a still picture, a format whose extra frames are no further pictures (see
        ``_MULTI_FRAME_FORMATS``), or a file Pillow cannot read (reading it reports that).
    """
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.format not in _MULTI_FRAME_FORMATS:
                    return 1
                if not getattr(image, "is_animated", False):
                    return 1
                return max(1, int(getattr(image, "n_frames", 1)))
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return 1


class ImageSource(_Closing):
    """A single photograph as a one-frame source (timestamp 0.0).

    The file is decoded on construction, so a bad file fails early with :class:`MediaError`.
    """

    kind = SourceKind.IMAGE

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self._rgb = read_image(path)

    @property
    def expected_frames(self) -> int:
        """Always 1."""
        return 1

    def frames(self) -> Iterator[Frame]:
        """Yield the photograph once."""
        yield Frame(0.0, self._rgb, 0)


#: Sample aspect ratios (a pixel's width over its height) a video's frames are stretched
#: by; one outside is taken for a broken header and ignored (the pixels read as square).
PIXEL_ASPECT_RANGE = (0.2, 5.0)


def shown_size(width: int, height: int, pixel_aspect: float) -> tuple[int, int]:
    """The size a video frame of ``width`` x ``height`` stored pixels is shown (and measured)
    at: stretched across (``pixel_aspect`` > 1) or down (< 1) so its pixels are square, never
    shrunk (no detail lost).

    Parameters
    ----------
    width, height
        The stored size, in pixels.
    pixel_aspect
        The stream's sample aspect ratio: a pixel's width over its height (1: square).

    Returns
    -------
    tuple of int
        (width, height) as shown.
    """
    if pixel_aspect > 1.0:
        return max(1, round(width * pixel_aspect)), height
    if pixel_aspect < 1.0:
        return width, max(1, round(height / pixel_aspect))
    return width, height


def _square_pixels(rgb: RgbArray, pixel_aspect: float) -> RgbArray:
    """The frame as shown (:func:`shown_size`).

    Parameters
    ----------
    rgb
        Shape (H, W, 3), the stored frame.
    pixel_aspect
        The stream's sample aspect ratio: a pixel's width over its height.
    """
    import cv2

    height, width = rgb.shape[:2]
    size = shown_size(width, height, pixel_aspect)
    return np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR))


def _rotate(rgb: RgbArray, rotation_ccw_deg: float) -> RgbArray:
    """Apply a display-matrix rotation (degrees counter-clockwise, multiples of 90)."""
    quarter_turns = round(rotation_ccw_deg / 90.0) % 4
    if quarter_turns == 0:
        return rgb
    return np.ascontiguousarray(np.rot90(rgb, k=quarter_turns))


class VideoSource(_Closing):
    """A video file decoded with PyAV.

    Parameters
    ----------
    path
        Any container/codec FFmpeg can decode.
    start_frame
        Index of the first frame to yield (earlier frames are decoded and skipped, so the
        indices and timestamps are those of the whole file). Used by the parallel pipeline.
    stop_frame
        Index one past the last frame to yield; None for the end of the file.
    mirrored
        Flip every frame left to right (after its rotation): for a recording the phone
        saved mirrored (some front cameras do), whose pixels cannot tell, so the person's
        right side would read as their left.

    Attributes
    ----------
    warnings
        Plain sentences about the file that do not stop its analysis: a file with several
        video streams says which one is measured.

    Raises
    ------
    MediaError
        Naming the file when it is missing, empty, not a media file, has no video stream,
        or its frames as shown are outside the size limits (:func:`check_frame_size`).
    """

    kind = SourceKind.VIDEO

    def __init__(
        self,
        path: Path,
        *,
        start_frame: int = 0,
        stop_frame: int | None = None,
        mirrored: bool = False,
    ) -> None:
        import av

        _check_file(path)
        self.path = path
        self.name = str(path)
        self.mirrored = mirrored
        self._start = start_frame
        self._stop = stop_frame
        try:
            self._container: Any = av.open(str(path))
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as err:
            raise MediaError(f"{path}: not a readable video ({_reason(err)})") from None
        # A cover picture (an mp4's or mkv's attached picture) is a "video stream" of one
        # still: never the recording.
        streams = [
            s
            for s in self._container.streams.video
            if av.stream.Disposition.attached_pic not in s.disposition
        ]
        if not streams:
            self._container.close()
            raise MediaError(f"{path}: the file has no video stream")
        self._stream: Any = streams[0]
        # Let FFmpeg decode with its own threads; frames still come out in order.
        self._stream.thread_type = "AUTO"
        rate = self._stream.average_rate or self._stream.guessed_rate
        self.fps: float | None = float(rate) if rate else None
        self._frame_count = self._header_frames()
        self.width = int(self._stream.codec_context.width)
        self.height = int(self._stream.codec_context.height)
        # Non-square pixels (a sample aspect ratio other than 1): frames are stretched to
        # the shape they are shown in, or the body's geometry is measured distorted (a 4:3
        # anamorphic copy of a clip read its drop 7 degrees short; a 2:1 one read as a side
        # view).
        sar = self._stream.sample_aspect_ratio or self._stream.codec_context.sample_aspect_ratio
        low, high = PIXEL_ASPECT_RANGE
        self._pixel_aspect = float(sar) if sar and low <= float(sar) <= high else 1.0
        self.warnings: tuple[str, ...] = ()
        if len(streams) > 1:
            self.warnings = (
                f"{path}: the file holds {len(streams)} video streams: the first "
                f"({self._shown_text(self.width, self.height)}) was measured, the others "
                "ignored",
            )
        if self.width or self.height:  # 0 x 0: the header does not say; checked per frame
            try:
                self._check_size(self.width, self.height)
            except MediaError:
                self._container.close()
                raise

    def _shown_text(self, width: int, height: int) -> str:
        shown = shown_size(width, height, self._pixel_aspect)
        return f"{shown[0]}x{shown[1]} pixels"

    def _check_size(self, width: int, height: int) -> None:
        """Refuse frames whose size as shown (stretched to square pixels, as they are
        measured) is outside the limits: checked before a pixel is decoded."""
        shown = shown_size(width, height, self._pixel_aspect)
        check_frame_size(self.path, *shown, video=True, stored=(width, height))

    def _header_frames(self) -> int:
        """The frames the file shows, as far as its header tells (0: it does not say).

        The header's count (``nb_frames``) is every coded frame; a trimmed file (an mp4
        edit list: a phone's "trim" that copies without re-encoding) keeps the frames
        before its cut for decoding but shows only those within it, and its stream's
        duration says so: the count is then what the duration covers at the frame rate.
        A truncated file keeps its header's duration, so it still comes short of it.
        """
        count = int(self._stream.frames or 0)
        duration, time_base = self._stream.duration, self._stream.time_base
        if count <= 0 or not duration or time_base is None or not self.fps:
            return count
        covered = math.ceil(float(duration * time_base) * self.fps - 1e-6)
        return min(count, covered) if covered > 0 else count

    @property
    def expected_frames(self) -> int | None:
        """The frames the file shows, from its header (None when it does not say; see
        :meth:`_header_frames`)."""
        if self._frame_count <= 0:
            return None
        stop = self._frame_count if self._stop is None else min(self._stop, self._frame_count)
        return max(0, stop - self._start)

    def frames(self) -> Iterator[Frame]:
        """Yield the frames in presentation order with their real timestamps.

        Raises
        ------
        MediaError
            When decoding fails midway or the file holds no decodable frame at all.
        """
        import av

        start_time = self._stream.start_time or 0
        time_base = self._stream.time_base
        index = -1
        last_t = -1.0
        try:
            for frame in self._container.decode(self._stream):
                index += 1
                if self._stop is not None and index >= self._stop:
                    break
                if index < self._start:
                    continue
                if frame.pts is not None and time_base is not None:
                    t = float((frame.pts - start_time) * time_base)
                elif self.fps:
                    t = index / self.fps
                else:
                    t = float(index)
                # Broken pts (repeated or going back) would give infinite speeds downstream.
                if t <= last_t:
                    t = last_t + 1e-3
                last_t = t
                if (frame.width, frame.height) != (self.width, self.height):
                    # A size the header did not declare (or a stream that changes size).
                    self._check_size(frame.width, frame.height)
                rgb = frame.to_ndarray(format="rgb24")
                if self._pixel_aspect != 1.0:
                    rgb = _square_pixels(rgb, self._pixel_aspect)
                rgb = _rotate(rgb, float(frame.rotation or 0))
                if self.mirrored:
                    rgb = np.ascontiguousarray(rgb[:, ::-1])
                yield Frame(t, rgb, index)
        except av.error.FFmpegError as err:
            where = (
                "no frame could be decoded"
                if index < 0
                else ngettext(
                    "decoding failed after {n} frame", "decoding failed after {n} frames", index + 1
                ).format(n=index + 1)
            )
            raise MediaError(f"{self.path}: {where} ({err})") from None
        if index < 0:
            raise MediaError(f"{self.path}: the video holds no frames")

    def close(self) -> None:
        """Close the container."""
        self._container.close()


def _reason(err: BaseException) -> str:
    text = getattr(err, "strerror", None) or str(err)
    return str(text).split(":")[-1].strip() or type(err).__name__


class CameraSource(_Closing):
    """A camera by index through OpenCV; timestamps from a monotonic clock (see module docs).

    Parameters
    ----------
    index
        OpenCV's camera index (0 is usually the built-in webcam).
    max_frames
        Stop after this many frames (None: until the camera stops or the loop breaks).

    Raises
    ------
    MediaError
        When the camera cannot be opened.
    """

    kind = SourceKind.CAMERA

    def __init__(self, index: int = 0, *, max_frames: int | None = None) -> None:
        import cv2

        self.name = f"camera {index}"
        self._max = max_frames
        self._capture: Any = cv2.VideoCapture(index)
        if not self._capture.isOpened():
            self._capture.release()
            raise MediaError(f"{self.name}: cannot open the camera")

    @property
    def expected_frames(self) -> int | None:
        """The frame limit, if any."""
        return self._max

    def frames(self) -> Iterator[Frame]:
        """Yield frames until the camera stops or ``max_frames`` is reached."""
        start = time.monotonic()
        index = 0
        while self._max is None or index < self._max:
            ok, bgr = self._capture.read()
            if not ok or bgr is None:
                break
            t = time.monotonic() - start
            yield Frame(t, np.ascontiguousarray(bgr[:, :, ::-1]), index)
            index += 1

    def close(self) -> None:
        """Release the camera."""
        self._capture.release()


def is_image_path(path: Path) -> bool:
    """True when the file name says it is a still photograph."""
    return path.suffix.lower() in IMAGE_SUFFIXES


#: The first bytes of the still-image formats OpenCV decodes (JPEG, PNG, BMP, TIFF both byte
#: orders, JPEG 2000, binary PGM and PPM; WebP is checked apart: ``RIFF`` then ``WEBP``).
_IMAGE_MAGIC = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"\x00\x00\x00\x0cjP  ",
    b"P5",
    b"P6",
)
#: The first bytes of video containers: Matroska and WebM, MPEG program streams, and GIF
#: (which may be animated: PyAV reads it frame by frame); ISO media (MP4, MOV, 3GP) and AVI
#: are checked apart.
_VIDEO_MAGIC = (b"\x1a\x45\xdf\xa3", b"\x00\x00\x01\xba", b"GIF87a", b"GIF89a")
#: ISO media brands of still photographs (``ftyp`` from byte 4, the brand from byte 8):
#: AVIF, which OpenCV decodes, and HEIF/HEIC (a phone's own format), which it does not
#: (:func:`read_image` then says so).
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})


def _head(path: Path) -> bytes:
    """A regular file's first 32 bytes; empty when it is not one or cannot be read (a pipe
    is never opened: reading it would block)."""
    try:
        if path.is_file():
            with path.open("rb") as f:
                return f.read(32)
    except OSError:
        pass
    return b""


def _is_heic(head: bytes) -> bool:
    """True for a HEIF/HEIC photograph's first 32 bytes (its ``ftyp`` box names a HEIF brand
    and not AVIF, which OpenCV reads)."""
    return head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS and b"avif" not in head[8:32]


def _sniffed_kind(head: bytes) -> SourceKind | None:
    """IMAGE or VIDEO when a file's first bytes (16 or more) name a known format, else None."""
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return SourceKind.IMAGE
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        image = brand in _AVIF_BRANDS or brand in _HEIF_BRANDS
        return SourceKind.IMAGE if image else SourceKind.VIDEO
    if head.startswith(_VIDEO_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"AVI "):
        return SourceKind.VIDEO
    return None


def is_image_file(path: Path) -> bool:
    """True when a file is a still photograph: by its first bytes, else by its name.

    A photograph saved without a suffix (or under a video's) is still measured as a
    photograph, and a video under a photograph's suffix as a video; a GIF of one frame is a
    photograph, an animated one a video. Only a regular file is opened (a pipe would
    block); anything else, and a file whose first bytes name no known format, is judged by
    :func:`is_image_path`, and reading it reports the problem.
    """
    head = _head(path)
    if head.startswith((b"GIF87a", b"GIF89a")):
        return _still_gif(path)
    kind = _sniffed_kind(head)
    return kind is SourceKind.IMAGE if kind is not None else is_image_path(path)


def is_video_file(path: Path) -> bool:
    """True only when a file's first bytes name a video format (or an animated GIF): for a
    message that says "this is a video" where a photograph was asked for."""
    head = _head(path)
    if head.startswith((b"GIF87a", b"GIF89a")):
        return not _still_gif(path)
    return _sniffed_kind(head) is SourceKind.VIDEO


def _still_gif(path: Path) -> bool:
    """True for a GIF of one frame (Pillow looks for a second frame only, decoding none);
    False for an animated or unreadable one (read as a video, which reports the problem)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return not getattr(image, "is_animated", False)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False


def open_source(path: Path) -> ImageSource | VideoSource:
    """Open a file as an image source or a video source, chosen by its first bytes, else
    its suffix (:func:`is_image_file`).

    Raises
    ------
    MediaError
        Naming the file when it is missing, empty or not readable media.
    """
    if is_image_file(path):
        return ImageSource(path)
    return VideoSource(path)
