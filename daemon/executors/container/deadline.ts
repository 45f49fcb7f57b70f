import type Dockerode from 'dockerode';
import { formatMs } from '../../durations';
import { ContainerError } from './containerErrors';
import { describeDocker } from './dockerHost';

/** A timer that can be waited on and called off; it never keeps the daemon alive by itself. */
export interface Deadline {
  readonly expired: Promise<void>;
  cancel(): void;
}

export function deadline(ms: number): Deadline {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return { expired, cancel: () => clearTimeout(timer) };
}

/** `work`, or a rejection with `onTimeout()` if it has not settled within `ms`. */
export async function withinDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  const limit = deadline(ms);
  try {
    return await Promise.race([
      work,
      limit.expired.then(() => {
        throw onTimeout();
      }),
    ]);
  } finally {
    limit.cancel();
  }
}

/** The error for an engine that accepted a request and did not answer it in time. */
export function engineTimeout(docker: Dockerode, what: string, ms: number): ContainerError {
  return new ContainerError(
    'docker_timeout',
    `Docker at ${describeDocker(docker)} did not ${what} within ${formatMs(ms)} — is the engine overloaded or hung? ` +
      '(`docker info` should answer at once)',
  );
}
