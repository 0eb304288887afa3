/**
 * The layer rule of src/ (README, "Architecture"): a module imports only from its own layer or the
 * layers before it, and no import cycle exists. `npm test` runs this check (test/architecture/layers.test.ts).
 *
 * Layers, in order: errors → failover → config → conversation → store → actors → machines →
 * inspection / doctor / runtime → serve → cli → index.
 */
const LAYERS = [
  ['errors', '^src/errors\\.ts$'],
  ['failover', '^src/failover/'],
  ['config', '^src/config/'],
  ['conversation', '^src/conversation/'],
  ['store', '^src/store/'],
  ['actors', '^src/actors/'],
  ['machines', '^src/machines/'],
  ['inspection', '^src/inspection/'],
  ['doctor', '^src/doctor/'],
  ['runtime', '^src/runtime/'],
  ['serve', '^src/serve/'],
  ['cli', '^src/cli/'],
  ['index', '^src/index\\.ts$'],
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: split the shared part into a module both can import.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...LAYERS.flatMap(([name, path], i) =>
      LAYERS.slice(i + 1).map(([upper, upperPath]) => ({
        name: `${name}-not-from-${upper}`,
        severity: 'error',
        comment: `src/${name} is below src/${upper}: move the shared part down, or invert the dependency.`,
        from: { path },
        to: { path: upperPath },
      })),
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
  },
};
