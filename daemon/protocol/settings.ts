import { RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { ErrorData } from './errors';

/** Daemon settings a client may read and change. */
export interface DaemonSettings {
  /** Jobs that may run at once; default number of CPUs × 2. */
  concurrency: number;
  /** Milliseconds between SIGTERM and SIGKILL when a job is cancelled or times out; default 5000. */
  killGraceMs: number;
  /** Timeout of jobs that do not set one, in milliseconds; 0 means none. Default 0. */
  defaultTimeoutMs: number;
  /** Finished jobs and their logs are deleted after this many days; 0 keeps them for ever. Default 30. */
  logRetentionDays: number;
  /**
   * Docker engine for container jobs: a socket path, `unix://…`, `tcp://host:port` or `ssh://user@host`.
   * Empty: `$DOCKER_HOST`, else /var/run/docker.sock.
   */
  dockerHost: string;
  /** Images per runtime; `$CRONIUM_IMAGE_BASH` etc. win over these. */
  imageBash: string;
  imagePython: string;
  imageNode: string;
  imageSidecar: string;
  /**
   * Keep two container slots (network, runtime API relay, started container) ready per runtime that ran a
   * container job, so the next job with default limits starts at once; unused slots go after 10 minutes.
   * Default true.
   */
  warmContainers: boolean;
  /**
   * Niceness (0–19) host jobs run at: below the daemon's CPU priority, so that it keeps answering and
   * streaming logs while jobs fill every core (their process session's autogroup gets it too). Jobs get
   * all the CPU nobody else wants; under contention they yield. Interactive (terminal) jobs run at the
   * daemon's priority. 0 runs every job at the daemon's priority. Default 19.
   */
  jobNice: number;
  /**
   * Address of the webhook listener of workflows (`POST /hooks/workflows/{key}`), open only while a
   * workflow has a webhook trigger. Default 127.0.0.1: only this machine can reach it.
   */
  webhookHost: string;
  /** Its port; 0 picks a free one (shown in `workflows/get` as `webhookUrl`). Default 47810. */
  webhookPort: number;
  /** SSH connections per server at most (jobs share them, up to 4 at once on each). Default 4. */
  sshPoolSize: number;
  /** How long an SSH connection may take to connect and log in, in milliseconds. Default 10000. */
  sshConnectTimeoutMs: number;
  /** Keepalive interval of SSH connections (three unanswered close one), in milliseconds. Default 15000. */
  sshKeepaliveMs: number;
  /** An SSH connection no job used for this long is closed, in milliseconds. Default 300000 (5 minutes). */
  sshIdleMs: number;
  /**
   * After 5 connection failures in a row a server's circuit opens: its jobs fail at once for this long,
   * then one attempt goes through (half-open). In milliseconds; default 60000.
   */
  sshCircuitResetMs: number;
}

/** Current settings. */
export const GetSettingsRequest = new RequestType0<DaemonSettings, ErrorData>('settings/get');

/** Changes some settings; returns all of them. */
export const UpdateSettingsRequest = new RequestType<Partial<DaemonSettings>, DaemonSettings, ErrorData>(
  'settings/update',
);
