"""A minimal ONNX writer: enough of the protobuf wire format for ``cv2.dnn`` to load MTCNN."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _pb_int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _pb_bytes(field: int, data: bytes | str) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    return _varint((field << 3) | 2) + _varint(len(raw)) + raw


class OnnxGraph:
    """Builds an ONNX model (opset 13, float32 NCHW) layer by layer."""

    def __init__(self, input_shape: Sequence[int | str]) -> None:
        self._nodes: list[bytes] = []
        self._inits: list[bytes] = []
        self._input = self._value_info("input", input_shape)
        self.last = "input"

    @staticmethod
    def _value_info(name: str, shape: Sequence[int | str]) -> bytes:
        dims = b"".join(
            _pb_bytes(1, _pb_int(1, d) if isinstance(d, int) else _pb_bytes(2, d)) for d in shape
        )
        tensor_type = _pb_int(1, 1) + _pb_bytes(2, dims)
        return _pb_bytes(1, name) + _pb_bytes(2, _pb_bytes(1, tensor_type))

    def _constant(self, name: str, array: np.ndarray) -> str:
        data = np.ascontiguousarray(array, dtype="<f4")
        self._inits.append(
            b"".join(_pb_int(1, d) for d in data.shape)
            + _pb_int(2, 1)
            + _pb_bytes(8, name)
            + _pb_bytes(9, data.tobytes())
        )
        return name

    def _node(self, op: str, inputs: Sequence[str], attrs: Sequence[bytes] = ()) -> str:
        name = f"{op.lower()}{len(self._nodes)}"
        self._nodes.append(
            b"".join(_pb_bytes(1, i) for i in inputs)
            + _pb_bytes(2, name)
            + _pb_bytes(3, name)
            + _pb_bytes(4, op)
            + b"".join(_pb_bytes(5, a) for a in attrs)
        )
        self.last = name
        return name

    @staticmethod
    def _ints(name: str, values: Sequence[int]) -> bytes:
        return _pb_bytes(1, name) + b"".join(_pb_int(8, int(v)) for v in values) + _pb_int(20, 7)

    def conv(self, kernel: np.ndarray, bias: np.ndarray) -> None:
        """Add a stride-1 valid convolution; ``kernel`` is Keras-shaped (kh, kw, cin, cout)."""
        name = f"conv{len(self._nodes)}"
        w = self._constant(name + "_w", np.transpose(kernel, (3, 2, 0, 1)))
        b = self._constant(name + "_b", bias)
        self._node("Conv", [self.last, w, b], [self._ints("kernel_shape", kernel.shape[:2])])

    def prelu(self, alpha: np.ndarray, spatial: bool = True) -> None:
        """Add a PReLU with one slope per channel."""
        slope = alpha.reshape(-1, 1, 1) if spatial else alpha.reshape(-1)
        a = self._constant(f"prelu{len(self._nodes)}_a", slope)
        self._node("PRelu", [self.last, a])

    def max_pool(self, size: int, stride: int, pad_end: tuple[int, int] = (0, 0)) -> None:
        """Add a max pooling; ``pad_end`` pads (bottom, right) like TensorFlow's "same"."""
        attrs = [
            self._ints("kernel_shape", (size, size)),
            self._ints("strides", (stride, stride)),
            self._ints("pads", (0, 0, pad_end[0], pad_end[1])),
        ]
        self._node("MaxPool", [self.last], attrs)

    def add(self, constant: np.ndarray) -> None:
        """Add a constant tensor that broadcasts to the running tensor's shape."""
        c = self._constant(f"add{len(self._nodes)}_c", constant)
        self._node("Add", [self.last, c])

    def max_of_groups(self, groups: int) -> None:
        """Split the channels into ``groups`` equal parts and keep their element-wise maximum."""
        source = self.last
        parts = [f"split{len(self._nodes)}_{i}" for i in range(groups)]
        self._nodes.append(
            _pb_bytes(1, source)
            + b"".join(_pb_bytes(2, p) for p in parts)
            + _pb_bytes(3, f"split{len(self._nodes)}")
            + _pb_bytes(4, "Split")
            + _pb_bytes(5, _pb_bytes(1, "axis") + _pb_int(3, 1) + _pb_int(20, 2))
        )
        self._node("Max", parts)

    def flatten(self) -> None:
        """Flatten NCHW to (N, C*H*W)."""
        self._node("Flatten", [self.last], [_pb_bytes(1, "axis") + _pb_int(3, 1) + _pb_int(20, 2)])

    def dense(self, kernel: np.ndarray, bias: np.ndarray) -> None:
        """Add a fully connected layer; ``kernel`` is (in, out)."""
        name = f"gemm{len(self._nodes)}"
        w = self._constant(name + "_w", kernel)
        b = self._constant(name + "_b", bias)
        self._node("Gemm", [self.last, w, b])

    def to_bytes(self, output_shape: Sequence[int | str]) -> bytes:
        """Return the serialised ``ModelProto``."""
        graph = (
            b"".join(_pb_bytes(1, n) for n in self._nodes)
            + _pb_bytes(2, "mtcnn")
            + b"".join(_pb_bytes(5, t) for t in self._inits)
            + _pb_bytes(11, self._input)
            + _pb_bytes(12, self._value_info(self.last, output_shape))
        )
        opset = _pb_bytes(1, "") + _pb_int(2, 13)
        return _pb_int(1, 8) + _pb_bytes(2, "faceapp") + _pb_bytes(7, graph) + _pb_bytes(8, opset)
