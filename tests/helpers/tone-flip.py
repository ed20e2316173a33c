#!/usr/bin/python3
# A 1 kHz tone for the first two seconds of every four of the wall clock, silence for the other two,
# played into a PulseAudio sink (argument 1): the sound twin of the flip camera, for mouth-to-ear
# latency. Small buffers so that the tone leaves within a few milliseconds of its wall-clock instant.
import sys
import time
import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst, GLib  # noqa: E402

Gst.init(None)
pipeline = Gst.parse_launch(
    "audiotestsrc name=a is-live=true freq=1000 volume=0 samplesperbuffer=96"
    f" ! audio/x-raw,rate=48000,channels=1 ! pulsesink device={sys.argv[1]} buffer-time=20000 latency-time=2000"
)
tone = pipeline.get_by_name("a")


def next_flip():
    now = time.time()
    tone.set_property("volume", 0.5 if int(now) % 4 < 2 else 0.0)
    GLib.timeout_add(int((2 - now % 2) * 1000) + 1, next_flip)
    return False


pipeline.set_state(Gst.State.PLAYING)
next_flip()
print("ready", flush=True)
GLib.MainLoop().run()
