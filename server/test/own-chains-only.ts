/**
 * createAppDependencies options for a test file that keeps several chain runners on one test database: a runner then
 * looks at the queue when a chain is submitted through it, when it starts and when one of its runs ends, but its idle
 * look comes once a day (not every second), so a chain submitted through one context is not taken by another idle
 * one. Such a runner ran the chain with its own LLM, and on PGlite published the events on its own in-process bus: the
 * test following the chain saw no event within 10 s. Runners a test no longer uses are stopped (drained), since they
 * still look when one of their runs ends. Not longer than a day: Node runs an interval over 2^31 − 1 ms every
 * millisecond.
 */
export const OWN_CHAINS_ONLY = { chainPollMs: 24 * 60 * 60 * 1_000 } as const;
