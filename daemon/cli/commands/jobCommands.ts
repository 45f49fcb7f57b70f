import type { Command } from 'commander';
import { JOB_STATUSES, type JobDto, type JobStatus } from '../../protocol/dto';
import { CancelJobRequest, GetJobRequest, ListJobsRequest } from '../../protocol/jobs';
import { printJson, type CliContext } from '../context';
import { EXECUTION_COLUMNS, executionRow, formatDuration, JOB_COLUMNS, jobRow, table, UsageError } from '../format';

export function registerJobCommands(program: Command, context: () => CliContext): void {
  program
    .command('jobs')
    .description('list jobs, newest first')
    .option('--limit <n>', 'how many (default 20, at most 1000)', '20')
    .option('--status <status>', `only jobs in this status: ${JOB_STATUSES.join(' | ')}`)
    .option('--json', 'print one JSON document')
    .action(async (options: { limit: string; status?: string; json?: boolean }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new UsageError(`Invalid --limit "${options.limit}"; use a whole number from 1 to 1000`);
      }
      if (options.status !== undefined && !JOB_STATUSES.includes(options.status as JobStatus)) {
        throw new UsageError(`Unknown --status "${options.status}"; use one of ${JOB_STATUSES.join(', ')}`);
      }
      const client = await context().client();
      const { jobs } = await client.request(ListJobsRequest, {
        limit,
        status: options.status as JobStatus | undefined,
      });
      client.close();
      if (options.json) printJson({ jobs });
      else if (jobs.length === 0) process.stdout.write('No jobs yet. Run one with `cronium run FILE`.\n');
      else process.stdout.write(`${table(JOB_COLUMNS, jobs.map(jobRow))}\n`);
    });

  program
    .command('job')
    .description('show one job')
    .argument('<id>', 'job id, e.g. job_0a1b2c3d4e5f')
    .option('--json', 'print one JSON document')
    .action(async (id: string, options: { json?: boolean }) => {
      const client = await context().client();
      const job = await client.request(GetJobRequest, { id });
      client.close();
      if (options.json) printJson(job);
      else process.stdout.write(describe(job));
    });

  program
    .command('cancel')
    .description('cancel a queued or running job (its whole process group is stopped)')
    .argument('<id>', 'job id')
    .action(async (id: string) => {
      const client = await context().client();
      // Resolves once the job is recorded cancelled: after its kill grace at worst, so no request bound.
      const job = await client.request(CancelJobRequest, { id }, { timeoutMs: 'unbounded' });
      client.close();
      process.stdout.write(`${job.id} ${job.status}\n`);
    });
}

function describe(job: JobDto): string {
  const rows: [string, string][] = [
    ['id', job.id],
    ['name', job.name],
    ['status', job.status],
    ['runtime', job.runtime],
    ['script', job.scriptSha256 === null ? '-' : `sha256 ${job.scriptSha256.slice(0, 16)}…`],
    ['target', job.requestedTarget === job.target ? job.target : `${job.target} (asked: ${job.requestedTarget})`],
    ['exit code', job.exitCode === null ? '-' : String(job.exitCode)],
    ['signal', job.signal ?? '-'],
    ['error', job.lastError ?? '-'],
    ['created', job.createdAt],
    ['started', job.startedAt ?? '-'],
    ['finished', job.finishedAt ?? '-'],
    ['duration', formatDuration(job.durationMs)],
    ['timeout', job.timeoutMs === null ? '-' : formatDuration(job.timeoutMs)],
    ['cwd', job.cwd ?? '-'],
    ['env', job.envKeys.length === 0 ? '-' : job.envKeys.join(', ')],
    ['pid', job.pid === null ? '-' : String(job.pid)],
    ['log lines', String(job.logLines)],
    ['input', job.input === null ? '-' : JSON.stringify(job.input)],
    ['output', job.output === null ? '-' : JSON.stringify(job.output)],
    ['condition', job.condition === null ? '-' : String(job.condition)],
  ];
  if (job.container !== null) {
    const c = job.container;
    rows.push(
      ['image', c.image ?? '(runtime default)'],
      ['container', c.containerId?.slice(0, 12) ?? '-'],
      ['limits', `${Math.round(c.memoryBytes / 1048576)} MiB, ${c.nanoCpus / 1e9} CPU, ${c.pidsLimit} processes`],
      ['network', c.network ? 'allowed' : 'none (internal job network)'],
    );
  }
  if (job.notice !== null) rows.push(['notice', job.notice]);
  const head = rows.map(([k, v]) => `${`${k}:`.padEnd(11)} ${v}`).join('\n');
  return `${head}\n\nexecutions:\n${table(EXECUTION_COLUMNS, job.executions.map(executionRow))}\n`;
}
