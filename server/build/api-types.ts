import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { API_PACKAGE } from './api-package.js';

// `npm run build:api-types`: the router's type for other projects, as one declaration file that spells out every
// procedure's input and output. A consumer's tsc then reads this file and tRPC's types, not the server's source,
// the SDKs or the server's compiler flags (the context, which holds the database and SDK clients, becomes `object`).
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ROUTER_FILE = path.join(REPO_ROOT, 'server/src/routers/app.ts');
// dist/api, or the folder given as the first argument (a test writes its own, beside other runs).
const OUT_DIR = path.resolve(process.argv[2] ?? path.join(REPO_ROOT, 'dist/api'));

const configPath = path.join(REPO_ROOT, 'server/tsconfig.json');
const config = ts.getParsedCommandLineOfConfigFile(
  configPath,
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  },
);
if (!config) throw new Error(`cannot read ${configPath}`);
const program = ts.createProgram([ROUTER_FILE], config.options);
const checker = program.getTypeChecker();

const routerSource = program.getSourceFile(ROUTER_FILE);
const routerSymbol = routerSource && checker.getSymbolAtLocation(routerSource);
const appRouterExport =
  routerSymbol && checker.getExportsOfModule(routerSymbol).find((symbol) => symbol.name === 'AppRouter');
if (!appRouterExport) throw new Error(`${ROUTER_FILE} exports no AppRouter`);
const appRouter = checker.getDeclaredTypeOfSymbol(appRouterExport);

function property(type: ts.Type, name: string, where: string): ts.Type {
  const symbol = checker.getPropertyOfType(type, name);
  if (!symbol) throw new Error(`${where} has no property ${name}`);
  return checker.getTypeOfSymbol(symbol);
}

function isFromDefaultLibrary(symbol: ts.Symbol | undefined): boolean {
  return (
    symbol?.declarations?.some((declaration) => program.isSourceFileDefaultLibrary(declaration.getSourceFile())) ??
    false
  );
}

function isFromPackage(symbol: ts.Symbol | undefined, name: string): boolean {
  return (
    symbol?.declarations?.some((declaration) =>
      declaration.getSourceFile().fileName.includes(`/node_modules/${name}/`),
    ) ?? false
  );
}

function propertyName(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

/** The type written out in full: object types by their members, the standard library's by name. */
function print(type: ts.Type, where: string, indent: string, printing: ReadonlySet<ts.Type>): string {
  const next = `${indent}  `;
  const inner = (member: ts.Type, at: string) => print(member, at, indent, printing);
  if (type.aliasSymbol?.name === '$ZodIssue' && isFromPackage(type.aliasSymbol, 'zod')) return 'ValidationIssue';
  if (type.aliasSymbol && isFromDefaultLibrary(type.aliasSymbol)) {
    const args = type.aliasTypeArguments?.map((argument) => inner(argument, where)) ?? [];
    return args.length > 0 ? `${type.aliasSymbol.name}<${args.join(', ')}>` : type.aliasSymbol.name;
  }
  const flags = type.flags;
  if (flags & ts.TypeFlags.Any || flags & ts.TypeFlags.Unknown) return 'unknown';
  if (
    flags &
    (ts.TypeFlags.String |
      ts.TypeFlags.Number |
      ts.TypeFlags.Boolean |
      ts.TypeFlags.BigInt |
      ts.TypeFlags.Null |
      ts.TypeFlags.Undefined |
      ts.TypeFlags.Void |
      ts.TypeFlags.Never |
      ts.TypeFlags.ESSymbol |
      ts.TypeFlags.NonPrimitive)
  ) {
    return checker.typeToString(type);
  }
  if (type.isStringLiteral()) return JSON.stringify(type.value);
  if (type.isNumberLiteral()) return String(type.value);
  if (flags & ts.TypeFlags.BooleanLiteral || flags & ts.TypeFlags.TemplateLiteral) return checker.typeToString(type);
  if (type.isUnion()) {
    const members = type.types;
    const hasTrue = members.some(
      (member) => member.flags & ts.TypeFlags.BooleanLiteral && checker.typeToString(member) === 'true',
    );
    const hasFalse = members.some(
      (member) => member.flags & ts.TypeFlags.BooleanLiteral && checker.typeToString(member) === 'false',
    );
    const printed = members
      .filter((member) => !(hasTrue && hasFalse && member.flags & ts.TypeFlags.BooleanLiteral))
      .map((member) => inner(member, where));
    return [...(hasTrue && hasFalse ? ['boolean'] : []), ...printed].join(' | ');
  }
  if (type.isIntersection()) return type.types.map((member) => `(${inner(member, where)})`).join(' & ');
  if (!(flags & ts.TypeFlags.Object)) throw new Error(`${where}: cannot write the type ${checker.typeToString(type)}`);
  if (checker.isArrayType(type)) {
    const [element] = checker.getTypeArguments(type as ts.TypeReference);
    if (!element) throw new Error(`${where}: an array without an element type`);
    return `Array<${inner(element, `${where}[]`)}>`;
  }
  if (checker.isTupleType(type)) {
    return `[${checker
      .getTypeArguments(type as ts.TypeReference)
      .map((element, index) => inner(element, `${where}[${index}]`))
      .join(', ')}]`;
  }
  const symbol = type.getSymbol();
  if (isFromDefaultLibrary(symbol) && symbol) {
    const args = (type as ts.TypeReference).target ? checker.getTypeArguments(type as ts.TypeReference) : [];
    return args.length > 0
      ? `${symbol.name}<${args.map((argument) => inner(argument, where)).join(', ')}>`
      : symbol.name;
  }
  if (printing.has(type))
    throw new Error(`${where}: a recursive type (${checker.typeToString(type)}) cannot be written out`);
  if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) {
    throw new Error(`${where}: a function (${checker.typeToString(type)}) cannot cross the API`);
  }
  const nested = new Set(printing).add(type);
  const lines: string[] = [];
  for (const info of checker.getIndexInfosOfType(type)) {
    lines.push(
      `${next}[key: ${checker.typeToString(info.keyType)}]: ${print(info.type, `${where}[key]`, next, nested)};`,
    );
  }
  for (const member of checker.getPropertiesOfType(type)) {
    const optional = member.flags & ts.SymbolFlags.Optional ? '?' : '';
    lines.push(
      `${next}${propertyName(member.name)}${optional}: ${print(checker.getTypeOfSymbol(member), `${where}.${member.name}`, next, nested)};`,
    );
  }
  return lines.length > 0 ? `{\n${lines.join('\n')}\n${indent}}` : '{}';
}

const PROCEDURE_TYPES: Record<string, string> = {
  query: 'TRPCQueryProcedure',
  mutation: 'TRPCMutationProcedure',
  subscription: 'TRPCSubscriptionProcedure',
};

/** A router record: each procedure as tRPC's procedure type over its written-out input and output. */
function printRecord(record: ts.Type, where: string, indent: string): string {
  const next = `${indent}  `;
  const lines = checker.getPropertiesOfType(record).map((member) => {
    const value = checker.getTypeOfSymbol(member);
    const at = where ? `${where}.${member.name}` : member.name;
    const definition = checker.getPropertyOfType(value, '_def') && property(value, '_def', at);
    if (!definition || !checker.getPropertyOfType(definition, 'procedure'))
      return `${next}${propertyName(member.name)}: ${printRecord(value, at, next)};`;
    const kind = checker.typeToString(property(definition, 'type', at)).replaceAll('"', '');
    const procedureType = PROCEDURE_TYPES[kind];
    if (!procedureType) throw new Error(`${at}: unknown procedure type ${kind}`);
    const types = property(definition, '$types', at);
    const input = print(property(types, 'input', at), `${at} input`, `${next}  `, new Set());
    const output = print(property(types, 'output', at), `${at} output`, `${next}  `, new Set());
    return `${next}${propertyName(member.name)}: ${procedureType}<{\n${next}  input: ${input};\n${next}  output: ${output};\n${next}  meta: object;\n${next}}>;`;
  });
  return `{\n${lines.join('\n')}\n${indent}}`;
}

const definition = property(appRouter, '_def', 'AppRouter');
const rootTypes = property(property(definition, '_config', 'AppRouter._def'), '$types', 'AppRouter._def._config');
const errorShape = print(property(rootTypes, 'errorShape', 'root types'), 'errorShape', '  ', new Set());
const transformer = checker.typeToString(property(rootTypes, 'transformer', 'root types'));
const record = printRecord(property(definition, 'record', 'AppRouter._def'), '', '');

const declaration = `// Generated by \`npm run build:api-types\` from server/src/routers/app.ts: do not edit.
// Needs @trpc/server and @trpc/client ${API_PACKAGE.trpcVersion} (the version the server runs).
import type { TRPCBuiltRouter, TRPCMutationProcedure, TRPCQueryProcedure, TRPCSubscriptionProcedure } from '@trpc/server';

/** One of zod's issues, as \`error.data.issues\` carries them for BAD_REQUEST (more fields by \`code\`). */
export interface ValidationIssue {
  code: string;
  path: Array<string | number>;
  message: string;
  [detail: string]: unknown;
}

/** The Chainlog API: \`createTRPCClient<AppRouter>(...)\`. */
export type AppRouter = TRPCBuiltRouter<{
  ctx: object;
  meta: object;
  errorShape: ${errorShape};
  transformer: ${transformer};
}, ${record}>;
`;

mkdirSync(OUT_DIR, { recursive: true });
writeFileSync(path.join(OUT_DIR, 'index.d.ts'), declaration);
writeFileSync(path.join(OUT_DIR, 'package.json'), `${JSON.stringify(API_PACKAGE.manifest, null, 2)}\n`);
