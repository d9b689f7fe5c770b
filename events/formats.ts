// The string formats the schemas use, apart from the compiler: precompiled validators read them at
// run time (scripts/build-validators.ts), and a bundle's start evaluates nothing of ajv for them.
import type { Format } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';

// PostgreSQL holds no year 0000 (it counts 1 BC instead): a date or time in it would pass the
// schema and fail the query with a 500, so the schema refuses it.
const NOT_YEAR_ZERO = /^(?!0000)/;

type DateFormat = { validate: (value: string) => boolean; compare: (a: string, b: string) => number | undefined };
const withoutYearZero = (standard: DateFormat): Format => ({
  type: 'string',
  validate: (value: string) => NOT_YEAR_ZERO.test(value) && standard.validate(value),
  compare: standard.compare,
});

/** The string formats the schemas use (ajv-formats' full ones, dates without the year 0000). */
export const formats: Record<string, Format> = {
  uuid: fullFormats.uuid,
  email: fullFormats.email,
  uri: fullFormats.uri,
  date: withoutYearZero(fullFormats.date as DateFormat),
  'date-time': withoutYearZero(fullFormats['date-time'] as DateFormat),
};
