import { z } from 'zod';
import { postgresText } from './text.js';

/**
 * The most a task name, model or provider filter holds: far above any real one, and a clear BAD_REQUEST where a
 * longer one made a GET too long for the server to read (431, no body).
 */
export const FILTER_TEXT_MAX_LENGTH = 1_000;

/** A name, model or provider to filter by: one character at least, text PostgreSQL can hold. */
export const filterTextSchema = postgresText(z.string().min(1).max(FILTER_TEXT_MAX_LENGTH));
