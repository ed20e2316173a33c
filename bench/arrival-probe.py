# An SRT client that decodes a box's stream as it arrives (no clock, no device) and times the flips of
# the latency bench's camera (luma at the picture's centre) and tone (the mean level of each decoded
# block) against the wall clock, as the bench's screens and speakers do: what the sending box and the
# network take, without a player's own wait. Usage: arrival-probe.py <srt url> <seconds>
import statistics
import struct
import sys
import time

import gi

gi.require_version('Gst', '1.0')
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)
url, seconds = sys.argv[1], float(sys.argv[2])
pipeline = Gst.parse_launch(
    f'srtsrc uri="{url}" latency=20 ! tsdemux name=d latency=0 '
    'd. ! video/x-h264,alignment=au ! queue ! h264parse ! avdec_h264 ! videoconvert ! video/x-raw,format=I420 '
    '! appsink name=v sync=false async=false emit-signals=true max-buffers=4 drop=true '
    'd. ! audio/x-opus ! queue ! opusdec ! audioconvert ! audio/x-raw,format=S16LE,channels=1,rate=48000 '
    '! appsink name=a sync=false async=false emit-signals=true'
)


def since_flip(t, on):
    """Milliseconds since the flip an edge at wall time t belongs to (on for 2 s of every 4)."""
    s = t - (0 if on else 2)
    return round((((s % 4) + 4) % 4) * 1000, 1)


edges = {'picture': [], 'sound': []}
state = {'picture': None, 'sound': None}
pending = [None]


def on_picture(sink):
    sample = sink.emit('pull-sample')
    t = time.time()
    s = sample.get_caps().get_structure(0)
    w, h = s.get_value('width'), s.get_value('height')
    buf = sample.get_buffer()
    ok, m = buf.map(Gst.MapFlags.READ)
    white = m.data[(h // 2) * w + w // 2] > 128
    buf.unmap(m)
    if state['picture'] is not None and white != state['picture']:
        edges['picture'].append(since_flip(t, white))
    state['picture'] = white
    return Gst.FlowReturn.OK


def on_sound(sink):
    buf = sink.emit('pull-sample').get_buffer()
    t = time.time()
    ok, m = buf.map(Gst.MapFlags.READ)
    n = len(m.data) // 2
    loud = n > 0 and sum(abs(v) for v in struct.unpack(f'<{n}h', m.data)) / n > 1000
    buf.unmap(m)
    length = n / 48000
    if state['sound'] is None:
        state['sound'] = loud
    elif loud != state['sound']:
        # A change counts once it has lasted 100 ms; it is timed where it began.
        if pending[0] is None or pending[0][0] != loud:
            pending[0] = [loud, t - length, 0.0]
        pending[0][2] += length
        if pending[0][2] >= 0.1:
            edges['sound'].append(since_flip(pending[0][1], loud))
            state['sound'] = loud
            pending[0] = None
    else:
        pending[0] = None
    return Gst.FlowReturn.OK


pipeline.get_by_name('v').connect('new-sample', on_picture)
pipeline.get_by_name('a').connect('new-sample', on_sound)
pipeline.set_state(Gst.State.PLAYING)
loop = GLib.MainLoop()
GLib.timeout_add(int(seconds * 1000), loop.quit)
loop.run()
pipeline.set_state(Gst.State.NULL)
for kind, xs in edges.items():
    median = statistics.median(xs) if xs else None
    print(f'arrival {kind}: median {median} ms, edges {xs}')
