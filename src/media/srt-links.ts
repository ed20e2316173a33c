import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { RunningPipeline } from './runner.js';
import { namesLatency, SrtLatencyTuner } from './srt-latency.js';
import { remoteSourceElement } from './sources.js';

/** The SRT receivers of a box whose latency is fitted to their link: remote sources with no latency of their own. */
export class SrtLinks {
  private readonly tuners = new Map<string, SrtLatencyTuner>();

  constructor(config: Config, log: Logger) {
    for (const [name, s] of Object.entries(config.sources))
      if (s.kind === 'remote' && s.latencyMs === undefined && new URL(s.url).protocol === 'srt:' && !namesLatency(s.url))
        this.tuners.set(name, new SrtLatencyTuner(name, remoteSourceElement(name), log));
  }

  /** The config as the pipelines are built from it: each fitted receiver at its latency now. */
  apply(config: Config): Config {
    if (this.tuners.size === 0) return config;
    const sources = { ...config.sources };
    for (const [name, tuner] of this.tuners) sources[name] = { ...sources[name]!, latencyMs: tuner.latencyMs } as Config['sources'][string];
    return { ...config, sources };
  }

  /** The upkeep of a source's pipeline, if its latency is fitted. */
  watch(source: string): ((p: RunningPipeline) => void) | undefined {
    const tuner = this.tuners.get(source);
    return tuner ? (p) => tuner.watch(p) : undefined;
  }
}
