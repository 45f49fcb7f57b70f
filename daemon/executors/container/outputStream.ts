import { Readable, Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { LogStream } from '../../protocol/dto';

/** Byte counts per stream: what to skip before delivering, and how far a stream has been read. */
export interface StreamBytes {
  stdout: number;
  stderr: number;
}

/** A stream being delivered: `done` once it ended, `read` how many bytes of each stream it carried. */
export interface Delivery {
  /** Settles when the stream is over: true when the engine ended it, false when the connection broke. */
  done: Promise<boolean>;
  /** Bytes of each stream read so far, skipped ones included: the offset to resume a later read at. */
  read: StreamBytes;
  /** Stops delivering (and reading): nothing reaches `onOutput` after this returns. */
  cancel(): void;
}

/**
 * Demultiplexes a non-TTY attach or logs stream of the Engine API into `onOutput`, dropping the first
 * `skip` bytes of each stream. `done` resolves once the stream has ended, so every byte was delivered
 * before the caller cleans up; it never rejects.
 */
export function deliverOutput(
  docker: Dockerode,
  stream: NodeJS.ReadableStream,
  onOutput: (stream: LogStream, chunk: Buffer) => void,
  skip: StreamBytes = { stdout: 0, stderr: 0 },
): Delivery {
  const read: StreamBytes = { stdout: 0, stderr: 0 };
  let cancelled = false;
  // demuxStream calls write() synchronously per frame, so order within each stream is kept.
  const writer = (name: LogStream) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (cancelled) return callback();
        const start = read[name];
        read[name] += chunk.length;
        if (read[name] > skip[name]) onOutput(name, start >= skip[name] ? chunk : chunk.subarray(skip[name] - start));
        callback();
      },
    });
  const done = new Promise<boolean>((resolve) => {
    docker.modem.demuxStream(stream, writer('stdout'), writer('stderr'));
    stream.once('end', () => resolve(true));
    stream.once('close', () => resolve(false));
    stream.once('error', () => resolve(false));
  });
  const cancel = () => {
    cancelled = true;
    if ('destroy' in stream && typeof stream.destroy === 'function') stream.destroy();
  };
  return { done, read, cancel };
}

/**
 * Delivers what a container logged beyond `from`, read in one piece. Following a log can end a moment
 * before the engine wrote the container's last bytes (a partial last line is flushed when the log closes),
 * so once the container has exited its complete log is read again and only the missing tail is delivered.
 */
export async function deliverLogTail(
  docker: Dockerode,
  container: Dockerode.Container,
  from: StreamBytes,
  onOutput: (stream: LogStream, chunk: Buffer) => void,
): Promise<void> {
  const log = await container.logs({ follow: false, stdout: true, stderr: true });
  await deliverOutput(docker, Readable.from([log]), onOutput, { ...from }).done;
}
