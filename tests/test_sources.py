"""Tests for twistcoach.sources: photos, videos (timestamps, rotation), bad files."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from twistcoach import sources
from twistcoach.sources import (
    CameraSource,
    ImageSource,
    MediaError,
    SourceKind,
    VideoSource,
    is_image_file,
    is_image_path,
    open_source,
    read_image,
)

TAG_ROTATE_90 = ("-metadata:s:v:0", "rotate=90")
FELUNA = Path("videos") / "supine_twist" / "feluna_reclining_twist.mp4"


def _marker_frame(width: int, height: int) -> np.ndarray:
    """Black frame with a white square in the top-left corner (shows any rotation)."""
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[: height // 4, : width // 4] = 255
    return rgb


def _write_video(path: Path, frames: list[np.ndarray], pts_ms: list[int]) -> None:
    """Encode frames with exact presentation times (milliseconds), variable rate allowed."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        for rgb, pts in zip(frames, pts_ms, strict=True):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_png_is_read_as_rgb(tmp_path: Path) -> None:
    bgr = np.zeros((36, 48, 3), np.uint8)  # the smallest frames allowed are 32 on a side
    bgr[1, 2] = (255, 0, 0)  # blue in OpenCV's BGR order
    path = tmp_path / "blue.png"
    assert cv2.imwrite(str(path), bgr)
    rgb = read_image(path)
    assert rgb.shape == (36, 48, 3) and rgb.dtype == np.uint8
    assert rgb[1, 2].tolist() == [0, 0, 255]


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    # Stored 80 wide x 40 high with the marker top-left; EXIF 6 = "rotate 90 clockwise".
    stored = _marker_frame(80, 40)
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(path, quality=95, exif=exif)
    rgb = read_image(path)
    assert rgb.shape == (80, 40, 3)
    # Turned clockwise, the top-left marker ends up top-right.
    assert rgb[:5, -5:].mean() > 200 and rgb[:5, :5].mean() < 50


def test_image_source_yields_one_frame_at_zero(shared_data: Path) -> None:
    path = shared_data / "images" / "tree" / "suraj_tree_pose.jpg"
    with open_source(path) as source:
        assert isinstance(source, ImageSource) and source.kind is SourceKind.IMAGE
        assert source.expected_frames == 1
        frames = list(source.frames())
    assert len(frames) == 1
    assert frames[0].timestamp_s == 0.0 and frames[0].index == 0
    assert frames[0].rgb.shape == (432, 360, 3)


def test_video_frames_have_real_timestamps(shared_data: Path) -> None:
    with open_source(shared_data / FELUNA) as source:
        assert isinstance(source, VideoSource) and source.kind is SourceKind.VIDEO
        assert source.expected_frames == 199 and source.fps == 25.0
        frames = list(source.frames())
    assert len(frames) == 199
    assert [f.index for f in frames] == list(range(199))
    assert frames[0].rgb.shape == (420, 746, 3)
    assert np.allclose([f.timestamp_s for f in frames], np.arange(199) * 0.04)


def test_video_chunk_keeps_whole_file_indices_and_times(shared_data: Path) -> None:
    with VideoSource(shared_data / FELUNA, start_frame=190, stop_frame=195) as source:
        assert source.expected_frames == 5
        frames = list(source.frames())
    assert [f.index for f in frames] == [190, 191, 192, 193, 194]
    assert frames[0].timestamp_s == pytest.approx(7.6)


def test_variable_frame_rate_keeps_presentation_times(tmp_path: Path) -> None:
    path = tmp_path / "vfr.mp4"
    pts = [0, 40, 140, 160, 400, 420]
    _write_video(path, [_marker_frame(64, 48) for _ in pts], pts)
    with VideoSource(path) as source:
        times = [f.timestamp_s for f in source.frames()]
    assert times == pytest.approx([p / 1000 for p in pts])


def test_rotation_metadata_is_applied(tmp_path: Path) -> None:
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg (Debian package) is needed to tag a rotated video"
    plain = tmp_path / "plain.mp4"
    _write_video(plain, [_marker_frame(80, 40)] * 3, [0, 40, 80])
    rotated = tmp_path / "rotated.mp4"
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-i", str(plain), "-c", "copy", *TAG_ROTATE_90, str(rotated)],
        check=True,
    )
    with VideoSource(rotated) as source:
        frame = next(source.frames())
    # Upright: 40 wide x 80 high; ffmpeg 5.1 stores "rotate=90" as a display matrix of
    # +90 degrees counter-clockwise, so the top-left marker ends up bottom-left.
    assert frame.rgb.shape == (80, 40, 3)
    assert frame.rgb[-8:, :8].mean() > 200 and frame.rgb[:8, :8].mean() < 50
    # And exactly what ffmpeg itself shows (its autorotation is the reference).
    png = tmp_path / "first.png"
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-i", str(rotated), "-frames:v", "1", str(png)],
        check=True,
    )
    assert np.array_equal(read_image(png), frame.rgb)


def test_non_media_empty_and_missing_files_name_the_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 20)
    with pytest.raises(MediaError, match=r"notes\.mp4: not a readable video"):
        open_source(text)
    empty = tmp_path / "empty.mov"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match=r"empty\.mov: the file is empty"):
        open_source(empty)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 definitely not the rest of a jpeg")
    with pytest.raises(MediaError, match=r"broken\.jpg: not a readable image"):
        open_source(broken)
    with pytest.raises(MediaError, match=r"nothere\.png: no such file"):
        read_image(tmp_path / "nothere.png")
    # A folder is named as one, with what to do instead (its files, or the batch command).
    with pytest.raises(MediaError, match=r"a folder; give its photographs and videos one by one"):
        VideoSource(tmp_path)
    with pytest.raises(MediaError, match=r"twistcoach batch"):
        read_image(tmp_path)


def test_a_file_without_video_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 800), np.int16), format="s16", layout="mono"
        )
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(MediaError, match=r"tone\.wav: the file has no video stream"):
        open_source(path)


def test_image_suffixes() -> None:
    assert is_image_path(Path("a/B.JPG")) and is_image_path(Path("x.png"))
    assert not is_image_path(Path("clip.mp4")) and not is_image_path(Path("noext"))


def test_a_file_is_judged_by_its_first_bytes_then_its_name(tmp_path: Path) -> None:
    # A photograph saved without a suffix (or under a video's) is read as a photograph: it
    # was decoded as a one-frame video, measured with the video's model and reported as one.
    rgb = _marker_frame(64, 48)
    png = tmp_path / "download"
    png.write_bytes(cv2.imencode(".png", rgb[:, :, ::-1])[1].tobytes())
    jpeg_as_video = tmp_path / "photo.mp4"
    jpeg_as_video.write_bytes(cv2.imencode(".jpg", rgb)[1].tobytes())
    assert is_image_file(png) and is_image_file(jpeg_as_video)
    assert isinstance(open_source(png), ImageSource)
    assert np.array_equal(next(open_source(png).frames()).rgb, rgb)
    # ...and a video under a photograph's suffix as a video.
    clip = tmp_path / "clip.jpg"
    _write_video(clip.with_suffix(".mp4"), [rgb, rgb], [0, 40])
    clip.write_bytes(clip.with_suffix(".mp4").read_bytes())
    assert not is_image_file(clip)
    with open_source(clip) as source:
        assert source.kind is SourceKind.VIDEO and len(list(source.frames())) == 2
    # A GIF of one frame is a photograph, an animated one a video.
    still, animated = tmp_path / "still.gif", tmp_path / "moving.gif"
    Image.fromarray(rgb).save(still)
    Image.fromarray(rgb).save(animated, save_all=True, append_images=[Image.fromarray(rgb[::-1])])
    assert is_image_file(still) and not is_image_file(animated)
    assert read_image(still).shape == (48, 64, 3)
    # Unknown first bytes, a missing file and a pipe (never opened: it would block) fall
    # back to the name.
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    assert is_image_file(text) and not is_image_file(tmp_path / "nothere.mov")
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    assert is_image_file(fifo)
    with pytest.raises(MediaError, match=r"pipe\.jpg: not a file"):
        open_source(fifo)


def test_a_video_whose_first_frame_cannot_be_decoded_says_so(tmp_path: Path) -> None:
    # It said "decoding failed at frame -1".
    png = cv2.imencode(".png", _marker_frame(64, 48))[1].tobytes()
    idat = png.index(b"IDAT")
    broken = tmp_path / "broken.png"
    broken.write_bytes(png[: idat + 4] + b"\x00" * (len(png) - idat - 4))
    with VideoSource(broken) as source, pytest.raises(MediaError) as caught:
        list(source.frames())
    assert str(caught.value).startswith(f"{broken}: no frame could be decoded (")


def test_a_heic_photograph_is_named_with_what_to_do(tmp_path: Path) -> None:
    # OpenCV reads AVIF but not HEIC; the ftyp box's brand tells them apart.
    heic = tmp_path / "IMG_0001"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    assert is_image_file(heic)
    with pytest.raises(
        MediaError, match=r"IMG_0001: a HEIC photograph .* save or share it as JPEG"
    ):
        open_source(heic)
    avif = tmp_path / "photo.avif"
    rgb = _marker_frame(64, 48)
    ok, encoded = cv2.imencode(".avif", rgb)
    assert ok
    avif.write_bytes(encoded.tobytes())
    assert is_image_file(avif) and is_image_file(avif.rename(tmp_path / "photo"))
    decoded = read_image(tmp_path / "photo")
    assert decoded.shape == (48, 64, 3)


def test_a_missing_camera_is_a_media_error() -> None:
    with pytest.raises(MediaError, match="camera 97: cannot open the camera"):
        CameraSource(97)


def _png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header declaring ``width`` x ``height`` grey pixels, with one row of data.

    Decoders that trust the header allocate the whole image before they find the data
    missing; a few hundred bytes stand for a 2.6 MB bomb.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\x00" * (width + 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.timeout(30)
def test_item1_image_bomb_refused_before_decoding(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_declaring(30000, 30000))
    with pytest.raises(
        MediaError,
        match=r"bomb\.png: the image is too large to analyse \(900,000,000 pixels; at most 67,",
    ):
        read_image(bomb)
    with pytest.raises(MediaError, match="too large"):
        ImageSource(bomb)
    # A long thin one breaks the side limit, whatever its pixel count.
    thin = tmp_path / "thin.png"
    thin.write_bytes(_png_declaring(40000, 40))
    with pytest.raises(
        MediaError, match=r"40000x40 pixels; at most 67,108,864 pixels and 16384 on a side"
    ):
        read_image(thin)
    # Under Pillow's own limit (an error past twice its 89 MP), ours still holds.
    big = tmp_path / "big.png"
    big.write_bytes(_png_declaring(12000, 12000))
    with pytest.raises(MediaError, match=r"big\.png: the image is too large .*\(12000x12000"):
        read_image(big)


def test_item11_tiny_images_refused(tmp_path: Path) -> None:
    dot = tmp_path / "dot.png"
    assert cv2.imwrite(str(dot), np.zeros((1, 1, 3), np.uint8))
    with pytest.raises(
        MediaError, match=r"dot\.png: the image is too small to find a person in \(1x1 pixels"
    ):
        read_image(dot)
    strip = tmp_path / "strip.jpg"
    assert cv2.imwrite(str(strip), np.zeros((20, 400, 3), np.uint8))
    with pytest.raises(MediaError, match=r"400x20 pixels; at least 32 on each side"):
        read_image(strip)


def test_item1_video_frame_size_checked_from_the_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "clip.mp4"
    _write_video(path, [_marker_frame(64, 48)] * 3, [0, 40, 80])
    # A real bomb needs a hand-made bitstream; a lowered limit shows the header is read.
    monkeypatch.setattr(sources, "MAX_FRAME_PIXELS", 64 * 48 - 1)
    with pytest.raises(MediaError, match=r"clip\.mp4: the video's frames are too large .*64x48"):
        VideoSource(path)
    monkeypatch.undo()
    tiny = tmp_path / "tiny.mp4"
    _write_video(tiny, [_marker_frame(16, 16)] * 3, [0, 40, 80])
    with pytest.raises(MediaError, match=r"tiny\.mp4: the video's frames are too small .*16x16"):
        VideoSource(tiny)


def test_non_square_pixels_are_shown_square(tmp_path: Path) -> None:
    """A stream with a sample aspect ratio of 2 (each pixel twice as wide as high) is read
    as it is shown: 64 stored columns become 128, so the body is measured undistorted."""
    from twistcoach.sources import VideoSource

    path = tmp_path / "anamorphic.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.sample_aspect_ratio = Fraction(2, 1)
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 10)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with VideoSource(path) as source:
        shapes = {frame.rgb.shape for frame in source.frames()}
    assert shapes == {(48, 128, 3)}


def test_picture_frames_counts_an_animations_frames_and_a_tiffs_pages(tmp_path: Path) -> None:
    frames = [Image.fromarray(np.full((40, 48, 3), 50 * i, np.uint8)) for i in range(4)]
    for name in ("a.webp", "a.png", "a.tiff"):
        frames[0].save(tmp_path / name, save_all=True, append_images=frames[1:], duration=80)
        assert sources.picture_frames(tmp_path / name) == 4, name
        frames[0].save(tmp_path / f"still-{name}")
        assert sources.picture_frames(tmp_path / f"still-{name}") == 1, name
    # A JPEG's further frames (MPO: a phone's previews, depth maps) are no further pictures.
    frames[0].save(tmp_path / "phone.jpg", format="MPO", save_all=True, append_images=frames[1:2])
    with Image.open(tmp_path / "phone.jpg") as mpo:
        assert mpo.format == "MPO" and mpo.n_frames == 2
    assert sources.picture_frames(tmp_path / "phone.jpg") == 1
    # What Pillow cannot read counts as one (reading it says what is wrong).
    (tmp_path / "junk.webp").write_bytes(b"RIFF\x00\x00\x00\x00WEBPjunk")
    assert sources.picture_frames(tmp_path / "junk.webp") == 1
    assert sources.picture_frames(tmp_path / "absent.tiff") == 1


# --- red team: the size as shown, edit lists, several streams, mirrored recordings --------


def _ffmpeg(*args: str | Path) -> None:
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg (Debian package) is needed to make the test clips"
    subprocess.run([ffmpeg, "-v", "error", "-y", *map(str, args)], check=True, timeout=60)


def _anamorphic(path: Path, width: int, height: int, sar: Fraction, frames: int = 2) -> None:
    """A clip whose pixels are ``sar`` times as wide as high."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.sample_aspect_ratio = sar
        for i in range(frames):
            rgb = np.zeros((height, width, 3), np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 10)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_the_size_limits_apply_to_the_frames_as_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 4000 x 4000 stream whose pixels are 5 times as wide was read as 20000 x 4000 frames
    (80 Mpx: a side over the limit) because only the stored size was checked."""
    path = tmp_path / "wide-pixels.mp4"
    _anamorphic(path, 64, 48, Fraction(2, 1))  # shown 128 x 48
    monkeypatch.setattr(sources, "MAX_FRAME_SIDE", 100)  # the stored 64 passes, 128 does not
    with pytest.raises(MediaError) as side:
        VideoSource(path)
    assert str(side.value) == (
        f"{path}: the video's frames are too large to analyse (128x48 pixels as shown, 64x48 "
        "stored with non-square pixels; at most 67,108,864 pixels and 100 on a side)"
    )
    monkeypatch.setattr(sources, "MAX_FRAME_SIDE", 16384)
    monkeypatch.setattr(sources, "MAX_FRAME_PIXELS", 128 * 48 - 1)  # 64 x 48 stored passes
    with pytest.raises(MediaError, match=r"too large to analyse \(128x48 pixels as shown"):
        VideoSource(path)
    monkeypatch.setattr(sources, "MAX_FRAME_PIXELS", 128 * 48)
    with VideoSource(path) as source:  # at the limit: read, as shown
        assert {f.rgb.shape for f in source.frames()} == {(48, 128, 3)}


def test_the_red_teams_5x_wide_pixels_are_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "sar5.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "color=gray:s=4000x4000:d=0.4", "-r", "5", "-vf", "setsar=5",
        "-c:v", "libx264", "-preset", "ultrafast", path,
    )  # fmt: skip
    with pytest.raises(MediaError, match=r"\(20000x4000 pixels as shown, 4000x4000 stored"):
        VideoSource(path)


@pytest.fixture(scope="module")
def trimmed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A B-frame H.264 clip (90 frames), its phone-style trim (``-ss 1.3 -c copy``: an edit
    list hides the frames before the cut, which stay in the file for decoding), and a copy
    truncated to 40 % of its frames' data (its header intact)."""
    folder = tmp_path_factory.mktemp("trimmed")
    whole = folder / "bframes.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc=s=160x120:r=15:d=6", "-c:v", "libx264", "-bf", "2",
        "-g", "30", "-pix_fmt", "yuv420p", "-movflags", "+faststart", whole,
    )  # fmt: skip
    trim = folder / "editlist.mp4"
    _ffmpeg("-ss", "1.3", "-i", whole, "-c", "copy", trim)
    cut = folder / "truncated.mp4"
    data = whole.read_bytes()
    media = data.index(b"mdat")
    cut.write_bytes(data[: media + (len(data) - media) * 2 // 5])
    return {"whole": whole, "trim": trim, "cut": cut}


def _decoded(path: Path) -> int:
    with VideoSource(path) as source:
        try:
            return sum(1 for _ in source.frames())
        except MediaError as e:  # a truncated file: decoding stops where its data ends
            return int(str(e).split("decoding failed after ")[1].split()[0])


def test_a_trimmed_file_with_an_edit_list_expects_only_the_frames_it_shows(
    trimmed: dict[str, Path],
) -> None:
    from twistcoach.pipeline import cut_short_warnings

    with av.open(str(trimmed["trim"])) as container:  # the header still counts every frame
        assert container.streams.video[0].frames == 90
    with VideoSource(trimmed["trim"]) as source:
        expected = source.expected_frames
    decoded = _decoded(trimmed["trim"])
    assert decoded < 90 - 2  # the hidden frames are not shown
    assert expected is not None and abs(expected - decoded) <= 1, (expected, decoded)
    assert cut_short_warnings(trimmed["trim"], expected, decoded) == ()
    # The whole file still expects all of its frames, and a truncated one is still cut short.
    with VideoSource(trimmed["whole"]) as source:
        assert source.expected_frames == 90 == _decoded(trimmed["whole"])
    with VideoSource(trimmed["cut"]) as source:
        expected = source.expected_frames
    decoded = _decoded(trimmed["cut"])
    assert expected == 90 and decoded < 60
    (warning,) = cut_short_warnings(trimmed["cut"], expected, decoded)
    assert f"{decoded} of the 90 frames" in warning


def test_a_file_with_two_video_streams_says_which_was_measured(tmp_path: Path) -> None:
    two = tmp_path / "two.mkv"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc=s=96x64:r=10:d=0.5",
        "-f", "lavfi", "-i", "color=red:s=64x48:r=10:d=0.5",
        "-map", "0", "-map", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", two,
    )  # fmt: skip
    with VideoSource(two) as source:
        assert source.warnings == (
            f"{two}: the file holds 2 video streams: the first (96x64 pixels) was measured, "
            "the others ignored",
        )
        assert {f.rgb.shape for f in source.frames()} == {(64, 96, 3)}
    # A cover picture is no stream of frames: no warning, and the recording is measured.
    cover, clip, covered = tmp_path / "cover.jpg", tmp_path / "clip.mp4", tmp_path / "cover.mp4"
    _ffmpeg("-f", "lavfi", "-i", "color=blue:s=64x64", "-frames:v", "1", cover)
    _ffmpeg("-f", "lavfi", "-i", "testsrc=s=96x64:r=10:d=0.5", "-pix_fmt", "yuv420p", clip)
    _ffmpeg(
        "-i", clip, "-i", cover, "-map", "1", "-map", "0", "-c", "copy",
        "-disposition:v:0", "attached_pic", covered,
    )  # fmt: skip
    with VideoSource(covered) as source:
        assert source.warnings == ()
        assert {f.rgb.shape for f in source.frames()} == {(64, 96, 3)}


def test_a_mirrored_recording_is_flipped_back_after_its_rotation(tmp_path: Path) -> None:
    plain = tmp_path / "plain.mp4"
    _write_video(plain, [_marker_frame(80, 40)] * 2, [0, 40])
    with VideoSource(plain) as source:
        shown = [f.rgb for f in source.frames()]
    with VideoSource(plain, mirrored=True) as source:
        assert source.mirrored
        flipped = [f.rgb for f in source.frames()]
    assert len(flipped) == len(shown) == 2
    for a, b in zip(shown, flipped, strict=True):
        assert np.array_equal(b, a[:, ::-1])
    assert flipped[0][:5, -5:].mean() > 200 and flipped[0][:5, :5].mean() < 50  # top right
    # Rotated first, then flipped: the picture as played, mirrored.
    rotated = tmp_path / "rotated.mp4"
    _ffmpeg("-i", plain, "-c", "copy", *TAG_ROTATE_90, rotated)
    with VideoSource(rotated) as a, VideoSource(rotated, mirrored=True) as b:
        upright, mirrored = next(a.frames()).rgb, next(b.frames()).rgb
    assert upright.shape == mirrored.shape == (80, 40, 3)
    assert np.array_equal(mirrored, upright[:, ::-1])
