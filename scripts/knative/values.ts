// The values of a function's definition that Knative takes as strings, checked before they are
// written: ISO 8601 durations (delivery) and five-field crons (PingSource schedules).

const ISO_DURATION = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Seconds of an ISO 8601 duration as Knative takes them (`PT0.5S`, `PT1M`, `P1D`); throws otherwise. */
export const durationSeconds = (value: string): number => {
  const m = ISO_DURATION.exec(value);
  if (!m || value === 'P' || value.endsWith('T')) throw new Error(`"${value}" is not an ISO 8601 duration (e.g. PT0.5S, PT30S, PT1M)`);
  const [d, h, min, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as [number, number, number, number];
  return ((d * 24 + h) * 60 + min) * 60 + s;
};

const CRON_FIELDS: readonly [string, number, number][] = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day of month', 1, 31],
  ['month', 1, 12],
  ['day of week', 0, 7],
];

/** Throws unless `cron` is a five-field cron of numbers, `*`, ranges, lists and steps (no names, no `@hourly`). */
export const assertCron = (cron: string): void => {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`cron "${cron}" has ${fields.length} fields, not 5`);
  fields.forEach((field, i) => {
    const [label, min, max] = CRON_FIELDS[i] as [string, number, number];
    for (const item of field.split(',')) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
      const inRange = m && [m[2], m[3]].every((x) => x === undefined || (Number(x) >= min && Number(x) <= max));
      if (!m || !inRange || (m[4] !== undefined && Number(m[4]) < 1)) {
        throw new Error(`cron "${cron}": ${label} field "${field}" is not valid (${min}-${max})`);
      }
    }
  });
};
