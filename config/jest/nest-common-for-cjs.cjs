/**
 * Jest transform for nestjs-pino 4 (CommonJS), in tests only. Nest 12 ships ES modules, and Node 20 runs
 * `require("@nestjs/common")` from CommonJS natively (require(esm)), but Jest's own module loader can do that only on
 * Node 24.9+. So in tests the package is handed the very `@nestjs/common` instance the test loaded as ESM (put on
 * `globalThis` by nest-common-for-cjs.setup.ts): one instance, as in production. See
 * docs/decisions/0024-logging-nestjs-pino.md; this file goes once Node 24.9 or nestjs-pino 5 (Node 22) is in.
 */
const NEST_COMMON = /require\("@nestjs\/common"\)/g;

module.exports = {
  process(source) {
    return { code: source.replace(NEST_COMMON, 'globalThis.__callbridgeNestCommon') };
  },
};
