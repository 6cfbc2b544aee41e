import pino, { type Logger } from 'pino';

let defaultLogger: Logger | undefined;

/**
 * The logger loops use unless given one: pino on stderr (stdout belongs to
 * the program), level from REACTOR_LOG_LEVEL (default 'info').
 */
export function getDefaultLogger(): Logger {
  if (defaultLogger === undefined) {
    defaultLogger = pino({ name: 'reactor', level: process.env.REACTOR_LOG_LEVEL || 'info' }, pino.destination({ fd: 2, sync: true }));
  }
  return defaultLogger;
}
