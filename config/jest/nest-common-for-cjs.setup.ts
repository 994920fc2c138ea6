// The ESM `@nestjs/common` of this test, for the CommonJS packages that require it (see nest-common-for-cjs.cjs).
(globalThis as { __callbridgeNestCommon?: unknown }).__callbridgeNestCommon = await import('@nestjs/common');
