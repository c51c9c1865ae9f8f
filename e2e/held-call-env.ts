/**
 * Env for a server whose tests hold a provider call open while Chromium loads pages around it. A held call must
 * outlast several of the tests' 15 s waits: with the running server's 10 s provider timeout, a loaded machine saw
 * the held call end as a `ProviderTimeoutError` before the page had shown it pending.
 */
export const HELD_CALL_ENV = { CHAINLOG_LLM_TIMEOUT_MS: '120000' } as const;
