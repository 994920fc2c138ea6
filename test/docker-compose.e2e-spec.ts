import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/**
 * No Docker engine runs in CI, so the compose file is checked by reading it: the services a deployment needs, each
 * with a healthcheck, the app waiting for healthy dependencies and reading `.env`.
 */
interface ComposeService {
  build?: unknown;
  image?: string;
  env_file?: string | string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string; interval?: string; retries?: number };
  ports?: string[];
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')) as {
    services: Record<string, ComposeService>;
  };

  it('declares the app, PostgreSQL and Redis', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'postgres', 'redis']);
    expect(compose.services.app!.build).toBeDefined();
    expect(compose.services.postgres!.image).toMatch(/^postgres:\d+/);
    expect(compose.services.redis!.image).toMatch(/^redis:\d+/);
  });

  it('gives every service a healthcheck that runs a command', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const test = service.healthcheck?.test;
      expect({
        name,
        ok: Array.isArray(test) ? ['CMD', 'CMD-SHELL'].includes(test[0]!) && test.length > 1 : typeof test === 'string',
      }).toEqual({
        name,
        ok: true,
      });
    }
    expect(JSON.stringify(compose.services.app!.healthcheck!.test)).toContain('/health/ready');
  });

  it('starts the app after its dependencies are healthy, with settings from .env', () => {
    const app = compose.services.app!;
    expect(app.env_file).toBe('.env');
    expect(app.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(app.ports?.[0]).toMatch(/:3000$/);
  });

  it('the Dockerfile builds in stages and runs as a non-root user', () => {
    const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
    expect(dockerfile.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER (?!root)\w+/m);
    expect(dockerfile).toMatch(/^CMD \["node", (?:"--[\w=-]+", )*"dist\/main\.js"\]/m);
  });

  it('the image and `npm start` run Node with the flags the bench measured', async () => {
    const { PRODUCTION_NODE_FLAGS } = await import('../tools/bench/bench-env.js');
    const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(cmd).toEqual(['node', ...PRODUCTION_NODE_FLAGS, 'dist/main.js']);
    expect(pkg.scripts.start).toBe(['node', ...PRODUCTION_NODE_FLAGS, 'dist/main.js'].join(' '));
  });

  it('.env.example documents every variable the app reads', async () => {
    const { ENV_VARIABLES } = await import('../src/config/env.schema.js');
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    for (const name of ENV_VARIABLES)
      expect({ name, documented: new RegExp(`^#? ?${name}=`, 'm').test(example) }).toEqual({ name, documented: true });
  });
});
