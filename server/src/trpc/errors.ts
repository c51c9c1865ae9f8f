import { TRPCError } from '@trpc/server';

/** NOT_FOUND naming the thing and its id, for a service that answered null. */
export function notFound(what: string, id: string): TRPCError {
  return new TRPCError({ code: 'NOT_FOUND', message: `no ${what} has id ${id}` });
}
