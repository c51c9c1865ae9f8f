import type { Llm } from '../llm/ask.js';
import { intentRecognition } from './intent-recognition.js';

/** Every task the app registers, by short name. */
export const TASKS = [intentRecognition] as const;

export type AppLlm = Llm<typeof TASKS>;
