/**
 * Fastify compiles the JSON schemas a route declares with ajv (validation) and fast-json-stringify
 * (serialisation), and loads both libraries whenever a server is created unless given compilers
 * of its own: some 60 to 120 ms of module loading on a process's first start. Portcullis
 * declares no route schema (requests are checked with zod, responses are built by hand), so it
 * gives Fastify these instead; a route that declared a schema would fail when the server starts.
 * https://fastify.dev/docs/latest/Reference/Server/#schemacontroller
 */
const refuse = (): never => {
  throw new Error('Portcullis routes declare no JSON schema (src/http/no-schema-compilers.ts): validate with zod');
};

export const NO_SCHEMA_COMPILERS = {
  compilersFactory: { buildValidator: () => refuse, buildSerializer: () => refuse },
};
