// The words for a class that the parts which start, watch and end one share: the classroom (features/)
// runs it; the timetable (schedule/) and the fleet's update lock (fleet/) only ask it, through
// `ClassControl`, so that they need not know the classroom itself.

export type ClassMode = 'live' | 'recorded' | 'implanted' | 'observation';

/** Who started a class. */
export type ClassSource = 'request' | 'schedule' | 'button';

export interface ClassRequest {
  mode: ClassMode;
  name?: string | undefined;
  layout?: string | undefined;
  /** Minutes the class lasts (ad-hoc classes; the failsafe maximum still applies). */
  minutes?: number | undefined;
  /** Camera -> preset (name or number); by default each camera's first named preset. */
  preset?: Record<string, string | number> | undefined;
  /** Projector -> on/off; by default every projector on. */
  projector?: Record<string, 'on' | 'off'> | undefined;
  /** Implanted classes: the recorded lesson to play. */
  media?: string | undefined;
  source?: ClassSource;
  /**
   * A class that was running when classbox stopped unexpectedly, taken up again under its own id;
   * `resumedAt` is when it was last taken up (wall clock), so a class that brings the box down again
   * at once is not taken up forever.
   */
  resume?: { id: string; startedAt: number; endsAt: number; resumedAt?: number };
}

/** The class as the state snapshot shows it. */
export interface ClassSnapshot {
  id: string;
  mode: ClassMode;
  name: string;
  source: ClassSource;
  startedAt: string;
  endsAt: string;
}

/** What the timetable and the fleet ask of the room's class. */
export interface ClassControl {
  readonly running: boolean;
  snapshot(): ClassSnapshot | null;
  begin(req: ClassRequest): Promise<ClassSnapshot>;
  end(reason?: string): Promise<unknown>;
  /** Projectors on (or as given) ahead of a class. */
  prepare(projectors: Record<string, 'on' | 'off'> | undefined): void;
}
