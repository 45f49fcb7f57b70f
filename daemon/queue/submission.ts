import { createHash } from 'node:crypto';
import type { ExecutorRegistry } from '../executors/registry';
import type { SecretBox } from '../secrets/secretBox';
import { queuedExecution, type ExecutionRecord, type NewExecution } from '../store/executionRecord';
import type { JobRecord, JobStore } from '../store/jobStore';
import { newExecutionId, newJobId, type JobRequest } from './jobRequest';
import type { LifecycleBus } from './lifecycleBus';

export interface SubmissionDeps {
  jobs: JobStore;
  registry: ExecutorRegistry;
  secrets: SecretBox;
  bus: LifecycleBus;
  /** The daemon's default timeout (setting `defaultTimeoutMs`, 0 for none). */
  defaultTimeoutMs: () => number;
  workDir: string;
}

/**
 * The queue's one door: stores a {@link JobRequest} as a job with its first execution, queued. The
 * target stays as asked (`auto` is decided when the execution is claimed); an explicit target that
 * cannot take work now is refused at once, so the user hears it before anything is stored.
 */
export class JobSubmission {
  constructor(private readonly deps: SubmissionDeps) {}

  /** Refuses what cannot be taken now (an explicit target that is unavailable). */
  async admit(request: JobRequest): Promise<void> {
    if (request.target !== 'auto') await this.deps.registry.requireAvailable(request.target);
  }

  /** Stores an admitted request as a queued job (synchronous: nothing can claim it half-made). */
  store(request: JobRequest): { job: JobRecord; executions: ExecutionRecord[] } {
    const now = Date.now();
    const jobId = newJobId();
    const env = request.env;
    // One execution per server of an SSH job; one on no server for the other targets.
    const servers: (string | null)[] = request.target === 'ssh' ? (request.servers ?? []) : [null];
    const executions: NewExecution[] = servers.map((serverId) => ({
      id: newExecutionId(),
      jobId,
      attempt: request.attempt,
      serverId,
      target: request.target,
      createdAt: now,
    }));
    const job = this.deps.jobs.insert(
      {
        id: jobId,
        name: request.name,
        runtime: request.runtime,
        requestedTarget: request.target,
        script: request.script,
        scriptName: request.scriptName,
        scriptSha256: createHash('sha256').update(request.script).digest('hex'),
        cwd: request.cwd ?? this.deps.workDir,
        envSealed: Object.keys(env).length > 0 ? this.deps.secrets.seal(JSON.stringify(env)) : null,
        envKeys: Object.keys(env),
        timeoutMs: request.timeoutMs ?? (this.deps.defaultTimeoutMs() || null),
        createdAt: now,
        source: request.source,
        eventId: request.eventId,
        workflowRunId: request.workflowRunId,
        workflowStepId: request.workflowStepId,
        triggeredAt: request.triggeredAt,
        input: request.input,
        targetOptions: request.targetOptions,
        retries: request.retries,
      },
      executions,
    );
    const stored = executions.map(queuedExecution);
    this.deps.bus.emit('job:queued', { job, executions: stored });
    return { job, executions: stored };
  }
}
