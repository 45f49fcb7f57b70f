import { randomBytes } from 'node:crypto';
import type { TargetOptionsInput } from '../executors/executor';
import type { JobSource, Runtime, Target } from '../protocol/dto';
import type { TerminalSize } from '../protocol/jobs';
import type { RetryPolicy } from '../store/jobStore';

/**
 * The one internal request for work. `jobs/run`, the scheduler, conditional actions and the workflow
 * engine each make one and submit it through `JobQueue.submit`: the queue never sees RPC params.
 * The runtime is known and the input resolved; the target may still be `auto` (decided at claim time).
 */
export interface JobRequest {
  source: JobSource;
  script: string;
  /** Where the script came from, for the job's name and the private copy's extension. */
  scriptName: string | null;
  runtime: Runtime;
  target: Target;
  /** What the job asks of its target (limits, network, image): each executor reads it its own way. */
  targetOptions: TargetOptionsInput;
  name: string;
  /** The job's own environment variables (sealed at rest). */
  env: Record<string, string>;
  /** Working directory; default the home's `work/` folder. */
  cwd: string | null;
  /** null: the daemon's `defaultTimeoutMs`, if any. */
  timeoutMs: number | null;
  /** What `cronium.input()` returns. */
  input: unknown;
  eventId: string | null;
  workflowRunId: string | null;
  workflowStepId: string | null;
  /** 1 for a first try; retries count up. */
  attempt: number;
  /** The schedule slot or trigger time that made the job, if any (ms since the epoch). */
  triggeredAt: number | null;
  /** Keep stdin open and give the job a pseudo-terminal of this size (never for scheduled work). */
  terminal: TerminalSize | null;
  /** Run a failed execution again (an event's retries). */
  retries: RetryPolicy | null;
  /** Target `ssh`: the servers (ids) to run on, one execution each, in parallel. */
  servers?: string[];
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomId(prefix: string): string {
  const bytes = randomBytes(12);
  let id = prefix;
  for (const b of bytes) id += ID_ALPHABET[b % ID_ALPHABET.length];
  return id;
}

/** `job_` and 12 random letters and digits, as in Cronium. */
export function newJobId(): string {
  return randomId('job_');
}

/** `exe_` and 12 random letters and digits. */
export function newExecutionId(): string {
  return randomId('exe_');
}
