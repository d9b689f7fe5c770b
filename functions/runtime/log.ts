import { writeSync } from 'node:fs';
// JSON log lines on stdout, one object per line; LOG_LEVEL filters (debug, info, warn, error, silent).
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = Exclude<keyof typeof LEVELS, 'silent'>;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

// Field names whose values never reach a log line, wherever they appear.
const SECRET = /pass(word)?|secret|token|authorization|cookie|api[-_]?key/i;

const redact = (value: unknown, depth = 0): unknown => {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
};

// The level is read on every line (it may change while the process runs), parsed only when it does.
let levelSource: string | undefined = 'info';
let levelValue: number = LEVELS.info;
const threshold = (): number => {
  const source = process.env.LOG_LEVEL;
  if (source !== levelSource) {
    const name = (source ?? 'info').toLowerCase();
    levelValue = name in LEVELS ? LEVELS[name as keyof typeof LEVELS] : LEVELS.info;
    levelSource = source;
  }
  return levelValue;
};

/** The fields as they may be logged: the same object when it holds no secret and nothing nested. */
const redactFields = (fields: Record<string, unknown>): object => {
  for (const key in fields) {
    const value = fields[key];
    if ((typeof value === 'object' && value !== null) || SECRET.test(key)) return redact(fields) as object;
  }
  return fields;
};

// Lines are gathered and written once per turn of the event loop: under load that is one write
// for many invocations instead of one system call each. Whatever is pending is written on exit.
let pending: string[] = [];
let scheduled = false;
const flush = () => {
  scheduled = false;
  if (pending.length === 0) return;
  const chunk = pending.join('');
  pending = [];
  process.stdout.write(chunk);
};
process.once('exit', () => {
  if (pending.length > 0) writeSync(1, pending.join(''));
  pending = [];
});

export const createLogger = (base: Record<string, unknown> = {}): Logger => {
  const write = (level: Level, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < threshold()) return;
    const line = { level, time: new Date().toISOString(), msg: message, ...base, ...(fields ? redactFields(fields) : undefined) };
    pending.push(JSON.stringify(line) + '\n');
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
};

export const rootLogger = createLogger();
