"""A localhost RTSP server for the network-source tests: GStreamer's, serving an MJPG AVI.

Run with the system Python, which has GStreamer's introspection bindings (``python3-gi``,
``gir1.2-gst-rtsp-server-1.0``, ``gstreamer1.0-plugins-good``)::

    /usr/bin/python3 tests/core/rtsp_server.py CLIP.avi PORT

Each client gets the clip from its first frame at the clip's own rate, as RTP/JPEG (RFC 2435)
over TCP or UDP.  The frames are decoded and compressed again by GStreamer's ``jpegenc``
(quality 95): RTP/JPEG carries only JPEGs with the standard Huffman tables, which OpenCV's
MJPG writer does not use.  Prints ``ready`` on standard output once it listens; ends when
killed.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Serve ``CLIP`` at ``rtsp://127.0.0.1:PORT/clip`` until killed."""
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    p = argparse.ArgumentParser(description="serve an MJPG AVI over RTSP on localhost")
    p.add_argument("clip")
    p.add_argument("port", type=int)
    args = p.parse_args(argv)
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    launch = (
        f'( filesrc location="{args.clip}" ! avidemux ! jpegdec ! jpegenc quality=95 ! '
        "rtpjpegpay name=pay0 pt=26 )"
    )
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(False)
    server.get_mount_points().add_factory("/clip", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on port {args.port}", file=sys.stderr)
        return 1
    print("ready", flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
