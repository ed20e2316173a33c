/** Keys whose values never leave the box, at any depth: in logs, events, state and `config/get`. */
export const SECRET_KEYS = ['password', 'token', 'passphrase', 'secretAccessKey', 'streamKey'];

export const CENSOR = '[redacted]';

/** Query parameters that carry a secret: SRT passphrases and stream ids, platform keys and tokens. */
const SECRET_PARAMS = /([?&;](?:passphrase|streamid|key|token|access_token|auth|password|pass|pwd|secret|sig|signature)=)[^&;\s"']*/gi;
/** `scheme://user:password@` (or a lone user name that is a token). */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s"']+@/gi;
/** RTMP: the last path segment after the application is the stream key (`rtmp://host/live/KEY`). */
const RTMP_KEY = /\b(rtmps?:\/\/[^/\s"']+\/[^/\s"'?]+\/)[^\s"'?]+/gi;

/**
 * Every secret a string may carry in a URL, replaced: credentials, secret query parameters and RTMP
 * stream keys. Applied to whatever leaves the box (logs, events, state, config/get), so a URL that
 * reaches an error message or a reason is covered too.
 */
export function redactText(text: string): string {
  if (!text.includes('://') && !/[?&;][a-z_]+=/i.test(text)) return text;
  return text.replace(URL_CREDENTIALS, `$1${CENSOR}@`).replace(RTMP_KEY, `$1${CENSOR}`).replace(SECRET_PARAMS, `$1${CENSOR}`);
}

/** A value with every secret key's value and every secret in its strings replaced (a new value; depth-bounded). */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 12 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  if (value instanceof Error) {
    // The same kind of error (its name and class survive for the log), its text redacted.
    const copy = Object.assign(Object.create(Object.getPrototypeOf(value) as object) as Error, value);
    copy.message = redactText(value.message);
    if (value.stack) copy.stack = redactText(value.stack);
    return copy;
  }
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.includes(k) && v !== undefined ? CENSOR : redactDeep(v, depth + 1)]),
  );
}
