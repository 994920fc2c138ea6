/**
 * Jest runs in native ESM mode (`node --experimental-vm-modules`): Nest 12 ships ES modules only.
 * ts-jest transpiles each file on its own (isolatedModules); `npm run typecheck` type-checks the whole tree.
 * @type {import('jest').Config}
 */
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
    // nestjs-pino 4 is CommonJS requiring Nest 12's ESM: see config/jest/nest-common-for-cjs.cjs.
    '/node_modules/nestjs-pino/.+\\.js$': '<rootDir>/config/jest/nest-common-for-cjs.cjs',
  },
  transformIgnorePatterns: ['/node_modules/(?!nestjs-pino/)'],
  testEnvironment: '<rootDir>/config/jest/node-environment.js',
};

export default {
  // End-to-end calls run at real 20 ms pace; the slowest takes ~25 s.
  testTimeout: 60_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/src', '<rootDir>/emulators', '<rootDir>/tools'],
      testMatch: ['**/*.spec.ts'],
      setupFilesAfterEnv: [
        '<rootDir>/config/jest/nest-common-for-cjs.setup.ts',
        '<rootDir>/config/jest/silence-nest-logger.ts',
      ],
    },
    {
      ...shared,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/config/jest/nest-common-for-cjs.setup.ts'],
      // End-to-end suites run the compiled service, as it ships (`npm test` builds first): every import of `src/`, by
      // the suites, their support code and the emulators alike, loads its build in `dist/`, where the audio analysis
      // thread's worker file sits beside its module.
      moduleNameMapper: { '^(?:\\.\\./)+src/(.*)\\.js$': '<rootDir>/dist/$1.js', ...shared.moduleNameMapper },
    },
  ],
};
