import type { Llm } from '../llm/ask.js';
import { entityExtraction } from './entity-extraction.js';
import { intentRecognition } from './intent-recognition.js';
import { replyDrafting } from './reply-drafting.js';

/** Every task the app registers, by short name. */
export const TASKS = [intentRecognition, entityExtraction, replyDrafting] as const;

export type AppLlm = Llm<typeof TASKS>;
