import fc from 'fast-check';
import { intFlag } from '../dist/args';
import { DEFAULT_CONFIG, LOG_LEVELS, parseConfig } from '../dist/daemon/config';
import { RUNS } from '@reactor/testing';

const FIELDS = ['logLevel', 'heartbeatMs', 'drainTimeoutMs', 'idleTimeoutMs', 'worker', 'child', 'intervalMs', 'hashRounds', 'probeIntervalMs', 'restartMinMs', 'restartMaxMs'];

describe('daemon config parsing, properties', () => {
  test('any JSON document: a config within every documented range, or an Error naming the field (never a half-checked config)', () => {
    // Near-valid documents (the right keys, values of any JSON type) get past the first checks.
    const anyJson = fc.jsonValue({ maxDepth: 2 });
    const num = fc.oneof(fc.integer({ min: -10, max: 100_000_000 }), anyJson);
    const nearValid = fc.record(
      {
        logLevel: fc.oneof(fc.constantFrom(...LOG_LEVELS, 'INFO', 'verbose'), anyJson),
        heartbeatMs: num,
        drainTimeoutMs: num,
        idleTimeoutMs: num,
        worker: fc.oneof(fc.record({ intervalMs: num, hashRounds: num }, { requiredKeys: [] }), anyJson),
        child: fc.oneof(fc.record({ probeIntervalMs: num, restartMinMs: num, restartMaxMs: num }, { requiredKeys: [] }), anyJson),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(nearValid, anyJson), (doc) => {
        // Through JSON, as the file is read: what JSON cannot carry never reaches parseConfig.
        const value: unknown = JSON.parse(JSON.stringify(doc) ?? 'null');
        let config;
        try {
          config = parseConfig(value);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          const message = (error as Error).message;
          expect(message === 'the config must be a JSON object' || message.startsWith('unknown field "') || FIELDS.some((f) => message.includes(f))).toBe(true);
          return;
        }
        expect(LOG_LEVELS).toContain(config.logLevel);
        expect(config.heartbeatMs).toBeGreaterThanOrEqual(10);
        expect(config.child.restartMaxMs).toBeGreaterThanOrEqual(config.child.restartMinMs);
        for (const n of [config.drainTimeoutMs, config.idleTimeoutMs, config.worker.intervalMs, config.worker.hashRounds, config.child.probeIntervalMs]) {
          expect(Number.isInteger(n) && n >= 0).toBe(true);
        }
        // Fields the document left out take the defaults.
        const given = value as Record<string, unknown>;
        if (given.heartbeatMs === undefined) expect(config.heartbeatMs).toBe(DEFAULT_CONFIG.heartbeatMs);
      }),
      { numRuns: RUNS.pure },
    );
  });
});

describe('example command-line flags, properties', () => {
  test('intFlag: any text is a decimal integer within the range, or an Error naming the flag (an empty --port was port 0)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer().map(String), fc.constantFrom('', ' ', '0x10', '1e3', '8080 ', '+1', '-0', '1.0', '65536', '-1')), (text) => {
        let value: number;
        try {
          value = intFlag(['--port', text], 'port', 6380);
        } catch (error) {
          expect((error as Error).message).toMatch(/^--port /);
          return;
        }
        expect(text).toMatch(/^-?\d+$/);
        expect(value).toBe(Number(text));
        expect(value >= 0 && value <= 65535).toBe(true);
      }),
      { numRuns: RUNS.pure },
    );
  });
});
