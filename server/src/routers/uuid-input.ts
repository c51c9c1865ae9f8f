import { z } from 'zod';

/**
 * A UUID as the server keys it: in lower case, as PostgreSQL prints one. The database compares uuids whatever their
 * case, but the live event fan-out keys chains by text: a chain followed by its id in upper case heard no live event.
 */
export const uuidInput = z.uuid().transform((id) => id.toLowerCase());
