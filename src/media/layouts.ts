import { singleSource } from '../core/layout-names.js';

/** Where each source sits on the canvas. A hidden source keeps its compositor pad at alpha 0. */
export interface Rect {
  xpos: number;
  ypos: number;
  width: number;
  height: number;
  alpha: number;
  zorder: number;
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** The largest 16:9 rectangle inside a box, centred in it. */
function fit(x: number, y: number, w: number, h: number, aspect: number): Pick<Rect, 'xpos' | 'ypos' | 'width' | 'height'> {
  let width = w;
  let height = w / aspect;
  if (height > h) {
    height = h;
    width = h * aspect;
  }
  return { xpos: Math.round(x + (w - width) / 2), ypos: Math.round(y + (h - height) / 2), width: even(width), height: even(height) };
}

/**
 * Geometry for one screen, "three pictures":
 * - `pip`: the first source full frame, the others as small windows along the bottom, right to left
 * - `side-by-side`: the first two sources halves of the screen
 * - `grid`: up to four sources in a 2x2 grid
 * - `single:<name>`: that source alone
 */
export function layoutRects(layout: string, sources: readonly string[], width: number, height: number): Record<string, Rect> {
  const aspect = width / height;
  const hidden: Rect = { xpos: 0, ypos: 0, width, height, alpha: 0, zorder: 0 };
  const out: Record<string, Rect> = Object.fromEntries(sources.map((s) => [s, { ...hidden }]));
  const single = singleSource(layout);
  if (single) {
    if (!(single in out)) throw new Error(`layout ${layout}: no source "${single}"`);
    out[single] = { xpos: 0, ypos: 0, width, height, alpha: 1, zorder: 1 };
    return out;
  }
  switch (layout) {
    case 'pip': {
      const [main, ...small] = sources;
      if (main) out[main] = { xpos: 0, ypos: 0, width, height, alpha: 1, zorder: 1 };
      const w = even(width / 4);
      const h = even(w / aspect);
      const margin = even(width / 64);
      small.forEach((s, i) => {
        out[s] = {
          xpos: width - margin - (i + 1) * w - i * margin,
          ypos: height - margin - h,
          width: w,
          height: h,
          alpha: 1,
          zorder: 2 + i,
        };
      });
      return out;
    }
    case 'side-by-side':
      sources.slice(0, 2).forEach((s, i) => {
        out[s] = { ...fit(i * (width / 2), 0, width / 2, height, aspect), alpha: 1, zorder: 1 };
      });
      return out;
    case 'grid':
      sources.slice(0, 4).forEach((s, i) => {
        out[s] = { ...fit((i % 2) * (width / 2), Math.floor(i / 2) * (height / 2), width / 2, height / 2, aspect), alpha: 1, zorder: 1 };
      });
      return out;
    default:
      throw new Error(`unknown layout ${layout}`);
  }
}
