import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const depcruise = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const config = join(root, '.dependency-cruiser.cjs');

/** Runs the layering check (`npm run lint`'s dependency rule) in `cwd` over its `src/`. */
function cruise(cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [depcruise, 'src', '--config', config, '--output-type', 'err'],
      { cwd },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr });
      },
    );
  });
}

/** A throwaway tree with the repo's tsconfig and the given files. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'callbridge-layering-'));
  cpSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('the layering rule (dependency-cruiser)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('passes on the repository as it is', async () => {
    const { code, out } = await cruise(root);
    expect({ code, out: code === 0 ? '' : out }).toEqual({ code: 0, out: '' });
  });

  it('fails on an upward import (calls/ importing twilio/)', async () => {
    const dir = tree({
      'src/twilio/twiml.factory.ts': 'export const twiml = 1;\n',
      'src/calls/calls.service.ts': "import { twiml } from '../twilio/twiml.factory.js';\nexport const x = twiml;\n",
    });
    dirs.push(dir);
    const { code, out } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(out).toContain('calls-not-above');
  });

  it('fails when the service imports what ships beside it (an emulator)', async () => {
    const dir = tree({
      'emulators/index.ts': 'export const emulator = 1;\n',
      'src/media/media.gateway.ts':
        "import { emulator } from '../../emulators/index.js';\nexport const x = emulator;\n",
    });
    dirs.push(dir);
    const { code, out } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(out).toContain('src-ships-alone');
  });

  it("fails when a module reads another module's options", async () => {
    const dir = tree({
      'src/retell/retell.options.ts': 'export interface RetellModuleOptions { apiKey: string }\n',
      'src/media/media.gateway.ts':
        "import type { RetellModuleOptions } from '../retell/retell.options.js';\nexport type X = RetellModuleOptions;\n",
    });
    dirs.push(dir);
    const { code, out } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(out).toContain('no-options-of-other-modules');
  });

  it("fails when a module outside twilio/ reaches Twilio's REST client instead of the CallControl port", async () => {
    const dir = tree({
      'src/twilio/twilio-client.token.ts': "export const TWILIO_CLIENT = Symbol('TWILIO_CLIENT');\n",
      'src/media/session/relay-session.ts':
        "import { TWILIO_CLIENT } from '../../twilio/twilio-client.token.js';\nexport const x = TWILIO_CLIENT;\n",
    });
    dirs.push(dir);
    const { code, out } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(out).toContain('twilio-rest-is-twilios');
  });
});
