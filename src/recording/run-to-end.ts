import type { PipelineRunner, RunningPipeline } from '../media/runner.js';

/** How a file-processing pipeline finished. */
export type Ending = { kind: 'eos' } | { kind: 'error'; text: string } | { kind: 'timeout' };

/**
 * Plays a pipeline that reads files as fast as the disk goes, until end-of-stream, an error or the
 * time limit; `read` takes what it needs of the elements (counters) before the pipeline is let go of.
 * An aborted `signal` ends it as an error (the service is stopping: the work is done again at start).
 */
export async function runToEnd<T>(
  runner: PipelineRunner,
  launch: string,
  timeoutMs: number,
  read: (p: RunningPipeline, ending: Ending) => T,
  signal?: AbortSignal,
): Promise<T> {
  const p = runner.create(launch);
  let ending: Ending | undefined;
  p.onMessage((m) => {
    if (ending) return;
    if (m.type === 'eos') ending = { kind: 'eos' };
    else if (m.type === 'error') ending = { kind: 'error', text: `${m.source}: ${m.text ?? 'error'}` };
  });
  try {
    p.play();
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && !ending) {
      if (signal?.aborted) ending = { kind: 'error', text: 'stopped: classbox is stopping' };
      else await new Promise((r) => setTimeout(r, 20));
    }
    return read(p, ending ?? { kind: 'timeout' });
  } finally {
    p.stop();
  }
}

/** A file path inside a launch line's double quotes. */
export const quoted = (path: string) => `"${path.replace(/(["\\])/g, '\\$1')}"`;
