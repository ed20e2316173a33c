/** Facts about the machine that decide the board profile; gathered by the doctor probe, passed in for tests. */
export interface MachineFacts {
  /** The device tree's model, e.g. "Raspberry Pi 4 Model B Rev 1.4"; null on x86. */
  boardModel: string | null;
  /** A Jetson's L4T release (/etc/nv_tegra_release), e.g. "R35.4.1": NVIDIA's GStreamer plugins come with it. */
  l4t?: string | null;
  elements: ReadonlySet<string>;
  /** Device nodes that exist, e.g. /dev/video11 (Pi 4 encoder), /dev/dri/renderD128 (VA-API). */
  devices: ReadonlySet<string>;
}

export type ProfileName = 'rpi4' | 'rpi5' | 'jetson' | 'x86-vaapi' | 'x86-nvenc' | 'software';

export interface ProfileChoice {
  profile: ProfileName | null;
  reason: string;
}

/**
 * `profile: auto`. Hardware facts behind each rule:
 * - Pi 4 encodes H.264 in hardware through the V4L2 M2M node /dev/video11 (v4l2h264enc).
 * - Pi 5 has no H.264 encoder at all (only HEVC decode): x264 tuned for it.
 * - Jetsons encode through nvv4l2h264enc, except the Orin Nano, which has no NVENC.
 * - x86: VA-API (Intel/AMD) needs a render node; NVENC registers only when the driver is present.
 */
export function chooseProfile(facts: MachineFacts): ProfileChoice {
  const { boardModel: model, elements, devices, l4t } = facts;
  const has = (e: string) => elements.has(e);
  if (model?.includes('Raspberry Pi 5') || model?.includes('Compute Module 5')) {
    return has('x264enc')
      ? { profile: 'rpi5', reason: `board "${model}" has no hardware H.264 encoder; x264enc is tuned for it` }
      : { profile: null, reason: `board "${model}" needs x264enc (gstreamer1.0-plugins-ugly), which is missing` };
  }
  if (model?.includes('Raspberry Pi')) {
    if (has('v4l2h264enc') && devices.has('/dev/video11'))
      return { profile: 'rpi4', reason: `board "${model}" with v4l2h264enc and the encoder node /dev/video11` };
    if (has('x264enc'))
      return { profile: 'software', reason: `board "${model}" but no usable hardware encoder (v4l2h264enc or /dev/video11 missing)` };
  }
  if (model?.includes('Jetson') || model?.includes('NVIDIA') || l4t) {
    const board = `board "${model ?? 'Jetson'}"${l4t ? ` (L4T ${l4t})` : ''}`;
    if (model && /Orin Nano/i.test(model))
      return has('x264enc')
        ? { profile: 'software', reason: `${board} has no NVENC (Orin Nano): x264enc` }
        : { profile: null, reason: `${board} has no NVENC (Orin Nano) and needs x264enc (gstreamer1.0-plugins-ugly)` };
    if (has('nvv4l2h264enc')) return { profile: 'jetson', reason: `${board} with nvv4l2h264enc` };
    if (has('x264enc'))
      return {
        profile: 'software',
        reason: `${board} without nvv4l2h264enc (${l4t ? "NVIDIA's GStreamer plugins, nvidia-l4t-gstreamer, are not installed" : 'no L4T release in /etc/nv_tegra_release'})`,
      };
  }
  const renderNode = [...devices].some((d) => d.startsWith('/dev/dri/renderD'));
  if ((has('vah264enc') || has('vaapih264enc')) && renderNode) {
    return { profile: 'x86-vaapi', reason: `${has('vah264enc') ? 'vah264enc' : 'vaapih264enc'} and a VA-API render node` };
  }
  if (has('nvh264enc')) return { profile: 'x86-nvenc', reason: 'nvh264enc (NVIDIA driver present)' };
  if (has('x264enc')) return { profile: 'software', reason: 'no hardware H.264 encoder found; x264enc (tune=zerolatency)' };
  return { profile: null, reason: 'no H.264 encoder at all: install gstreamer1.0-plugins-ugly (x264enc) or the board plugins' };
}
