import { StringDecoder } from 'node:string_decoder';

/** The user pressed Ctrl-C at a hidden prompt: nothing is to be done, exit 130 as a shell does. */
export class PromptCancelledError extends Error {
  readonly kind = 'prompt_cancelled';

  constructor() {
    super('cancelled');
    this.name = 'PromptCancelledError';
  }

  static is(e: unknown): e is PromptCancelledError {
    return e instanceof PromptCancelledError;
  }
}

/** True when a hidden prompt can be shown: stdin is a terminal we can put in raw mode. */
export function canPrompt(stdin: NodeJS.ReadStream = process.stdin): boolean {
  return stdin.isTTY === true && typeof stdin.setRawMode === 'function';
}

/** All of stdin, as UTF-8, until its end. */
export async function readAllStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Drops exactly one trailing newline ("\n" or "\r\n"), so that `echo secret | …` stores `secret`,
 * as `gh secret set` and `docker secret create` do; any other whitespace is part of the value.
 */
export function stripOneNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

/**
 * Asks for a value on stderr with echo off (raw mode), as sudo and ssh ask for passwords: Enter (or
 * Ctrl-D) ends it, Backspace deletes a character, Ctrl-U the whole line, Ctrl-C rejects with
 * {@link PromptCancelledError}. Raw mode is set before the prompt is written, so nothing typed after
 * the prompt appears can be echoed by the terminal.
 */
export function promptHidden(label: string, stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    let typed: string[] = [];
    let escape = false;
    stdin.setRawMode(true);
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      // Echo is off, so the Enter (or ^C) the user pressed left the cursor on the prompt's line.
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed.join(''));
    };
    const onData = (chunk: Buffer) => {
      for (const char of decoder.write(chunk)) {
        if (escape) {
          // Skip an escape sequence (arrow keys, function keys): ESC [ params… final byte, or ESC + one key.
          if (char !== '[' && char !== 'O' && !/[0-9;]/.test(char)) escape = false;
          continue;
        }
        if (char === '\r' || char === '\n' || char === '\x04') return finish();
        if (char === '\x03') return finish(new PromptCancelledError());
        if (char === '\x7f' || char === '\b') typed = typed.slice(0, -1);
        else if (char === '\x15') typed = [];
        else if (char === '\x1b') escape = true;
        else if (char >= ' ' || char === '\t') typed.push(char);
        // Other control keys (Ctrl-Z, Ctrl-L…) are not part of a value.
      }
    };
    stdin.on('data', onData);
    stdin.resume();
    process.stderr.write(label);
  });
}
