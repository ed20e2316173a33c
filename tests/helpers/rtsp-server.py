#!/usr/bin/python3
# A real RTSP server for tests (Debian's gst-rtsp-server through GObject introspection), standing in
# for a classroom IP camera: rtsp://127.0.0.1:PORT/cam serves an H.264 test picture.
# `rtsp-server.py PORT flip WIDTH HEIGHT FPS`: the picture is white for the first two seconds of every
# four of the wall clock and black for the other two, for latency measured on a screen.
import sys
import time
import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer, GLib  # noqa: E402

Gst.init(None)
port = sys.argv[1]
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
flip = len(sys.argv) > 2 and sys.argv[2] == "flip"
width, height, fps = (sys.argv[3], sys.argv[4], sys.argv[5]) if flip else ("640", "360", "30")
factory.set_launch(
    f"( videotestsrc name=v is-live=true pattern={'black' if flip else 'ball'} ! video/x-raw,width={width},height={height},framerate={fps}/1"
    f" ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} ! rtph264pay name=pay0 pt=96 )"
)
factory.set_shared(True)
sources = []


def configured(_factory, media):
    sources.append(media.get_element().get_by_name("v"))


def next_flip():
    # The pattern for the current wall-clock instant, then a wake-up at the next even second.
    now = time.time()
    for v in sources:
        v.set_property("pattern", "white" if int(now) % 4 < 2 else "black")
    GLib.timeout_add(int((2 - now % 2) * 1000) + 1, next_flip)
    return False


if flip:
    factory.connect("media-configure", configured)
    next_flip()
server.get_mount_points().add_factory("/cam", factory)
server.attach(None)
print("ready", flush=True)
GLib.MainLoop().run()
