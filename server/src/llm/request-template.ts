import { createHash } from 'node:crypto';
import { toJsonb } from '../db/jsonb.js';
import type { NewRequestTemplate } from '../db/tables/request-template.js';
import type { ChatMessage } from './messages.js';

/** A request_template row as written, and how many of a request's leading messages it holds. */
export interface RequestTemplate extends NewRequestTemplate {
  id: string;
  output: string;
  system_messages: string;
  systemMessageCount: number;
}

/**
 * A system prompt that changes with every call would make a template (and a statement) a call: past this many
 * distinct ones, a task's system messages stay in its rows and its template holds the output schema only.
 */
const MAX_SYSTEM_PROMPTS_PER_TASK = 16;

/** The templates of one task's requests: its output schema with each distinct run of leading system messages. */
export class RequestTemplates {
  private readonly bySystemMessages = new Map<string, RequestTemplate>();
  private readonly outputOnly: RequestTemplate;

  /** @param outputJson the task's `{ name, schema }` as jsonb text. */
  constructor(private readonly outputJson: string) {
    this.outputOnly = makeTemplate(outputJson, '[]', 0);
  }

  /** The template of a request with these messages; made (and hashed) once per distinct system prompt. */
  for(messages: readonly ChatMessage[]): RequestTemplate {
    let count = 0;
    while (messages[count]?.role === 'system') count++;
    if (count === 0) return this.outputOnly;
    const systemJson = toJsonb(messages.slice(0, count));
    const known = this.bySystemMessages.get(systemJson);
    if (known) return known;
    if (this.bySystemMessages.size >= MAX_SYSTEM_PROMPTS_PER_TASK) return this.outputOnly;
    const template = makeTemplate(this.outputJson, systemJson, count);
    this.bySystemMessages.set(systemJson, template);
    return template;
  }
}

function makeTemplate(output: string, systemMessages: string, systemMessageCount: number): RequestTemplate {
  const id = createHash('sha256').update(`{"output":${output},"systemMessages":${systemMessages}}`).digest('hex');
  return { id, output, system_messages: systemMessages, systemMessageCount };
}
