// Mutation testing of the request machine (`npm run mutate:machines`); see stryker.config.mjs.
process.env.SAFETYNET_MUTATE_SCOPE = 'machines';
// The model test replays a covering subset of its paths (test/machines/request-path-subset.ts): a
// lower bound of what the full set kills, in a fraction of the time.
process.env.SAFETYNET_MODEL_PATHS ??= 'covering';
const { default: options } = await import('./stryker.config.mjs');
export default options;
