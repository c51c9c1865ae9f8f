import { z } from 'zod';

/** The structured answer of the "entity extraction" task: what a reply must refer to, each exactly as written. */
export const entityExtractionSchema = z.object({
  orderNumbers: z.array(z.string()).describe('order or reference numbers, e.g. "A-1042"'),
  products: z.array(z.string()).describe('products or plans named'),
  people: z.array(z.string()).describe('names of people, including the sender if they sign'),
  dates: z.array(z.string()).describe('dates or times mentioned, as written'),
  amounts: z.array(z.string()).describe('sums of money, as written, e.g. "$49.99"'),
});
export type EntityExtraction = z.infer<typeof entityExtractionSchema>;
