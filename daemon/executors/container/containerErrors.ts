/** Why a container job could not run, as a code the queue and clients can branch on. */
export type ContainerErrorCode =
  | 'docker_unreachable'
  | 'docker_timeout'
  | 'image_missing'
  | 'no_network_pool'
  | 'sidecar_failed'
  | 'setup_failed'
  | 'not_started';

/** A container job failed before or around its start; the message says what to do next. */
export class ContainerError extends Error {
  constructor(
    readonly code: ContainerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ContainerError';
  }

  static is(e: unknown, code?: ContainerErrorCode): e is ContainerError {
    return e instanceof ContainerError && (code === undefined || e.code === code);
  }
}

/** HTTP status of an error from the Engine API (dockerode sets `statusCode`), if it is one. */
export function dockerStatus(e: unknown): number | undefined {
  if (typeof e === 'object' && e !== null && 'statusCode' in e && typeof e.statusCode === 'number') {
    return e.statusCode;
  }
  return undefined;
}

/** The engine's own explanation of a failed API call, without dockerode's "(HTTP code …)" prefix. */
export function dockerReason(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'json' in e) {
    const json: unknown = e.json;
    if (typeof json === 'object' && json !== null && 'message' in json && typeof json.message === 'string') {
      return json.message;
    }
  }
  return e instanceof Error ? e.message : String(e);
}

export function imageMissing(image: string): ContainerError {
  return new ContainerError('image_missing', `image ${image} is missing — run runtime-images/build`);
}
