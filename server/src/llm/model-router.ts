import { log } from '../log.js';
import { ModelConfigError } from './errors/index.js';
import { parseModelSpec } from './model-spec.js';
import { OFFLINE_PROVIDER } from './providers/offline.js';
import type { ProviderAdapter } from './providers/provider.js';
import { API_KEY_VARIABLES, type LlmSettings } from './settings.js';
import type { AnyTask } from './task.js';

const routerLog = log.withTag('llm');

const OFFLINE_DEFAULT_MODEL_NAME = 'default';
export const OFFLINE_DEFAULT_MODEL = `offline:${OFFLINE_DEFAULT_MODEL_NAME}`;

export interface ModelRoute {
  adapter: ProviderAdapter;
  provider: string;
  model: string;
  /** The spec the precedence rules chose, before any offline fallback. */
  requested: string;
  /** True when the requested provider has no key and the offline provider stands in. */
  fallback: boolean;
}

/**
 * Decides which model runs a call: the call's `model`, then the deployment's per-task override, then the
 * deployment's default (CHAINLOG_MODEL or config `model`), then the task's default, then offline.
 */
export class ModelRouter {
  private readonly warnedProviders = new Set<string>();

  constructor(
    private readonly settings: LlmSettings,
    private readonly adapters: ReadonlyMap<string, ProviderAdapter>,
  ) {}

  /**
   * @throws ModelConfigError for a malformed spec, a provider nobody configured, or (offline answers not allowed:
   *   production) a call the offline provider would answer.
   */
  route(task: AnyTask, callModel: string | undefined): ModelRoute {
    const requested = this.requestedModel(task, callModel);
    const spec = parseModelSpec(requested);
    if (!this.settings.offlineAllowed) {
      const reason = offlineReason(this.settings, task, requested);
      if (reason !== undefined)
        throw new ModelConfigError(
          `${reason}, and offline answers are refused in production (CHAINLOG_ALLOW_OFFLINE=1 allows them)`,
        );
    }
    const adapter = this.adapters.get(spec.provider);
    if (adapter) return { adapter, provider: spec.provider, model: spec.model, requested, fallback: false };
    if (this.settings.unconfiguredProviders.includes(spec.provider)) {
      this.warnFallbackOnce(spec.provider);
      // Logged as offline:default like any offline call; request.requestedModel keeps what it stood in for.
      return {
        adapter: this.offlineAdapter(),
        provider: OFFLINE_PROVIDER,
        model: OFFLINE_DEFAULT_MODEL_NAME,
        requested,
        fallback: true,
      };
    }
    const known = [...this.adapters.keys(), ...this.settings.unconfiguredProviders];
    throw new ModelConfigError(
      `model "${requested}" names provider "${spec.provider}", which is not configured; known providers: ${known.join(', ')}`,
    );
  }

  requestedModel(task: AnyTask, callModel: string | undefined): string {
    return requestedModelFor(this.settings, task, callModel);
  }

  /** One line per provider that will stand in offline, for the start-up log. */
  describeFallbacks(tasks: readonly AnyTask[]): string[] {
    const byProvider = new Map<string, string[]>();
    for (const task of tasks) {
      const requested = this.requestedModel(task, undefined);
      const { provider } = parseModelSpec(requested);
      if (!this.settings.unconfiguredProviders.includes(provider)) continue;
      this.warnedProviders.add(provider);
      byProvider.set(provider, [...(byProvider.get(provider) ?? []), `"${task.name}" (${requested})`]);
    }
    return [...byProvider].map(
      ([provider, taskList]) => `no API key for ${provider}: ${taskList.join(', ')} run on the offline provider`,
    );
  }

  private warnFallbackOnce(provider: string): void {
    if (this.warnedProviders.has(provider)) return;
    this.warnedProviders.add(provider);
    routerLog.warn(`no API key for ${provider}: its calls run on the offline provider`);
  }

  private offlineAdapter(): ProviderAdapter {
    const adapter = this.adapters.get(OFFLINE_PROVIDER);
    if (!adapter) throw new ModelConfigError(`the offline provider is not available (${OFFLINE_DEFAULT_MODEL})`);
    return adapter;
  }
}

export function requestedModelFor(settings: LlmSettings, task: AnyTask, callModel: string | undefined): string {
  return (
    callModel ??
    settings.taskOverrides[task.name]?.model ??
    settings.defaultModel ??
    task.model ??
    OFFLINE_DEFAULT_MODEL
  );
}

/**
 * Why the offline provider would answer `task` when it asks for `requested`: it names the offline provider, or a
 * provider whose key is missing (the variable named). Undefined when a real provider answers, or the spec is malformed
 * (route() reports that).
 */
function offlineReason(settings: LlmSettings, task: AnyTask, requested: string): string | undefined {
  const provider = requested.split(':', 1)[0] ?? '';
  if (provider === OFFLINE_PROVIDER) return `"${task.name}" uses ${requested}, the offline provider`;
  if (!settings.unconfiguredProviders.includes(provider)) return undefined;
  const variable = API_KEY_VARIABLES[provider];
  return `"${task.name}" uses ${requested} but ${variable ?? `the API key of ${provider}`} is not set`;
}

/** One line per task that the offline provider would answer with no model given by the call; [] when none. */
export function offlineTasks(settings: LlmSettings, tasks: readonly AnyTask[]): string[] {
  return tasks.flatMap((task) => offlineReason(settings, task, requestedModelFor(settings, task, undefined)) ?? []);
}
