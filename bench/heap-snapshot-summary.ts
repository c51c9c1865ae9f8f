import { readFileSync } from 'node:fs';

/** One kind of object (its snapshot type and constructor or closure name) that a later snapshot holds anew. */
export interface NewObjects {
  kind: string;
  count: number;
  bytes: number;
  /** What holds them (the first retainer's kind and edge), with the bytes each holds, most first. */
  heldBy: { by: string; bytes: number }[];
}

interface RawSnapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const NAMED_TYPES = new Set(['object', 'closure', 'native', 'array', 'hidden']);

/**
 * The objects in the `after` heap snapshot that `before` did not hold (V8 keeps an object's id across snapshots of
 * one process), summed by kind, largest first, each with what holds it.
 */
export function newObjectsBetween(beforeFile: string, afterFile: string): NewObjects[] {
  const before = JSON.parse(readFileSync(beforeFile, 'utf8')) as RawSnapshot;
  const beforeWidth = before.snapshot.meta.node_fields.length;
  const beforeIdAt = before.snapshot.meta.node_fields.indexOf('id');
  const oldIds = new Set<number>();
  for (let index = 0; index < before.nodes.length; index += beforeWidth)
    oldIds.add(before.nodes[index + beforeIdAt] ?? -1);

  const after = JSON.parse(readFileSync(afterFile, 'utf8')) as RawSnapshot;
  const { meta } = after.snapshot;
  const width = meta.node_fields.length;
  const [typeAt, nameAt, idAt, sizeAt, edgeCountAt] = ['type', 'name', 'id', 'self_size', 'edge_count'].map((field) =>
    meta.node_fields.indexOf(field),
  ) as [number, number, number, number, number];
  const edgeWidth = meta.edge_fields.length;
  const kindOf = (node: number): string => {
    const type = meta.node_types[0][after.nodes[node + typeAt] ?? 0] ?? 'unknown';
    // Strings, code and numbers by type alone: their "names" are their contents.
    if (!NAMED_TYPES.has(type)) return type;
    return `${type}:${(after.strings[after.nodes[node + nameAt] ?? 0] ?? '').slice(0, 50)}`;
  };
  const firstRetainer = new Map<number, string>();
  let edge = 0;
  for (let node = 0; node < after.nodes.length; node += width) {
    const edges = after.nodes[node + edgeCountAt] ?? 0;
    for (let counted = 0; counted < edges; counted++, edge += edgeWidth) {
      const edgeType = meta.edge_types[0][after.edges[edge] ?? 0] ?? '';
      const target = after.edges[edge + 2] ?? 0;
      if (edgeType === 'weak' || firstRetainer.has(target)) continue;
      const nameOrIndex = after.edges[edge + 1] ?? 0;
      const edgeName =
        edgeType === 'element' || edgeType === 'hidden' ? `[${edgeType}]` : `.${after.strings[nameOrIndex]}`;
      firstRetainer.set(target, `${kindOf(node)}${edgeName}`);
    }
  }
  const byKind = new Map<string, { count: number; bytes: number; heldBy: Map<string, number> }>();
  for (let node = 0; node < after.nodes.length; node += width) {
    if (oldIds.has(after.nodes[node + idAt] ?? -1)) continue;
    const kind = kindOf(node);
    const bytes = after.nodes[node + sizeAt] ?? 0;
    const entry = byKind.get(kind) ?? { count: 0, bytes: 0, heldBy: new Map<string, number>() };
    entry.count++;
    entry.bytes += bytes;
    const by = firstRetainer.get(node) ?? '(nothing)';
    entry.heldBy.set(by, (entry.heldBy.get(by) ?? 0) + bytes);
    byKind.set(kind, entry);
  }
  return [...byKind]
    .map(([kind, entry]) => ({
      kind,
      count: entry.count,
      bytes: entry.bytes,
      heldBy: [...entry.heldBy].map(([by, bytes]) => ({ by, bytes })).sort((left, right) => right.bytes - left.bytes),
    }))
    .sort((left, right) => right.bytes - left.bytes);
}
