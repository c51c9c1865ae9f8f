// The fixed value lists of the schemas, in a module without zod: the client's pages read them (filters, the guards
// in output-guards.ts) without loading zod, which a bundler cannot drop from a module that builds a schema.

export const CHAIN_STATUSES = ['running', 'succeeded', 'failed', 'interrupted'] as const;

export const INTENTS = [
  'order_status',
  'refund_request',
  'cancellation',
  'product_question',
  'billing',
  'account_access',
  'complaint',
  'feedback',
  'other',
] as const;

export const URGENCIES = ['low', 'normal', 'high'] as const;

export const REPLY_TONES = ['apologetic', 'helpful', 'appreciative', 'neutral'] as const;
