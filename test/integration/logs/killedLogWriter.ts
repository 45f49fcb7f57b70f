// A stand-in for a daemon storing a job's output, killed with SIGKILL by logWriterCrash.test.ts at random
// moments. Like a restarted daemon re-adopting a container job, it resumes from what the job row says was
// stored and reads the job's output again from that byte offset of each stream (as deliverOutput skips
// bytes of the engine's log), then stores it through the real JobLogWriter and SQLite store, with the
// progress hook the daemon's JobRun uses.
//   argv[2]: JSON {home, jobId, lines}
//   stdout:  "ready" once it stores, "finished" after the last line is stored
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { JobLogWriter } from '../../../daemon/logs/jobLogWriter';
import type { LogStream } from '../../../daemon/protocol/dto';
import '../../helpers/sqlText';
import { openDatabase } from '../../../daemon/store/database';
import type { ExecutionRecord } from '../../../daemon/store/executionRecord';
import { ExecutionStore } from '../../../daemon/store/executionStore';
import { JobStore } from '../../../daemon/store/jobStore';
import { executionIdOf } from './killedLogIds';
import { LogStore } from '../../../daemon/store/logStore';

const { home, jobId, lines } = JSON.parse(process.argv[2]) as { home: string; jobId: string; lines: number };
const db = openDatabase(join(home, 'cronium.db'));
const executions: ExecutionStore = new ExecutionStore(db, (id) => jobs.refreshSummary(id));
const jobs: JobStore = new JobStore(db, (e) => executions.insert(e));
const logs = new LogStore(db);
const executionId = executionIdOf(jobId);
if (jobs.get(jobId) === undefined) {
  jobs.insert(
    {
      id: jobId,
      name: 'killed',
      runtime: 'bash',
      requestedTarget: 'container',
      script: '',
      scriptName: null,
    scriptSha256: null,
    retries: null,
      cwd: null,
      envSealed: null,
      envKeys: [],
      timeoutMs: null,
      createdAt: Date.now(),
      source: 'manual',
      eventId: null,
      workflowRunId: null,
      workflowStepId: null,
      triggeredAt: null,
      input: undefined,
      targetOptions: {},
    },
    [{ id: executionId, jobId, attempt: 1, serverId: null, target: 'container', createdAt: Date.now() }],
  );
}
const job = executions.get(executionId) as ExecutionRecord;
const writer = new JobLogWriter(executionId, logs, { stored: () => undefined }, {
  resume: { seq: job.logLines, bytes: job.storedBytes },
  onProgress: (seq, bytes) => executions.progress(executionId, seq, bytes),
});

/** The job's whole output on one stream: `out 1\n` … or `err 1\n` …, as the engine's log keeps it. */
const streamBytes = (prefix: string) => Buffer.from(Array.from({ length: lines }, (_, i) => `${prefix} ${i + 1}\n`).join(''));
const output: Record<LogStream, Buffer> = { stdout: streamBytes('out'), stderr: streamBytes('err') };
const offset: Record<LogStream, number> = { stdout: job.storedBytes.stdout, stderr: job.storedBytes.stderr };

void (async () => {
  process.stdout.write('ready\n');
  // Small pieces, a few per turn of the event loop: many small batches, as a chatty job gives, some of
  // them ending half-way through a line.
  for (let i = 0; offset.stdout < output.stdout.length || offset.stderr < output.stderr.length; i++) {
    for (const stream of ['stdout', 'stderr'] as const) {
      const size = 3 + ((i * 7 + (stream === 'stdout' ? 0 : 5)) % 17);
      const piece = output[stream].subarray(offset[stream], offset[stream] + size);
      offset[stream] += piece.length;
      if (piece.length > 0) writer.write(stream, piece);
    }
    await turn();
  }
  writer.finish();
  process.stdout.write('finished\n');
})();
