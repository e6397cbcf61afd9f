// Jest runs the JavaScript that tsc wrote to dist/ (see README, "How the build fits together"):
// TypeScript 7 no longer has the compiler API that ts-jest needs, so we compile first.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/dist/test'],
  testMatch: ['**/*.test.js'],
  testTimeout: 60_000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/scripts/jest-summary.js'],
};
