/**
 * The largest request body the runtime API takes (output, variable values), whichever way it arrived;
 * the sidecar relay (runtime-images/sidecar/relay.js) refuses larger bodies with the same limit.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * One HTTP request to the runtime API, whichever way it arrived: the daemon's 127.0.0.1 listener
 * (local jobs) or a container's sidecar relaying over its attached stdio (container jobs).
 */
export interface RuntimeRequest {
  method: string;
  /** Path and query, e.g. `/executions/job_x/variables/count`. */
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface RuntimeResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON text. */
  body: string;
}

/** Serves one runtime API request; never throws (errors are responses). */
export type RuntimeRequestHandler = (request: RuntimeRequest) => Promise<RuntimeResponse>;
