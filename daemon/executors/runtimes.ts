import { extname } from 'node:path';
import type { Runtime } from '../protocol/dto';

const BY_EXTENSION: Record<string, Runtime> = {
  '.sh': 'bash',
  '.bash': 'bash',
  '.py': 'python',
  '.js': 'node',
  '.cjs': 'node',
  '.mjs': 'node',
};

const DEFAULT_EXTENSION: Record<Runtime, string> = { bash: '.sh', python: '.py', node: '.js' };

/**
 * The runtime of a script: the explicit choice, else its shebang, else its file extension.
 * Returns undefined when none of them says.
 */
export function detectRuntime(input: { explicit?: Runtime; fileName?: string; content: string }): Runtime | undefined {
  if (input.explicit) return input.explicit;
  const fromShebang = runtimeFromShebang(input.content);
  if (fromShebang) return fromShebang;
  if (input.fileName) return BY_EXTENSION[extname(input.fileName).toLowerCase()];
  return undefined;
}

export function runtimeFromShebang(content: string): Runtime | undefined {
  if (!content.startsWith('#!')) return undefined;
  const end = content.indexOf('\n');
  const line = (end === -1 ? content : content.slice(0, end)).slice(2).trim();
  // `#!/usr/bin/env -S node --flag` and `#!/bin/bash -e` alike: look at the interpreter words.
  const words = line.split(/\s+/).map((w) => w.slice(w.lastIndexOf('/') + 1));
  for (const word of words) {
    if (/^python(\d+(\.\d+)?)?$/.test(word)) return 'python';
    if (word === 'node' || word === 'nodejs') return 'node';
    if (word === 'bash' || word === 'sh' || word === 'dash' || word === 'zsh') return 'bash';
  }
  return undefined;
}

/** Extension for the private copy of a script: the original one when it fits the runtime. */
export function scriptExtension(runtime: Runtime, fileName: string | null): string {
  const ext = fileName ? extname(fileName).toLowerCase() : '';
  return BY_EXTENSION[ext] === runtime ? ext : DEFAULT_EXTENSION[runtime];
}
