import { Message, type DataCallback, type Disposable, type MessageReader } from 'vscode-jsonrpc';

/** What the guard decided about one incoming message. */
export type Verdict = 'pass' | 'drop';

/**
 * Sits between the socket and the JSON-RPC connection and shows every decoded message to `inspect`
 * first, so a session can refuse anything before `lifecycle/initialize` and answer malformed
 * messages itself instead of letting them reach the dispatcher.
 */
export class GuardedReader implements MessageReader {
  constructor(
    private readonly inner: MessageReader,
    private readonly inspect: (message: Message) => Verdict,
  ) {}

  get onError() {
    return this.inner.onError;
  }

  get onClose() {
    return this.inner.onClose;
  }

  get onPartialMessage() {
    return this.inner.onPartialMessage;
  }

  listen(callback: DataCallback): Disposable {
    return this.inner.listen((message) => {
      if (this.inspect(message) === 'pass') callback(message);
    });
  }

  dispose(): void {
    this.inner.dispose();
  }
}

/** True for a well-formed JSON-RPC 2.0 request, notification or response object. */
export function isWellFormed(message: unknown): message is Message {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return false;
  const m = message as Message;
  if (m.jsonrpc !== '2.0') return false;
  return Message.isRequest(m) || Message.isNotification(m) || Message.isResponse(m);
}
