// Jest runs the JavaScript that tsc wrote to dist/ (see README, "How the build fits together"):
// TypeScript 7 no longer has the compiler API that ts-jest needs, so we compile first.
//
// Two projects: the Temporal tests (and the consumer test, which runs a workflow too) share one
// Temporal dev server, which their project's globalSetup starts (and globalTeardown stops) only
// when at least one of them is selected.
const common = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.js'],
};
module.exports = {
  testTimeout: 60_000, // a global option: Jest ignores it inside a project
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/scripts/jest-summary.js'],
  projects: [
    {
      ...common,
      displayName: 'core',
      roots: ['<rootDir>/dist/test'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/dist/test/temporal/', '<rootDir>/dist/test/consumer/'],
    },
    {
      ...common,
      displayName: 'temporal',
      roots: ['<rootDir>/dist/test/temporal', '<rootDir>/dist/test/consumer'],
      globalSetup: '<rootDir>/dist/test/temporal/global-setup.js',
      globalTeardown: '<rootDir>/dist/test/temporal/global-teardown.js',
    },
  ],
};
