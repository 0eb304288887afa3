// Mutation testing of the request machine (`npm run mutate:machines`); see stryker.config.mjs.
process.env.SAFETYNET_MUTATE_SCOPE = 'machines';
const { default: options } = await import('./stryker.config.mjs');
export default options;
