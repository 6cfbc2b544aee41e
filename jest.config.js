// Tests are TypeScript (transformed by swc) and exercise the *built* packages
// (dist/), the same code that examples, workers and child processes load.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/benchmarks', '<rootDir>/docs'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  moduleNameMapper: {
    '^@reactor/(fds|reactor|systemd|testing)$': '<rootDir>/packages/$1/dist/index.js',
    '^@reactor/fds/internal$': '<rootDir>/packages/fds/dist/internal.js',
  },
  testTimeout: 30000,
  maxWorkers: 2,
};
