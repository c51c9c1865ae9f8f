/** One page of a keyset-paginated list: pass `nextCursor` back as `cursor` for the next one; null at the end. */
export interface Page<Item> {
  items: Item[];
  nextCursor: string | null;
}

/** `items` was fetched with `limit + 1` rows, so one extra row says another page exists. */
export function pageOf<Item extends { id: string }>(items: Item[], limit: number): Page<Item> {
  const page = items.slice(0, limit);
  return { items: page, nextCursor: items.length > limit ? (page.at(-1)?.id ?? null) : null };
}
