// How a PTZ camera is asked to move, whatever its protocol: the words the VISCA and Pelco-D codecs,
// the joystick and the command line share.

export type PanTiltDirection = 'up' | 'down' | 'left' | 'right' | 'upleft' | 'upright' | 'downleft' | 'downright';
export const DIRECTIONS: readonly PanTiltDirection[] = ['up', 'down', 'left', 'right', 'upleft', 'upright', 'downleft', 'downright'];

export type ZoomDirection = 'in' | 'out' | 'stop';
