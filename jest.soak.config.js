// The soak and fault suite (`pnpm test:soak`): long, loopback-only runs that
// hold and churn many connections, inject faults and bad input, and record
// figures in packages/reactor/soak/results/. One file at a time (maxWorkers 1):
// each file loads the machine on its own, and the figures would be noise if
// two ran together. SOAK_SCALE=short is the CI size.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages/reactor/soak'],
  testMatch: ['**/soak/**/*.soak.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  moduleNameMapper: {
    '^@reactor/(fds|reactor|systemd|testing)$': '<rootDir>/packages/$1/dist/index.js',
    '^@reactor/fds/internal$': '<rootDir>/packages/fds/dist/internal.js',
  },
  testTimeout: 300000,
  maxWorkers: 1,
  globalTeardown: '<rootDir>/packages/reactor/soak/write-results.js',
};
