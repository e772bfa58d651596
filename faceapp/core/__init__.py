"""Qt-free engine: detection, alignment, embedding, matching, tracking and evaluation."""
