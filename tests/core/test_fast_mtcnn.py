"""FastMtcnnDetector finds what the mtcnn package finds, with the package's own weights."""

from __future__ import annotations

import subprocess
import sys
import threading
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

from faceapp.core.detection.fast_mtcnn import FastMtcnnDetector, networks
from faceapp.core.detection.fast_mtcnn import boxes as mtcnn_boxes
from faceapp.core.types import Box, Face

# The mtcnn package (the reference) imports TensorFlow: it is loaded by the first test
# that compares with it, not at collection, so a worker that runs none never loads it.
pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(find_spec("mtcnn") is None, reason="the mtcnn package is not installed"),
]

cv2 = pytest.importorskip("cv2")


@pytest.fixture(scope="module")
def ours() -> FastMtcnnDetector:
    detector = FastMtcnnDetector()
    detector.prepare()
    return detector


@pytest.fixture(scope="module")
def package():
    from faceapp.core.detection.mtcnn_package import MtcnnPackageDetector

    detector = MtcnnPackageDetector()
    detector.prepare()
    return detector


@pytest.fixture(scope="module")
def photos(celebrity_dir: Path) -> list[np.ndarray]:
    """Ten photos spread over the 5-celebrity set (both splits, all five people)."""
    paths = sorted(celebrity_dir.glob("*/*/*.jpg"))
    if len(paths) < 10:
        pytest.skip(f"expected the 5-celebrity photos in {celebrity_dir}")
    chosen = paths[:: len(paths) // 10][:10]
    images = [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in chosen]
    return [img for img in images if img is not None]


def _pair(reference: list[Face], ours: list[Face]) -> list[tuple[Face, Face, float]]:
    pairs = []
    free = list(ours)
    for ref in reference:
        best = max(free, key=lambda f: ref.box.iou(f.box))
        free.remove(best)
        pairs.append((ref, best, ref.box.iou(best.box)))
    return pairs


def test_same_faces_as_the_package_on_real_photos(ours, package, photos) -> None:
    total = 0
    for img in photos:
        expected = package.detect(img)
        found = ours.detect(img)
        assert len(found) == len(expected), (img.shape, expected, found)
        for ref, got, iou in _pair(expected, found):
            assert iou >= 0.9, (ref.box, got.box)
            tolerance = 0.05 * ref.box.w
            for (rx, ry), (gx, gy) in zip(ref.landmarks, got.landmarks):
                assert abs(rx - gx) <= tolerance and abs(ry - gy) <= tolerance
            assert got.score == pytest.approx(ref.score, abs=1e-3)
        assert [f.score for f in found] == sorted((f.score for f in found), reverse=True)
        total += len(found)
    assert total >= len(photos)  # every photo shows at least one face


def test_networks_compute_what_the_package_networks_compute(ours) -> None:
    """Our cv2 graphs against the package's Keras models, on random normalised input."""
    from mtcnn.stages import StageONet, StagePNet, StageRNet

    rng = np.random.default_rng(0)
    # Raw BGR values in, as our graphs take them; RGB in [-1, 1] for the package.
    for h, w in ((37, 50), (40, 33)):  # odd sides exercise the pooling padding
        raw = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
        keras_reg, keras_prob = StagePNet().model(((raw[..., ::-1] - 127.5) / 128)[None])
        net = ours._pnet(h, w)
        net.setInput(networks.space_to_depth(raw))
        out = net.forward()[0]
        np.testing.assert_allclose(out[:4].transpose(1, 2, 0), keras_reg[0], atol=1e-4)
        prob = mtcnn_boxes.face_probability(out[4:6].reshape(2, -1).T).reshape(out.shape[1:])
        np.testing.assert_allclose(prob, keras_prob[0, ..., 1], atol=1e-5)

    def run_cv2(net):
        def run(x):
            net.setInput(x)
            return net.forward()

        return run

    with_tf = FastMtcnnDetector(rnet_engine="tensorflow")
    with_tf.prepare()
    assert with_tf._rnet_tf is not None
    for stage, run, size, outputs in (
        (StageRNet(), run_cv2(ours._rnets[0]), networks.RNET_SIZE, (slice(0, 4), slice(4, 6))),
        (StageRNet(), with_tf._rnet_tf, networks.RNET_SIZE, (slice(0, 4), slice(4, 6))),
        (
            StageONet(),
            run_cv2(ours._onets[1]),
            networks.ONET_SIZE,
            (slice(0, 4), slice(4, 14), slice(14, 16)),
        ),
    ):
        raw = rng.uniform(0, 255, (5, size, size, 3)).astype(np.float32)
        expected = stage.model((raw[..., ::-1] - 127.5) / 128)
        out = run(np.ascontiguousarray(raw.transpose(0, 3, 1, 2)))
        np.testing.assert_allclose(out[:, outputs[0]], expected[0], atol=1e-4)
        if len(outputs) == 3:
            np.testing.assert_allclose(out[:, outputs[1]], expected[1], atol=1e-4)
        np.testing.assert_allclose(
            mtcnn_boxes.face_probability(out[:, outputs[-1]]), expected[-1][:, 1], atol=1e-5
        )


def test_crops_match_tensorflow_crop_and_resize() -> None:
    import tensorflow as tf

    rng = np.random.default_rng(1)
    image = rng.uniform(0, 255, (61, 83, 3)).astype(np.float32)
    x1, y1 = rng.uniform(-15, 70, 12), rng.uniform(-15, 50, 12)
    side = rng.uniform(3, 40, 12)
    boxes = np.stack([x1, y1, x1 + side, y1 + side], axis=1)
    planes = np.ascontiguousarray(image.transpose(2, 0, 1)).reshape(3, -1)
    got = mtcnn_boxes.crop_patches(planes, 83, boxes, 24)
    normalised = boxes[:, [1, 0, 3, 2]] / np.array([61, 83, 61, 83])
    expected = tf.image.crop_and_resize(
        (image[None] - 127.5) / 128, normalised, np.zeros(12, np.int32), (24, 24)
    ).numpy()
    np.testing.assert_allclose((got.transpose(0, 2, 3, 1) - 127.5) / 128, expected, atol=1e-5)


def test_area_resize_from_the_integral_image_matches_cv2() -> None:
    img = np.random.default_rng(3).integers(0, 256, (97, 131, 3), dtype=np.uint8)
    integral = cv2.integral(img)
    for h, w in ((13, 17), (40, 53), (97, 131), (20, 131)):
        expected = cv2.resize(img.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
        got = mtcnn_boxes.area_resize_from_integral(integral, h, w)
        np.testing.assert_allclose(got, expected, atol=2e-3)


def test_nms_drops_a_box_overlapped_by_any_earlier_box() -> None:
    boxes = np.array(
        [[0, 0, 10, 10], [1, 0, 11, 10], [2, 0, 12, 10], [50, 50, 60, 60]], dtype=np.float64
    )
    # Box 2 overlaps box 1 (already dropped) and box 0 by 0.67: the package drops it too.
    assert mtcnn_boxes.nms_keep(boxes, 0.5).tolist() == [0, 3]
    assert mtcnn_boxes.nms_keep(boxes, 0.9).tolist() == [0, 1, 2, 3]
    assert mtcnn_boxes.nms_keep(np.zeros((0, 4)), 0.5).tolist() == []
    big = np.random.default_rng(2).uniform(0, 100, (3000, 2))
    many = np.concatenate([big, big + 20], axis=1)
    keep = mtcnn_boxes.nms_keep(many, 0.3)
    assert keep[0] == 0 and len(keep) < len(many)


def test_pyramid_follows_the_package() -> None:
    levels = mtcnn_boxes.scale_pyramid(480, 640, 20, 0.709)
    assert [(h, w) for _, h, w in levels][:3] == [(288, 384), (204, 272), (144, 193)]
    assert min(min(h, w) for _, h, w in levels) >= 12
    assert mtcnn_boxes.scale_pyramid(11, 400, 20, 0.709) == []
    # Like the package, keep 11-pixel levels (P-Net gives one window there).
    assert min(h for _, h, _ in mtcnn_boxes.scale_pyramid(480, 640, 23, 0.709)) == 11
    assert min(h for _, h, _ in mtcnn_boxes.scale_pyramid(480, 640, 40, 0.709)) >= 11


def test_eleven_pixel_levels_match_the_package(photos) -> None:
    """min_face_size=23 puts an 11-pixel level at the bottom of a VGA pyramid."""
    from faceapp.core.detection.mtcnn_package import MtcnnPackageDetector

    ours23 = FastMtcnnDetector(min_face_size=23)
    package23 = MtcnnPackageDetector(min_face_size=23)
    frame = cv2.resize(photos[0], (640, 480))
    expected, found = package23.detect(frame), ours23.detect(frame)
    assert len(expected) == len(found) >= 1
    assert all(iou >= 0.9 for _, _, iou in _pair(expected, found))


def test_grayscale_and_bgra_frames_are_converted(ours, photos) -> None:
    img = photos[0]
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    assert ours.detect(gray) == ours.detect(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    assert ours.detect(cv2.cvtColor(img, cv2.COLOR_BGR2BGRA)) == ours.detect(img)


def test_tiny_and_empty_frames_give_no_faces(ours) -> None:
    for shape in ((0, 0, 3), (5, 5, 3), (11, 300, 3), (12, 12, 3), (64, 64)):
        assert ours.detect(np.zeros(shape, dtype=np.uint8)) == []
    assert ours.detect(np.full((480, 640, 3), 128, dtype=np.uint8)) == []
    with pytest.raises(ValueError):
        ours.detect(np.zeros((10, 10, 2), dtype=np.uint8))


def test_boxes_stay_inside_the_frame(ours, photos) -> None:
    for img in photos[:3]:
        h, w = img.shape[:2]
        for face in ours.detect(img):
            assert isinstance(face.box, Box)
            assert 0 <= face.box.x <= face.box.x2 <= w - 1
            assert 0 <= face.box.y <= face.box.y2 <= h - 1
            assert 0.8 < face.score <= 1.0


def test_concurrent_calls_give_the_same_answer(ours, photos) -> None:
    expected = [ours.detect(img) for img in photos[:4]]
    results: dict[int, list[list[Face]]] = {}

    def work(k: int) -> None:
        results[k] = [ours.detect(img) for img in photos[:4]]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results.values())


def test_one_thread_and_two_threads_and_tensorflow_rnet_agree(ours, photos) -> None:
    single = FastMtcnnDetector()
    single.prepare()
    single._pool = None
    with_tf = FastMtcnnDetector(rnet_engine="tensorflow")
    with_tf.prepare()
    for img in photos[:5]:
        expected = ours.detect(img)
        assert single.detect(img) == expected
        found = with_tf.detect(img)
        assert len(found) == len(expected)
        for a, b in zip(found, expected):
            assert a.box.iou(b.box) > 0.999 and a.score == pytest.approx(b.score, abs=1e-5)


def test_factory_returns_the_fast_detector() -> None:
    from faceapp.core.detection import FaceDetector, create_detector

    detector = create_detector("mtcnn", min_face_size=40)
    assert isinstance(detector, FastMtcnnDetector)
    assert isinstance(detector, FaceDetector)
    assert detector.min_face_size == 40


def test_a_detector_with_a_helper_thread_keeps_opencv_out_of_its_own_pool() -> None:
    # Two threads in cv2.dnn at once on top of OpenCV's pool once left a test run waiting
    # for ever in the pool (py-spy: the helper's net.forward in pthread_cond_timedwait).
    # The detector splits its work itself; OpenCV then runs in the calling threads.
    code = (
        "import cv2\n"
        "from faceapp.core.detection.fast_mtcnn import FastMtcnnDetector\n"
        "cv2.setNumThreads(2)\n"
        "detector = FastMtcnnDetector()\n"
        "detector.prepare()\n"
        "print(cv2.getNumThreads(), detector._pool is not None)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    threads, helper = out.stdout.split()
    if helper != "True":
        pytest.skip("one usable CPU: the detector runs without a helper thread")
    assert threads == "1"
