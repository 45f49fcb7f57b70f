import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { processStartTime, signalGroup } from '../executors/processGroup';
import type { Logger } from '../logger';
import type { JobRecord, JobStore } from '../store/jobStore';
import type { LogStore } from '../store/logStore';

/**
 * After a crash (kill -9, power loss) the previous daemon's claimed and running jobs have nobody
 * watching them: their output pipes are gone, so they cannot be re-adopted. Each is ended for good —
 * its process group killed if it is still the same process — and recorded `failed` with kind
 * `daemon_lost`. No job is ever left `running`.
 */
export function recoverLostJobs(jobs: JobStore, logs: LogStore, runDir: string, logger: Logger): JobRecord[] {
  const recovered: JobRecord[] = [];
  for (const job of jobs.active()) {
    let killed = false;
    if (job.pid !== null && job.pidStart !== null && processStartTime(job.pid) === job.pidStart) {
      killed = signalGroup(job.pid, 'SIGKILL');
    }
    const message = killed
      ? 'The daemon stopped while this job ran; its process was ended at the next start'
      : 'The daemon stopped while this job ran';
    jobs.finish(job.id, {
      status: 'failed',
      finishedAt: Date.now(),
      exitCode: null,
      signal: null,
      lastError: message,
      error: { kind: 'daemon_lost', message, pid: job.pid, processKilled: killed },
      logLines: logs.lastSeq(job.id),
    });
    logger.warn(`job ${job.id} was ${job.status} when the daemon stopped: recorded failed (daemon_lost)`);
    recovered.push(jobs.get(job.id) as JobRecord);
  }
  for (const file of readdirSync(runDir)) unlinkSync(join(runDir, file));
  return recovered;
}
