"""Measuring faceapp: LFW protocol and runner, triplet-loss training; the app never imports it."""
