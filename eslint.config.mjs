import js from '@eslint/js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';
import { importBoundaries } from './lint/importBoundaries.mjs';

// DESIGN.md §2: inside the daemon the flow is one way, rpc → scheduler | workflows | runtimeApi → queue →
// executors | store. Folders are repository-relative; a file's layers all apply to it. `typesFrom` lets
// `import type` reach a contract file a layer is handed at run time, never its code.
const DAEMON_INTERNALS = ['daemon/rpc', 'daemon/scheduler', 'daemon/events', 'daemon/workflows', 'daemon/runtimeApi', 'daemon/queue', 'daemon/servers'];
const LAYERS = [
  {
    from: ['daemon'],
    mayNotImport: { packages: ['vscode'], folders: ['extension', 'webviews'] },
    because: 'the daemon runs in plain Node.js, outside the editor',
  },
  {
    from: ['daemon'],
    except: ['daemon/cli'],
    mayNotImport: { folders: ['daemon/cli'] },
    because: 'the CLI is a client of the daemon, not part of it',
  },
  {
    from: ['daemon/protocol'],
    mayImportOnly: { folders: ['daemon/protocol'], packages: ['vscode-jsonrpc'] },
    because: 'the protocol is the contract every client shares: it imports nothing but vscode-jsonrpc types and its own files',
  },
  {
    from: ['daemon', 'extension'],
    except: ['daemon/store'],
    mayNotImport: { packages: ['better-sqlite3'] },
    because: 'only daemon/store/ touches SQLite',
  },
  {
    from: ['daemon', 'extension'],
    except: ['daemon/executors'],
    mayNotImport: { packages: ['dockerode', 'docker-modem', 'ssh2'] },
    because: 'only daemon/executors/ talk to Docker and SSH',
  },
  {
    from: ['daemon/store'],
    mayNotImport: { folders: [...DAEMON_INTERNALS, 'daemon/executors'] },
    because: 'the store is the bottom layer: it knows no queue, RPC, runtime API or executor',
  },
  {
    from: ['daemon/executors'],
    mayNotImport: { folders: [...DAEMON_INTERNALS, 'daemon/store'] },
    // An executor serves the runtime API to its job through a handler it is given (RuntimeRequestHandler).
    typesFrom: ['daemon/runtimeApi/types'],
    because: 'executors run what the queue hands them and know nothing above it, nor the store',
  },
  {
    from: ['daemon/queue'],
    mayNotImport: { folders: ['daemon/rpc', 'daemon/scheduler', 'daemon/events', 'daemon/workflows', 'daemon/runtimeApi'] },
    because: 'the queue is below rpc, events, scheduler, workflows and the runtime API (it is handed a token issuer)',
  },
  {
    from: ['daemon/events', 'daemon/scheduler'],
    mayNotImport: { folders: ['daemon/rpc'] },
    because: 'events and the scheduler are below rpc',
  },
  {
    from: ['daemon/runtimeApi'],
    mayNotImport: { folders: ['daemon/rpc'] },
    because: 'the runtime API is below rpc',
  },
  {
    from: ['daemon/workflows'],
    mayNotImport: { folders: ['daemon/rpc', 'daemon/runtimeApi', 'daemon/executors'] },
    because: 'the workflow engine is below rpc and submits work through the queue, never to an executor',
  },
  {
    from: ['daemon/events', 'daemon/scheduler'],
    mayNotImport: { folders: ['daemon/workflows'] },
    because: 'workflows build on events and the schedule math, not the other way round',
  },
  {
    from: ['daemon/servers'],
    mayNotImport: { folders: ['daemon/rpc', 'daemon/queue', 'daemon/scheduler', 'daemon/events', 'daemon/workflows', 'daemon/runtimeApi', 'daemon/executors'] },
    // The SSH executor is loaded on first use (its own bundle): servers are handed it, and know its types only.
    typesFrom: ['daemon/executors/ssh'],
    because: 'servers are below rpc and beside the queue; they reach the SSH executor through what they are handed',
  },
  {
    from: ['daemon/cli'],
    mayNotImport: {
      folders: [...DAEMON_INTERNALS, 'daemon/executors', 'daemon/store', 'daemon/logs', 'daemon/daemon', 'daemon/main'],
    },
    // `cronium daemon start --foreground` runs the daemon bundle (dist/daemon.js) in its process.
    typesFrom: ['daemon/daemon'],
    because: 'the CLI is a client of the protocol: the daemon stays in its own bundle',
  },
  {
    from: ['extension'],
    mayImportOnly: {
      folders: ['extension', 'daemon/protocol', 'daemon/client', 'webviews/protocol'],
      packages: ['vscode', 'vscode-jsonrpc', 'node:*'],
    },
    because: 'the extension is a thin client: vscode, Node.js, the protocol and the shared client library',
  },
  {
    from: ['webviews'],
    mayImportOnly: {
      folders: ['webviews'],
      packages: ['react', 'react-dom', '@xyflow/react', '@dagrejs/dagre', 'zod', '@vscode-elements/react-elements', '@vscode/codicons'],
    },
    // DTOs of the daemon's protocol reach a webview through the extension, as data.
    typesFrom: ['daemon/protocol'],
    because: 'a webview runs in a browser: React and its libraries, its own messages, and the protocol\'s types only (no Node.js, no vscode)',
  },
];
// Imports that break a rule today, in files being restructured; each is to go, not to be added to.
const KNOWN_VIOLATIONS = [
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'runtime-images/**', 'helpers/**', 'test/e2e/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  {
    files: ['daemon/**/*.ts', 'extension/**/*.ts', 'webviews/**/*.ts', 'webviews/**/*.tsx'],
    plugins: { cronium: { rules: { 'import-boundaries': importBoundaries } } },
    rules: {
      'cronium/import-boundaries': [
        'error',
        { root: dirname(fileURLToPath(import.meta.url)), layers: LAYERS, knownViolations: KNOWN_VIOLATIONS },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        setTimeout: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module' } },
);
