"""faceapp: desktop face recognition with MTCNN detection and FaceNet embeddings."""

__version__ = "0.1.0"
