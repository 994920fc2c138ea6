/**
 * Jest's node environment runs each suite in its own V8 realm, but native addons (onnxruntime-node) hand back typed
 * arrays from the main realm, and onnxruntime-common then rejects them with "data must be type of Float32Array".
 * Sharing the main realm's typed-array constructors makes the test realm behave as production does.
 */
import { TestEnvironment } from 'jest-environment-node';

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'DataView',
];

export default class NodeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}
