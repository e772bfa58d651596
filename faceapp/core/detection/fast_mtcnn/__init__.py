"""Fast MTCNN: the ``mtcnn`` package's cascade on OpenCV's DNN engine, several times faster."""

from faceapp.core.detection.fast_mtcnn.detector import FastMtcnnDetector

__all__ = ["FastMtcnnDetector"]
