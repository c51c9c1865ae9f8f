/**
 * What running a statement may do to the statements prepared before it: `keeps` them (it changes no table, type or
 * function, and nothing an unqualified name resolves by), `forgets` them (DDL, or anything not known to be harmless:
 * they are prepared again), or `ends` (the end of a transaction, or a rollback to a savepoint, which takes back the
 * transaction's DDL and local settings: what was prepared after those may describe columns gone again). Forgetting
 * costs only speed; keeping a statement whose result columns changed fails it in a transaction ("cached plan must not
 * change result type").
 */
export type PreparedEffect = 'keeps' | 'forgets' | 'ends';

// Changes no catalog entry a prepared statement reads: transaction control, reading and writing rows (truncate,
// copy, merge), locks, notifications, statistics and storage (analyze, vacuum, cluster, reindex, a materialized
// view's rows), cursors, SQL-level prepare and execute, and settings but those of RESOLVING_SETTING.
const KEEPS =
  /^\s*(start|begin|savepoint|release|select|insert|update|delete|with|values|table|merge|show|lock|truncate|copy|listen|notify|unlisten|analy[sz]e|vacuum|checkpoint|cluster|reindex|refresh|declare|fetch|move|close|prepare|execute|set|reset)\b/i;
const ENDS = /^\s*(commit|end|rollback|abort|prepare\s+transaction)\b/i;
// EXPLAIN ANALYZE runs the statement it explains, which may be a CREATE TABLE AS: only a query's keeps.
const EXPLAIN = /^\s*explain\b/i;
const EXPLAINED_QUERY =
  /^\s*explain\s*(\([^)]*\)\s*)?((analy[sz]e|verbose)\s+)*(select|insert|update|delete|with|values|table|merge|execute|declare)\b/i;
// What an unqualified name resolves to: the search_path (SET SCHEMA is its alias), and the role, which "$user" in it
// names. PostgreSQL plans a statement again when they change, and refuses it when its result columns did.
const RESOLVING_SETTING =
  /^\s*(set|reset)\s+((session|local)\s+)?("?search_path"?|schema|role|session\s+authorization|all)\b/i;
// The same through set_config() in a select, the way a query changes a setting (the seed's prepareSeedTransaction).
const SELECT = /^\s*select\b/i;
const RESOLVING_SET_CONFIG = /\bset_config\s*\(\s*'(search_path|role|session_authorization)'/i;

export function preparedEffectOf(sql: string): PreparedEffect {
  if (RESOLVING_SETTING.test(sql) || (SELECT.test(sql) && RESOLVING_SET_CONFIG.test(sql))) return 'forgets';
  if (ENDS.test(sql)) return 'ends';
  if (EXPLAIN.test(sql)) return EXPLAINED_QUERY.test(sql) ? 'keeps' : 'forgets';
  return KEEPS.test(sql) ? 'keeps' : 'forgets';
}
