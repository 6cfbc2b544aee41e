/**
 * The daemon's logger: pino on stdout, pretty and coloured when a person
 * watches (stdout is a terminal), one JSON object a line otherwise (for
 * journald, files and the tests). Synchronous, so the last lines before an
 * exit are never lost.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config';

export function createLogger(level: LogLevel, pretty_ = process.stdout.isTTY === true): Logger {
  const options = { name: 'daemon', level };
  if (pretty_) {
    return pino(options, pretty({ colorize: true, sync: true, destination: 1, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,name' }));
  }
  return pino(options, pino.destination({ fd: 1, sync: true }));
}
