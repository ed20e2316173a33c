/**
 * Pipelines as data: a chain is a list of links (elements, caps, or references to named pads), rendered
 * to gst-launch tokens by one pure function. No template strings with placeholders: every value passes
 * through `value()`, which refuses anything that could break out of its property.
 */
export type PropertyValue = string | number | boolean;

export interface ElementLink {
  element: string;
  name?: string;
  properties?: Record<string, PropertyValue>;
  /** Element-typed properties given as a bin of their own (playbin's `video-sink`, `audio-sink`): its chains. */
  bins?: Record<string, Chain[]>;
}
export interface CapsLink {
  caps: string;
}
/** A named pad or element to link from or to, e.g. `mix.sink_0` or `enc-tee.`. */
export interface RefLink {
  ref: string;
}
export type Link = ElementLink | CapsLink | RefLink;
export type Chain = Link[];

export class LaunchError extends Error {}

const BARE = /^[A-Za-z0-9_.:/+@%-]+$/;
const FACTORY = /^[a-zA-Z0-9_]+$/;
const ELEMENT_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const PROPERTY = /^[a-z0-9][a-z0-9-]*(::[a-z0-9-]+)?$|^sink_\d+::[a-z-]+$/;
/** Caps need parentheses for features (`video/x-raw(memory:NVMM)`) and types (`(string)4`), nothing else. */
const CAPS = /^[A-Za-z0-9_/(),.=:+-]+$/;
const REF = /^[a-z0-9][a-z0-9_-]*\.([a-z0-9_%]+)?$/;

/** A property value as gst_parse_launch reads it; double quotes when it has spaces or punctuation. */
export function value(v: PropertyValue): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new LaunchError(`not a finite number: ${v}`);
    return String(v);
  }
  if (BARE.test(v)) return v;
  if (/["\\\n\r\0!`$]/.test(v)) throw new LaunchError(`value ${JSON.stringify(v)} has characters a launch line cannot carry safely`);
  return `"${v}"`;
}

function renderLink(link: Link): string[] {
  if ('caps' in link) {
    if (!CAPS.test(link.caps)) throw new LaunchError(`bad caps ${JSON.stringify(link.caps)}`);
    return [link.caps];
  }
  if ('ref' in link) {
    if (!REF.test(link.ref)) throw new LaunchError(`bad pad reference ${JSON.stringify(link.ref)}`);
    return [link.ref];
  }
  if (!FACTORY.test(link.element)) throw new LaunchError(`bad element name ${JSON.stringify(link.element)}`);
  const tokens = [link.element];
  if (link.name !== undefined) {
    if (!ELEMENT_NAME.test(link.name)) throw new LaunchError(`bad element name ${JSON.stringify(link.name)}`);
    tokens.push(`name=${link.name}`);
  }
  for (const [k, v] of Object.entries(link.properties ?? {})) {
    if (!PROPERTY.test(k)) throw new LaunchError(`bad property name ${JSON.stringify(k)}`);
    tokens.push(`${k}=${value(v)}`);
  }
  for (const [k, chains] of Object.entries(link.bins ?? {})) {
    if (!PROPERTY.test(k)) throw new LaunchError(`bad property name ${JSON.stringify(k)}`);
    // The bin is one double-quoted value; the quotes of values inside it (an ALSA device `hw:0,0`) are
    // escaped, which gst_parse_launch takes back off before it parses the bin. value() lets no
    // backslash or quote of its own through, so these are the only ones.
    const inner = pipelineTokens(chains).join(' ').replace(/"/g, '\\"');
    tokens.push(`${k}="${inner}"`);
  }
  return tokens;
}

/** Tokens of one chain: links joined by `!`, except after a reference to a pad that starts a branch. */
export function chainTokens(chain: Chain): string[] {
  const out: string[] = [];
  chain.forEach((link, i) => {
    if (i > 0) out.push('!');
    out.push(...renderLink(link));
  });
  return out;
}

/** Tokens of a whole pipeline made of several chains (branches of tees, inputs of a compositor). */
export function pipelineTokens(chains: Chain[]): string[] {
  return chains.flatMap((c) => chainTokens(c));
}

/** The string gst_parse_launch takes in-process. */
export function launchString(tokens: string[]): string {
  return tokens.join(' ');
}

/** The same pipeline as a shell command a technician can paste. */
export function shellLine(tokens: string[]): string {
  return ['gst-launch-1.0', '-e', ...tokens.map(shellQuote)].join(' ');
}

export function shellQuote(token: string): string {
  return /^[A-Za-z0-9_.:/+@%=,-]+$/.test(token) || token === '!' ? token : `'${token.replace(/'/g, `'\\''`)}'`;
}
