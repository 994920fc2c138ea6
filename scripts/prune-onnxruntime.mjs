// Removes onnxruntime-node's native binaries for every platform but this one (the npm package carries all of them,
// about 290 MB; one platform is about 70 MB). The Dockerfile runs it after `npm prune --omit=dev`.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const bin = join('node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
const keep = join(process.platform, process.arch);
for (const os of readdirSync(bin)) {
  for (const arch of readdirSync(join(bin, os))) {
    if (join(os, arch) !== keep) rmSync(join(bin, os, arch), { recursive: true });
  }
}
