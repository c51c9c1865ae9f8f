/**
 * Splits a script of SQL statements at its top-level semicolons, for drivers that run one statement per call (PGlite's
 * extended protocol). Semicolons inside quotes, quoted identifiers, dollar-quoted bodies and comments stay put.
 */
export function splitSqlScript(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let index = 0;
  while (index < script.length) {
    const char = script.charAt(index);
    if (char === "'" || char === '"') {
      index = script.indexOf(char, index + 1);
      // A doubled quote inside is an escaped one: the scan goes on past it.
      while (index !== -1 && script[index + 1] === char) index = script.indexOf(char, index + 2);
      if (index === -1) throw new Error(`unterminated ${char} quote in SQL script`);
      index++;
      continue;
    }
    if (char === '-' && script[index + 1] === '-') {
      const end = script.indexOf('\n', index);
      index = end === -1 ? script.length : end + 1;
      continue;
    }
    if (char === '/' && script[index + 1] === '*') {
      const end = script.indexOf('*/', index + 2);
      if (end === -1) throw new Error('unterminated comment in SQL script');
      index = end + 2;
      continue;
    }
    if (char === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(script.slice(index))?.[0];
      if (tag) {
        const end = script.indexOf(tag, index + tag.length);
        if (end === -1) throw new Error(`unterminated ${tag} body in SQL script`);
        index = end + tag.length;
        continue;
      }
    }
    if (char === ';') {
      statements.push(script.slice(start, index));
      start = index + 1;
    }
    index++;
  }
  statements.push(script.slice(start));
  return statements.map((statement) => statement.trim()).filter((statement) => statement.length > 0);
}
