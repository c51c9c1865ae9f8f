import { z } from 'zod';
import { postgresText } from './text.js';

/**
 * The most a task name, model or provider filter holds: far above any real one, and a clear BAD_REQUEST where a
 * longer one made a GET too long for the server to read (431, no body). Characters, not bytes: percent-encoded, one
 * can take 12 (a CJK character 9), and the Logs page sends each filter twice in one GET (list and count).
 */
export const FILTER_TEXT_MAX_LENGTH = 200;

/** A name, model or provider to filter by: one character at least, text PostgreSQL can hold. */
export const filterTextSchema = postgresText(z.string().min(1).max(FILTER_TEXT_MAX_LENGTH));
