import { z } from 'zod';
import { baudRate, devicePath, filePath, host, name, tcpPort, timeoutMs } from './fields.js';

/**
 * A device is reached either on a serial line (`port: /dev/ttyUSB0` + line settings) or over TCP
 * (`host` + numeric `port`, for PJLink, ESC/VP.net, raw VISCA over TCP or a serial-to-Ethernet bridge).
 */
const link = {
  port: z.union([devicePath(), tcpPort()]).optional(),
  host: host().optional(),
  baudRate: baudRate().default(9600),
  dataBits: z.literal([7, 8]).default(8),
  stopBits: z.literal([1, 2]).default(1),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  /** RS-485/RS-422 adapters that need the kernel to drive RTS for the transmitter. */
  rs485: z.boolean().default(false),
};

type LinkFields = { port?: string | number | undefined; host?: string | undefined };

function checkLink(value: LinkFields, ctx: z.RefinementCtx, defaultTcpPort?: number): void {
  if (value.host !== undefined) {
    if (typeof value.port === 'string') {
      ctx.addIssue({ code: 'custom', path: ['port'], message: 'with host, port must be a TCP port number' });
    }
    if (value.port === undefined && defaultTcpPort === undefined) {
      ctx.addIssue({ code: 'custom', path: ['port'], message: 'required with host (TCP port number)' });
    }
  } else if (typeof value.port !== 'string') {
    ctx.addIssue({
      code: 'custom',
      path: ['port'],
      message: value.port === undefined ? 'required: a serial device path, or host + TCP port' : 'a TCP port number needs host',
    });
  }
}

const presetNumber = z.number().int().min(0).max(255);

const cameraBase = {
  ...link,
  timeoutMs: timeoutMs(1000),
  /** Named presets: name -> the camera's own memory number. */
  presets: z.record(name(), presetNumber).default({}),
  /** Highest memory number the camera accepts (Sony and Vaddio document 0-15; many others 0-127 or more). */
  maxPreset: presetNumber.default(15),
};

export const viscaCamera = z
  .strictObject({
    protocol: z.literal('visca'),
    ...cameraBase,
    address: z.number().int().min(1).max(7).default(1),
    /** With `host`: raw VISCA (no header) on a TCP port, or in UDP datagrams (e.g. port 1259 on many network cameras). */
    transport: z.enum(['tcp', 'udp']).default('tcp'),
  })
  .superRefine((v, ctx) => {
    checkLink(v, ctx);
    if (v.transport === 'udp' && v.host === undefined)
      ctx.addIssue({ code: 'custom', path: ['transport'], message: 'udp needs host and port (a serial line has no transport)' });
  });

/**
 * Sony VISCA over IP: UDP to port 52381, a header with sequence numbers before each VISCA packet, one
 * camera per address (always VISCA address 1). Most network PTZ cameras in classrooms speak it.
 */
export const viscaIpCamera = z.strictObject({
  protocol: z.literal('visca-ip'),
  host: host(),
  port: tcpPort().default(52381),
  timeoutMs: cameraBase.timeoutMs,
  presets: cameraBase.presets,
  maxPreset: cameraBase.maxPreset,
});

export const pelcoCamera = z
  .strictObject({
    protocol: z.literal(['pelco-d', 'pelco-p']),
    ...cameraBase,
    address: z.number().int().min(0).max(255).default(1),
  })
  .superRefine((v, ctx) => checkLink(v, ctx));

export const camera = z.discriminatedUnion('protocol', [viscaCamera, viscaIpCamera, pelcoCamera]);

const projectorTiming = {
  timeoutMs: timeoutMs(3000),
  pollS: z.number().int().min(5).max(3600).default(30),
  /** Seconds the projector needs after power on before it takes other commands. */
  warmUpS: z.number().int().min(0).max(600).optional(),
  coolDownS: z.number().int().min(0).max(600).optional(),
  /** Minimum time between switching on and off again (lamp protection; BenQ documents about 5 min). */
  minOnS: z.number().int().min(0).max(3600).default(0),
  minOffS: z.number().int().min(0).max(3600).default(0),
  /** Named inputs: name -> the protocol's input code (PJLink "31", Epson "30", ...). */
  inputs: z.record(name(), z.string().regex(/^[A-Za-z0-9]{1,8}$/, 'must be 1-8 letters or digits')).default({}),
  /** The input a class starts on (a name from `inputs`, or a code). */
  classInput: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,48}$/, 'must be an input name or code')
    .optional(),
};

const pjlinkProjector = z
  .strictObject({
    protocol: z.literal('pjlink'),
    host: host(),
    port: tcpPort().default(4352),
    password: z.string().max(32, 'PJLink passwords are at most 32 characters').optional(),
    passwordFile: filePath().optional(),
    ...projectorTiming,
  })
  .refine((v) => !(v.password !== undefined && v.passwordFile !== undefined), {
    path: ['passwordFile'],
    message: 'give password or passwordFile, not both',
  });

const epsonProjector = z
  .strictObject({ protocol: z.literal('epson-escvp21'), ...link, ...projectorTiming })
  .superRefine((v, ctx) => checkLink(v, ctx, 3629));

/** Projectors whose ASCII command set is a YAML file in device-profiles/projectors/ (BenQ, Optoma, ...). */
const asciiProjector = z
  .strictObject({
    protocol: z.literal('ascii'),
    commandSet: name(),
    /** Optoma projector ID, 00-99 (00 addresses all). */
    projectorId: z.number().int().min(0).max(99).default(0),
    ...link,
    ...projectorTiming,
  })
  .superRefine((v, ctx) => checkLink(v, ctx));

export const projector = z.discriminatedUnion('protocol', [pjlinkProjector, epsonProjector, asciiProjector]);

/** Requests a GPIO input may trigger on its edge. */
export const GPIO_ACTIONS = ['class/toggle', 'class/start', 'class/stop', 'record/start', 'record/stop', 'pipeline/restart'] as const;

export const gpioLine = z
  .strictObject({
    line: z.number().int().min(0).max(1023),
    direction: z.enum(['in', 'out']),
    edge: z.enum(['none', 'rising', 'falling', 'both']).default('none'),
    debounceMs: z.number().int().min(0).max(10_000).default(0),
    activeLow: z.boolean().default(false),
    initial: z.literal([0, 1]).optional(),
    action: z.enum(GPIO_ACTIONS).optional(),
    /** Which class state an output shows: on-air light (on = live, blinking = recording only). */
    shows: z.enum(['on-air']).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.direction === 'out' && v.action !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['action'], message: 'only inputs (direction: in) can have an action' });
    }
    if (v.direction === 'in' && v.action !== undefined && v.edge === 'none') {
      ctx.addIssue({ code: 'custom', path: ['edge'], message: 'an input with an action needs an edge (rising, falling or both)' });
    }
    if (v.direction === 'in' && (v.initial !== undefined || v.shows !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [v.initial !== undefined ? 'initial' : 'shows'],
        message: 'only outputs (direction: out) take this',
      });
    }
  });

export const devices = z
  .strictObject({
    cameras: z.record(name(), camera).default({}),
    projectors: z.record(name(), projector).default({}),
    gpio: z.record(name(), gpioLine).default({}),
  })
  .default({ cameras: {}, projectors: {}, gpio: {} });
