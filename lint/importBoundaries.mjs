// ESLint rule `cronium/import-boundaries`: DESIGN.md's layers as a table (eslint.config.mjs holds it).
// An import is judged by what it resolves to, a folder of this repository or a package, not by its text:
// `../daemon/daemonConnection` is the extension's own extension/daemon/ from extension/jobs/, and the
// daemon's folder from extension/. ESLint's no-restricted-imports only sees the text.
import { builtinModules } from 'node:module';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

const SOURCE_EXTENSIONS = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const BUILTINS = new Set(builtinModules);

/** `vscode-jsonrpc/node` → `vscode-jsonrpc`, `@scope/pkg/x` → `@scope/pkg`, `fs` and `node:fs` → `node:fs`. */
function packageOf(specifier) {
  if (specifier.startsWith('node:')) return specifier;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return BUILTINS.has(name) ? `node:${name}` : name;
}

/** True when `path` (repository-relative, no extension) is `folder` or lies inside it. */
function inFolder(path, folder) {
  return path === folder || path.startsWith(`${folder}/`);
}

function packageMatches(name, pattern) {
  return pattern === 'node:*' ? name.startsWith('node:') : name === pattern;
}

/** What an import names: `{ folder }` for a file of the repository, `{ package }` for anything else. */
function targetOf(specifier, fromFile, root) {
  if (!specifier.startsWith('.') && !isAbsolute(specifier)) return { package: packageOf(specifier) };
  const path = relative(root, resolve(dirname(fromFile), specifier)).split(sep).join('/').replace(SOURCE_EXTENSIONS, '');
  return { folder: path };
}

function describe(target) {
  return target.package ?? target.folder;
}

/** Why `layer` forbids `target` (imported with `typeOnly`), or undefined. */
function violation(layer, target, typeOnly) {
  if (target.folder !== undefined) {
    if (typeOnly && (layer.typesFrom ?? []).some((f) => inFolder(target.folder, f))) return undefined;
    if ((layer.mayNotImport?.folders ?? []).some((f) => inFolder(target.folder, f))) return layer.because;
    const only = layer.mayImportOnly?.folders;
    if (only && !only.some((f) => inFolder(target.folder, f))) return layer.because;
    return undefined;
  }
  if ((layer.mayNotImport?.packages ?? []).some((p) => packageMatches(target.package, p))) return layer.because;
  const only = layer.mayImportOnly?.packages;
  if (only && !only.some((p) => packageMatches(target.package, p))) return layer.because;
  return undefined;
}

function appliesTo(layer, file) {
  return layer.from.some((f) => inFolder(file, f)) && !(layer.except ?? []).some((f) => inFolder(file, f));
}

const folderList = { type: 'array', items: { type: 'string' } };
const layerSchema = {
  type: 'object',
  properties: {
    from: folderList,
    except: folderList,
    mayNotImport: { type: 'object', properties: { folders: folderList, packages: folderList }, additionalProperties: false },
    mayImportOnly: { type: 'object', properties: { folders: folderList, packages: folderList }, additionalProperties: false },
    typesFrom: folderList,
    because: { type: 'string' },
  },
  required: ['from', 'because'],
  additionalProperties: false,
};

export const importBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: "Keeps each layer's imports to what DESIGN.md allows it" },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          layers: { type: 'array', items: layerSchema },
          knownViolations: {
            type: 'array',
            items: {
              type: 'object',
              properties: { file: { type: 'string' }, imports: { type: 'string' }, because: { type: 'string' } },
              required: ['file', 'imports', 'because'],
              additionalProperties: false,
            },
          },
        },
        required: ['root', 'layers'],
        additionalProperties: false,
      },
    ],
    messages: { forbidden: "{{file}} may not import '{{target}}': {{because}}." },
  },
  create(context) {
    const { root, layers, knownViolations = [] } = context.options[0];
    const file = relative(root, context.filename).split(sep).join('/');
    const fileNoExt = file.replace(SOURCE_EXTENSIONS, '');
    const applicable = layers.filter((layer) => appliesTo(layer, fileNoExt));
    if (applicable.length === 0) return {};

    function check(node, specifier, typeOnly) {
      if (typeof specifier !== 'string') return;
      const target = targetOf(specifier, context.filename, root);
      if (knownViolations.some((k) => k.file === file && k.imports === describe(target))) return;
      for (const layer of applicable) {
        const because = violation(layer, target, typeOnly);
        if (because !== undefined) {
          context.report({ node, messageId: 'forbidden', data: { file, target: describe(target), because } });
          return;
        }
      }
    }
    const allTypes = (node) =>
      node.importKind === 'type' ||
      node.exportKind === 'type' ||
      (node.specifiers?.length > 0 && node.specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type'));

    return {
      ImportDeclaration: (node) => check(node.source, node.source.value, allTypes(node)),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value, allTypes(node)),
      ExportAllDeclaration: (node) => check(node.source, node.source.value, node.exportKind === 'type'),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value, false),
      TSImportEqualsDeclaration: (node) =>
        node.moduleReference.type === 'TSExternalModuleReference' &&
        check(node.moduleReference.expression, node.moduleReference.expression.value, node.importKind === 'type'),
      CallExpression: (node) =>
        node.callee.type === 'Identifier' &&
        node.callee.name === 'require' &&
        node.arguments[0]?.type === 'Literal' &&
        check(node.arguments[0], node.arguments[0].value, false),
    };
  },
};
