import { requestedModelFor } from './model-router.js';
import { parseModelSpec } from './model-spec.js';
import type { LlmSettings } from './settings.js';
import type { AnyTask } from './task.js';

/** Start-up with a deployment setting that names a task or a provider that does not exist. */
export class TaskRouteError extends Error {
  override name = 'TaskRouteError';
}

/**
 * What the deployment routes must lead somewhere: each task the config file sets must be registered (a misspelt name
 * was ignored, leaving the task on its default, paid, model), and each task's model, as CHAINLOG_MODEL and the config
 * file leave it, must name a provider there is (else every call of it failed, and a chain with it).
 * @throws TaskRouteError naming every problem, and what there is instead.
 */
export function assertTaskRoutes(settings: LlmSettings, tasks: readonly AnyTask[]): void {
  const taskNames = tasks.map((task) => task.name);
  const providers = [...Object.keys(settings.providers), ...settings.unconfiguredProviders];
  const problems = [
    ...Object.keys(settings.taskOverrides)
      .filter((name) => !taskNames.includes(name))
      .map((name) => `the config file sets task "${name}", which is not registered`),
    ...tasks.flatMap((task) => {
      const model = requestedModelFor(settings, task, undefined);
      const { provider } = parseModelSpec(model);
      if (providers.includes(provider)) return [];
      const where = settings.taskOverrides[task.name]?.model
        ? "the config file's tasks"
        : settings.defaultModel
          ? "CHAINLOG_MODEL or the config file's model"
          : 'its definition';
      return [`"${task.name}" uses ${model} (from ${where}), but no provider is called "${provider}"`];
    }),
  ];
  if (problems.length === 0) return;
  throw new TaskRouteError(
    [
      ...problems,
      `Tasks: ${taskNames.map((name) => `"${name}"`).join(', ')}. Providers: ${providers.join(', ')} (more in the config file's "providers").`,
    ].join('\n'),
  );
}
