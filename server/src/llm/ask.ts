import { uuidv7 } from '../uuid-v7.js';
import type { Db } from '../db/client.js';
import type { InferenceLogWriter } from '../db/inference-log-writer.js';
import { toJsonb } from '../db/jsonb.js';
import type { NewInferenceLog } from '../db/tables/inference-log.js';
import { log, logsAt } from '../log.js';
import { settleWithin } from '../settle-within.js';
import { checkChainId, currentChainId, currentChainStep, newChainId, takeResumedCall } from './chain-context.js';
import {
  AbortedError,
  InvalidJsonError,
  InvalidTaskInputError,
  LlmError,
  LogWriteError,
  OutputValidationError,
  ProviderError,
  RefusalError,
  RetriesExhaustedError,
  TaskOutputError,
  TruncationError,
  UnknownTaskError,
} from './errors/index.js';
import { describeIssues } from './errors/output-validation-error.js';
import { type InferenceParams, type ResolvedParams, mergeParams } from './inference-params.js';
import type { ChatMessage } from './messages.js';
import { type ModelRoute, ModelRouter } from './model-router.js';
import { priceCall } from './pricing.js';
import { createProviderAdapters } from './providers/index.js';
import type { ProviderAdapter, ProviderReply, ProviderUsage } from './providers/provider.js';
import { answerJsonb, redactSecrets } from './redact.js';
import type { RequestTemplate } from './request-template.js';
import { requestParts } from './request-json.js';
import { type RetriesUsed, type RetryDelay, decideRetry, waitUnlessAborted } from './retry-policy.js';
import type { LlmSettings } from './settings.js';
import type { AnyTask, TaskInput, TaskOutput } from './task.js';
import { type RegisteredTask, TaskRegistry } from './tasks.js';

const llmLog = log.withTag('llm');

export interface AskOptions {
  /** Joins an existing chain; otherwise the chain of the async context (runInChain), otherwise a new one. */
  chainId?: string | undefined;
  /** "<provider>:<model>", winning over every configured default. */
  model?: string | undefined;
  /** Inference params for this call, over the task's and the deployment's. */
  params?: InferenceParams | undefined;
  /** Aborts the provider call; the attempt is logged as an error and AbortedError is thrown. */
  signal?: AbortSignal | undefined;
  /**
   * The first attempt's number (1 by default): a chain step resumed after its process died goes on from the
   * attempts that were cut off, so its rows read as one call.
   */
  firstAttempt?: number | undefined;
}

export interface AskResult<Output> {
  /** Validated by the task's output schema. */
  output: Output;
  chainId: string;
  /** The inference_log row of the successful attempt. */
  logId: string;
  usage: ProviderUsage;
  costUsd: string | null;
  provider: string;
  model: string;
  /** 1 unless earlier answers failed to parse or validate. */
  attempts: number;
  /** Provider round trip of the successful attempt, in milliseconds. */
  latencyMs: number;
}

type TaskNamed<Tasks extends readonly AnyTask[], Name> = Extract<Tasks[number], { name: Name }>;

export interface Llm<Tasks extends readonly AnyTask[] = readonly AnyTask[]> {
  /**
   * Runs one registered task and returns its validated, structured output; every attempt is a row of
   * inference_log, complete by the time this returns or throws.
   * @throws UnknownTaskError, InvalidTaskInputError, InvalidChainIdError, ModelConfigError before any provider
   *   call; ProviderError (InvalidResponseBodyError when every try got a 2xx that is not the API's JSON),
   *   ProviderTimeoutError, AbortedError, RefusalError, TruncationError, RetriesExhaustedError, TaskOutputError,
   *   LogWriteError after. Which failures are tried again, and how often: retry-policy.ts.
   */
  ask<T extends AnyTask>(task: T, input: TaskInput<T>, options?: AskOptions): Promise<AskResult<TaskOutput<T>>>;
  ask<Name extends Tasks[number]['name']>(
    name: Name,
    input: TaskInput<TaskNamed<Tasks, Name>>,
    options?: AskOptions,
  ): Promise<AskResult<TaskOutput<TaskNamed<Tasks, Name>>>>;
  /** `ask` for a name known only at run time (a CLI argument); the output is validated but not typed. */
  askByName(name: string, input: unknown, options?: AskOptions): Promise<AskResult<unknown>>;
  readonly tasks: TaskRegistry;
  readonly router: ModelRouter;
  /** Number of `ask()` calls still running. */
  inFlight(): number;
  /** Resolves true when no call is running (including calls started meanwhile), false if `timeoutMs` passed first. */
  drain(timeoutMs: number): Promise<boolean>;
  /**
   * Aborts every running call, and every later one, at shutdown once draining ran out of time; each logs its
   * attempt as aborted.
   */
  abortAll(reason: string): void;
}

export interface LlmDependencies<Tasks extends readonly AnyTask[]> {
  db: Db;
  settings: LlmSettings;
  tasks: Tasks;
  /** Defaults to one adapter per configured provider. */
  adapters?: Map<string, ProviderAdapter>;
  /** Where rows go: `createLogWriterFor(database)`. */
  logWriter: InferenceLogWriter;
  /** How to wait before retrying a transient fault (retry-policy.ts); defaults to a timer that an abort cuts short. */
  retryDelay?: RetryDelay;
  /** This process's instance id, written on every row so the rows it leaves pending can be ended if it dies. */
  instanceId?: string | undefined;
}

/** Wires the task registry, the providers and the log table into `ask()`. */
export function createLlm<const Tasks extends readonly AnyTask[]>(dependencies: LlmDependencies<Tasks>): Llm<Tasks> {
  const { settings, logWriter } = dependencies;
  const retryDelay = dependencies.retryDelay ?? waitUnlessAborted;
  const instanceId = dependencies.instanceId ?? null;
  // One controller per running call, so abortAll() can stop each without one shared signal that every
  // request would hang a listener on.
  const callControllers = new Set<AbortController>();
  let abortedAll: Error | undefined;
  const registry = new TaskRegistry(dependencies.tasks);
  const router = new ModelRouter(settings, dependencies.adapters ?? createProviderAdapters(settings));
  const running = new Set<Promise<unknown>>();

  /** @throws UnknownTaskError for a name, or a task object, that was not registered. */
  function resolveTask(task: AnyTask | string): RegisteredTask {
    if (typeof task === 'string') return registry.get(task);
    const registered = registry.get(task.name);
    if (registered.definition !== task) throw new UnknownTaskError(task.name, registry.names());
    return registered;
  }

  async function run(taskOrName: AnyTask | string, input: unknown, options: AskOptions): Promise<AskResult<unknown>> {
    const registered = resolveTask(taskOrName);
    const task = registered.definition;
    const parsedInput = task.input.safeParse(input);
    if (!parsedInput.success) throw new InvalidTaskInputError(task.name, parsedInput.error.issues);
    const route = router.route(task, options.model);
    const params = mergeParams(
      settings.baseParams,
      task.params,
      settings.taskOverrides[task.name]?.params,
      options.params,
    );
    const chainId = options.chainId === undefined ? (currentChainId() ?? newChainId()) : checkChainId(options.chainId);
    const chainStep = currentChainStep(chainId) ?? null;
    const conversation = new Conversation(task.prompt(parsedInput.data));
    const offlineExample = task.offlineExample ? () => task.offlineExample?.(parsedInput.data) : undefined;
    const failures: LlmError[] = [];
    const controller = new AbortController();
    const forwardAbort = () => controller.abort(options.signal?.reason);
    if (abortedAll) controller.abort(abortedAll);
    if (options.signal?.aborted) forwardAbort();
    options.signal?.addEventListener('abort', forwardAbort, { once: true });
    callControllers.add(controller);
    const { signal } = controller;
    const retriesUsed: RetriesUsed = { validation: 0, transient: 0 };
    // The call's id is its first attempt's. A chain step resumed in another process goes on with its cut-off call's
    // (the chain runner knows it); any other call from a later attempt leaves it to the database, which finds the
    // attempt it goes on from (inference_log_call_id).
    let callId = takeResumedCall(chainId, task.name, options.firstAttempt);
    try {
      for (let attempt = options.firstAttempt ?? 1; ; attempt++) {
        if (signal.aborted)
          throw new AbortedError(`"${task.name}" was aborted before attempt ${attempt}`, { cause: signal.reason });
        const logId = uuidv7();
        if (attempt === 1 && callId === null) callId = logId;
        const outcome = await runAttempt({
          logId,
          callId,
          logWriter,
          settings,
          instanceId,
          registered,
          route,
          params,
          chainId,
          chainStep,
          attempt,
          conversation,
          offlineExample,
          signal,
        });
        if (outcome.ok) return { ...outcome.result, attempts: attempt };
        failures.push(outcome.error);
        const decision = decideRetry(outcome.error, retriesUsed, params);
        if (decision.kind === 'fail') throw outcome.error;
        if (decision.kind === 'exhausted') throw new RetriesExhaustedError(task.name, failures);
        if (decision.kind === 'retry') {
          retriesUsed.transient += 1;
          llmLog.warn(
            `"${task.name}" attempt ${attempt} failed (${outcome.error.code}); trying again in ${Math.round(decision.delayMs)} ms`,
          );
          await retryDelay(decision.delayMs, signal);
          continue;
        }
        retriesUsed.validation += 1;
        llmLog.warn(`"${task.name}" attempt ${attempt} gave unusable output (${outcome.error.code}); asking again`);
        conversation.addFeedback(outcome.answer, outcome.error);
      }
    } finally {
      callControllers.delete(controller);
      options.signal?.removeEventListener('abort', forwardAbort);
    }
  }

  function ask(taskOrName: AnyTask | string, input: unknown, options: AskOptions = {}): Promise<AskResult<unknown>> {
    const call = run(taskOrName, input, options);
    running.add(call);
    const forget = () => running.delete(call);
    call.then(forget, forget);
    return call;
  }

  return {
    // One implementation behind the typed overloads: `run` validates input and output at run time either way.
    ask: ask as Llm<Tasks>['ask'],
    askByName: ask,
    tasks: registry,
    router,
    inFlight: () => running.size,
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (running.size > 0) {
        const settled = await settleWithin([...running], deadline - Date.now());
        if (!settled) return false;
      }
      return true;
    },
    abortAll(reason) {
      abortedAll = new Error(reason);
      for (const controller of callControllers) controller.abort(abortedAll);
    },
  };
}

/** The messages sent so far, growing by the model's answer and our correction after each unusable answer. */
class Conversation {
  constructor(public messages: ChatMessage[]) {}

  addFeedback(answer: string, error: LlmError): void {
    const problem = OutputValidationError.isInstance(error) ? describeIssues(error.issues) : 'it was not valid JSON';
    this.messages = [
      ...this.messages,
      { role: 'assistant', content: answer },
      {
        role: 'user',
        content: `That answer cannot be used: ${problem}. Answer again with only JSON that matches the schema.`,
      },
    ];
  }
}

interface AttemptInput {
  logId: string;
  /** The call's first attempt's id, or null for the database to find (see run). */
  callId: string | null;
  logWriter: InferenceLogWriter;
  instanceId: string | null;
  settings: LlmSettings;
  registered: RegisteredTask;
  route: ModelRoute;
  params: ResolvedParams;
  chainId: string;
  /** The step of the chain the call runs in (runInStep), or null. */
  chainStep: number | null;
  attempt: number;
  conversation: Conversation;
  offlineExample: (() => unknown) | undefined;
  signal: AbortSignal;
}

type AttemptOutcome =
  | { ok: true; result: Omit<AskResult<unknown>, 'attempts'> }
  | { ok: false; error: LlmError; answer: string };

/**
 * One provider call and its log row. The pending row is written alongside the provider call rather than before it,
 * and the finished row is an upsert that wins over it, so the row is durable without a database round trip
 * before the provider call.
 */
async function runAttempt(input: AttemptInput): Promise<AttemptOutcome> {
  const {
    logId,
    callId,
    logWriter,
    settings,
    instanceId,
    registered,
    route,
    params,
    chainId,
    chainStep,
    attempt,
    signal,
  } = input;
  const task = registered.definition;
  const messages = input.conversation.messages;
  const output = { name: registered.schemaName, schema: registered.strictOutput.schema };
  const { request, template } = requestParts(registered, messages, params, route.requested);
  const row: NewInferenceLog = {
    id: logId,
    chain_id: chainId,
    chain_step: chainStep,
    name: task.name,
    provider: route.provider,
    model: route.model,
    status: 'pending',
    attempt,
    call_id: callId,
    request,
    request_template_id: template.id,
    instance_id: instanceId,
    created_at: new Date(),
  };
  // Every attempt passes here: at the default level, building the message cost 1 % of the main thread under load.
  if (logsAt('debug'))
    llmLog.debug(`"${task.name}" attempt ${attempt} → ${route.provider}:${route.model}`, { chainId, logId });
  const startedAt = performance.now();
  const replying = route.adapter.complete({
    model: route.model,
    messages,
    output,
    params,
    signal,
    offlineExample: input.offlineExample,
  });
  // Queued after the request has started, so the pending row does not delay the provider call; the writer
  // sends it within PENDING_ROWS_WINDOW_MS, or writes only the finished row if the answer comes first.
  const pending = logWriter.write(row, template);
  // finishRow reads how it went; until then, a failure while the provider works must not be an unhandled
  // rejection (which ends the process).
  pending.catch(() => {});
  const finishing: Finishing = { logWriter, template, pending, secrets: settings.secrets };

  let reply: ProviderReply;
  try {
    reply = await replying;
  } catch (thrown) {
    const error = LlmError.isInstance(thrown)
      ? thrown
      : new ProviderError(`${route.provider} call failed`, { cause: thrown });
    error.logId = logId;
    // Provider messages can echo the key (OpenAI's 401 does), and callers print this message.
    error.message = redactSecrets(error.message, settings.secrets);
    const body = ProviderError.isInstance(error) ? error.body : undefined;
    await finishRow(
      finishing,
      {
        ...row,
        status: 'error',
        error: toJsonb(redactSecrets(error.toRecord(), settings.secrets)),
        response: body === undefined ? null : toJsonb(redactSecrets(body, settings.secrets)),
        provider_request_id: ProviderError.isInstance(error) ? error.providerRequestId : null,
        latency_ms: performance.now() - startedAt,
        finished_at: new Date(),
      },
      error,
    );
    return { ok: false, error, answer: '' };
  }
  const latencyMs = performance.now() - startedAt;
  const usage = reply.usage;
  const { costUsd: cost, priceSource } = priceCall(settings.prices, {
    provider: route.provider,
    providerSettings: settings.providers[route.provider],
    model: route.model,
    usage,
    at: row.created_at ?? new Date(),
  });
  let checked: CheckedReply;
  let outputJson: string | null = null;
  try {
    checked = checkReply(registered, reply, logId);
    if (checked.ok) outputJson = answerJsonb(checked.output, settings.secrets);
  } catch (thrown) {
    checked = { ok: false, error: new TaskOutputError(task.name, { cause: thrown, logId }), answer: '' };
  }
  await finishRow(
    finishing,
    {
      ...row,
      status: checked.ok ? 'ok' : 'error',
      response: answerJsonb(reply.body, settings.secrets),
      output: outputJson,
      error: checked.ok ? null : toJsonb(redactSecrets(checked.error.toRecord(), settings.secrets)),
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      cost_usd: cost,
      price_source: priceSource,
      latency_ms: latencyMs,
      provider_request_id: reply.providerRequestId,
      finished_at: new Date(),
    },
    checked.ok ? undefined : checked.error,
  );
  if (!checked.ok) return { ok: false, error: checked.error, answer: checked.answer };
  return {
    ok: true,
    result: {
      output: checked.output,
      chainId,
      logId,
      usage,
      costUsd: cost,
      provider: route.provider,
      model: route.model,
      latencyMs,
    },
  };
}

/**
 * What finishing an attempt's row needs: the writer, the request's template, the pending row's write, and the
 * secrets to keep out.
 */
interface Finishing {
  logWriter: InferenceLogWriter;
  template: RequestTemplate;
  pending: Promise<void>;
  secrets: readonly string[];
}

/**
 * Writes the attempt's finished row over its pending one. When the database refuses it (a value it cannot hold,
 * such as a token count past its integer range, or the database failing), a lean error row without the answer
 * still ends the attempt, so its row is not left pending; the call then fails with LogWriteError.
 */
async function finishRow(finishing: Finishing, row: NewInferenceLog, attemptError?: LlmError): Promise<void> {
  const { logWriter, template, pending, secrets } = finishing;
  const [pendingResult, finishedResult] = await Promise.allSettled([pending, logWriter.write(row, template)]);
  if (finishedResult.status === 'fulfilled') {
    // The finished upsert alone makes the row complete; a failed pending insert only matters if it failed too.
    if (pendingResult.status === 'rejected')
      llmLog.debug('pending log insert failed but the finished row was written', pendingResult.reason);
    return;
  }
  llmLog.error(`inference log row ${row.id} could not be written`, finishedResult.reason);
  const failure = new LogWriteError(row.id, { cause: finishedResult.reason, attemptError });
  try {
    await logWriter.write(leanErrorRow(row, toJsonb(redactSecrets(failure.toRecord(), secrets))), template);
  } catch (error) {
    llmLog.error(`inference log row ${row.id} could not be written even without the answer`, error);
  }
  throw failure;
}

/** The attempt's row with only what its pending row had, its timing, and why the full row was refused. */
function leanErrorRow(row: NewInferenceLog, error: string): NewInferenceLog {
  const {
    id,
    chain_id,
    chain_step,
    name,
    provider,
    model,
    attempt,
    call_id,
    request,
    request_template_id,
    instance_id,
    created_at,
    latency_ms,
    finished_at,
  } = row;
  return {
    id,
    chain_id,
    chain_step,
    name,
    provider,
    model,
    attempt,
    call_id,
    request,
    request_template_id,
    instance_id,
    created_at,
    latency_ms,
    finished_at,
    status: 'error',
    error,
  };
}

type CheckedReply = { ok: true; output: unknown } | { ok: false; error: LlmError; answer: string };

/** Turns a raw reply into the task's validated output, or the typed error that says why not. */
function checkReply(registered: RegisteredTask, reply: ProviderReply, logId: string): CheckedReply {
  const errorOptions = { logId };
  switch (reply.outcome) {
    case 'refusal':
      return { ok: false, error: new RefusalError(reply.refusal, errorOptions), answer: reply.refusal };
    case 'truncated':
      return {
        ok: false,
        error: new TruncationError('the answer was cut off by the token limit; raise maxTokens', errorOptions),
        answer: reply.text,
      };
    case 'text': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(reply.text);
      } catch (error) {
        return {
          ok: false,
          error: new InvalidJsonError(reply.text, { ...errorOptions, cause: error }),
          answer: reply.text,
        };
      }
      return validate(registered, registered.strictOutput.decode(parsed), reply.text, logId);
    }
    case 'value':
      return validate(registered, registered.strictOutput.decode(reply.value), JSON.stringify(reply.value), logId);
    case 'example':
      return validate(registered, reply.value, JSON.stringify(reply.value), logId);
  }
}

function validate(registered: RegisteredTask, value: unknown, answer: string, logId: string): CheckedReply {
  const result = registered.definition.output.safeParse(value);
  if (result.success) return { ok: true, output: result.data };
  return { ok: false, error: new OutputValidationError(result.error.issues, { logId }), answer };
}
