// JSON text read with a bound on its nesting, checked on the text before it is parsed: a value
// nested 20,000 arrays deep parses, but then overflows the stack of whatever walks it (schema
// validation, JSON.stringify), which is a 500 for input that is simply too deep.

/** JSON that breaks a rule of the reader (too deep, not JSON); `pointer` names the offending field. */
export class InvalidJson extends Error {
  constructor(
    message: string,
    readonly pointer: string,
  ) {
    super(message);
    this.name = 'InvalidJson';
  }
}

/** A positive whole number from the environment variable `name`, else `fallback`; anything else is a startup error. */
export const positiveSetting = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return value;
};

/** The deepest nesting of arrays and objects a request body or an event's data may have: `JSON_MAX_DEPTH`, 64. */
export const maxJsonDepth = (): number => positiveSetting('JSON_MAX_DEPTH', 64);

/**
 * The index of the top-level array element at which `text` first nests deeper than `max`, or -1 when
 * it never does (for a top-level object, 0). Strings are skipped, escapes included, in one pass.
 */
export const tooDeepAt = (text: string, max: number): number => {
  let depth = 0;
  let element = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return element;
    } else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x2c && depth === 1) element++;
  }
  return -1;
};

/**
 * Parses JSON text whose values may nest at most `maxDepth` levels below the top (the top-level
 * value itself is level 1). Throws InvalidJson with `pointer` for text that is too deep or not JSON.
 */
export const parseBoundedJson = (text: string, maxDepth: number, pointer: string): unknown => {
  if (tooDeepAt(text, maxDepth) >= 0) throw new InvalidJson(`${pointer || 'the body'} nests deeper than ${maxDepth} levels`, pointer || '/');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidJson(`${pointer || 'the body'} is not valid JSON: ${(error as Error).message}`, pointer || '/');
  }
};
