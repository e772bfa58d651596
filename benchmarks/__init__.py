"""Speed benchmarks run by ``faceapp bench``; each measures faceapp against a peer in the same run."""
