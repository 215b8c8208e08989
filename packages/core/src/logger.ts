import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a log record: credentials must never
 * reach a log line, even when a whole request or client options object is logged.
 */
export const REDACTED_PATHS = [
  'apiKey',
  'api_key',
  '*.apiKey',
  '*.api_key',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'password',
  '*.password',
  'token',
  '*.token',
];

export interface LoggerOptions {
  level: LevelWithSilent;
  /** The process kind, e.g. `worker` or `api`. */
  name: string;
  /** Fields bound to every record, e.g. `{ workerId }`. */
  bindings?: Record<string, unknown>;
  /** Where records go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

/** Structured JSON logs: one object per line, secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const logger = pino(
    {
      name: options.name,
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { pid: process.pid, ...options.bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
  return logger;
}
