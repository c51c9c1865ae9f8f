import { describe, expect, it } from 'vitest';
import { splitSqlScript } from './sql-script.js';

describe('splitSqlScript', () => {
  it('splits at top-level semicolons only', () => {
    const script = `
      create table a (x text default 'a;b');
      create function f() returns int as $$ begin return 1; end $$ language plpgsql;
      -- a comment; still a comment
      select "odd;name", 'it''s; fine' from a;
      /* block; comment */ select $tag$ ; $tag$;
    `;
    expect(splitSqlScript(script)).toEqual([
      "create table a (x text default 'a;b')",
      'create function f() returns int as $$ begin return 1; end $$ language plpgsql',
      `-- a comment; still a comment
      select "odd;name", 'it''s; fine' from a`,
      '/* block; comment */ select $tag$ ; $tag$',
    ]);
  });

  it('refuses an unterminated body rather than splitting inside it', () => {
    expect(() => splitSqlScript('select $$ ; ')).toThrow(/unterminated/);
    expect(() => splitSqlScript("select ';")).toThrow(/unterminated/);
  });

  it('keeps a positional parameter as it is', () => {
    expect(splitSqlScript('select $1; select 2')).toEqual(['select $1', 'select 2']);
  });
});
