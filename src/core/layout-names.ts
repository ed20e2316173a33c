// The names of the composite's layouts: what a request, a config, a timetable and Home Assistant may
// say, and what the compositor's geometry (media/layouts.ts) understands.

export const FIXED_LAYOUTS = ['pip', 'side-by-side', 'grid'] as const;

/** The layout names a room offers: the fixed ones, then one `single:<source>` per source. */
export const layoutNames = (sources: readonly string[]): string[] => [...FIXED_LAYOUTS, ...sources.map(singleLayout)];

export const singleLayout = (source: string) => `single:${source}`;

/** The source a `single:<source>` layout shows, or undefined for the others. */
export const singleSource = (layout: string): string | undefined => /^single:(.+)$/.exec(layout)?.[1];

/** What a layout name must look like (the sources it names are checked against the room's). */
export const LAYOUT_NAME = new RegExp(`^(${FIXED_LAYOUTS.join('|')}|single:[a-z0-9][a-z0-9-]*)$`);
export const LAYOUT_NAME_HELP = `must be ${FIXED_LAYOUTS.join(', ')} or single:<source>`;
