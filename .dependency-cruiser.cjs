// The layering rule of src/ (README, "Extending it"): modules lean one way, from calls/ at the bottom to the app on
// top, and the service never depends on what ships beside it. `npm run lint:deps` checks it; CI runs it.
//
// Bottom to top. A module may import from its own layer and the layers below it, never above.
const LAYERS = ['calls', 'retell', 'twilio', 'media', 'escalation', 'api'];
// Shared by every module (wire types, logging, metrics, health, small helpers); they import no feature module.
const SHARED = 'protocol|common|logging|metrics|health';

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `${layer}-not-above`,
  comment: `src/${layer}/ may not import a module above it (${LAYERS.slice(i + 1).join(', ')}).`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${LAYERS.slice(i + 1).join('|')}|app\\.|main\\.|index\\.)` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'shared-not-on-modules',
      comment: `Shared folders (${SHARED.split('|').join(', ')}) may not import a feature module or the app.`,
      severity: 'error',
      from: { path: `^src/(${SHARED})/` },
      to: { path: `^src/(${LAYERS.join('|')}|config|app\\.|main\\.|index\\.)` },
    },
    {
      name: 'config-is-the-apps',
      comment:
        'Modules get their settings as options; only the app (app.module.ts, main.ts) reads the environment schema.',
      severity: 'error',
      from: { path: `^src/(${LAYERS.join('|')}|${SHARED})/` },
      to: { path: '^src/config/' },
    },
    {
      name: 'config-imports-no-module',
      comment: 'The environment schema stands alone: it imports no module.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: `^src/(${LAYERS.join('|')})/` },
    },
    {
      name: 'twilio-rest-is-twilios',
      comment:
        "Only twilio/ holds Twilio's REST client (the `twilio` package and TWILIO_CLIENT); other modules move a live call through its CallControl port.",
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/twilio/' },
      to: { path: '(^src/twilio/twilio-client\\.token\\.ts$|node_modules/twilio/)' },
    },
    {
      name: 'no-options-of-other-modules',
      comment: 'A module talks to another through its exported service or port, never its options.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/([^/]+)/.+\\.options\\.ts$', pathNot: '^src/$1/' },
    },
    {
      name: 'src-ships-alone',
      comment: 'src/ is what ships: it never imports the emulators, tools, tests or examples.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(emulators|tools|test|examples)/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles in src/.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
