import { toJsonb } from '../db/jsonb.js';
import type { ResolvedParams } from './inference-params.js';
import type { ChatMessage } from './messages.js';
import type { RequestTemplate } from './request-template.js';
import type { RegisteredTask } from './tasks.js';

/** An attempt's request as its log row stores it: what its template does not hold, and the template. */
export interface RequestParts {
  /** The request column: `{ messages (after the template's system messages), params, requestedModel }` as jsonb. */
  request: string;
  template: RequestTemplate;
}

/**
 * Splits an attempt's request `{ messages, output: { name, schema }, params, requestedModel }` into the part every
 * call of the task repeats (the output schema and the leading system messages: request_template, stored once) and
 * the rest (the row's request column). The view inference_log_request puts them back together.
 */
export function requestParts(
  registered: RegisteredTask,
  messages: readonly ChatMessage[],
  params: ResolvedParams,
  requestedModel: string,
): RequestParts {
  const template = registered.requestTemplates.for(messages);
  const rest = template.systemMessageCount === 0 ? messages : messages.slice(template.systemMessageCount);
  return {
    request: `{"messages":${toJsonb(rest)},"params":${toJsonb(params)},"requestedModel":${toJsonb(requestedModel)}}`,
    template,
  };
}
