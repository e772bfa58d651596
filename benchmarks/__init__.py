"""Speed benchmarks run by ``faceapp bench``, each against a peer measured in the same run."""
