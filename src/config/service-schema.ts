import { z } from 'zod';
import { DAYS, clockTime, filePath, host, name, tcpPort, timezone, url } from './fields.js';
import { layout } from './media-schema.js';

export const CLASS_MODES = ['live', 'recorded', 'implanted', 'observation'] as const;

/** TLS to the broker: the CA to trust, and a client certificate where the broker asks for one. */
export const mqttTls = () =>
  z
    .strictObject({
      ca: filePath().optional(),
      cert: filePath().optional(),
      key: filePath().optional(),
      rejectUnauthorized: z.boolean().default(true),
    })
    .refine((t) => (t.cert === undefined) === (t.key === undefined), { message: 'cert and key go together', path: ['key'] });

export const mqtt = z
  .strictObject({
    url: url(['mqtt', 'mqtts']).default('mqtt://127.0.0.1:1883'),
    username: z.string().min(1).max(128).optional(),
    password: z.string().max(256).optional(),
    passwordFile: filePath().optional(),
    clientId: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 letters, digits or _.:-')
      .optional(),
    prefix: z
      .string()
      .regex(/^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/, 'must be topic levels of [a-z0-9_-] joined by /')
      .default('classbox'),
    telemetryIntervalS: z.number().int().min(1).max(3600).default(10),
    keepaliveS: z.number().int().min(5).max(600).default(30),
    tls: mqttTls().optional(),
    /** MQTT 5 Response Topics allowed beside `<base>/response/…`: topics under this prefix (e.g. a dashboard's inbox). */
    replyPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*\/$/, 'must be topic levels of [A-Za-z0-9_-] ending in /, no wildcards')
      .optional(),
    /** Events kept on disk while the broker is unreachable; oldest dropped past this size. */
    outboxMaxMB: z.number().min(1).max(10_000).default(50),
    homeAssistant: z
      .strictObject({
        discovery: z.boolean().default(false),
        prefix: z
          .string()
          .regex(/^[a-z0-9_-]+$/)
          .default('homeassistant'),
      })
      .default({ discovery: false, prefix: 'homeassistant' }),
  })
  .refine((m) => !(m.password !== undefined && m.passwordFile !== undefined), {
    path: ['passwordFile'],
    message: 'give password or passwordFile, not both',
  })
  .refine((m) => m.tls === undefined || m.url.startsWith('mqtts://'), { path: ['tls'], message: 'tls needs an mqtts:// url' });

const presetRef = z.union([name(), z.number().int().min(0).max(255)]);

export const scheduledClass = z
  .strictObject({
    name: name(),
    days: z.array(z.enum(DAYS)).min(1, 'needs at least one day'),
    start: clockTime(),
    end: clockTime(),
    mode: z.enum(CLASS_MODES),
    layout: layout.optional(),
    preset: z.record(name(), presetRef).default({}),
    projector: z.record(name(), z.enum(['on', 'off'])).default({}),
    /** For implanted classes: the recorded lesson to play (file path or URL). */
    media: z.string().min(1).optional(),
  })
  .refine((c) => c.start < c.end, { path: ['end'], message: 'must be after start (classes end on the day they start)' });

export const schedule = z
  .strictObject({
    timezone: timezone().default('UTC'),
    classes: z.array(scheduledClass).default([]),
    /** An iCalendar feed polled periodically and cached on disk. */
    icalUrl: url(['http', 'https']).optional(),
    icalPollS: z.number().int().min(60).max(86_400).default(300),
    /** A class never runs longer than this, whatever its end time says. */
    maxClassMinutes: z.number().int().min(5).max(600).default(180),
    /** Keep the projector on when the next class starts within this many minutes. */
    projectorOffDelayMinutes: z.number().int().min(0).max(120).default(10),
  })
  .default({ timezone: 'UTC', classes: [], icalPollS: 300, maxClassMinutes: 180, projectorOffDelayMinutes: 10 });

/**
 * Where closed recording segments go: S3 or an S3-compatible store (MinIO, Ceph, a provincial
 * platform's object storage). Uploads run in the background, resume after outages and restarts.
 */
export const upload = z
  .strictObject({
    /** An S3-compatible endpoint; AWS S3 itself when absent. */
    endpoint: url(['http', 'https']).optional(),
    region: z
      .string()
      .regex(/^[a-z0-9-]{2,32}$/)
      .default('us-east-1'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
    /**
     * Before each object key, e.g. `recordings/`. A lesson's key is <prefix><site>/<room>/<YYYY-MM-DD>/<class>.mp4
     * (and .jpg, its thumbnail); a segment's is <prefix><site>/<room>/<class>/<file>.
     */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9._/-]{0,200}$/)
      .default(''),
    accessKeyId: z.string().min(1).max(128).optional(),
    secretAccessKey: z.string().max(256).optional(),
    secretAccessKeyFile: filePath().optional(),
    forcePathStyle: z.boolean().default(true),
    /** Upload bandwidth cap (a school's uplink is shared with its lessons). */
    bandwidthKbps: z.number().int().min(8).max(10_000_000).optional(),
    partSizeMB: z.number().int().min(5).max(512).default(8),
    /** Delete the local copy of a segment once its upload is verified (size and SHA-256). */
    deleteAfterUpload: z.boolean().default(false),
    /**
     * Upload every recording segment as it closes, as well as each class's lesson file. Off: only
     * lessons (and recordings outside classes, which make no lesson) go up.
     */
    segments: z.boolean().default(false),
  })
  .refine((u) => !(u.secretAccessKey !== undefined && u.secretAccessKeyFile !== undefined), {
    path: ['secretAccessKeyFile'],
    message: 'give secretAccessKey or secretAccessKeyFile, not both',
  })
  .optional();

/** Balena: the update lock held during classes. `auto`: on when running under balena (BALENA=1). */
export const fleet = z
  .strictObject({
    updateLock: z.enum(['auto', 'on', 'off']).default('auto'),
    updateLockFile: filePath().default('/tmp/balena/updates.lock'),
  })
  .default({ updateLock: 'auto', updateLockFile: '/tmp/balena/updates.lock' });

/** The box watching itself. */
export const health = z
  .strictObject({
    /** Anonymous RSS growth over the last hour (least squares) above which `memory.growth` is raised; 0: off. */
    memoryGrowthMBPerHour: z.number().min(0).max(100_000).default(30),
  })
  .default({ memoryGrowthMBPerHour: 30 });

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;

export const http = z
  .strictObject({
    host: host().default('127.0.0.1'),
    port: tcpPort().default(8080),
    token: z.string().min(16, 'must be at least 16 characters').optional(),
    tokenFile: filePath().optional(),
    maxViewers: z.number().int().min(0).max(32).default(4),
    pageUrl: z
      .string()
      .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an http:// or https:// address')
      .optional(),
  })
  .refine((h) => LOOPBACK.test(h.host) || h.token !== undefined || h.tokenFile !== undefined, {
    path: ['token'],
    message: 'required when host is not loopback (127.0.0.1, ::1): the page must not be open to the whole LAN',
  })
  .default({ host: '127.0.0.1', port: 8080, maxViewers: 4 });

export function isLoopback(h: string): boolean {
  return LOOPBACK.test(h);
}
