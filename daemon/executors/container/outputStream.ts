import { Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { LogStream } from '../../protocol/dto';

/** Bytes of each stream to drop before delivering: what a previous daemon already stored. */
export interface SkipBytes {
  stdout: number;
  stderr: number;
}

/**
 * Demultiplexes a non-TTY attach or logs stream of the Engine API into `onOutput`, dropping the first
 * `skip` bytes of each stream. Resolves once the stream has ended, so every byte was delivered before
 * the caller cleans up; it never rejects (a broken connection ends the output like an end would).
 */
export function deliverOutput(
  docker: Dockerode,
  stream: NodeJS.ReadableStream,
  onOutput: (stream: LogStream, chunk: Buffer) => void,
  skip: SkipBytes = { stdout: 0, stderr: 0 },
): Promise<void> {
  const left = { ...skip };
  // demuxStream calls write() synchronously per frame, so order within each stream is kept.
  const writer = (name: LogStream) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (left[name] >= chunk.length) {
          left[name] -= chunk.length;
        } else {
          const rest = left[name] > 0 ? chunk.subarray(left[name]) : chunk;
          left[name] = 0;
          onOutput(name, rest);
        }
        callback();
      },
    });
  return new Promise((resolve) => {
    docker.modem.demuxStream(stream, writer('stdout'), writer('stderr'));
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', () => resolve());
  });
}
