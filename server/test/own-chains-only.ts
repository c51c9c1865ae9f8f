/**
 * createAppDependencies options for a test file that keeps several chain runners on one test database: each runner
 * then takes only the chains submitted through it (its idle look at the queue comes once a day), so a chain runs with
 * the LLM of the context that submitted it, and on PGlite its events reach that context's in-process bus. With the
 * default 1 s look, an idle runner of another context took a chain in the moment between its commit and the submitting
 * runner's own take: the test following it on PGlite saw no event within 10 s.
 */
export const OWN_CHAINS_ONLY = { chainPollMs: 24 * 60 * 60 * 1_000 } as const;
