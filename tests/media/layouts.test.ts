import { describe, expect, it } from 'vitest';
import { layoutRects } from '../../src/media/layouts.js';

const S = ['board', 'teacher', 'students'];
const visible = (r: Record<string, { alpha: number }>) => Object.keys(r).filter((k) => r[k]!.alpha > 0);

describe('layoutRects', () => {
  it('pip: the first source full frame, the others as small windows inside the canvas', () => {
    const r = layoutRects('pip', S, 1280, 720);
    expect(r.board).toMatchObject({ xpos: 0, ypos: 0, width: 1280, height: 720, alpha: 1 });
    for (const s of ['teacher', 'students']) {
      const w = r[s]!;
      expect(w.width).toBe(320);
      expect(w.height).toBe(180);
      expect(w.xpos + w.width).toBeLessThanOrEqual(1280);
      expect(w.ypos + w.height).toBeLessThanOrEqual(720);
      expect(w.zorder).toBeGreaterThan(r.board!.zorder);
    }
    expect(r.teacher!.xpos).not.toBe(r.students!.xpos);
  });

  it('side-by-side keeps 16:9 halves centred; grid puts four in quarters; single shows one', () => {
    const sbs = layoutRects('side-by-side', S, 1280, 720);
    expect(sbs.board).toMatchObject({ xpos: 0, ypos: 180, width: 640, height: 360 });
    expect(sbs.teacher).toMatchObject({ xpos: 640, ypos: 180, width: 640, height: 360 });
    expect(visible(sbs)).toEqual(['board', 'teacher']);
    const grid = layoutRects('grid', [...S, 'cam4'], 1280, 720);
    expect(grid.cam4).toMatchObject({ xpos: 640, ypos: 360, width: 640, height: 360, alpha: 1 });
    const single = layoutRects('single:teacher', S, 1280, 720);
    expect(visible(single)).toEqual(['teacher']);
    expect(single.teacher).toMatchObject({ width: 1280, height: 720 });
  });

  it('rejects unknown layouts and single: of an unknown source', () => {
    expect(() => layoutRects('mosaic', S, 1280, 720)).toThrow(/unknown layout/);
    expect(() => layoutRects('single:nobody', S, 1280, 720)).toThrow(/no source "nobody"/);
  });
});
