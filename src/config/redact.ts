import { SECRET_KEYS } from '../log.js';

/** The config as `config/get` shows it: every secret replaced, credentials in URLs too. */
export function redactConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactConfig);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.includes(k) && v !== undefined ? '[redacted]' : redactConfig(v)]));
  }
  if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]+@/i.test(value)) return value.replace(/\/\/[^/@\s]+@/, '//[redacted]@');
  // SRT passphrases travel in the URL's query.
  if (typeof value === 'string' && /[?&]passphrase=/i.test(value)) return value.replace(/([?&]passphrase=)[^&]*/i, '$1[redacted]');
  return value;
}
